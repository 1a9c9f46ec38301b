//! The live ledger: records in creation order plus an index per key the API looks up, and
//! a change counter tests wait on (instead of sleeping).
//!
//! Records are only appended, never removed (a reset replaces the whole store), so a
//! position stays valid for the store's life.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

use super::records::{V3Ledger, V3Notification, V3Order, V3Refund};

#[derive(Debug, Default)]
pub(crate) struct LedgerStore {
    orders: Vec<V3Order>,
    refunds: Vec<V3Refund>,
    notifications: Vec<V3Notification>,
    order_by_out_trade_no: HashMap<String, usize>,
    order_by_transaction_id: HashMap<String, usize>,
    refund_by_out_refund_no: HashMap<String, usize>,
    refunds_by_out_trade_no: HashMap<String, Vec<usize>>,
    notification_by_id: HashMap<String, usize>,
}

impl LedgerStore {
    pub(crate) fn snapshot(&self) -> V3Ledger {
        V3Ledger {
            orders: self.orders.clone(),
            refunds: self.refunds.clone(),
            notifications: self.notifications.clone(),
        }
    }

    pub(crate) fn orders(&self) -> &[V3Order] {
        &self.orders
    }

    pub(crate) fn refunds(&self) -> &[V3Refund] {
        &self.refunds
    }

    pub(crate) fn order(&self, out_trade_no: &str) -> Option<&V3Order> {
        self.orders
            .get(*self.order_by_out_trade_no.get(out_trade_no)?)
    }

    pub(crate) fn order_by_transaction_id(&self, transaction_id: &str) -> Option<&V3Order> {
        self.orders
            .get(*self.order_by_transaction_id.get(transaction_id)?)
    }

    /// For changes of unindexed fields; a payment goes through [`LedgerStore::index_payment`].
    pub(crate) fn order_mut(&mut self, out_trade_no: &str) -> Option<&mut V3Order> {
        self.orders
            .get_mut(*self.order_by_out_trade_no.get(out_trade_no)?)
    }

    pub(crate) fn insert_order(&mut self, order: V3Order) {
        if self.order_by_out_trade_no.contains_key(&order.out_trade_no) {
            return;
        }
        self.order_by_out_trade_no
            .insert(order.out_trade_no.clone(), self.orders.len());
        self.orders.push(order);
    }

    /// Indexes the transaction id a payment gave the order.
    pub(crate) fn index_payment(&mut self, out_trade_no: &str, transaction_id: &str) {
        if let Some(position) = self.order_by_out_trade_no.get(out_trade_no) {
            self.order_by_transaction_id
                .insert(transaction_id.to_owned(), *position);
        }
    }

    pub(crate) fn refund(&self, out_refund_no: &str) -> Option<&V3Refund> {
        self.refunds
            .get(*self.refund_by_out_refund_no.get(out_refund_no)?)
    }

    pub(crate) fn refund_mut(&mut self, out_refund_no: &str) -> Option<&mut V3Refund> {
        self.refunds
            .get_mut(*self.refund_by_out_refund_no.get(out_refund_no)?)
    }

    pub(crate) fn refunds_of<'a>(
        &'a self,
        out_trade_no: &str,
    ) -> impl Iterator<Item = &'a V3Refund> + 'a {
        self.refunds_by_out_trade_no
            .get(out_trade_no)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|position| self.refunds.get(*position))
    }

    pub(crate) fn insert_refund(&mut self, refund: V3Refund) {
        if self
            .refund_by_out_refund_no
            .contains_key(&refund.out_refund_no)
        {
            return;
        }
        let position = self.refunds.len();
        self.refund_by_out_refund_no
            .insert(refund.out_refund_no.clone(), position);
        self.refunds_by_out_trade_no
            .entry(refund.out_trade_no.clone())
            .or_default()
            .push(position);
        self.refunds.push(refund);
    }

    pub(crate) fn notification(&self, id: &str) -> Option<&V3Notification> {
        self.notifications.get(*self.notification_by_id.get(id)?)
    }

    pub(crate) fn notification_mut(&mut self, id: &str) -> Option<&mut V3Notification> {
        self.notifications
            .get_mut(*self.notification_by_id.get(id)?)
    }

    pub(crate) fn insert_notification(&mut self, notification: V3Notification) {
        self.notification_by_id
            .insert(notification.id.clone(), self.notifications.len());
        self.notifications.push(notification);
    }
}

/// The ledger behind a lock, announcing every change.
pub(crate) struct SharedLedger {
    store: Mutex<LedgerStore>,
    changes: watch::Sender<u64>,
}

impl Default for SharedLedger {
    fn default() -> Self {
        SharedLedger {
            store: Mutex::new(LedgerStore::default()),
            changes: watch::Sender::new(0),
        }
    }
}

impl SharedLedger {
    /// A lock that survives a panicked holder: the simulator keeps serving.
    fn lock(&self) -> MutexGuard<'_, LedgerStore> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn read<R>(&self, read: impl FnOnce(&LedgerStore) -> R) -> R {
        read(&self.lock())
    }

    /// Changes the ledger, then wakes whoever waits for a change.
    pub(crate) fn update<R>(&self, update: impl FnOnce(&mut LedgerStore) -> R) -> R {
        let result = update(&mut self.lock());
        self.changes.send_modify(|version| *version += 1);
        result
    }

    pub(crate) fn reset(&self) {
        self.update(|store| *store = LedgerStore::default());
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }
}
