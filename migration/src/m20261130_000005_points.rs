//! The points context's tables (issue 12).
//!
//! - `points_accounts`: one balance per user, changed only by a guarded
//!   `UPDATE ... WHERE balance + delta >= 0` in the transaction that appends its ledger row.
//! - `points_ledger`: append-only; a business event posts once, hence the unique index on
//!   (`kind`, `biz_type`, `biz_id`).
//! - `points_packages`: what the shop sells.
//! - `points_orders`: one purchase of a package, changed only by compare-and-set on
//!   (`status`, `version`).
//!
//! Openids, references and order numbers are compared byte for byte on every backend
//! (MySQL's default collations would fold case). `down` drops the four tables.

use sea_orm_migration::prelude::*;

use crate::columns::{IndexSpec, create_indexes, exact_string, id, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PointsAccounts {
    Table,
    Openid,
    Balance,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PointsLedger {
    Table,
    Id,
    Openid,
    Kind,
    BizType,
    BizId,
    Delta,
    BalanceAfter,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PointsPackages {
    Table,
    Id,
    Name,
    Description,
    AmountFen,
    Points,
    BonusPoints,
    Active,
    SortOrder,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PointsOrders {
    Table,
    OrderNo,
    Openid,
    PackageId,
    PackageName,
    AmountFen,
    Points,
    BonusPoints,
    Status,
    TransactionId,
    PaidAt,
    RefundedFen,
    CreatedAt,
    UpdatedAt,
    Version,
}

pub const POINTS_ACCOUNTS_TABLE: &str = "points_accounts";
pub const POINTS_LEDGER_TABLE: &str = "points_ledger";
pub const POINTS_PACKAGES_TABLE: &str = "points_packages";
pub const POINTS_ORDERS_TABLE: &str = "points_orders";

pub const INDEX_SPECS: &[IndexSpec] = &[
    // A business event posts at most once per kind.
    (
        POINTS_LEDGER_TABLE,
        "idx_points_ledger_reference",
        &["kind", "biz_type", "biz_id"],
        true,
    ),
    // A user's entries, newest first; and the sum of an account's ledger.
    (
        POINTS_LEDGER_TABLE,
        "idx_points_ledger_openid_id",
        &["openid", "id"],
        false,
    ),
    // The daily figures.
    (
        POINTS_LEDGER_TABLE,
        "idx_points_ledger_created",
        &["created_at"],
        false,
    ),
    // The shop's list.
    (
        POINTS_PACKAGES_TABLE,
        "idx_points_packages_active_sort",
        &["active", "sort_order"],
        false,
    ),
    // A user's orders, newest first.
    (
        POINTS_ORDERS_TABLE,
        "idx_points_orders_openid_created",
        &["openid", "created_at"],
        false,
    ),
    // The admin's list by status.
    (
        POINTS_ORDERS_TABLE,
        "idx_points_orders_status_created",
        &["status", "created_at"],
        false,
    ),
    // Whether a package was ever sold (it may then not be deleted).
    (
        POINTS_ORDERS_TABLE,
        "idx_points_orders_package",
        &["package_id"],
        false,
    ),
    // Sales per day of payment.
    (
        POINTS_ORDERS_TABLE,
        "idx_points_orders_paid",
        &["paid_at"],
        false,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_accounts(manager).await?;
        create_ledger(manager).await?;
        create_packages(manager).await?;
        create_orders(manager).await?;
        create_indexes(manager, INDEX_SPECS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping a table drops its indexes on every backend.
        for table in [
            POINTS_ORDERS_TABLE,
            POINTS_PACKAGES_TABLE,
            POINTS_LEDGER_TABLE,
            POINTS_ACCOUNTS_TABLE,
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

async fn create_accounts(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(PointsAccounts::Table)
                .if_not_exists()
                .col(
                    exact_string(backend, PointsAccounts::Openid, 128)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(PointsAccounts::Balance)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(timestamp(backend, PointsAccounts::CreatedAt).not_null())
                .col(timestamp(backend, PointsAccounts::UpdatedAt).not_null())
                .to_owned(),
        )
        .await
}

async fn create_ledger(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(PointsLedger::Table)
                .if_not_exists()
                .col(id(backend, PointsLedger::Id))
                .col(exact_string(backend, PointsLedger::Openid, 128).not_null())
                .col(ColumnDef::new(PointsLedger::Kind).string_len(24).not_null())
                .col(exact_string(backend, PointsLedger::BizType, 32).not_null())
                .col(exact_string(backend, PointsLedger::BizId, 96).not_null())
                .col(ColumnDef::new(PointsLedger::Delta).big_integer().not_null())
                .col(
                    ColumnDef::new(PointsLedger::BalanceAfter)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(PointsLedger::Note).text().not_null())
                .col(timestamp(backend, PointsLedger::CreatedAt).not_null())
                .to_owned(),
        )
        .await
}

async fn create_packages(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(PointsPackages::Table)
                .if_not_exists()
                .col(id(backend, PointsPackages::Id))
                .col(
                    ColumnDef::new(PointsPackages::Name)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PointsPackages::Description)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PointsPackages::AmountFen)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PointsPackages::Points)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PointsPackages::BonusPoints)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(PointsPackages::Active)
                        .boolean()
                        .not_null()
                        .default(true),
                )
                .col(
                    ColumnDef::new(PointsPackages::SortOrder)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(timestamp(backend, PointsPackages::CreatedAt).not_null())
                .col(timestamp(backend, PointsPackages::UpdatedAt).not_null())
                .to_owned(),
        )
        .await
}

async fn create_orders(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(PointsOrders::Table)
                .if_not_exists()
                .col(
                    exact_string(backend, PointsOrders::OrderNo, 64)
                        .not_null()
                        .primary_key(),
                )
                .col(exact_string(backend, PointsOrders::Openid, 128).not_null())
                .col(
                    ColumnDef::new(PointsOrders::PackageId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PointsOrders::PackageName)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PointsOrders::AmountFen)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PointsOrders::Points)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PointsOrders::BonusPoints)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(PointsOrders::Status)
                        .string_len(20)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PointsOrders::TransactionId)
                        .string_len(64)
                        .null(),
                )
                .col(timestamp(backend, PointsOrders::PaidAt).null())
                .col(
                    ColumnDef::new(PointsOrders::RefundedFen)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(timestamp(backend, PointsOrders::CreatedAt).not_null())
                .col(timestamp(backend, PointsOrders::UpdatedAt).not_null())
                .col(
                    ColumnDef::new(PointsOrders::Version)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .to_owned(),
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::INDEX_SPECS;

    #[test]
    fn every_index_is_listed_for_the_catalog_checks() {
        for (table, name, _, _) in INDEX_SPECS {
            assert!(crate::INDEXES.contains(&(*table, *name)), "{name}");
            assert!(crate::TABLES.contains(table), "{table}");
        }
    }
}
