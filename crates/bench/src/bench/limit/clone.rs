//! The database limit's orders: copies of one unpaid order the server made, under numbers
//! no server would make.

use std::sync::Arc;

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::bench::load::closed_loop;
use crate::bench::sql::statement;
use crate::database::Engine;

pub(super) const ORDER_COLUMNS: &[&str] = &[
    "openid",
    "phone_number",
    "product_operator",
    "product_recharge_type",
    "product_name",
    "product_eng_name",
    "product_code",
    "product_unit",
    "product_data",
    "product_days",
    "product_price_tg",
    "product_price_fen",
    "exchange_rate",
    "payment_status",
    "recharge_status",
    "seq_id",
    "transaction_id",
    "provider_receipt",
    "created_at",
    "updated_at",
    "paid_at",
    "recharge_at",
    "recharged_at",
    "closed_at",
    "version",
    "anomaly_reason",
    "anomaly_details",
    // The sealed number opens under any order number (its associated data is the field).
    "phone_cipher",
    "phone_key_id",
    "phone_index",
];

/// An order number of the server's shape (28 characters) that no server would make.
pub fn limit_order_number(index: usize) -> String {
    let millis = Utc::now().timestamp_millis();
    format!("ORD{millis:013}LIM{index:09}")
}

/// Copies the unpaid order `template` into `count` new unpaid orders (not timed).
pub async fn clone_orders(
    db: &DatabaseConnection,
    engine: Engine,
    template: &str,
    count: usize,
    concurrency: usize,
) -> Result<Vec<String>, String> {
    let numbers: Vec<String> = (0..count).map(limit_order_number).collect();
    let columns = ORDER_COLUMNS
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let text = Arc::new(format!(
        "INSERT INTO \"orders\" (\"order_number\", {columns}) SELECT ?, {columns} FROM \"orders\" WHERE \"order_number\" = ?"
    ));
    let template = template.to_owned();
    let db = db.clone();
    let result = closed_loop(numbers.clone(), concurrency, move |numbers, index| {
        let db = db.clone();
        let text = Arc::clone(&text);
        let template = template.clone();
        async move {
            db.execute_raw(statement(
                engine,
                &text,
                vec![numbers[index].clone().into(), template.into()],
            ))
            .await
            .map(|_| ())
            .map_err(|error| format!("cloning an order: {error}"))
        }
    })
    .await;
    if result.errors > 0 {
        return Err(result.first_error.unwrap_or_default());
    }
    Ok(numbers)
}
