//! The catalog context's tables (issue 14).
//!
//! - `catalog_categories`: the category tree.
//! - `catalog_category_tree`: one row (id 1) holding the tree's `revision`, which every
//!   category write moves on by compare-and-set, so two moves planned on one revision
//!   (A under B, B under A) cannot both land.
//! - `catalog_products`: products (SPU); `sales` grows only with a stock deduction.
//! - `catalog_skus`: sellable variants; `available` changes only by a guarded
//!   `UPDATE ... WHERE available + delta >= 0` in the transaction that appends its ledger row.
//! - `catalog_stock_ledger`: append-only. A movement is unique per (reference, SKU, kind);
//!   `settlement` is set only on release and deduct rows, so the unique key on
//!   (order_ref, sku_id, settlement) lets one of the two settle an order's SKU, never both
//!   (NULLs are distinct on every backend, so other kinds never collide on it).
//!
//! References are compared byte for byte on every backend. `down` drops the five tables.

use sea_orm_migration::prelude::*;

use crate::columns::{IndexSpec, create_indexes, exact_string, id, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CatalogCategories {
    Table,
    Id,
    ParentId,
    Name,
    SortOrder,
    Enabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CatalogCategoryTree {
    Table,
    Id,
    Revision,
}

#[derive(DeriveIden)]
enum CatalogProducts {
    Table,
    Id,
    CategoryId,
    Name,
    Description,
    Detail,
    Images,
    Status,
    Sales,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CatalogSkus {
    Table,
    Id,
    ProductId,
    Specs,
    PriceFen,
    OriginalPriceFen,
    Available,
    LowStockThreshold,
    Status,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CatalogStockLedger {
    Table,
    Id,
    SkuId,
    Kind,
    Reference,
    OrderRef,
    Settlement,
    Quantity,
    Delta,
    AvailableAfter,
    Note,
    CreatedAt,
}

pub const CATEGORIES_TABLE: &str = "catalog_categories";
pub const CATEGORY_TREE_TABLE: &str = "catalog_category_tree";
pub const PRODUCTS_TABLE: &str = "catalog_products";
pub const SKUS_TABLE: &str = "catalog_skus";
pub const STOCK_LEDGER_TABLE: &str = "catalog_stock_ledger";

pub const INDEX_SPECS: &[IndexSpec] = &[
    // A category's children in display order.
    (
        CATEGORIES_TABLE,
        "idx_catalog_categories_parent_sort",
        &["parent_id", "sort_order"],
        false,
    ),
    // A category's products (and whether it may be deleted).
    (
        PRODUCTS_TABLE,
        "idx_catalog_products_category",
        &["category_id", "status"],
        false,
    ),
    // A product's SKUs.
    (
        SKUS_TABLE,
        "idx_catalog_skus_product",
        &["product_id"],
        false,
    ),
    // A movement is written once: the idempotency key of every stock request.
    (
        STOCK_LEDGER_TABLE,
        "idx_catalog_stock_ledger_movement",
        &["reference", "sku_id", "kind"],
        true,
    ),
    // One settlement (release or deduct) per order and SKU; also the order's movements.
    (
        STOCK_LEDGER_TABLE,
        "idx_catalog_stock_ledger_settlement",
        &["order_ref", "sku_id", "settlement"],
        true,
    ),
    // A SKU's movements in order, and the sum of its deltas.
    (
        STOCK_LEDGER_TABLE,
        "idx_catalog_stock_ledger_sku_id",
        &["sku_id", "id"],
        false,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_categories(manager).await?;
        create_category_tree(manager).await?;
        create_products(manager).await?;
        create_skus(manager).await?;
        create_ledger(manager).await?;
        create_indexes(manager, INDEX_SPECS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping a table drops its indexes on every backend.
        for table in [
            STOCK_LEDGER_TABLE,
            SKUS_TABLE,
            PRODUCTS_TABLE,
            CATEGORY_TREE_TABLE,
            CATEGORIES_TABLE,
        ] {
            manager
                .drop_table(
                    Table::drop()
                        .table(Alias::new(table))
                        .if_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

fn big(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).big_integer().not_null().to_owned()
}

async fn create_categories(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(CatalogCategories::Table)
                .if_not_exists()
                .col(id(backend, CatalogCategories::Id))
                .col(
                    ColumnDef::new(CatalogCategories::ParentId)
                        .big_integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(CatalogCategories::Name)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(CatalogCategories::SortOrder)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(CatalogCategories::Enabled)
                        .boolean()
                        .not_null(),
                )
                .col(timestamp(backend, CatalogCategories::CreatedAt).not_null())
                .col(timestamp(backend, CatalogCategories::UpdatedAt).not_null())
                .to_owned(),
        )
        .await
}

/// The tree's revision row, seeded at 0: writers only ever update it, never insert it.
async fn create_category_tree(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(CatalogCategoryTree::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(CatalogCategoryTree::Id)
                        .integer()
                        .not_null()
                        .primary_key(),
                )
                .col(big(CatalogCategoryTree::Revision).default(0).to_owned())
                .to_owned(),
        )
        .await?;
    manager
        .exec_stmt(
            Query::insert()
                .into_table(CatalogCategoryTree::Table)
                .columns([CatalogCategoryTree::Id, CatalogCategoryTree::Revision])
                .values_panic([1.into(), 0i64.into()])
                .to_owned(),
        )
        .await
}

async fn create_products(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(CatalogProducts::Table)
                .if_not_exists()
                .col(id(backend, CatalogProducts::Id))
                .col(big(CatalogProducts::CategoryId))
                .col(
                    ColumnDef::new(CatalogProducts::Name)
                        .string_len(128)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(CatalogProducts::Description)
                        .text()
                        .not_null(),
                )
                .col(ColumnDef::new(CatalogProducts::Detail).text().not_null())
                // A JSON array of image URLs.
                .col(ColumnDef::new(CatalogProducts::Images).text().not_null())
                .col(
                    ColumnDef::new(CatalogProducts::Status)
                        .string_len(24)
                        .not_null(),
                )
                .col(big(CatalogProducts::Sales).default(0).to_owned())
                .col(big(CatalogProducts::Version).default(0).to_owned())
                .col(timestamp(backend, CatalogProducts::CreatedAt).not_null())
                .col(timestamp(backend, CatalogProducts::UpdatedAt).not_null())
                .to_owned(),
        )
        .await
}

async fn create_skus(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(CatalogSkus::Table)
                .if_not_exists()
                .col(id(backend, CatalogSkus::Id))
                .col(big(CatalogSkus::ProductId))
                // A JSON array of (name, value) pairs.
                .col(ColumnDef::new(CatalogSkus::Specs).text().not_null())
                .col(big(CatalogSkus::PriceFen))
                .col(big(CatalogSkus::OriginalPriceFen))
                // A SKU starts at zero: its stock comes from the ledger only.
                .col(big(CatalogSkus::Available).default(0).to_owned())
                .col(big(CatalogSkus::LowStockThreshold).default(0).to_owned())
                .col(
                    ColumnDef::new(CatalogSkus::Status)
                        .string_len(24)
                        .not_null(),
                )
                .col(big(CatalogSkus::Version).default(0).to_owned())
                .col(timestamp(backend, CatalogSkus::CreatedAt).not_null())
                .col(timestamp(backend, CatalogSkus::UpdatedAt).not_null())
                .to_owned(),
        )
        .await
}

async fn create_ledger(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(CatalogStockLedger::Table)
                .if_not_exists()
                .col(id(backend, CatalogStockLedger::Id))
                .col(big(CatalogStockLedger::SkuId))
                .col(
                    ColumnDef::new(CatalogStockLedger::Kind)
                        .string_len(24)
                        .not_null(),
                )
                .col(exact_string(backend, CatalogStockLedger::Reference, 64).not_null())
                .col(exact_string(backend, CatalogStockLedger::OrderRef, 64).null())
                // 1 on release and deduct rows, NULL otherwise (see the module's note).
                .col(
                    ColumnDef::new(CatalogStockLedger::Settlement)
                        .small_integer()
                        .null(),
                )
                .col(big(CatalogStockLedger::Quantity))
                .col(big(CatalogStockLedger::Delta))
                .col(big(CatalogStockLedger::AvailableAfter))
                .col(ColumnDef::new(CatalogStockLedger::Note).text().not_null())
                .col(timestamp(backend, CatalogStockLedger::CreatedAt).not_null())
                .to_owned(),
        )
        .await
}
