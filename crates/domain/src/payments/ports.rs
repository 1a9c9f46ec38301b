//! The payments core's own storage, its outbox and the port every kind of goods
//! implements to be told about its payments.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::order::OrderNumber;
use crate::ports::{CasOutcome, RepositoryError};

use super::pay_order::{FulfilmentMessage, PayOrder, PayTransition};

/// The work queues of the core's jobs; each is served by an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayQueue {
    /// Unpaid and past `time_expire` at the cut-off.
    ExpiredUnpaid,
    /// A refund in flight, last changed before the cut-off.
    Refunding,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PayOrderRepository: Send + Sync {
    /// Stores a new pay order with `outbox` in one transaction; `Duplicate` if its
    /// `out_trade_no` is taken (then nothing is written).
    async fn insert(
        &self,
        pay_order: &PayOrder,
        outbox: &[FulfilmentMessage],
    ) -> Result<(), RepositoryError>;

    async fn find(&self, out_trade_no: &OrderNumber) -> Result<Option<PayOrder>, RepositoryError>;

    /// The single way a pay order changes: a conditional update on status and version,
    /// with everything the transition carries, in one transaction. `Lost`: nothing written.
    async fn apply(&self, transition: &PayTransition) -> Result<CasOutcome, RepositoryError>;

    /// Candidates for a job by `out_trade_no` ascending, after `after` when given.
    async fn find_work(
        &self,
        queue: PayQueue,
        cutoff: DateTime<Utc>,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<Vec<PayOrder>, RepositoryError>;
}

/// Messages to the goods, written with the change that caused them and delivered after
/// the transaction, at least once.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait FulfilmentOutbox: Send + Sync {
    /// Undelivered messages of one pay order, oldest first.
    async fn pending_for(
        &self,
        out_trade_no: &OrderNumber,
    ) -> Result<Vec<FulfilmentMessage>, RepositoryError>;

    /// Undelivered messages created before `before`, oldest first, after id `after`.
    async fn pending(
        &self,
        before: DateTime<Utc>,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Vec<FulfilmentMessage>, RepositoryError>;

    async fn delivered(&self, id: i64, at: DateTime<Utc>) -> Result<(), RepositoryError>;

    /// A delivery failed: counted, with its error, for the next attempt.
    async fn failed(&self, id: i64, error: &str, at: DateTime<Utc>) -> Result<(), RepositoryError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FulfilmentError {
    /// Try again later (storage, a race lost too often).
    #[error("fulfilment deferred: {0}")]
    Retry(String),
    /// No goods of this kind are sold by this server.
    #[error("no fulfilment for goods of kind {0}")]
    NoOwner(String),
}

/// Implemented by every kind of goods: what to do when its payment was made, closed,
/// refunded or flagged. Delivered at least once: each must be idempotent by merchant order.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Fulfilment: Send + Sync {
    async fn fulfil(&self, message: &FulfilmentMessage) -> Result<(), FulfilmentError>;
}
