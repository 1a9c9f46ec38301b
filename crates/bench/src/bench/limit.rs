//! The database limit: the statements and transactions the server's repository issues for
//! one paid and topped-up order, sent straight to the database from Rust at the same
//! concurrency and on a pool of the same size, without HTTP, JSON or the simulators.
//!
//! Per order, as `elife-persistence` issues them (`notifications.rs`, `orders.rs`) for
//! `PaymentService::handle_notification` then `RechargeService::dispatch`:
//!
//! | # | what | statements | transaction |
//! |---|---|---|---|
//! | 1 | log the callback | INSERT payment_notifications | autocommit |
//! | 2 | read the order | SELECT orders | autocommit |
//! | 3 | mark paid (compare-and-set) | UPDATE orders + INSERT order_events | BEGIN … COMMIT |
//! | 4 | the callback's outcome | UPDATE payment_notifications | autocommit |
//! | 5 | read the order (dispatch) | SELECT orders | autocommit |
//! | 6 | claim the top-up | UPDATE orders + INSERT order_events | BEGIN … COMMIT |
//! | 7 | record the top-up's success | UPDATE orders + INSERT order_events | BEGIN … COMMIT |
//!
//! 10 statements (2 SELECT, 4 UPDATE, 4 INSERT); 3 explicit transactions, 6 commits in all.

mod clone;

use std::sync::Arc;

use chrono::{DurationRound, NaiveDateTime, TimeDelta, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, SqliteTransactionMode, TransactionOptions,
    TransactionTrait, Value,
};

pub use clone::clone_orders;

use super::load::{LoadResult, closed_loop};
use super::sql::statement;
use crate::database::Engine;

fn now() -> NaiveDateTime {
    let naive = Utc::now().naive_utc();
    naive
        .duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(naive)
}

/// The mutable columns the compare-and-set writes, all of them every time (as `apply` does).
#[derive(Debug, Clone)]
struct Columns {
    payment_status: &'static str,
    recharge_status: Option<&'static str>,
    seq_id: Option<String>,
    transaction_id: Option<String>,
    provider_receipt: Option<String>,
    paid_at: Option<NaiveDateTime>,
    recharge_at: Option<NaiveDateTime>,
    recharged_at: Option<NaiveDateTime>,
    version: i32,
}

struct Limit {
    engine: Engine,
    db: DatabaseConnection,
    headers: serde_json::Value,
}

impl Limit {
    async fn begin(&self) -> Result<sea_orm::DatabaseTransaction, String> {
        self.db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
            .map_err(|error| format!("BEGIN: {error}"))
    }

    async fn read_version(&self, number: &str) -> Result<i32, String> {
        let row = self
            .db
            .query_one_raw(statement(
                self.engine,
                "SELECT * FROM \"orders\" WHERE \"order_number\" = ? LIMIT 1",
                vec![number.to_owned().into()],
            ))
            .await
            .map_err(|error| format!("SELECT orders: {error}"))?
            .ok_or_else(|| format!("order {number} not found"))?;
        row.try_get::<i32>("", "version")
            .map_err(|error| format!("reading the version: {error}"))
    }

    async fn log_notification(
        &self,
        number: &str,
        transaction: &str,
        body: &str,
    ) -> Result<i64, String> {
        let at = now();
        let values: Vec<Value> = vec![
            "wechat_cloud".into(),
            "payment".into(),
            Some(number.to_owned()).into(),
            Some(transaction.to_owned()).into(),
            self.headers.clone().into(),
            body.to_owned().into(),
            Some("127.0.0.1".to_owned()).into(),
            "received".into(),
            Option::<String>::None.into(),
            Option::<i64>::None.into(),
            0i32.into(),
            at.into(),
            at.into(),
        ];
        let text = "INSERT INTO \"payment_notifications\" (\"channel\", \"kind\", \"order_number\", \"transaction_id\", \"headers\", \"raw_body\", \"client_ip\", \"outcome\", \"error_message\", \"processing_ms\", \"retry_count\", \"created_at\", \"updated_at\") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        match self.engine {
            Engine::Postgres => {
                let row = self
                    .db
                    .query_one_raw(statement(
                        self.engine,
                        &format!("{text} RETURNING \"id\""),
                        values,
                    ))
                    .await
                    .map_err(|error| format!("INSERT payment_notifications: {error}"))?
                    .ok_or("INSERT … RETURNING answered no row")?;
                row.try_get::<i64>("", "id")
                    .map_err(|error| format!("reading the id: {error}"))
            }
            Engine::MySql | Engine::Sqlite => {
                let result = self
                    .db
                    .execute_raw(statement(self.engine, text, values))
                    .await
                    .map_err(|error| format!("INSERT payment_notifications: {error}"))?;
                i64::try_from(result.last_insert_id()).map_err(|error| error.to_string())
            }
        }
    }

    async fn set_outcome(&self, id: i64, processing_ms: i64) -> Result<(), String> {
        self.db
            .execute_raw(statement(
                self.engine,
                "UPDATE \"payment_notifications\" SET \"outcome\" = ?, \"error_message\" = ?, \"processing_ms\" = ? WHERE \"payment_notifications\".\"id\" = ?",
                vec![
                    "processed".into(),
                    Option::<String>::None.into(),
                    processing_ms.into(),
                    id.into(),
                ],
            ))
            .await
            .map(|_| ())
            .map_err(|error| format!("UPDATE payment_notifications: {error}"))
    }

    /// One transition: the compare-and-set UPDATE and its history row, in one transaction.
    async fn transition(
        &self,
        number: &str,
        before: &Columns,
        after: &Columns,
        reason: String,
    ) -> Result<(), String> {
        let at = now();
        let txn = self.begin().await?;
        let recharge_filter = match before.recharge_status {
            None => "\"recharge_status\" IS NULL",
            Some(_) => "\"recharge_status\" = ?",
        };
        let text = format!(
            "UPDATE \"orders\" SET \"payment_status\" = ?, \"recharge_status\" = ?, \"seq_id\" = ?, \"transaction_id\" = ?, \"provider_receipt\" = ?, \"paid_at\" = ?, \"recharge_at\" = ?, \"recharged_at\" = ?, \"closed_at\" = ?, \"version\" = ?, \"anomaly_reason\" = ?, \"anomaly_details\" = ?, \"updated_at\" = ? WHERE \"orders\".\"order_number\" = ? AND \"orders\".\"payment_status\" = ? AND \"orders\".\"version\" = ? AND {recharge_filter}"
        );
        let mut values: Vec<Value> = vec![
            after.payment_status.into(),
            after.recharge_status.map(str::to_owned).into(),
            after.seq_id.clone().into(),
            after.transaction_id.clone().into(),
            after.provider_receipt.clone().into(),
            after.paid_at.into(),
            after.recharge_at.into(),
            after.recharged_at.into(),
            Option::<NaiveDateTime>::None.into(),
            after.version.into(),
            Option::<String>::None.into(),
            Option::<String>::None.into(),
            at.into(),
            number.to_owned().into(),
            before.payment_status.into(),
            before.version.into(),
        ];
        if let Some(status) = before.recharge_status {
            values.push(status.into());
        }
        let updated = txn
            .execute_raw(statement(self.engine, &text, values))
            .await
            .map_err(|error| format!("UPDATE orders: {error}"))?;
        if updated.rows_affected() != 1 {
            let _ = txn.rollback().await;
            return Err(format!(
                "compare-and-set of {number} changed {} rows",
                updated.rows_affected()
            ));
        }
        txn.execute_raw(statement(
            self.engine,
            "INSERT INTO \"order_events\" (\"order_number\", \"from_payment\", \"from_recharge\", \"to_payment\", \"to_recharge\", \"actor\", \"reason\", \"at\") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                number.to_owned().into(),
                before.payment_status.into(),
                before.recharge_status.map(str::to_owned).into(),
                after.payment_status.into(),
                after.recharge_status.map(str::to_owned).into(),
                "system".into(),
                reason.into(),
                at.into(),
            ],
        ))
        .await
        .map_err(|error| format!("INSERT order_events: {error}"))?;
        txn.commit()
            .await
            .map_err(|error| format!("COMMIT: {error}"))
    }

    /// Everything the server writes and reads for one paid and topped-up order.
    async fn one_order(&self, number: &str, index: usize) -> Result<(), String> {
        let started = std::time::Instant::now();
        let transaction = format!("42000000{index:020}");
        let body = super::api::callback_body(number, &transaction, 625);
        // handle_notification
        let id = self.log_notification(number, &transaction, &body).await?;
        let version = self.read_version(number).await?;
        let unpaid = Columns {
            payment_status: "unpaid",
            recharge_status: None,
            seq_id: None,
            transaction_id: None,
            provider_receipt: None,
            paid_at: None,
            recharge_at: None,
            recharged_at: None,
            version,
        };
        let paid = Columns {
            payment_status: "paid",
            recharge_status: Some("pending"),
            transaction_id: Some(transaction.clone()),
            paid_at: Some(now()),
            version: version + 1,
            ..unpaid.clone()
        };
        self.transition(
            number,
            &unpaid,
            &paid,
            format!("paid: WeChat callback, transaction {transaction}"),
        )
        .await?;
        let elapsed = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.set_outcome(id, elapsed).await?;
        // RechargeService::dispatch
        let version = self.read_version(number).await?;
        let pending = Columns { version, ..paid };
        let submitting = Columns {
            recharge_status: Some("submitting"),
            recharge_at: Some(now()),
            version: version + 1,
            ..pending.clone()
        };
        self.transition(
            number,
            &pending,
            &submitting,
            "claimed for submission".to_owned(),
        )
        .await?;
        let seq = format!("SIM{index:012}");
        let receipt = serde_json::json!({
            "result": "success", "code": "000", "msg": "Амжилттай", "sv_id": format!("SV{index:010}"),
            "seq": seq, "bonus": [], "balance": {"main": 3000, "expire": "2026-01-01"}
        })
        .to_string();
        let success = Columns {
            recharge_status: Some("success"),
            seq_id: Some(seq.clone()),
            provider_receipt: Some(receipt),
            recharged_at: Some(now()),
            version: submitting.version + 1,
            ..submitting.clone()
        };
        self.transition(
            number,
            &submitting,
            &success,
            format!("topped up: seq {seq}"),
        )
        .await
    }
}

/// Runs the per-order statements for every order in `numbers` at `concurrency`; each
/// latency is one whole order (all seven steps).
pub async fn run(
    db: DatabaseConnection,
    engine: Engine,
    numbers: Vec<String>,
    concurrency: usize,
) -> LoadResult {
    let headers = serde_json::json!({
        "host": "127.0.0.1:3000", "content-type": "application/json",
        "content-length": "560", "x-wx-source": "wxpay", "accept": "*/*"
    });
    let limit = Arc::new(Limit {
        engine,
        db,
        headers,
    });
    closed_loop(numbers, concurrency, move |numbers, index| {
        let limit = Arc::clone(&limit);
        async move { limit.one_order(&numbers[index], index).await }
    })
    .await
}
