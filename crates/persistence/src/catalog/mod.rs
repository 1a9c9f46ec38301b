//! The catalog context on SeaORM. Stock moves only through [`SeaOrmStockLedger`]: one
//! transaction per request, guarded updates of `available` in ascending SKU order, ledger
//! rows under unique keys that make every movement once-only.

mod categories;
pub mod entities;
mod products;
mod stock;
mod stock_apply;

/// SKUs read per statement where the drift check walks them.
const BATCH: u64 = 500;

pub use categories::SeaOrmCategoryRepository;
pub use products::SeaOrmProductRepository;
pub use stock::SeaOrmStockLedger;
