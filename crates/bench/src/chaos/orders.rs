//! The orders table as the audit reads it: raw rows, no model of the server's.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// One row of the orders table, as the audit reads it.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub number: String,
    pub payment_status: String,
    pub recharge_status: Option<String>,
    pub anomaly_reason: Option<String>,
    pub anomaly_details: Option<String>,
}

pub async fn read_orders(
    db: &DatabaseConnection,
    backend: DbBackend,
) -> Result<Vec<OrderRow>, sea_orm::DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT order_number, payment_status, recharge_status, anomaly_reason, anomaly_details FROM orders",
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(OrderRow {
                number: row.try_get("", "order_number")?,
                payment_status: row.try_get("", "payment_status")?,
                recharge_status: row.try_get("", "recharge_status")?,
                anomaly_reason: row.try_get("", "anomaly_reason")?,
                anomaly_details: row.try_get("", "anomaly_details")?,
            })
        })
        .collect()
}

/// The reason of the last event that made each order's top-up `unknown`.
pub async fn unknown_reasons(
    db: &DatabaseConnection,
    backend: DbBackend,
) -> Result<HashMap<String, String>, sea_orm::DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT order_number, reason FROM order_events WHERE to_recharge = 'unknown' ORDER BY id",
        ))
        .await?;
    let mut reasons = HashMap::new();
    for row in rows {
        let number: String = row.try_get("", "order_number")?;
        let reason: String = row.try_get("", "reason")?;
        reasons.insert(number, reason);
    }
    Ok(reasons)
}

/// Paid orders whose top-up has not finished: `(pending, submitting or confirming)`.
pub async fn in_flight(
    db: &DatabaseConnection,
    backend: DbBackend,
) -> Result<(i64, i64), sea_orm::DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT \
               COUNT(CASE WHEN recharge_status = 'pending' THEN 1 END) AS pending, \
               COUNT(CASE WHEN recharge_status IN ('submitting', 'confirming') THEN 1 END) AS busy \
             FROM orders WHERE payment_status = 'paid'",
        ))
        .await?;
    let Some(row) = row else {
        return Ok((0, 0));
    };
    Ok((row.try_get("", "pending")?, row.try_get("", "busy")?))
}

/// `payment_status` values that mean "the money was received".
pub fn is_paid_status(status: &str) -> bool {
    matches!(status, "paid" | "refunding" | "refunded" | "refund_failed")
}

/// Orders whose money was received (see [`is_paid_status`]).
pub async fn count_paid(
    db: &DatabaseConnection,
    backend: DbBackend,
) -> Result<i64, sea_orm::DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS paid FROM orders WHERE payment_status IN ('paid', 'refunding', 'refunded', 'refund_failed')",
        ))
        .await?;
    match row {
        Some(row) => row.try_get("", "paid"),
        None => Ok(0),
    }
}
