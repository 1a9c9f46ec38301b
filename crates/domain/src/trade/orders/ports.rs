//! Storage of mall orders and the payments core as the orders see it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::order::{OpenId, OrderNumber};
use crate::payments::{PayStatus, RefundCommand, RefundOutcome};
use crate::ports::{CasOutcome, Page, PageRequest, RepositoryError};
use crate::services::ServiceError;

use super::model::MallOrder;
use super::status::MallOrderStatus;
use super::transition::MallOrderTransition;

/// The work queues of the order jobs; each is served by an index on its due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MallOrderQueue {
    /// Unpaid with `pay_deadline` at or before the cut-off.
    PaymentDue,
    /// Shipped with `auto_confirm_at` at or before the cut-off.
    ReceiptDue,
}

/// Which orders a list shows; every condition set must hold. `created_from` is inclusive,
/// `created_to` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MallOrderFilter {
    pub buyer: Option<OpenId>,
    pub status: Option<MallOrderStatus>,
    pub order_no: Option<OrderNumber>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
}

impl MallOrderFilter {
    /// Whether `order` passes (what a query's WHERE says, for the in-memory adapter).
    pub fn matches(&self, order: &MallOrder) -> bool {
        self.buyer
            .as_ref()
            .is_none_or(|buyer| &order.buyer == buyer)
            && self.status.is_none_or(|status| order.status == status)
            && self
                .order_no
                .as_ref()
                .is_none_or(|number| &order.order_no == number)
            && self
                .created_from
                .is_none_or(|from| order.created_at >= from)
            && self.created_to.is_none_or(|to| order.created_at < to)
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MallOrderRepository: Send + Sync {
    /// Stores a new order with its items in one transaction; `Duplicate` if its number is
    /// taken (then nothing is written).
    async fn insert(&self, order: &MallOrder) -> Result<(), RepositoryError>;

    async fn find(&self, order_no: &OrderNumber) -> Result<Option<MallOrder>, RepositoryError>;

    /// The order only if `buyer` placed it: the condition is part of the query.
    async fn find_for_buyer(
        &self,
        order_no: &OrderNumber,
        buyer: &OpenId,
    ) -> Result<Option<MallOrder>, RepositoryError>;

    /// The single way an order changes: a conditional update on status and version, with
    /// the transition's events, in one transaction. `Lost`: nothing written.
    async fn apply(&self, transition: &MallOrderTransition) -> Result<CasOutcome, RepositoryError>;

    /// Orders of a queue due at `cutoff`, earliest due first, at most `limit`.
    async fn due(
        &self,
        queue: MallOrderQueue,
        cutoff: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<MallOrder>, RepositoryError>;

    /// Orders passing `filter`, newest first (by creation, then number), one page of them
    /// with the total.
    async fn list(
        &self,
        filter: MallOrderFilter,
        page: PageRequest,
    ) -> Result<Page<MallOrder>, RepositoryError>;
}

/// What trade needs of the payments core; [`super::CorePayments`] is the real one.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TradePayments: Send + Sync {
    /// Closes an unpaid pay order at WeChat first, then here; the pay order's status
    /// after (paid when a payment landed meanwhile).
    async fn close(&self, pay_order: &OrderNumber) -> Result<PayStatus, ServiceError>;

    /// Starts a refund and sends it (see [`crate::payments::RefundService::refund`]).
    async fn refund(&self, command: RefundCommand) -> Result<RefundOutcome, ServiceError>;
}
