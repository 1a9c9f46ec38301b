//! The trade context's tables (issue 14): mall orders, their items, after-sales, the trade
//! outbox.
//!
//! - `mall_orders`: one row per order, changed only by a compare-and-set on
//!   (order_no, status, version). The receiver's phone is sealed with the personal-data
//!   keyring (`receiver_phone_cipher` + `receiver_phone_key_id`; `receiver_phone_masked`
//!   for people reading the table). What is only read back with the order (the rest of the
//!   address, payments, cancellation, shipment, receipt) is JSON text. The indexed due
//!   times `(status, pay_deadline)` and `(status, auto_confirm_at)` are the persistent
//!   schedule the timeout-cancel and auto-confirm jobs poll.
//! - `mall_order_items`: the lines as sold, unique per (order_no, line).
//! - `mall_after_sales`: unique per (order_no, line, seq); `refunding_order` holds the order
//!   number only while the after-sale is refunding, and its unique index lets at most one
//!   after-sale per order refund at a time (NULLs are distinct on every backend).
//! - `trade_outbox`: messages written with the change that caused them; pending while
//!   `delivered_at` is NULL, due at `next_attempt_at`.
//!
//! `down` drops the four tables.

use sea_orm_migration::prelude::*;

use crate::columns::{IndexSpec, create_indexes, exact_string, id, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MallOrders {
    Table,
    OrderNo,
    Buyer,
    Status,
    Version,
    GoodsFen,
    DiscountFen,
    FreightFen,
    PayFen,
    PayOrder,
    PayDeadline,
    Address,
    ReceiverPhoneMasked,
    ReceiverPhoneCipher,
    ReceiverPhoneKeyId,
    Payment,
    ReturnedPayments,
    Cancellation,
    Shipment,
    AutoConfirmAt,
    Receipt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MallOrderItems {
    Table,
    Id,
    OrderNo,
    Line,
    ProductId,
    SkuId,
    Name,
    Spec,
    Image,
    UnitPriceFen,
    Quantity,
    PayPriceFen,
}

#[derive(DeriveIden)]
enum MallAfterSales {
    Table,
    Id,
    OrderNo,
    Line,
    Seq,
    Buyer,
    PayOrder,
    SkuId,
    Kind,
    Reason,
    AmountFen,
    Quantity,
    Status,
    RejectReason,
    ReturnShipment,
    RefundFailure,
    RefundingOrder,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum TradeOutbox {
    Table,
    Id,
    Message,
    Attempts,
    LastError,
    NextAttemptAt,
    DeliveredAt,
    CreatedAt,
}

pub const ORDERS_TABLE: &str = "mall_orders";
pub const ITEMS_TABLE: &str = "mall_order_items";
pub const AFTER_SALES_TABLE: &str = "mall_after_sales";
pub const OUTBOX_TABLE: &str = "trade_outbox";

pub const INDEX_SPECS: &[IndexSpec] = &[
    // The timeout-cancel job's queue.
    (
        ORDERS_TABLE,
        "idx_mall_orders_status_pay_deadline",
        &["status", "pay_deadline"],
        false,
    ),
    // The auto-confirm job's queue.
    (
        ORDERS_TABLE,
        "idx_mall_orders_status_auto_confirm",
        &["status", "auto_confirm_at"],
        false,
    ),
    // A buyer's orders, newest first.
    (
        ORDERS_TABLE,
        "idx_mall_orders_buyer_created",
        &["buyer", "created_at"],
        false,
    ),
    // The back office's list, newest first.
    (
        ORDERS_TABLE,
        "idx_mall_orders_created",
        &["created_at"],
        false,
    ),
    // Each order has its own pay order.
    (
        ORDERS_TABLE,
        "idx_mall_orders_pay_order",
        &["pay_order"],
        true,
    ),
    (
        ITEMS_TABLE,
        "idx_mall_order_items_line",
        &["order_no", "line"],
        true,
    ),
    // An application decided on a stale view of its item is refused.
    (
        AFTER_SALES_TABLE,
        "idx_mall_after_sales_key",
        &["order_no", "line", "seq"],
        true,
    ),
    // At most one refunding after-sale per order.
    (
        AFTER_SALES_TABLE,
        "idx_mall_after_sales_refunding",
        &["refunding_order"],
        true,
    ),
    // The merchant's queue.
    (
        AFTER_SALES_TABLE,
        "idx_mall_after_sales_status_created",
        &["status", "created_at"],
        false,
    ),
    (
        AFTER_SALES_TABLE,
        "idx_mall_after_sales_buyer_created",
        &["buyer", "created_at"],
        false,
    ),
    // Undelivered messages by due time.
    (
        OUTBOX_TABLE,
        "idx_trade_outbox_pending",
        &["delivered_at", "next_attempt_at"],
        false,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_orders(manager).await?;
        create_items(manager).await?;
        create_after_sales(manager).await?;
        create_outbox(manager).await?;
        create_indexes(manager, INDEX_SPECS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [OUTBOX_TABLE, AFTER_SALES_TABLE, ITEMS_TABLE, ORDERS_TABLE] {
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

fn text(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).text().not_null().to_owned()
}

fn text_null(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).text().null().to_owned()
}

fn short(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).string_len(32).not_null().to_owned()
}

async fn create_orders(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(MallOrders::Table)
                .if_not_exists()
                .col(
                    exact_string(backend, MallOrders::OrderNo, 64)
                        .not_null()
                        .primary_key(),
                )
                .col(exact_string(backend, MallOrders::Buyer, 128).not_null())
                .col(short(MallOrders::Status))
                .col(big(MallOrders::Version))
                .col(big(MallOrders::GoodsFen))
                .col(big(MallOrders::DiscountFen))
                .col(big(MallOrders::FreightFen))
                .col(big(MallOrders::PayFen))
                .col(exact_string(backend, MallOrders::PayOrder, 64).not_null())
                .col(timestamp(backend, MallOrders::PayDeadline).not_null())
                // JSON: receiver, province, city, district, detail (not the phone).
                .col(text(MallOrders::Address))
                .col(short(MallOrders::ReceiverPhoneMasked))
                .col(text(MallOrders::ReceiverPhoneCipher))
                .col(short(MallOrders::ReceiverPhoneKeyId))
                .col(text_null(MallOrders::Payment))
                .col(text(MallOrders::ReturnedPayments))
                .col(text_null(MallOrders::Cancellation))
                .col(text_null(MallOrders::Shipment))
                .col(timestamp(backend, MallOrders::AutoConfirmAt).null())
                .col(text_null(MallOrders::Receipt))
                .col(timestamp(backend, MallOrders::CreatedAt).not_null())
                .col(timestamp(backend, MallOrders::UpdatedAt).not_null())
                .to_owned(),
        )
        .await
}

async fn create_items(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(MallOrderItems::Table)
                .if_not_exists()
                .col(id(backend, MallOrderItems::Id))
                .col(exact_string(backend, MallOrderItems::OrderNo, 64).not_null())
                .col(big(MallOrderItems::Line))
                .col(big(MallOrderItems::ProductId))
                .col(big(MallOrderItems::SkuId))
                .col(text(MallOrderItems::Name))
                .col(text(MallOrderItems::Spec))
                .col(text(MallOrderItems::Image))
                .col(big(MallOrderItems::UnitPriceFen))
                .col(big(MallOrderItems::Quantity))
                .col(big(MallOrderItems::PayPriceFen))
                .to_owned(),
        )
        .await
}

async fn create_after_sales(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(MallAfterSales::Table)
                .if_not_exists()
                .col(id(backend, MallAfterSales::Id))
                .col(exact_string(backend, MallAfterSales::OrderNo, 64).not_null())
                .col(big(MallAfterSales::Line))
                .col(big(MallAfterSales::Seq))
                .col(exact_string(backend, MallAfterSales::Buyer, 128).not_null())
                .col(exact_string(backend, MallAfterSales::PayOrder, 64).not_null())
                .col(big(MallAfterSales::SkuId))
                .col(short(MallAfterSales::Kind))
                .col(text(MallAfterSales::Reason))
                .col(big(MallAfterSales::AmountFen))
                .col(big(MallAfterSales::Quantity))
                .col(short(MallAfterSales::Status))
                .col(text_null(MallAfterSales::RejectReason))
                .col(text_null(MallAfterSales::ReturnShipment))
                .col(text_null(MallAfterSales::RefundFailure))
                .col(exact_string(backend, MallAfterSales::RefundingOrder, 64).null())
                .col(timestamp(backend, MallAfterSales::CreatedAt).not_null())
                .col(timestamp(backend, MallAfterSales::UpdatedAt).not_null())
                .col(big(MallAfterSales::Version))
                .to_owned(),
        )
        .await
}

async fn create_outbox(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(TradeOutbox::Table)
                .if_not_exists()
                .col(id(backend, TradeOutbox::Id))
                .col(text(TradeOutbox::Message))
                .col(big(TradeOutbox::Attempts).default(0).to_owned())
                .col(text_null(TradeOutbox::LastError))
                .col(timestamp(backend, TradeOutbox::NextAttemptAt).not_null())
                .col(timestamp(backend, TradeOutbox::DeliveredAt).null())
                .col(timestamp(backend, TradeOutbox::CreatedAt).not_null())
                .to_owned(),
        )
        .await
}
