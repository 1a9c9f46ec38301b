//! Use cases: the application services the inbound adapters (HTTP, jobs, CLI) call.

mod attention;
mod catalogue;
mod error;
mod exchange_rates;
mod notification_log;
mod order_queries;
mod orders;
mod recharge;
mod statistics;
mod topup_payments;

#[cfg(test)]
mod tests;

pub use attention::{
    AttentionAlert, AttentionReport, AttentionService, OrderTally, StuckKind, StuckTally,
};
pub use catalogue::TopUpCatalogue;
pub use error::ServiceError;
pub use exchange_rates::{ExchangeRatePolicy, ExchangeRateService};
pub use notification_log::{NotificationLogService, NotificationSearch};
pub use order_queries::{OrderHistory, OrderQueries};
pub use orders::{CreateOrder, OrderService};
pub use recharge::{DispatchOutcome, RechargeService, SweepReport, UnclaimedPage};
pub use statistics::{Figures, StatisticsService};
pub use topup_payments::{TopUpFulfilment, TopUpPayments, pay_order_draft};

use std::sync::Arc;

use chrono::Duration;

use crate::accounts::audit::AuditLog;
use crate::msisdn::OperatorPrefixes;
use crate::order::{Order, OrderNumber};
use crate::ports::{
    Alert, AlertLevel, Alerts, Clock, ExchangeRateRepository, IdGenerator, OrderRepository,
    TopUpProvider, UserRepository, WorkQueue,
};

/// Lost compare-and-sets tolerated in one call before giving up (the caller retries later).
const MAX_RACE_RETRIES: usize = 5;

/// One page of a job's work queue, and where the next run starts.
struct Work {
    orders: Vec<Order>,
    next: Option<OrderNumber>,
}

impl Work {
    /// A full page may have more behind it: the next run starts after its last candidate.
    /// A short page reached the end, so the next run starts again from the oldest.
    fn new(orders: Vec<Order>, limit: u64) -> Self {
        let full = limit > 0 && orders.len() as u64 >= limit;
        let next = if full {
            orders.last().map(|order| order.number.clone())
        } else {
            None
        };
        Work { orders, next }
    }
}

/// Every port the use cases need, shared by all services.
#[derive(Clone)]
pub struct Ports {
    pub orders: Arc<dyn OrderRepository>,
    pub users: Arc<dyn UserRepository>,
    pub rates: Arc<dyn ExchangeRateRepository>,
    pub provider: Arc<dyn TopUpProvider>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub alerts: Arc<dyn Alerts>,
    /// The admins' audit trail, for actions that change nothing else (changes carry their
    /// row to the repository that writes them).
    pub audit: Arc<dyn AuditLog>,
    pub prefixes: OperatorPrefixes,
}

impl Ports {
    /// A page of a job's candidates: orders of `queue` past the cut-off `now - age`, oldest
    /// first, after the cursor `after`.
    async fn work(
        &self,
        queue: WorkQueue,
        age: Duration,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<Work, ServiceError> {
        let cutoff = self.clock.now() - age;
        let orders = self.orders.find_work(queue, cutoff, after, limit).await?;
        Ok(Work::new(orders, limit))
    }

    /// Alerts a person; an alert that cannot be delivered is logged, never fatal.
    async fn alert(&self, level: AlertLevel, title: &str, body: &str) {
        let alert = Alert {
            level,
            title: title.to_owned(),
            body: body.to_owned(),
        };
        if let Err(error) = self.alerts.send(&alert).await {
            tracing::warn!(%error, title, "alert not delivered");
        }
    }
}
