//! Catalog: a context of its own. The category tree, products (SPU) and the SKUs they are
//! sold as, and stock — `available` moved only by the append-only stock ledger, by guarded
//! updates in ascending SKU order, every movement idempotent.

pub mod adjustments;
pub mod admin;
mod admin_edits;
mod admin_reads;
pub mod category;
pub mod ids;
pub mod product;
pub mod reviews;
pub mod search;
pub mod status;
pub mod stock;
pub mod stock_plan;
pub mod stock_service;

#[cfg(any(test, feature = "mocks"))]
pub mod memory;
#[cfg(test)]
mod tests;

pub use admin::CatalogAdmin;
pub use admin_reads::LowStock;
pub use category::{
    Category, CategoryDraft, CategoryError, CategoryRepository, CategorySnapshot, CategoryTree,
    MAX_DEPTH,
};
pub use ids::{CategoryId, ProductId, SkuId, StockRef};
pub use product::{
    Product, ProductChange, ProductDraft, ProductRepository, Removal, RemovalPlan, Sku, SkuChange,
    SkuDraft, SpecValue,
};
pub use status::{IllegalTransition, ProductAction, ProductStatus, SkuStatus};
pub use stock::{
    Drift, DriftReason, Movement, MovementKind, StockLedger, StockLevel, StockLine, StockOutcome,
    StockRefusal, check_stock, crossed_low, is_low,
};
pub use stock_plan::{Plan, StockError};
pub use stock_service::StockService;
