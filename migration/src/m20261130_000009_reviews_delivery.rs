//! Reviews and delivery (issue 14).
//!
//! - `catalog_reviews`: one review per order item, enforced by the unique key on
//!   (order_no, line) so that concurrent submissions store one; the merchant's reply is set
//!   by `UPDATE ... WHERE reply_at IS NULL`. Statistics are aggregated from these rows by
//!   product (index on (product_id, created_at)), never kept in a second place.
//! - `trade_logistics_companies`: the carriers the merchant ships with, keyed by the
//!   tracking API's company code, seeded with the common ones.
//!
//! `down` drops both tables.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

use crate::columns::{IndexSpec, create_indexes, exact_string, id, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CatalogReviews {
    Table,
    Id,
    ProductId,
    SkuId,
    OrderNo,
    Line,
    Buyer,
    ReviewerName,
    Rating,
    Content,
    Images,
    ImageCount,
    Anonymous,
    Spec,
    ReplyText,
    ReplyAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TradeLogisticsCompanies {
    Table,
    Code,
    Name,
    Enabled,
    SortOrder,
}

pub const REVIEWS_TABLE: &str = "catalog_reviews";
pub const LOGISTICS_COMPANIES_TABLE: &str = "trade_logistics_companies";

/// The carriers seeded: (Kuaidi100 company code, name).
pub const SEEDED_COMPANIES: &[(&str, &str)] = &[
    ("shunfeng", "顺丰速运"),
    ("zhongtong", "中通快递"),
    ("yuantong", "圆通速递"),
    ("shentong", "申通快递"),
    ("yunda", "韵达快递"),
    ("jd", "京东物流"),
    ("ems", "EMS"),
];

pub const INDEX_SPECS: &[IndexSpec] = &[
    // One review per order item.
    (
        REVIEWS_TABLE,
        "idx_catalog_reviews_item",
        &["order_no", "line"],
        true,
    ),
    // A product's reviews newest first, and its statistics.
    (
        REVIEWS_TABLE,
        "idx_catalog_reviews_product_created",
        &["product_id", "created_at"],
        false,
    ),
    // A buyer's own reviews.
    (
        REVIEWS_TABLE,
        "idx_catalog_reviews_buyer_created",
        &["buyer", "created_at"],
        false,
    ),
    // The merchant's list, newest first.
    (
        REVIEWS_TABLE,
        "idx_catalog_reviews_created",
        &["created_at"],
        false,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_reviews(manager).await?;
        create_companies(manager).await?;
        create_indexes(manager, INDEX_SPECS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [LOGISTICS_COMPANIES_TABLE, REVIEWS_TABLE] {
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

async fn create_reviews(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(CatalogReviews::Table)
                .if_not_exists()
                .col(id(backend, CatalogReviews::Id))
                .col(
                    ColumnDef::new(CatalogReviews::ProductId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(CatalogReviews::SkuId)
                        .big_integer()
                        .not_null(),
                )
                .col(exact_string(backend, CatalogReviews::OrderNo, 64).not_null())
                .col(ColumnDef::new(CatalogReviews::Line).integer().not_null())
                .col(exact_string(backend, CatalogReviews::Buyer, 128).not_null())
                .col(
                    ColumnDef::new(CatalogReviews::ReviewerName)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(CatalogReviews::Rating)
                        .small_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(CatalogReviews::Content).text().not_null())
                // A JSON array of https URLs.
                .col(ColumnDef::new(CatalogReviews::Images).text().not_null())
                .col(
                    ColumnDef::new(CatalogReviews::ImageCount)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(CatalogReviews::Anonymous)
                        .boolean()
                        .not_null(),
                )
                .col(ColumnDef::new(CatalogReviews::Spec).text().not_null())
                .col(ColumnDef::new(CatalogReviews::ReplyText).text().null())
                .col(timestamp(backend, CatalogReviews::ReplyAt).null())
                .col(timestamp(backend, CatalogReviews::CreatedAt).not_null())
                .to_owned(),
        )
        .await
}

async fn create_companies(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(TradeLogisticsCompanies::Table)
                .if_not_exists()
                .col(
                    exact_string(backend, TradeLogisticsCompanies::Code, 32)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(TradeLogisticsCompanies::Name)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(TradeLogisticsCompanies::Enabled)
                        .boolean()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(TradeLogisticsCompanies::SortOrder)
                        .integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
    // Seeded only into an empty table: a re-run after a half-applied migration on MySQL
    // (which commits DDL at once) must not fail on rows it wrote already.
    let existing = Query::select()
        .expr(Expr::col(TradeLogisticsCompanies::Code))
        .from(TradeLogisticsCompanies::Table)
        .limit(1)
        .to_owned();
    if manager
        .get_connection()
        .query_one(&existing)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let mut insert = Query::insert();
    insert.into_table(TradeLogisticsCompanies::Table).columns([
        TradeLogisticsCompanies::Code,
        TradeLogisticsCompanies::Name,
        TradeLogisticsCompanies::Enabled,
        TradeLogisticsCompanies::SortOrder,
    ]);
    for (index, (code, name)) in SEEDED_COMPANIES.iter().enumerate() {
        let sort_order = <i32 as TryFrom<usize>>::try_from(index)
            .unwrap_or(i32::MAX)
            .saturating_mul(10);
        insert.values_panic([
            Expr::val(*code),
            Expr::val(*name),
            Expr::val(true),
            Expr::val(sort_order),
        ]);
    }
    manager.exec_stmt(insert).await
}
