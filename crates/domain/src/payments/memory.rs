//! The payments core's storage in memory, with the same compare-and-set and the same
//! one-transaction writes as the database adapter: for the property tests and for other
//! crates' tests (`mocks` feature).

use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::order::OrderNumber;
use crate::ports::{
    CasOutcome, DecidedNotification, IncomingNotification, LoggedNotification, NotificationFilter,
    NotificationOutcome, NotificationRecord, NotificationStatistics, NotificationStatsQuery, Page,
    PageRequest, PaymentNotificationLog, Refund, RefundRepository, RefundStatus, RepositoryError,
};

use super::pay_order::{FulfilmentMessage, PayOrder, PayTransition};
use super::ports::{FulfilmentOutbox, PayOrderRepository, PayQueue};
use super::status::PayStatus;

#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub message: FulfilmentMessage,
    pub delivered_at: Option<DateTime<Utc>>,
    pub attempts: u32,
}

#[derive(Debug, Default)]
pub struct PaymentsState {
    pub pay_orders: Vec<PayOrder>,
    pub outbox: Vec<OutboxRow>,
    pub refunds: Vec<Refund>,
    pub notifications: Vec<NotificationRecord>,
    /// Audit rows written with a pay order's change.
    pub audit: Vec<crate::accounts::audit::AuditEntry>,
    /// Write failures to inject: the next `n` writes answer `Unavailable`, writing nothing.
    pub failing_writes: usize,
}

/// One store for the pay orders, their outbox, refunds and notification log, so that a
/// transition writes them together or not at all.
#[derive(Debug, Clone, Default)]
pub struct MemoryPayments {
    state: Arc<Mutex<PaymentsState>>,
}

impl MemoryPayments {
    pub fn new() -> Self {
        MemoryPayments::default()
    }

    pub fn state(&self) -> MutexGuard<'_, PaymentsState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes the next `writes` writes fail, as a database that went away would.
    pub fn fail_next_writes(&self, writes: usize) {
        self.state().failing_writes = writes;
    }

    fn write(&self) -> Result<MutexGuard<'_, PaymentsState>, RepositoryError> {
        let mut state = self.state();
        if state.failing_writes > 0 {
            state.failing_writes -= 1;
            return Err(RepositoryError::Unavailable("injected failure".to_owned()));
        }
        Ok(state)
    }
}

impl PaymentsState {
    fn append_outbox(&mut self, messages: &[FulfilmentMessage]) {
        for message in messages {
            let mut message = message.clone();
            message.id = self.outbox.len() as i64 + 1;
            self.outbox.push(OutboxRow {
                message,
                delivered_at: None,
                attempts: 0,
            });
        }
    }

    fn log(&mut self, decided: &DecidedNotification) {
        let incoming = &decided.notification;
        let same = |record: &NotificationRecord| {
            record.channel == incoming.channel
                && record.kind == incoming.kind
                && incoming.transaction_id.is_some()
                && record.transaction_id == incoming.transaction_id
        };
        if let Some(record) = self.notifications.iter_mut().find(|record| same(record)) {
            record.retry_count += 1;
            if !decided.outcome.keeps_earlier_decision() {
                record.outcome = decided.outcome;
                record.error_message = decided.error_message.clone();
                record.processing_ms = Some(decided.processing_ms);
            }
            return;
        }
        let id = self.notifications.len() as i64 + 1;
        self.notifications
            .push(record_of(id, incoming, decided.outcome, decided));
    }
}

fn record_of(
    id: i64,
    incoming: &IncomingNotification,
    outcome: NotificationOutcome,
    decided: &DecidedNotification,
) -> NotificationRecord {
    NotificationRecord {
        id,
        channel: incoming.channel.clone(),
        kind: incoming.kind,
        order_number: incoming.order_number.clone(),
        transaction_id: incoming.transaction_id.clone(),
        outcome,
        error_message: decided.error_message.clone(),
        processing_ms: Some(decided.processing_ms),
        retry_count: 0,
        client_ip: incoming.client_ip.clone(),
        raw_body: incoming.raw_body.clone(),
        created_at: incoming.received_at,
    }
}

#[async_trait]
impl PayOrderRepository for MemoryPayments {
    async fn insert(
        &self,
        pay_order: &PayOrder,
        outbox: &[FulfilmentMessage],
    ) -> Result<(), RepositoryError> {
        let mut state = self.write()?;
        if state
            .pay_orders
            .iter()
            .any(|stored| stored.out_trade_no == pay_order.out_trade_no)
        {
            return Err(RepositoryError::Duplicate(format!(
                "pay order {}",
                pay_order.out_trade_no
            )));
        }
        state.pay_orders.push(pay_order.clone());
        state.append_outbox(outbox);
        Ok(())
    }

    async fn find(&self, out_trade_no: &OrderNumber) -> Result<Option<PayOrder>, RepositoryError> {
        Ok(self
            .state()
            .pay_orders
            .iter()
            .find(|order| &order.out_trade_no == out_trade_no)
            .cloned())
    }

    async fn apply(&self, transition: &PayTransition) -> Result<CasOutcome, RepositoryError> {
        let mut state = self.write()?;
        let number = &transition.pay_order.out_trade_no;
        let Some(index) = state
            .pay_orders
            .iter()
            .position(|order| &order.out_trade_no == number)
        else {
            return Ok(CasOutcome::Lost);
        };
        let stored = &state.pay_orders[index];
        if stored.status != transition.expected_status
            || stored.version != transition.expected_version
        {
            return Ok(CasOutcome::Lost);
        }
        if let Some(refund) = &transition.refund
            && state
                .refunds
                .iter()
                .any(|r| r.refund_no == refund.refund_no)
        {
            return Err(RepositoryError::Duplicate(format!(
                "refund {}",
                refund.refund_no
            )));
        }
        state.pay_orders[index] = transition.pay_order.clone();
        state.append_outbox(&transition.outbox);
        if let Some(refund) = &transition.refund {
            state.refunds.push(refund.clone());
        }
        if let Some(notification) = &transition.notification {
            state.log(notification);
        }
        if let Some(entry) = &transition.audit {
            state.audit.push(entry.clone());
        }
        Ok(CasOutcome::Won)
    }

    async fn find_work(
        &self,
        queue: PayQueue,
        cutoff: DateTime<Utc>,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<Vec<PayOrder>, RepositoryError> {
        let state = self.state();
        let mut found: Vec<PayOrder> = state
            .pay_orders
            .iter()
            .filter(|order| match queue {
                PayQueue::ExpiredUnpaid => {
                    order.status == PayStatus::Unpaid && order.time_expire < cutoff
                }
                PayQueue::Refunding => {
                    order.status == PayStatus::Refunding && order.updated_at < cutoff
                }
            })
            .filter(|order| {
                after
                    .as_ref()
                    .is_none_or(|after| &order.out_trade_no > after)
            })
            .cloned()
            .collect();
        found.sort_by(|a, b| a.out_trade_no.cmp(&b.out_trade_no));
        found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(found)
    }
}

#[async_trait]
impl FulfilmentOutbox for MemoryPayments {
    async fn pending_for(
        &self,
        out_trade_no: &OrderNumber,
    ) -> Result<Vec<FulfilmentMessage>, RepositoryError> {
        Ok(self
            .state()
            .outbox
            .iter()
            .filter(|row| row.delivered_at.is_none() && &row.message.out_trade_no == out_trade_no)
            .map(|row| row.message.clone())
            .collect())
    }

    async fn pending(
        &self,
        before: DateTime<Utc>,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Vec<FulfilmentMessage>, RepositoryError> {
        Ok(self
            .state()
            .outbox
            .iter()
            .filter(|row| row.delivered_at.is_none() && row.message.created_at < before)
            .filter(|row| after.is_none_or(|after| row.message.id > after))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|row| row.message.clone())
            .collect())
    }

    async fn delivered(&self, id: i64, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        let mut state = self.write()?;
        if let Some(row) = state.outbox.iter_mut().find(|row| row.message.id == id) {
            row.delivered_at.get_or_insert(at);
        }
        Ok(())
    }

    async fn failed(
        &self,
        id: i64,
        _error: &str,
        _at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let mut state = self.write()?;
        if let Some(row) = state.outbox.iter_mut().find(|row| row.message.id == id) {
            row.attempts += 1;
        }
        Ok(())
    }
}

#[async_trait]
impl RefundRepository for MemoryPayments {
    async fn insert(&self, refund: &Refund) -> Result<(), RepositoryError> {
        let mut state = self.write()?;
        if state
            .refunds
            .iter()
            .any(|r| r.refund_no == refund.refund_no)
        {
            return Err(RepositoryError::Duplicate(format!(
                "refund {}",
                refund.refund_no
            )));
        }
        state.refunds.push(refund.clone());
        Ok(())
    }

    async fn find(&self, refund_no: &str) -> Result<Option<Refund>, RepositoryError> {
        Ok(self
            .state()
            .refunds
            .iter()
            .find(|r| r.refund_no == refund_no)
            .cloned())
    }

    async fn latest_for_order(
        &self,
        order_number: &OrderNumber,
    ) -> Result<Option<Refund>, RepositoryError> {
        Ok(self
            .state()
            .refunds
            .iter()
            .rev()
            .find(|r| &r.order_number == order_number)
            .cloned())
    }

    async fn update(
        &self,
        refund: &Refund,
        expected_status: RefundStatus,
        expected_version: i32,
    ) -> Result<CasOutcome, RepositoryError> {
        let mut state = self.write()?;
        let Some(stored) = state
            .refunds
            .iter_mut()
            .find(|r| r.refund_no == refund.refund_no)
        else {
            return Ok(CasOutcome::Lost);
        };
        if stored.status != expected_status || stored.version != expected_version {
            return Ok(CasOutcome::Lost);
        }
        *stored = refund.clone();
        Ok(CasOutcome::Won)
    }
}

#[async_trait]
impl PaymentNotificationLog for MemoryPayments {
    async fn record(
        &self,
        notification: &IncomingNotification,
    ) -> Result<LoggedNotification, RepositoryError> {
        let decided = DecidedNotification {
            notification: notification.clone(),
            outcome: NotificationOutcome::Received,
            error_message: None,
            processing_ms: 0,
        };
        let mut state = self.write()?;
        let before = state.notifications.len();
        state.log(&decided);
        let seen_before = state.notifications.len() == before;
        let id = state.notifications.len() as i64;
        Ok(LoggedNotification { id, seen_before })
    }

    async fn record_decided(&self, decided: &DecidedNotification) -> Result<(), RepositoryError> {
        self.write()?.log(decided);
        Ok(())
    }

    async fn set_outcome(
        &self,
        id: i64,
        outcome: NotificationOutcome,
        error_message: Option<String>,
        processing_ms: i64,
    ) -> Result<(), RepositoryError> {
        let mut state = self.write()?;
        if let Some(record) = state.notifications.iter_mut().find(|r| r.id == id) {
            record.outcome = outcome;
            record.error_message = error_message;
            record.processing_ms = Some(processing_ms);
        }
        Ok(())
    }

    async fn find(&self, id: i64) -> Result<Option<NotificationRecord>, RepositoryError> {
        Ok(self
            .state()
            .notifications
            .iter()
            .find(|r| r.id == id)
            .cloned())
    }

    async fn list(
        &self,
        filter: &NotificationFilter,
        page: PageRequest,
    ) -> Result<Page<NotificationRecord>, RepositoryError> {
        let state = self.state();
        let matching: Vec<NotificationRecord> = state
            .notifications
            .iter()
            .rev()
            .filter(|record| {
                filter
                    .outcome
                    .is_none_or(|outcome| record.outcome == outcome)
            })
            .filter(|record| filter.kind.is_none_or(|kind| record.kind == kind))
            .filter(|record| {
                filter
                    .channel
                    .as_ref()
                    .is_none_or(|channel| &record.channel == channel)
            })
            .filter(|record| {
                filter
                    .order_number
                    .as_ref()
                    .is_none_or(|number| record.order_number.as_ref() == Some(number))
            })
            .filter(|record| {
                filter
                    .received_from
                    .is_none_or(|from| record.created_at >= from)
            })
            .filter(|record| {
                filter
                    .received_before
                    .is_none_or(|before| record.created_at < before)
            })
            .cloned()
            .collect();
        let total = matching.len() as u64;
        let items = matching
            .into_iter()
            .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
            .take(usize::try_from(page.limit).unwrap_or(usize::MAX))
            .collect();
        Ok(Page {
            items,
            total,
            page: page.page,
            limit: page.limit,
        })
    }

    async fn statistics(
        &self,
        query: &NotificationStatsQuery,
    ) -> Result<NotificationStatistics, RepositoryError> {
        let china = chrono::FixedOffset::east_opt(8 * 3600)
            .ok_or_else(|| RepositoryError::Corrupt("UTC+8".to_owned()))?;
        let day = |at: DateTime<Utc>| at.with_timezone(&china).date_naive();
        let last = query.before - chrono::Duration::nanoseconds(1);
        let mut stats = NotificationStatistics::for_days(day(query.from), day(last));
        for record in self.state().notifications.iter().filter(|record| {
            record.created_at >= query.from
                && record.created_at < query.before
                && query
                    .channel
                    .as_ref()
                    .is_none_or(|channel| &record.channel == channel)
        }) {
            stats.count(day(record.created_at), record.outcome, record.processing_ms);
        }
        Ok(stats)
    }
}
