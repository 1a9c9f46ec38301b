//! The points context on SeaORM: the ledger and its accounts, the packages, the points
//! orders. Balances change only by the guarded update of [`ledger`]; orders only by
//! compare-and-set on (status, version).

mod figures;
mod ledger;
mod orders;
mod packages;
mod posting;

pub use ledger::SeaOrmPointsLedger;
pub use orders::SeaOrmPointsOrderRepository;
pub use packages::SeaOrmPackageRepository;

/// Rows read per statement where a range is walked in Rust (days in UTC+8, sums): bounded
/// memory and short statements on a large table.
const BATCH: u64 = 1000;
