//! The trade outbox: what an order or after-sale change asks of other contexts (stock
//! movements, refunds), written in the transaction of the change and delivered after
//! commit, at least once, by [`TradeRelay`]. Every delivery is idempotent at its receiver
//! (stock movements are unique per order, SKU and kind; a refund of more than what remains
//! is refused), so delivering twice moves nothing twice.

mod relay;

#[cfg(any(test, feature = "mocks"))]
pub mod memory;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ports::RepositoryError;
use crate::trade::after_sales::AfterSaleEffect;
use crate::trade::orders::TradeEvent;

pub use relay::{Backoff, RelayReport, TradeRelay, TradeStock};

/// One message of the outbox: an order's event or an after-sale's effect. Stored as JSON
/// (`{"source": "order", "event": {...}}`) with the stored names of its values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "source", content = "event")]
pub enum TradeMessage {
    Order(TradeEvent),
    AfterSale(AfterSaleEffect),
}

/// A message waiting for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMessage {
    /// Ascending in commit order.
    pub id: i64,
    pub message: TradeMessage,
    /// Failed deliveries so far.
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TradeOutbox: Send + Sync {
    /// Undelivered messages whose next attempt is due at `now`, oldest first, at most
    /// `limit`. A message that failed waits for its next attempt time, so one that keeps
    /// failing never holds back the others.
    async fn pending(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<PendingMessage>, RepositoryError>;

    /// Delivered: never returned again. Marking twice keeps the first time.
    async fn delivered(&self, id: i64, at: DateTime<Utc>) -> Result<(), RepositoryError>;

    /// A failed delivery: counted, with why, and not returned before `next_attempt_at`.
    async fn failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;
}
