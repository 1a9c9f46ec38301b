//! The live ledger: records in creation order plus an index per key the pay API looks up,
//! so no request scans the records (a torture run holds tens of thousands of orders).
//!
//! Records are only appended, never removed (a reset replaces the whole store), so a
//! position in a `Vec` stays valid for the store's life.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};

use super::clock::china;
use super::records::{CallbackAttempt, Ledger, SimOrder, SimRefund, SimTradeState};

#[derive(Debug, Default)]
pub(crate) struct LedgerStore {
    orders: Vec<SimOrder>,
    refunds: Vec<SimRefund>,
    callbacks: Vec<CallbackAttempt>,
    order_by_out_trade_no: HashMap<String, usize>,
    order_by_transaction_id: HashMap<String, usize>,
    refund_by_out_refund_no: HashMap<String, usize>,
    refund_by_refund_id: HashMap<String, usize>,
    /// Refund positions of each order, in creation order.
    refunds_by_out_trade_no: HashMap<String, Vec<usize>>,
    /// For the daily statement: payments and refunds by the China day they happened.
    payments_by_china_day: BTreeMap<NaiveDate, Vec<usize>>,
    refunds_by_china_day: BTreeMap<NaiveDate, Vec<usize>>,
    acknowledged_by_out_trade_no: HashMap<String, usize>,
}

fn china_day(time: DateTime<Utc>) -> NaiveDate {
    china(time).date_naive()
}

impl LedgerStore {
    /// A copy of every record, in creation order.
    pub(crate) fn snapshot(&self) -> Ledger {
        Ledger {
            orders: self.orders.clone(),
            refunds: self.refunds.clone(),
            callbacks: self.callbacks.clone(),
        }
    }

    pub(crate) fn order(&self, out_trade_no: &str) -> Option<&SimOrder> {
        let position = *self.order_by_out_trade_no.get(out_trade_no)?;
        self.orders.get(position)
    }

    pub(crate) fn order_by_transaction_id(&self, transaction_id: &str) -> Option<&SimOrder> {
        let position = *self.order_by_transaction_id.get(transaction_id)?;
        self.orders.get(position)
    }

    /// For changes of unindexed fields (state, `closed_at`, `refunded_fee`); a payment,
    /// which sets indexed ones, goes through [`LedgerStore::record_payment`].
    pub(crate) fn order_mut(&mut self, out_trade_no: &str) -> Option<&mut SimOrder> {
        let position = *self.order_by_out_trade_no.get(out_trade_no)?;
        self.orders.get_mut(position)
    }

    /// Adds a new order; an `out_trade_no` already known is left as it was (the rules
    /// answer a repeated order before getting here).
    pub(crate) fn insert_order(&mut self, order: SimOrder) {
        if self.order_by_out_trade_no.contains_key(&order.out_trade_no) {
            return;
        }
        let position = self.orders.len();
        self.order_by_out_trade_no
            .insert(order.out_trade_no.clone(), position);
        self.orders.push(order);
    }

    /// The order becomes SUCCESS, paid at `paid_at` under `transaction_id`.
    pub(crate) fn record_payment(
        &mut self,
        out_trade_no: &str,
        transaction_id: String,
        paid_at: DateTime<Utc>,
    ) -> Option<&SimOrder> {
        let position = *self.order_by_out_trade_no.get(out_trade_no)?;
        let order = self.orders.get_mut(position)?;
        if let Some(previous) = order.transaction_id.take() {
            self.order_by_transaction_id.remove(&previous);
        }
        if let Some(previous_day) = order.paid_at.map(china_day)
            && let Some(paid_that_day) = self.payments_by_china_day.get_mut(&previous_day)
        {
            paid_that_day.retain(|paid| *paid != position);
        }
        order.state = SimTradeState::Success;
        order.transaction_id = Some(transaction_id.clone());
        order.paid_at = Some(paid_at);
        self.order_by_transaction_id
            .insert(transaction_id, position);
        self.payments_by_china_day
            .entry(china_day(paid_at))
            .or_default()
            .push(position);
        self.orders.get(position)
    }

    pub(crate) fn refund_by_out_refund_no(&self, out_refund_no: &str) -> Option<&SimRefund> {
        let position = *self.refund_by_out_refund_no.get(out_refund_no)?;
        self.refunds.get(position)
    }

    pub(crate) fn refund_by_refund_id(&self, refund_id: &str) -> Option<&SimRefund> {
        let position = *self.refund_by_refund_id.get(refund_id)?;
        self.refunds.get(position)
    }

    /// For the test-only forced status; the keys of a refund never change.
    pub(crate) fn refund_mut(&mut self, out_refund_no: &str) -> Option<&mut SimRefund> {
        let position = *self.refund_by_out_refund_no.get(out_refund_no)?;
        self.refunds.get_mut(position)
    }

    /// The refunds of one order, oldest first.
    pub(crate) fn refunds_of_order<'a>(
        &'a self,
        out_trade_no: &str,
    ) -> impl Iterator<Item = &'a SimRefund> + 'a {
        self.refunds_by_out_trade_no
            .get(out_trade_no)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|position| self.refunds.get(*position))
    }

    pub(crate) fn refund_count(&self, out_trade_no: &str) -> usize {
        self.refunds_by_out_trade_no
            .get(out_trade_no)
            .map_or(0, Vec::len)
    }

    /// Adds a new refund; an `out_refund_no` already known is left as it was (the rules
    /// answer a repeated refund before getting here).
    pub(crate) fn insert_refund(&mut self, refund: SimRefund) {
        if self
            .refund_by_out_refund_no
            .contains_key(&refund.out_refund_no)
        {
            return;
        }
        let position = self.refunds.len();
        self.refund_by_out_refund_no
            .insert(refund.out_refund_no.clone(), position);
        self.refund_by_refund_id
            .insert(refund.refund_id.clone(), position);
        self.refunds_by_out_trade_no
            .entry(refund.out_trade_no.clone())
            .or_default()
            .push(position);
        self.refunds_by_china_day
            .entry(china_day(refund.created_at))
            .or_default()
            .push(position);
        self.refunds.push(refund);
    }

    /// Orders paid on this China day.
    pub(crate) fn payments_on(&self, day: NaiveDate) -> impl Iterator<Item = &SimOrder> {
        self.payments_by_china_day
            .get(&day)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|position| self.orders.get(*position))
    }

    /// Refunds created on this China day.
    pub(crate) fn refunds_on(&self, day: NaiveDate) -> impl Iterator<Item = &SimRefund> {
        self.refunds_by_china_day
            .get(&day)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|position| self.refunds.get(*position))
    }

    pub(crate) fn record_callback(&mut self, attempt: CallbackAttempt) {
        if attempt.acknowledged {
            *self
                .acknowledged_by_out_trade_no
                .entry(attempt.out_trade_no.clone())
                .or_default() += 1;
        }
        self.callbacks.push(attempt);
    }

    /// How many notification attempts for the order the service acknowledged.
    pub(crate) fn acknowledged_count(&self, out_trade_no: &str) -> usize {
        self.acknowledged_by_out_trade_no
            .get(out_trade_no)
            .copied()
            .unwrap_or(0)
    }
}
