//! Takes over the production MySQL database of the old NestJS backend, whose tables
//! `users`, `orders` and `exchange_rates` were created by Prisma (`_prisma_migrations`).
//!
//! The first migration calls [`adopt`] instead of creating those three tables when `orders`
//! already exists. Every existing row is kept; what differs is converted in place:
//! - `orders.product_price_tg` DECIMAL(10,2) MNT → BIGINT (rounded to whole MNT first);
//! - `orders.product_price_rmb` DECIMAL(10,2) yuan → new `product_price_fen` BIGINT; the old
//!   column stays, nullable, with its history (new rows leave it NULL);
//! - new columns `exchange_rate` (the old rows get the rate in force when adopted, since the
//!   old backend did not store the rate used), `updated_at`, `transaction_id`,
//!   `provider_receipt`, `recharged_at`, `closed_at`;
//! - timestamps DATETIME(3) → DATETIME(6), `product_unit` INT → BIGINT, wider names;
//! - recharge states the old backend left in flight are given the meaning they had, so that
//!   no top-up the old backend may have sent is ever sent again (see [`RECLASSIFY`]).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// Whether the database already holds the old backend's tables.
pub async fn is_prisma_database(manager: &SchemaManager<'_>) -> Result<bool, DbErr> {
    manager.has_table("orders").await
}

/// Column changes, in order. MySQL/MariaDB syntax: production runs MySQL.
const ALTERATIONS: &[&str] = &[
    "ALTER TABLE `users` \
        MODIFY `created_at` DATETIME(6) NOT NULL, \
        MODIFY `updated_at` DATETIME(6) NOT NULL",
    "ALTER TABLE `exchange_rates` \
        MODIFY `id` BIGINT NOT NULL AUTO_INCREMENT, \
        MODIFY `created_at` DATETIME(6) NOT NULL, \
        MODIFY `updated_at` DATETIME(6) NOT NULL",
    // Whole MNT before the column becomes an integer (postpaid bills may have had cents).
    "UPDATE `orders` SET `product_price_tg` = ROUND(`product_price_tg`, 0)",
    "ALTER TABLE `orders` \
        MODIFY `product_name` VARCHAR(255) NOT NULL, \
        MODIFY `product_eng_name` VARCHAR(255) NULL, \
        MODIFY `product_code` VARCHAR(64) NOT NULL, \
        MODIFY `product_unit` BIGINT NULL, \
        MODIFY `product_price_tg` BIGINT NOT NULL, \
        MODIFY `product_price_rmb` DECIMAL(10, 2) NULL, \
        ADD COLUMN `product_price_fen` BIGINT NULL, \
        ADD COLUMN `exchange_rate` DECIMAL(10, 4) NULL, \
        ADD COLUMN `transaction_id` VARCHAR(64) NULL, \
        ADD COLUMN `provider_receipt` TEXT NULL, \
        ADD COLUMN `updated_at` DATETIME(6) NULL, \
        ADD COLUMN `recharged_at` DATETIME(6) NULL, \
        ADD COLUMN `closed_at` DATETIME(6) NULL, \
        MODIFY `created_at` DATETIME(6) NOT NULL, \
        MODIFY `paid_at` DATETIME(6) NULL, \
        MODIFY `recharge_at` DATETIME(6) NULL",
    "UPDATE `orders` SET \
        `product_price_fen` = ROUND(`product_price_rmb` * 100, 0), \
        `exchange_rate` = COALESCE( \
            (SELECT `rate` FROM `exchange_rates` \
              WHERE `currency` = 'MNT_TO_CNY' AND `is_active` ORDER BY `updated_at` DESC LIMIT 1), \
            480.0000), \
        `updated_at` = COALESCE(`recharge_at`, `paid_at`, `created_at`)",
    "ALTER TABLE `orders` \
        MODIFY `product_price_fen` BIGINT NOT NULL, \
        MODIFY `exchange_rate` DECIMAL(10, 4) NOT NULL, \
        MODIFY `updated_at` DATETIME(6) NOT NULL",
];

/// The old backend's in-flight recharge states, read as what they meant:
/// - `pending` with a `seq_id`: Unitel accepted the request and its result is awaited, which
///   is our `confirming` (the confirmation job asks Unitel by seq);
/// - `pending` with `recharge_at` but no `seq_id`: the old backend had claimed the order and
///   may have sent the top-up (its compensation job would have sent it again). Ours never
///   re-sends such an order: it becomes `unknown`, flagged for a person;
/// - `timeout` (and the deprecated `unknown`) are our `unknown`, stored under its name so that
///   the admin lists and alerts find them.
///
/// `pending` without `recharge_at` (paid, never claimed) stays `pending`: it was never sent,
/// and the dispatch job sends it, as the old compensation job would have.
const RECLASSIFY: &[&str] = &[
    "UPDATE `orders` SET `recharge_status` = 'confirming' \
      WHERE `payment_status` = 'paid' AND `recharge_status` = 'pending' \
        AND `seq_id` IS NOT NULL",
    "UPDATE `orders` SET `recharge_status` = 'unknown', \
        `anomaly_reason` = 'recharge_outcome_unknown', \
        `anomaly_details` = 'adopted from the old backend: claimed for top-up without a seq id; \
may have reached Unitel, check before resolving' \
      WHERE `payment_status` = 'paid' AND `recharge_status` = 'pending' \
        AND `recharge_at` IS NOT NULL AND `seq_id` IS NULL",
    "UPDATE `orders` SET `recharge_status` = 'unknown', \
        `anomaly_reason` = COALESCE(`anomaly_reason`, 'recharge_outcome_unknown'), \
        `anomaly_details` = COALESCE(`anomaly_details`, \
            'adopted from the old backend: its top-up timed out, outcome unknown') \
      WHERE `recharge_status` IN ('timeout', 'unknown')",
];

/// Converts the old backend's three tables in place (MySQL/MariaDB only).
pub async fn adopt(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    if backend != DbBackend::MySql {
        return Err(DbErr::Migration(format!(
            "an `orders` table already exists on {backend:?}; taking over an existing \
             database is only supported for the old backend's MySQL schema"
        )));
    }
    let db = manager.get_connection();
    for statement in ALTERATIONS.iter().chain(RECLASSIFY) {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}
