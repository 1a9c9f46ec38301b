//! The initial schema: users, exchange rates, orders and their history, the callback
//! audit log, refunds and job leases.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::columns::{IndexSpec, create_indexes, id, rate, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Openid,
    Unionid,
    Appid,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ExchangeRates {
    Table,
    Id,
    /// `currency` as in the production table (`MNT_TO_CNY` is a pair, the name stays).
    Currency,
    Rate,
    IsActive,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    OrderNumber,
    Openid,
    PhoneNumber,
    ProductOperator,
    ProductRechargeType,
    ProductName,
    ProductEngName,
    ProductCode,
    ProductUnit,
    ProductData,
    ProductDays,
    ProductPriceTg,
    ProductPriceFen,
    ExchangeRate,
    PaymentStatus,
    RechargeStatus,
    SeqId,
    TransactionId,
    ProviderReceipt,
    CreatedAt,
    UpdatedAt,
    PaidAt,
    RechargeAt,
    RechargedAt,
    ClosedAt,
    Version,
    AnomalyReason,
    AnomalyDetails,
}

#[derive(DeriveIden)]
enum OrderEvents {
    Table,
    Id,
    OrderNumber,
    FromPayment,
    FromRecharge,
    ToPayment,
    ToRecharge,
    Actor,
    Reason,
    At,
}

#[derive(DeriveIden)]
enum PaymentNotifications {
    Table,
    Id,
    Channel,
    Kind,
    OrderNumber,
    TransactionId,
    Headers,
    RawBody,
    ClientIp,
    Outcome,
    ErrorMessage,
    ProcessingMs,
    RetryCount,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    RefundNo,
    OrderNumber,
    AmountFen,
    Reason,
    Status,
    GatewayRefundId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum JobLeases {
    Table,
    JobName,
    Holder,
    ExpiresAt,
}

const INDEX_SPECS: &[IndexSpec] = &[
    // Paid orders waiting for a worker (PaidUnclaimed, FailedPaid, backlog).
    (
        "orders",
        "idx_orders_payment_recharge_paid",
        &["payment_status", "recharge_status", "paid_at"],
        false,
    ),
    // Claimed top-ups by claim time (StaleSubmissions, Confirming), seq for reconciliation.
    (
        "orders",
        "idx_orders_recharge_claimed_seq",
        &["recharge_status", "recharge_at", "seq_id"],
        false,
    ),
    (
        "orders",
        "idx_orders_payment_recharge_claimed",
        &["payment_status", "recharge_status", "recharge_at"],
        false,
    ),
    (
        "orders",
        "idx_orders_anomaly_reason",
        &["anomaly_reason"],
        false,
    ),
    // "My orders", newest first.
    (
        "orders",
        "idx_orders_openid_created",
        &["openid", "created_at"],
        false,
    ),
    ("orders", "idx_orders_created", &["created_at"], false),
    // Unpaid orders to expire.
    (
        "orders",
        "idx_orders_payment_created",
        &["payment_status", "created_at"],
        false,
    ),
    // Refunds in progress, by the time the refund was requested.
    (
        "orders",
        "idx_orders_payment_updated",
        &["payment_status", "updated_at"],
        false,
    ),
    ("users", "idx_users_unionid", &["unionid"], true),
    (
        "exchange_rates",
        "idx_exchange_rates_pair",
        &["currency"],
        true,
    ),
    // Deduplication of callbacks. NULL transaction ids never collide, on every backend.
    (
        "payment_notifications",
        "idx_payment_notifications_dedup",
        &["channel", "transaction_id", "kind"],
        true,
    ),
    (
        "payment_notifications",
        "idx_payment_notifications_outcome",
        &["outcome", "id"],
        false,
    ),
    (
        "payment_notifications",
        "idx_payment_notifications_order",
        &["order_number"],
        false,
    ),
    ("refunds", "idx_refunds_order", &["order_number"], false),
    (
        "order_events",
        "idx_order_events_order",
        &["order_number", "id"],
        false,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();

        // The production database of the old backend: its three tables are converted in
        // place, the others are created below.
        if crate::adopt_prisma::is_prisma_database(manager).await? {
            crate::adopt_prisma::adopt(manager).await?;
        } else {
            create_prisma_era_tables(manager, backend).await?;
        }
        create_new_tables(manager, backend).await?;

        create_indexes(manager, INDEX_SPECS).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping a table drops its indexes on every backend.
        for table in crate::TABLES.iter().rev() {
            manager
                .drop_table(
                    Table::drop()
                        .table(Alias::new(*table))
                        .if_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// `users`, `exchange_rates` and `orders`: the tables the old backend had, with their names.
async fn create_prisma_era_tables(
    manager: &SchemaManager<'_>,
    backend: DbBackend,
) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Users::Table)
                .col(
                    ColumnDef::new(Users::Openid)
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Users::Unionid).string_len(64).null())
                .col(ColumnDef::new(Users::Appid).string_len(64).null())
                .col(timestamp(backend, Users::CreatedAt).not_null())
                .col(timestamp(backend, Users::UpdatedAt).not_null())
                .to_owned(),
        )
        .await?;

    manager
        .create_table(
            Table::create()
                .table(ExchangeRates::Table)
                .col(id(backend, ExchangeRates::Id))
                .col(
                    ColumnDef::new(ExchangeRates::Currency)
                        .string_len(20)
                        .not_null(),
                )
                .col(rate(backend, ExchangeRates::Rate).not_null())
                .col(
                    ColumnDef::new(ExchangeRates::IsActive)
                        .boolean()
                        .not_null()
                        .default(true),
                )
                .col(timestamp(backend, ExchangeRates::CreatedAt).not_null())
                .col(timestamp(backend, ExchangeRates::UpdatedAt).not_null())
                .to_owned(),
        )
        .await?;

    manager
        .create_table(
            Table::create()
                .table(Orders::Table)
                .col(
                    ColumnDef::new(Orders::OrderNumber)
                        .string_len(32)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Orders::Openid).string_len(64).not_null())
                .col(
                    ColumnDef::new(Orders::PhoneNumber)
                        .string_len(20)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Orders::ProductOperator)
                        .string_len(20)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Orders::ProductRechargeType)
                        .string_len(20)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Orders::ProductName)
                        .string_len(255)
                        .not_null(),
                )
                // NULL in the old backend's rows without an English name.
                .col(
                    ColumnDef::new(Orders::ProductEngName)
                        .string_len(255)
                        .null(),
                )
                .col(
                    ColumnDef::new(Orders::ProductCode)
                        .string_len(64)
                        .not_null(),
                )
                .col(ColumnDef::new(Orders::ProductUnit).big_integer().null())
                .col(ColumnDef::new(Orders::ProductData).text().null())
                .col(ColumnDef::new(Orders::ProductDays).integer().null())
                .col(
                    ColumnDef::new(Orders::ProductPriceTg)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Orders::ProductPriceFen)
                        .big_integer()
                        .not_null(),
                )
                .col(rate(backend, Orders::ExchangeRate).not_null())
                .col(
                    ColumnDef::new(Orders::PaymentStatus)
                        .string_len(20)
                        .not_null(),
                )
                .col(ColumnDef::new(Orders::RechargeStatus).string_len(20).null())
                .col(ColumnDef::new(Orders::SeqId).string_len(100).null())
                .col(ColumnDef::new(Orders::TransactionId).string_len(64).null())
                .col(ColumnDef::new(Orders::ProviderReceipt).text().null())
                .col(timestamp(backend, Orders::CreatedAt).not_null())
                .col(timestamp(backend, Orders::UpdatedAt).not_null())
                .col(timestamp(backend, Orders::PaidAt).null())
                .col(timestamp(backend, Orders::RechargeAt).null())
                .col(timestamp(backend, Orders::RechargedAt).null())
                .col(timestamp(backend, Orders::ClosedAt).null())
                .col(
                    ColumnDef::new(Orders::Version)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ColumnDef::new(Orders::AnomalyReason).string_len(100).null())
                .col(ColumnDef::new(Orders::AnomalyDetails).text().null())
                .to_owned(),
        )
        .await?;

    Ok(())
}

/// The tables the old backend did not have.
async fn create_new_tables(manager: &SchemaManager<'_>, backend: DbBackend) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(OrderEvents::Table)
                .col(id(backend, OrderEvents::Id))
                .col(
                    ColumnDef::new(OrderEvents::OrderNumber)
                        .string_len(32)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OrderEvents::FromPayment)
                        .string_len(20)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OrderEvents::FromRecharge)
                        .string_len(20)
                        .null(),
                )
                .col(
                    ColumnDef::new(OrderEvents::ToPayment)
                        .string_len(20)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OrderEvents::ToRecharge)
                        .string_len(20)
                        .null(),
                )
                .col(
                    ColumnDef::new(OrderEvents::Actor)
                        .string_len(100)
                        .not_null(),
                )
                .col(ColumnDef::new(OrderEvents::Reason).text().not_null())
                .col(timestamp(backend, OrderEvents::At).not_null())
                .to_owned(),
        )
        .await?;

    manager
        .create_table(
            Table::create()
                .table(PaymentNotifications::Table)
                .col(id(backend, PaymentNotifications::Id))
                .col(
                    ColumnDef::new(PaymentNotifications::Channel)
                        .string_len(32)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PaymentNotifications::Kind)
                        .string_len(16)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PaymentNotifications::OrderNumber)
                        .string_len(64)
                        .null(),
                )
                .col(
                    ColumnDef::new(PaymentNotifications::TransactionId)
                        .string_len(64)
                        .null(),
                )
                .col(
                    ColumnDef::new(PaymentNotifications::Headers)
                        .json()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PaymentNotifications::RawBody)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PaymentNotifications::ClientIp)
                        .string_len(64)
                        .null(),
                )
                .col(
                    ColumnDef::new(PaymentNotifications::Outcome)
                        .string_len(16)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PaymentNotifications::ErrorMessage)
                        .text()
                        .null(),
                )
                .col(
                    ColumnDef::new(PaymentNotifications::ProcessingMs)
                        .big_integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(PaymentNotifications::RetryCount)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(timestamp(backend, PaymentNotifications::CreatedAt).not_null())
                .col(timestamp(backend, PaymentNotifications::UpdatedAt).not_null())
                .to_owned(),
        )
        .await?;

    manager
        .create_table(
            Table::create()
                .table(Refunds::Table)
                .col(
                    ColumnDef::new(Refunds::RefundNo)
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Refunds::OrderNumber)
                        .string_len(32)
                        .not_null(),
                )
                .col(ColumnDef::new(Refunds::AmountFen).big_integer().not_null())
                .col(ColumnDef::new(Refunds::Reason).text().not_null())
                .col(ColumnDef::new(Refunds::Status).string_len(16).not_null())
                .col(
                    ColumnDef::new(Refunds::GatewayRefundId)
                        .string_len(64)
                        .null(),
                )
                .col(timestamp(backend, Refunds::CreatedAt).not_null())
                .col(timestamp(backend, Refunds::UpdatedAt).not_null())
                .col(
                    ColumnDef::new(Refunds::Version)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .to_owned(),
        )
        .await?;

    manager
        .create_table(
            Table::create()
                .table(JobLeases::Table)
                .col(
                    ColumnDef::new(JobLeases::JobName)
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(JobLeases::Holder).string_len(128).not_null())
                .col(timestamp(backend, JobLeases::ExpiresAt).not_null())
                .to_owned(),
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::INDEX_SPECS;

    #[test]
    fn every_index_is_listed_for_the_catalog_checks() {
        // Later migrations list theirs after these.
        let specs: Vec<(&str, &str)> = INDEX_SPECS.iter().map(|(t, n, _, _)| (*t, *n)).collect();
        assert!(
            crate::INDEXES.starts_with(&specs),
            "{specs:?} must open {:?}",
            crate::INDEXES
        );
    }
}
