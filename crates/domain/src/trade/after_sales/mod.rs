//! After-sales: per item of a paid order, refund only or return and refund. One state
//! machine ([`AfterSaleStatus::on`]); refunds go through the payments core; Σ of an item's
//! refunds never exceeds what was paid for it ([`ItemLedger`]); an item takes one open
//! after-sale at a time; the order reads 售后中 while any is open ([`OrderBadge`], derived).

mod model;
mod ports;
mod service;
mod status;
mod transition;

#[cfg(any(test, feature = "mocks"))]
pub mod memory;
#[cfg(test)]
mod tests;

pub use model::{AfterSale, AfterSaleError, AfterSaleKey, Application, ItemLedger, OrderBadge};
pub use ports::AfterSaleRepository;
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockAfterSaleRepository;
pub use service::AfterSaleService;
pub use status::{AfterSaleEventKind, AfterSaleKind, AfterSaleStatus, AfterSaleTransitionError};
pub use transition::{AfterSaleEffect, AfterSaleEvent, AfterSaleTransition};
