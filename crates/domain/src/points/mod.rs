//! Points: a context of its own. Accounts and their append-only ledger (reused by the mall
//! for spending at checkout), and the points shop — packages sold through the payments
//! core, the second kind of goods on it.

pub mod admin;
pub mod fulfilment;
pub mod ledger;
pub mod orders;
pub mod packages;
pub mod service;
pub mod shop;

#[cfg(any(test, feature = "mocks"))]
pub mod memory;
#[cfg(test)]
mod tests;

pub use crate::payments::{PayMethod, PaymentStart};
pub use admin::{PointsAdmin, Removal, ShopDay};
pub use fulfilment::PointsFulfilment;
pub use ledger::{
    Drift, EntryKind, LedgerEntry, PointsAccount, PointsDay, PointsLedger, PostOutcome, Posting,
    Reference,
};
pub use orders::{
    PointsOrder, PointsOrderChange, PointsOrderFilter, PointsOrderRepository, PointsOrderStatus,
    SalesDay,
};
pub use packages::{Package, PackageDraft, PackageRepository};
pub use service::PointsService;
pub use shop::PointsShop;
