//! The payments core's own tables (issue 10): a pay order per attempt to collect money
//! for a merchant order of any kind of goods, and the outbox of messages to those goods.
//!
//! - `pay_orders`: changed only by compare-and-set on (`status`, `version`); its work
//!   queues (unpaid past `time_expire`, refunding since `updated_at`) each have an index.
//! - `pay_outbox`: a row per message to the goods, written in the transaction of the change
//!   that caused it; `delivered_at` stays NULL until the goods took it.
//!
//! `up` backfills, in place and batch by batch, one top-up pay order per row of `orders`
//! (the old backend's adopted rows included), so that the core knows every payment made
//! before it existed. The expiry is computed here, not in SQL: date arithmetic differs on
//! each backend. `down` drops both tables.

use chrono::{NaiveDateTime, TimeDelta};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, QueryResult};

use crate::columns::{IndexSpec, create_indexes, id, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PayOrders {
    Table,
    OutTradeNo,
    Kind,
    MerchantOrderNo,
    AmountFen,
    Channel,
    PayerOpenid,
    Description,
    TimeExpire,
    Status,
    TransactionId,
    PaidAt,
    RefundedFen,
    RefundingFen,
    LatePayment,
    AnomalyKind,
    AnomalyDetails,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum PayOutbox {
    Table,
    Id,
    OutTradeNo,
    Kind,
    MerchantOrderNo,
    Event,
    Payload,
    CreatedAt,
    DeliveredAt,
    Attempts,
    LastError,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    OrderNumber,
    Openid,
    ProductPriceFen,
    PaymentStatus,
    TransactionId,
    CreatedAt,
    PaidAt,
    ClosedAt,
}

pub const PAY_ORDERS_TABLE: &str = "pay_orders";
pub const PAY_OUTBOX_TABLE: &str = "pay_outbox";

pub const INDEX_SPECS: &[IndexSpec] = &[
    // The pay orders of one merchant order (a retry after close opens another).
    (
        PAY_ORDERS_TABLE,
        "idx_pay_orders_merchant",
        &["kind", "merchant_order_no"],
        false,
    ),
    // Unpaid pay orders to expire.
    (
        PAY_ORDERS_TABLE,
        "idx_pay_orders_status_expire",
        &["status", "time_expire"],
        false,
    ),
    // Refunds in flight, by the time they were requested.
    (
        PAY_ORDERS_TABLE,
        "idx_pay_orders_status_updated",
        &["status", "updated_at"],
        false,
    ),
    // The daily statement names payments by WeChat's transaction id.
    (
        PAY_ORDERS_TABLE,
        "idx_pay_orders_transaction",
        &["transaction_id"],
        false,
    ),
    // Undelivered messages, oldest first.
    (
        PAY_OUTBOX_TABLE,
        "idx_pay_outbox_pending",
        &["delivered_at", "id"],
        false,
    ),
    // Undelivered messages of one pay order, delivered right after its change.
    (
        PAY_OUTBOX_TABLE,
        "idx_pay_outbox_order",
        &["out_trade_no", "delivered_at"],
        false,
    ),
];

/// How long an order could be paid before this core existed (`ORDER_EXPIRE_MINUTES`'
/// default): the backfilled pay orders expire that long after their order's creation.
const ORDER_EXPIRE_MINUTES: i64 = 30;

/// Orders read and pay orders inserted per statement pair: bounded memory on a large table.
const BATCH: u64 = 500;

/// The payment statuses of `orders`, which have the pay orders' names; with the amounts
/// refunded and in flight each one implies. Anything else stops the migration.
fn refund_amounts(status: &str, price_fen: i64) -> Option<(i64, i64)> {
    match status {
        "unpaid" | "paid" | "closed" | "refund_failed" => Some((0, 0)),
        "refunding" => Some((0, price_fen)),
        "refunded" => Some((price_fen, 0)),
        _ => None,
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_pay_orders(manager).await?;
        create_pay_outbox(manager).await?;
        create_indexes(manager, INDEX_SPECS).await?;
        backfill_top_ups(manager.get_connection()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping a table drops its indexes on every backend.
        for table in [PAY_OUTBOX_TABLE, PAY_ORDERS_TABLE] {
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

async fn create_pay_orders(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(PayOrders::Table)
                .if_not_exists()
                .col(
                    ColumnDef::new(PayOrders::OutTradeNo)
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(PayOrders::Kind).string_len(16).not_null())
                .col(
                    ColumnDef::new(PayOrders::MerchantOrderNo)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PayOrders::AmountFen)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(PayOrders::Channel).string_len(8).not_null())
                .col(
                    ColumnDef::new(PayOrders::PayerOpenid)
                        .string_len(128)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PayOrders::Description)
                        .string_len(255)
                        .not_null(),
                )
                .col(timestamp(backend, PayOrders::TimeExpire).not_null())
                .col(ColumnDef::new(PayOrders::Status).string_len(16).not_null())
                .col(
                    ColumnDef::new(PayOrders::TransactionId)
                        .string_len(64)
                        .null(),
                )
                .col(timestamp(backend, PayOrders::PaidAt).null())
                .col(
                    ColumnDef::new(PayOrders::RefundedFen)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(PayOrders::RefundingFen)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(PayOrders::LatePayment)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(ColumnDef::new(PayOrders::AnomalyKind).string_len(32).null())
                .col(ColumnDef::new(PayOrders::AnomalyDetails).text().null())
                .col(timestamp(backend, PayOrders::CreatedAt).not_null())
                .col(timestamp(backend, PayOrders::UpdatedAt).not_null())
                .col(
                    ColumnDef::new(PayOrders::Version)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .to_owned(),
        )
        .await
}

async fn create_pay_outbox(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(PayOutbox::Table)
                .if_not_exists()
                .col(id(backend, PayOutbox::Id))
                .col(
                    ColumnDef::new(PayOutbox::OutTradeNo)
                        .string_len(64)
                        .not_null(),
                )
                .col(ColumnDef::new(PayOutbox::Kind).string_len(16).not_null())
                .col(
                    ColumnDef::new(PayOutbox::MerchantOrderNo)
                        .string_len(64)
                        .not_null(),
                )
                .col(ColumnDef::new(PayOutbox::Event).string_len(16).not_null())
                // The rest of the message, as JSON text (see the persistence adapter).
                .col(ColumnDef::new(PayOutbox::Payload).text().not_null())
                .col(timestamp(backend, PayOutbox::CreatedAt).not_null())
                .col(timestamp(backend, PayOutbox::DeliveredAt).null())
                .col(
                    ColumnDef::new(PayOutbox::Attempts)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ColumnDef::new(PayOutbox::LastError).text().null())
                .to_owned(),
        )
        .await
}

/// One top-up pay order per order, by order number, a batch at a time.
async fn backfill_top_ups(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let mut inserted = 0;
    let mut after = String::new();
    loop {
        let select = Query::select()
            .columns([
                Orders::OrderNumber,
                Orders::Openid,
                Orders::ProductPriceFen,
                Orders::PaymentStatus,
                Orders::TransactionId,
                Orders::CreatedAt,
                Orders::PaidAt,
                Orders::ClosedAt,
            ])
            .from(Orders::Table)
            .and_where(Expr::col(Orders::OrderNumber).gt(after.as_str()))
            .order_by(Orders::OrderNumber, Order::Asc)
            .limit(BATCH)
            .to_owned();
        let rows = db.query_all(&select).await?;
        let Some(last) = rows.last() else {
            return Ok(inserted);
        };
        after = last.try_get("", "order_number")?;
        let mut insert = Query::insert();
        insert.into_table(PayOrders::Table).columns([
            PayOrders::OutTradeNo,
            PayOrders::Kind,
            PayOrders::MerchantOrderNo,
            PayOrders::AmountFen,
            PayOrders::Channel,
            PayOrders::PayerOpenid,
            PayOrders::Description,
            PayOrders::TimeExpire,
            PayOrders::Status,
            PayOrders::TransactionId,
            PayOrders::PaidAt,
            PayOrders::RefundedFen,
            PayOrders::RefundingFen,
            PayOrders::LatePayment,
            PayOrders::AnomalyKind,
            PayOrders::AnomalyDetails,
            PayOrders::CreatedAt,
            PayOrders::UpdatedAt,
            PayOrders::Version,
        ]);
        for row in &rows {
            insert
                .values(top_up_pay_order(row)?)
                .map_err(|error| DbErr::Migration(error.to_string()))?;
        }
        inserted += db.execute(&insert).await?.rows_affected();
    }
}

/// The values of the pay order of one `orders` row, in the insert's column order.
fn top_up_pay_order(row: &QueryResult) -> Result<[SimpleExpr; 19], DbErr> {
    let number: String = row.try_get("", "order_number")?;
    let price_fen: i64 = row.try_get("", "product_price_fen")?;
    let status: String = row.try_get("", "payment_status")?;
    let created_at: NaiveDateTime = row.try_get("", "created_at")?;
    let paid_at: Option<NaiveDateTime> = row.try_get("", "paid_at")?;
    let closed_at: Option<NaiveDateTime> = row.try_get("", "closed_at")?;
    let (refunded, refunding) = refund_amounts(&status, price_fen).ok_or_else(|| {
        DbErr::Migration(format!(
            "order {number}: unknown payment status {status:?}, no pay order can say it"
        ))
    })?;
    let updated_at = [paid_at, closed_at]
        .into_iter()
        .flatten()
        .fold(created_at, Ord::max);
    let time_expire = created_at + TimeDelta::minutes(ORDER_EXPIRE_MINUTES);
    Ok([
        number.clone().into(),
        "topup".into(),
        number.into(),
        price_fen.into(),
        "cloud".into(),
        row.try_get::<String>("", "openid")?.into(),
        "top-up".into(),
        time_expire.into(),
        status.into(),
        row.try_get::<Option<String>>("", "transaction_id")?.into(),
        paid_at.into(),
        refunded.into(),
        refunding.into(),
        false.into(),
        Option::<String>::None.into(),
        Option::<String>::None.into(),
        created_at.into(),
        updated_at.into(),
        0_i32.into(),
    ])
}

#[cfg(test)]
mod tests {
    use super::{INDEX_SPECS, refund_amounts};

    #[test]
    fn every_index_is_listed_for_the_catalog_checks() {
        for (table, name, _, _) in INDEX_SPECS {
            assert!(crate::INDEXES.contains(&(*table, *name)), "{name}");
            assert!(crate::TABLES.contains(table), "{table}");
        }
    }

    #[test]
    fn every_payment_status_of_an_order_has_its_refund_amounts() {
        assert_eq!(refund_amounts("refunded", 625), Some((625, 0)));
        assert_eq!(refund_amounts("refunding", 625), Some((0, 625)));
        for status in ["unpaid", "paid", "closed", "refund_failed"] {
            assert_eq!(refund_amounts(status, 625), Some((0, 0)), "{status}");
        }
        assert_eq!(refund_amounts("cancelled", 625), None);
    }
}
