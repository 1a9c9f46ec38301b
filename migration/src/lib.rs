//! elife's schema, as sea-orm-migration migrations that run unchanged on SQLite,
//! MySQL/MariaDB and PostgreSQL.
//!
//! The server applies pending migrations at start-up through [`Migrator`] (see
//! [`MigratorTrait::up`], [`MigratorTrait::down`], [`MigratorTrait::get_migration_with_status`]).
//!
//! Portability rules followed by every migration:
//! - money is `BIGINT` in minor units (fen, MNT), never a float column;
//! - exchange rates are `DECIMAL(10,4)` on MySQL/PostgreSQL and `TEXT` holding the exact
//!   decimal (e.g. `480.0000`) on SQLite, whose `DECIMAL` would silently become `REAL`;
//! - timestamps are UTC without zone: `DATETIME(6)` on MySQL (the default `DATETIME` drops
//!   fractions of a second), `timestamp` on PostgreSQL, ISO text on SQLite;
//! - index names are prefixed by their table, since PostgreSQL scopes them per schema.

mod adopt_prisma;
mod columns;
mod m20251101_000001_create_schema;
mod m20251101_000002_seed_exchange_rate;
mod m20261130_000001_accounts_sessions;
mod m20261130_000002_admin_audit;
mod m20261130_000003_encrypt_phone_numbers;
mod m20261130_000004_payments_core;
mod m20261130_000005_points;
mod m20261130_000006_catalog;
mod m20261130_000007_trade;
mod m20261130_000008_shoppers;
mod m20261130_000009_reviews_delivery;
mod m20261130_000010_search;
mod personal_data;

pub use sea_orm_migration::{MigrationStatus, MigratorTrait};

use sea_orm_migration::{MigrationTrait, async_trait};

/// The rate seeded for `MNT_TO_CNY` when the table is created: 480.0000 MNT per CNY,
/// the order of magnitude of the market rate in 2025 (and the rate the domain's test
/// fixtures use). Administrators change it through the exchange-rate port.
pub const SEED_MNT_TO_CNY: &str = "480.0000";

/// Every index the schema creates, by table; tests check them against the catalog.
pub const INDEXES: &[(&str, &str)] = &[
    ("orders", "idx_orders_payment_recharge_paid"),
    ("orders", "idx_orders_recharge_claimed_seq"),
    ("orders", "idx_orders_payment_recharge_claimed"),
    ("orders", "idx_orders_anomaly_reason"),
    ("orders", "idx_orders_openid_created"),
    ("orders", "idx_orders_created"),
    ("orders", "idx_orders_payment_created"),
    ("orders", "idx_orders_payment_updated"),
    ("users", "idx_users_unionid"),
    ("exchange_rates", "idx_exchange_rates_pair"),
    ("payment_notifications", "idx_payment_notifications_dedup"),
    ("payment_notifications", "idx_payment_notifications_outcome"),
    ("payment_notifications", "idx_payment_notifications_order"),
    ("refunds", "idx_refunds_order"),
    ("order_events", "idx_order_events_order"),
    ("sessions", "idx_sessions_subject"),
    ("sessions", "idx_sessions_expires"),
    ("refresh_tokens", "idx_refresh_tokens_hash"),
    ("refresh_tokens", "idx_refresh_tokens_session"),
    ("refresh_tokens", "idx_refresh_tokens_expires"),
    ("admin_users", "idx_admin_users_username"),
    ("audit_log", "idx_audit_log_at"),
    ("audit_log", "idx_audit_log_actor"),
    ("audit_log", "idx_audit_log_action"),
    ("audit_log", "idx_audit_log_target"),
    (
        "orders",
        m20261130_000003_encrypt_phone_numbers::PHONE_INDEX,
    ),
    ("pay_orders", "idx_pay_orders_merchant"),
    ("pay_orders", "idx_pay_orders_status_expire"),
    ("pay_orders", "idx_pay_orders_status_updated"),
    ("pay_orders", "idx_pay_orders_transaction"),
    ("pay_outbox", "idx_pay_outbox_pending"),
    ("pay_outbox", "idx_pay_outbox_order"),
    ("points_ledger", "idx_points_ledger_reference"),
    ("points_ledger", "idx_points_ledger_openid_id"),
    ("points_ledger", "idx_points_ledger_created"),
    ("points_packages", "idx_points_packages_active_sort"),
    ("points_orders", "idx_points_orders_openid_created"),
    ("points_orders", "idx_points_orders_status_created"),
    ("points_orders", "idx_points_orders_package"),
    ("points_orders", "idx_points_orders_paid"),
    ("catalog_categories", "idx_catalog_categories_parent_sort"),
    ("catalog_products", "idx_catalog_products_category"),
    ("catalog_skus", "idx_catalog_skus_product"),
    ("catalog_stock_ledger", "idx_catalog_stock_ledger_movement"),
    (
        "catalog_stock_ledger",
        "idx_catalog_stock_ledger_settlement",
    ),
    ("catalog_stock_ledger", "idx_catalog_stock_ledger_sku_id"),
    // trade (000007)
    ("mall_orders", "idx_mall_orders_status_pay_deadline"),
    ("mall_orders", "idx_mall_orders_status_auto_confirm"),
    ("mall_orders", "idx_mall_orders_buyer_created"),
    ("mall_orders", "idx_mall_orders_created"),
    ("mall_orders", "idx_mall_orders_pay_order"),
    ("mall_order_items", "idx_mall_order_items_line"),
    ("mall_after_sales", "idx_mall_after_sales_key"),
    ("mall_after_sales", "idx_mall_after_sales_refunding"),
    ("mall_after_sales", "idx_mall_after_sales_status_created"),
    ("mall_after_sales", "idx_mall_after_sales_buyer_created"),
    ("trade_outbox", "idx_trade_outbox_pending"),
    // shoppers and cart (000008)
    ("shopper_addresses", "idx_shopper_addresses_buyer"),
    ("shopper_addresses", "idx_shopper_addresses_default"),
    ("shopper_favourites", "idx_shopper_favourites_product"),
    ("shopper_favourites", "idx_shopper_favourites_created"),
    ("shopper_history", "idx_shopper_history_product"),
    ("shopper_history", "idx_shopper_history_viewed"),
    ("cart_items", "idx_cart_items_sku"),
    ("freight_templates", "idx_freight_templates_default"),
    // reviews and delivery (000009)
    ("catalog_reviews", "idx_catalog_reviews_item"),
    ("catalog_reviews", "idx_catalog_reviews_product_created"),
    ("catalog_reviews", "idx_catalog_reviews_buyer_created"),
    ("catalog_reviews", "idx_catalog_reviews_created"),
    // search (000010)
    ("search_terms", "idx_search_terms_term"),
    ("search_terms", "idx_search_terms_count"),
];

/// The application tables, in creation order.
pub const TABLES: &[&str] = &[
    "users",
    "exchange_rates",
    "orders",
    "order_events",
    "payment_notifications",
    "refunds",
    "job_leases",
    "sessions",
    "refresh_tokens",
    "admin_users",
    "audit_log",
    "pay_orders",
    "pay_outbox",
    "points_accounts",
    "points_ledger",
    "points_packages",
    "points_orders",
    "catalog_categories",
    "catalog_category_tree",
    "catalog_products",
    "catalog_skus",
    "catalog_stock_ledger",
    // trade (000007)
    "mall_orders",
    "mall_order_items",
    "mall_after_sales",
    "trade_outbox",
    // shoppers and cart (000008)
    "shopper_addresses",
    "shopper_favourites",
    "shopper_history",
    "shopper_quotas",
    "cart_items",
    "freight_templates",
    // reviews and delivery (000009)
    "catalog_reviews",
    "trade_logistics_companies",
    // search (000010)
    "search_terms",
];

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20251101_000001_create_schema::Migration),
            Box::new(m20251101_000002_seed_exchange_rate::Migration),
            Box::new(m20261130_000001_accounts_sessions::Migration),
            Box::new(m20261130_000002_admin_audit::Migration),
            Box::new(m20261130_000003_encrypt_phone_numbers::Migration),
            Box::new(m20261130_000004_payments_core::Migration),
            Box::new(m20261130_000005_points::Migration),
            Box::new(m20261130_000006_catalog::Migration),
            Box::new(m20261130_000007_trade::Migration),
            Box::new(m20261130_000008_shoppers::Migration),
            Box::new(m20261130_000009_reviews_delivery::Migration),
            Box::new(m20261130_000010_search::Migration),
        ]
    }
}
