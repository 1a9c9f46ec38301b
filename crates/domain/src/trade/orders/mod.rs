//! The mall order: items sold at a quoted price, an address, a payment through the payments
//! core, then shipping and receipt. One state machine ([`MallOrderStatus::on`]) decides
//! every change; every change is a compare-and-set ([`MallOrderTransition`]). A payment
//! after cancellation never revives an order: it is refunded ([`TradeEvent::RefundPayment`]).

mod china_mobile;
mod goods;
mod model;
mod ownership;
mod ports;
mod service;
mod status;
mod transition;

#[cfg(any(test, feature = "mocks"))]
pub mod memory;
#[cfg(test)]
pub(crate) mod tests;

pub use china_mobile::{ChinaMobile, ChinaMobileError};
pub use goods::{CorePayments, MallFulfilment};
pub use model::{
    AddressSnapshot, Cancellation, ItemDraft, MAX_ITEMS, MAX_QUANTITY, MAX_TEXT, MallOrder,
    MallOrderDraft, MallOrderItem, OrderError, OrderTotals, PaymentRecord, Receipt, Shipment,
};
pub use ownership::{Owned, owned_by};
pub use ports::{MallOrderFilter, MallOrderQueue, MallOrderRepository, TradePayments};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockMallOrderRepository, MockTradePayments};
pub(crate) use service::buyer_number;
pub use service::{JobReport, MallOrderService, PaymentOutcome};
pub(crate) use status::stored_names;
pub use status::{
    CancelReason, MallOrderStatus, OrderEventKind, OrderTransitionError, ReceiptBy, Verdict,
};
pub use transition::{
    Decision, LatePayment, MallOrderTransition, OrderEvent, StockLine, TradeEvent,
};
