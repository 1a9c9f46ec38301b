//! The database limit: the statements and transactions the server's repository issues for
//! one paid and topped-up order, sent straight to the database from Rust at the same
//! concurrency and on a pool of the same size, without HTTP, JSON or the simulators.
//!
//! Per order, as `elife-persistence` issues them (`orders.rs` `find` and `apply_with`,
//! `notifications.rs` `upsert_decided`) for `PaymentService::handle_notification` then
//! `RechargeService::dispatch_order` (the claim starts from the order as the callback
//! wrote it, without reading it back):
//!
//! | # | what | statements | transaction |
//! |---|---|---|---|
//! | 1 | read the order | SELECT orders | autocommit |
//! | – | confirm the payment with WeChat | (HTTP, not replayed) | – |
//! | 2 | mark paid (compare-and-set) and log the callback as processed | UPDATE orders + INSERT order_events + INSERT payment_notifications … ON CONFLICT DO UPDATE (MariaDB: ON DUPLICATE KEY UPDATE) | BEGIN … COMMIT |
//! | 3 | claim the top-up | UPDATE orders + INSERT order_events | BEGIN … COMMIT |
//! | 4 | record the top-up's success | UPDATE orders + INSERT order_events | BEGIN … COMMIT |
//!
//! 8 statements (1 SELECT, 3 UPDATE, 4 INSERT); 3 explicit transactions and 1 autocommit
//! SELECT, 4 commits in all (PostgreSQL's `xact_commit` counts the SELECT too).
//! Statement shapes follow sea-orm's: every column named with its table in SELECT and WHERE,
//! `LIMIT` bound, every mutable column set by the compare-and-set.

mod clone;

use std::sync::Arc;
use std::time::Instant;

use chrono::{DurationRound, NaiveDateTime, TimeDelta, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, SqliteTransactionMode,
    TransactionOptions, TransactionTrait, Value,
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

/// The SQL texts, built once (`?` and `"`, turned into the engine's by `statement`).
struct Texts {
    select_order: String,
    update_order_null: String,
    update_order_eq: String,
    insert_event: &'static str,
    upsert_notification: String,
}

impl Texts {
    fn new(engine: Engine) -> Texts {
        let columns = std::iter::once("order_number")
            .chain(clone::ORDER_COLUMNS.iter().copied())
            .map(|c| format!("\"orders\".\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let update = "UPDATE \"orders\" SET \"payment_status\" = ?, \"recharge_status\" = ?, \"seq_id\" = ?, \"transaction_id\" = ?, \"provider_receipt\" = ?, \"paid_at\" = ?, \"recharge_at\" = ?, \"recharged_at\" = ?, \"closed_at\" = ?, \"version\" = ?, \"anomaly_reason\" = ?, \"anomaly_details\" = ?, \"updated_at\" = ? WHERE \"orders\".\"order_number\" = ? AND \"orders\".\"payment_status\" = ? AND \"orders\".\"version\" = ? AND \"orders\".\"recharge_status\"";
        let insert = "INSERT INTO \"payment_notifications\" (\"channel\", \"kind\", \"order_number\", \"transaction_id\", \"headers\", \"raw_body\", \"client_ip\", \"outcome\", \"error_message\", \"processing_ms\", \"retry_count\", \"created_at\", \"updated_at\") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        let conflict = match engine {
            Engine::MySql => "ON DUPLICATE KEY UPDATE",
            Engine::Postgres | Engine::Sqlite => {
                "ON CONFLICT (\"channel\", \"transaction_id\", \"kind\") DO UPDATE SET"
            }
        };
        Texts {
            select_order: format!(
                "SELECT {columns} FROM \"orders\" WHERE \"orders\".\"order_number\" = ? LIMIT ?"
            ),
            update_order_null: format!("{update} IS NULL"),
            update_order_eq: format!("{update} = ?"),
            insert_event: "INSERT INTO \"order_events\" (\"order_number\", \"from_payment\", \"from_recharge\", \"to_payment\", \"to_recharge\", \"actor\", \"reason\", \"at\") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            upsert_notification: format!(
                "{insert} {conflict} \"retry_count\" = \"payment_notifications\".\"retry_count\" + ?, \"updated_at\" = ?, \"outcome\" = ?, \"error_message\" = ?, \"processing_ms\" = ?"
            ),
        }
    }
}

/// The callback being handled, logged as processed in the order's transaction.
struct Callback<'a> {
    transaction: &'a str,
    body: &'a str,
    received_at: NaiveDateTime,
    started: Instant,
}

struct Limit {
    engine: Engine,
    db: DatabaseConnection,
    headers: serde_json::Value,
    texts: Texts,
}

impl Limit {
    async fn begin(&self) -> Result<DatabaseTransaction, String> {
        self.db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
            .map_err(|error| format!("BEGIN: {error}"))
    }

    /// `find`: the whole row by its number, autocommit.
    async fn read_version(&self, number: &str) -> Result<i32, String> {
        let row = self
            .db
            .query_one_raw(statement(
                self.engine,
                &self.texts.select_order,
                vec![number.to_owned().into(), 1i64.into()],
            ))
            .await
            .map_err(|error| format!("SELECT orders: {error}"))?
            .ok_or_else(|| format!("order {number} not found"))?;
        row.try_get::<i32>("", "version")
            .map_err(|error| format!("reading the version: {error}"))
    }

    /// `upsert_decided` of a processed callback, inside the order's transaction.
    async fn log_processed(
        &self,
        txn: &DatabaseTransaction,
        number: &str,
        callback: &Callback<'_>,
    ) -> Result<(), String> {
        let at = callback.received_at;
        let processing_ms = i64::try_from(callback.started.elapsed().as_millis()).unwrap_or(0);
        let values: Vec<Value> = vec![
            "wechat_cloud".into(),
            "payment".into(),
            Some(number.to_owned()).into(),
            Some(callback.transaction.to_owned()).into(),
            self.headers.clone().into(),
            callback.body.to_owned().into(),
            Some("127.0.0.1".to_owned()).into(),
            "processed".into(),
            Option::<String>::None.into(),
            Some(processing_ms).into(),
            0i32.into(),
            at.into(),
            at.into(),
            // ON CONFLICT: retry_count + 1, updated_at, outcome, error_message, processing_ms
            1i32.into(),
            at.into(),
            "processed".into(),
            Option::<String>::None.into(),
            processing_ms.into(),
        ];
        txn.execute_raw(statement(
            self.engine,
            &self.texts.upsert_notification,
            values,
        ))
        .await
        .map(|_| ())
        .map_err(|error| format!("INSERT payment_notifications: {error}"))
    }

    /// One transition (`apply_with`): the compare-and-set UPDATE, its history row and, for
    /// the paying callback, the callback's log row, in one transaction.
    async fn transition(
        &self,
        number: &str,
        before: &Columns,
        after: &Columns,
        reason: String,
        callback: Option<&Callback<'_>>,
    ) -> Result<(), String> {
        let at = now();
        let txn = self.begin().await?;
        let text = match before.recharge_status {
            None => &self.texts.update_order_null,
            Some(_) => &self.texts.update_order_eq,
        };
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
            .execute_raw(statement(self.engine, text, values))
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
            self.texts.insert_event,
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
        if let Some(callback) = callback {
            self.log_processed(&txn, number, callback).await?;
        }
        txn.commit()
            .await
            .map_err(|error| format!("COMMIT: {error}"))
    }

    /// Everything the server writes and reads for one paid and topped-up order.
    async fn one_order(&self, number: &str, index: usize) -> Result<(), String> {
        let transaction = format!("42000000{index:020}");
        let body = super::api::callback_body(number, &transaction, 625);
        let callback = Callback {
            transaction: &transaction,
            body: &body,
            received_at: now(),
            started: Instant::now(),
        };
        // handle_notification: read the order, (confirm with WeChat), mark it paid and log
        // the callback in one transaction.
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
            Some(&callback),
        )
        .await?;
        // RechargeService::dispatch_order: claim the order as just written (no read back).
        let submitting = Columns {
            recharge_status: Some("submitting"),
            recharge_at: Some(now()),
            version: paid.version + 1,
            ..paid.clone()
        };
        self.transition(
            number,
            &paid,
            &submitting,
            "claimed for submission".to_owned(),
            None,
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
            None,
        )
        .await
    }
}

/// Runs the per-order statements for every order in `numbers` at `concurrency`; each
/// latency is one whole order (all four steps).
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
        texts: Texts::new(engine),
    });
    closed_loop(numbers, concurrency, move |numbers, index| {
        let limit = Arc::clone(&limit);
        async move { limit.one_order(&numbers[index], index).await }
    })
    .await
}
