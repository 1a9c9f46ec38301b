//! The payments core: one pay order per attempt to collect money for a merchant order of
//! any kind of goods (top-ups, points packages, the mall), with its refunds, its
//! notification inbox, expiry, reconciliation and the outbox that tells the goods.
//!
//! The goods never touch the core's tables: they open a pay order through
//! [`PaymentService`], ask for refunds through [`RefundService`], and implement
//! [`Fulfilment`] to be told "paid", "closed", "refunded" or "flagged" (at least once).

mod collection;
mod confirmation;
mod decision;
mod expiry;
mod pay_order;
mod ports;
mod reconcile;
mod refunds;
mod relay;
mod retry;
mod service;
mod start;
mod status;

#[cfg(any(test, feature = "mocks"))]
pub mod memory;
#[cfg(test)]
pub(crate) mod tests;

pub use collection::PaymentService;
pub use confirmation::{NotificationHandled, PaymentNotice};
pub use expiry::ExpiryReport;
pub use pay_order::{FulfilmentMessage, PayOrder, PayOrderDraft, PayTransition, RefundRefused};
pub use ports::{Fulfilment, FulfilmentError, FulfilmentOutbox, PayOrderRepository, PayQueue};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockFulfilment, MockFulfilmentOutbox, MockPayOrderRepository};
pub use reconcile::{Mismatch, ReconciliationReport};
pub use refunds::{RefundCommand, RefundOutcome, RefundService, RefundSweep};
pub use relay::{FulfilmentRelay, FulfilmentRouter, RelayReport};
pub use service::PayPorts;
pub use start::{PayMethod, PaymentStart};
pub use status::{
    FulfilmentEvent, GoodsKind, PayChannel, PayEvent, PayStatus, PayTransitionError, UnknownName,
};
