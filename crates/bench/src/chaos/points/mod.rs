//! Points packages, the second kind of goods on the payments core: the packages an admin
//! puts on sale at the start of a run, the points tables as the audit reads them, and the
//! audit's checks of them (points credited once per paid order, none for a lost or closed
//! one, every balance the sum of its ledger and never negative).

pub mod audit;
pub mod packages;
pub mod tables;

pub use packages::{PACKAGES, PackageSpec, put_on_sale};
