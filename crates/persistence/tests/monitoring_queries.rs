//! The monitoring queries of `deploy/monitoring/` (shown in `docs/runbook.md`), run as an
//! operator runs them on the database of `ELIFE_TEST_DATABASE_URL` (default SQLite; MariaDB
//! and PostgreSQL as in `.ci/db-suites.sh`): orders, callbacks and pay orders are seeded in
//! known states through the real repositories, every query of this database's dialect is
//! run, and its rows are checked. A second test keeps the directory and this file in step,
//! so that no query file goes untested.

// Shared with the persistence suite; not every helper is used here.
#[allow(dead_code)]
#[path = "suite/common.rs"]
mod common;
#[path = "monitoring_queries/seed.rs"]
mod seed;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use elife_domain::order::Order;
use elife_persistence::{DbBackend, truncate_timestamp};
use rust_decimal::prelude::ToPrimitive;
use sea_orm::{ConnectionTrait, QueryResult, Statement};

use common::TestDb;

/// Every query of `deploy/monitoring/`, by name: `<name>.sql` runs on every database,
/// `<name>.<dialect>.sql` on one (dialects: [`DIALECTS`]).
const QUERIES: &[&str] = &[
    "anomalies_per_day",
    "job_leases",
    "notifications_to_retry",
    "outbox_backlog",
    "payment_anomalies",
    "pending_backlog",
    "recharge_delay",
    "recharge_success_rate",
    "topups_to_settle",
];

const DIALECTS: &[&str] = &["mysql", "postgres", "sqlite"];

fn directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/monitoring")
}

fn dialect(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::MySql => "mysql",
        DbBackend::Postgres => "postgres",
        _ => "sqlite",
    }
}

/// The file an operator runs for `name` on `dialect`: its variant, else the portable one.
fn query_file(name: &str, dialect: &str) -> PathBuf {
    let variant = directory().join(format!("{name}.{dialect}.sql"));
    if variant.exists() {
        variant
    } else {
        directory().join(format!("{name}.sql"))
    }
}

/// The statement of a file, without the `;` the command-line clients need.
fn statement(path: &Path) -> String {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} unreadable: {e}", path.display()));
    text.trim_end().trim_end_matches(';').to_owned()
}

async fn run(test: &TestDb, name: &str) -> Vec<QueryResult> {
    let path = query_file(name, dialect(test.backend()));
    let sql = statement(&path);
    test.db
        .query_all_raw(Statement::from_string(test.backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{} failed: {e}", path.display()))
}

/// A numeric column as the backend returns it (INTEGER, BIGINT, DECIMAL/NUMERIC, REAL), or
/// `None`.
fn number(row: &QueryResult, column: &str) -> Option<f64> {
    if let Ok(value) = row.try_get::<Option<f64>>("", column) {
        return value;
    }
    if let Ok(value) = row.try_get::<Option<i64>>("", column) {
        return value.map(|v| v as f64);
    }
    if let Ok(value) = row.try_get::<Option<i32>>("", column) {
        return value.map(f64::from);
    }
    if let Ok(value) = row.try_get::<Option<rust_decimal::Decimal>>("", column) {
        return value.and_then(|v| v.to_f64());
    }
    panic!("column {column} is not a number")
}

fn count(row: &QueryResult, column: &str) -> i64 {
    let value = number(row, column).unwrap_or_else(|| panic!("{column} is NULL"));
    value.round() as i64
}

fn assert_near(row: &QueryResult, column: &str, expected: f64) {
    let value = number(row, column).unwrap_or_else(|| panic!("{column} is NULL"));
    assert!(
        (value - expected).abs() < 0.006,
        "{column}: {value}, expected {expected}"
    );
}

/// A text column (a DATE reads as `YYYY-MM-DD`), or `None`.
fn text(row: &QueryResult, column: &str) -> Option<String> {
    if let Ok(value) = row.try_get::<Option<String>>("", column) {
        return value;
    }
    if let Ok(value) = row.try_get::<Option<NaiveDate>>("", column) {
        return value.map(|day| day.to_string());
    }
    panic!("column {column} is not text")
}

fn timestamp(row: &QueryResult, column: &str) -> NaiveDateTime {
    if let Ok(Some(value)) = row.try_get::<Option<NaiveDateTime>>("", column) {
        return value;
    }
    // SQLite keeps timestamps as text.
    let raw = text(row, column).unwrap_or_else(|| panic!("{column} is NULL"));
    NaiveDateTime::parse_from_str(&raw, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(&raw, "%Y-%m-%dT%H:%M:%S%.f"))
        .unwrap_or_else(|e| panic!("{column}: {raw:?} is not a timestamp: {e}"))
}

fn column(rows: &[QueryResult], name: &str) -> Vec<String> {
    rows.iter()
        .map(|row| text(row, name).unwrap_or_default())
        .collect()
}

fn stored(at: Option<DateTime<Utc>>) -> NaiveDateTime {
    truncate_timestamp(at.expect("timestamp set")).naive_utc()
}

fn percent(part: i64, whole: i64) -> f64 {
    (part as f64 * 10_000.0 / whole as f64).round() / 100.0
}

#[tokio::test]
async fn every_monitoring_query_reports_the_seeded_states() {
    let test = TestDb::new().await;
    let now = truncate_timestamp(Utc::now());
    let orders = seed::orders(&test, now).await;
    let (error_id, received_id) = seed::notifications(&test, now).await;
    let messages = seed::pay_orders(&test, now).await;
    seed::leases(&test, now).await;
    for name in QUERIES {
        let rows = run(&test, name).await;
        match *name {
            "recharge_success_rate" => success_rate(&rows),
            "anomalies_per_day" => anomalies_per_day(&rows, &orders),
            "recharge_delay" => delay(&rows),
            "pending_backlog" => backlog(&rows, &orders),
            "topups_to_settle" => to_settle(&rows),
            "notifications_to_retry" => {
                let ids: Vec<i64> = rows.iter().map(|row| count(row, "id")).collect();
                assert_eq!(ids, [error_id, received_id]);
                assert_eq!(column(&rows, "outcome"), ["error", "received"]);
                assert_eq!(
                    text(&rows[0], "error_message").as_deref(),
                    Some("storage down")
                );
            }
            "outbox_backlog" => {
                // Delivered: 101's `paid`, 104's `flagged`. Left: 102's two, 103's `closed`.
                let ids: Vec<i64> = rows.iter().map(|row| count(row, "id")).collect();
                assert_eq!(ids, [messages[1].id, messages[2].id, messages[3].id]);
                assert_eq!(column(&rows, "event"), ["paid", "flagged", "closed"]);
                assert_eq!(column(&rows, "kind"), ["points", "points", "topup"]);
                assert_eq!(count(&rows[0], "attempts"), 1);
                assert_eq!(
                    text(&rows[0], "last_error").as_deref(),
                    Some("points order M-102 not found")
                );
                assert_eq!(count(&rows[1], "attempts"), 0);
            }
            "job_leases" => {
                assert_eq!(column(&rows, "job_name"), ["alerts", "recharge"]);
                assert_eq!(column(&rows, "holder"), ["host-b-9-2", "host-a-7-1"]);
                let recharge_until = now + chrono::TimeDelta::seconds(10);
                assert_eq!(
                    timestamp(&rows[1], "expires_at"),
                    stored(Some(recharge_until))
                );
            }
            "payment_anomalies" => {
                assert_eq!(column(&rows, "merchant_order_no"), ["M-104", "M-102"]);
                assert_eq!(
                    column(&rows, "anomaly_kind"),
                    ["amount_mismatch", "duplicate_payment"]
                );
                assert_eq!(column(&rows, "status"), ["unpaid", "paid"]);
            }
            other => panic!("no check for the query {other}: add one"),
        }
    }
}

/// Paid in the last 24 hours: 1, 2, 3, 11 success; 4, 12 failed; 6, 7 pending; 5 unknown;
/// 8 submitting; 13 confirming (10 was paid two days ago, 9 never).
fn success_rate(rows: &[QueryResult]) {
    let expected = [
        ("success", 4),
        ("failed", 2),
        ("pending", 2),
        ("confirming", 1),
        ("submitting", 1),
        ("unknown", 1),
    ];
    let statuses: Vec<&str> = expected.iter().map(|(status, _)| *status).collect();
    assert_eq!(column(rows, "recharge_status"), statuses);
    for (row, (status, orders)) in rows.iter().zip(expected) {
        assert_eq!(count(row, "orders"), orders, "{status}");
        assert_near(row, "percentage", percent(orders, 11));
    }
}

/// Per China day of creation: 5 and 11 `recharge_outcome_unknown` (11 settled since, the
/// flag stays), 12 `refund_rejected`; each against every order created that day.
fn anomalies_per_day(rows: &[QueryResult], orders: &[Order]) {
    let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let day = |order: &Order| order.created_at.with_timezone(&china).date_naive();
    let mut created: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut flagged: BTreeMap<(NaiveDate, String), i64> = BTreeMap::new();
    for order in orders {
        *created.entry(day(order)).or_default() += 1;
        if let Some(anomaly) = &order.anomaly {
            *flagged
                .entry((day(order), anomaly.kind.as_str().to_owned()))
                .or_default() += 1;
        }
    }
    let mut expected: Vec<(NaiveDate, String, i64)> = flagged
        .into_iter()
        .map(|((day, reason), n)| (day, reason, n))
        .collect();
    expected.sort_by(|a, b| b.0.cmp(&a.0).then(b.2.cmp(&a.2)).then(a.1.cmp(&b.1)));
    assert_eq!(expected.iter().map(|e| e.2).sum::<i64>(), 3, "{expected:?}");
    assert_eq!(rows.len(), expected.len());
    for (row, (day, reason, n)) in rows.iter().zip(&expected) {
        assert_eq!(text(row, "china_day"), Some(day.to_string()));
        assert_eq!(
            text(row, "anomaly_reason").as_deref(),
            Some(reason.as_str())
        );
        assert_eq!(count(row, "anomalous_orders"), *n);
        assert_eq!(count(row, "orders_created"), created[day]);
        assert_near(row, "percentage", percent(*n, created[day]));
    }
}

/// 1, 2, 3: answered after 2, 4 and 30 s. 10 (two days ago) and 11 (settled by a person)
/// are left out.
fn delay(rows: &[QueryResult]) {
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(count(row, "topups"), 3);
    assert_eq!(count(row, "avg_delay_sec"), 12);
    assert_eq!(count(row, "max_delay_sec"), 30);
    assert_eq!(count(row, "min_delay_sec"), 2);
    assert_eq!(count(row, "over_60_sec"), 0);
}

/// Oldest payment first: 13 confirming (25 min), 8 submitting (15 min), 6 and 7 pending
/// (10 min and 1 min: one of them over 5 minutes).
fn backlog(rows: &[QueryResult], orders: &[Order]) {
    let paid_at = |n: usize| stored(orders[n - 1].paid_at);
    let expected = [
        ("confirming", 1, 1, paid_at(13), 25),
        ("submitting", 1, 1, paid_at(8), 15),
        ("pending", 2, 1, paid_at(6), 10),
    ];
    let statuses: Vec<&str> = expected.iter().map(|e| e.0).collect();
    assert_eq!(column(rows, "recharge_status"), statuses);
    for (row, (status, n, late, oldest, waited)) in rows.iter().zip(expected) {
        assert_eq!(count(row, "orders"), n, "{status}");
        assert_eq!(count(row, "paid_over_5_min_ago"), late, "{status}");
        assert_eq!(timestamp(row, "oldest_paid_at"), oldest, "{status}");
        // The query's clock runs on while the test does.
        let minutes = count(row, "oldest_waiting_minutes");
        assert!(
            (waited..=waited + 1).contains(&minutes),
            "{status}: {minutes}"
        );
    }
}

/// By payment: 12 (refund refused), 4 (failed, paid), 5 (unknown).
fn to_settle(rows: &[QueryResult]) {
    let number = |n: u32| elife_domain::testing::order_number(n).to_string();
    assert_eq!(
        column(rows, "order_number"),
        [number(12), number(4), number(5)]
    );
    assert_eq!(
        column(rows, "next_step"),
        ["refund again", "refund", "ask Unitel, then settle"]
    );
    assert_eq!(
        column(rows, "payment_status"),
        ["refund_failed", "paid", "paid"]
    );
    assert_eq!(
        text(&rows[2], "anomaly_details").as_deref(),
        Some("outcome unknown: HTTP 502")
    );
    // Only the masked number is in the row.
    assert_eq!(text(&rows[2], "phone_masked").as_deref(), Some("8811****"));
}

/// Words that would make a query change something (matched as whole words).
const WRITES: &[&str] = &[
    "INSERT", "UPDATE", "DELETE", "DROP", "ALTER", "CREATE", "TRUNCATE", "GRANT", "MERGE",
];

#[test]
fn every_query_file_is_run_here_and_only_reads() {
    let mut found: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
    let entries = std::fs::read_dir(directory()).expect("deploy/monitoring exists");
    for entry in entries {
        let path = entry.expect("directory entry").path();
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default();
        let Some(stem) = file.strip_suffix(".sql") else {
            panic!("{file}: only .sql files belong in deploy/monitoring");
        };
        let (name, variant) = match stem.split_once('.') {
            Some((name, dialect)) => {
                assert!(DIALECTS.contains(&dialect), "{file}: unknown dialect");
                (name, Some(dialect.to_owned()))
            }
            None => (stem, None),
        };
        assert!(QUERIES.contains(&name), "{file} is run by no test: add it");
        found.entry(name.to_owned()).or_default().push(variant);

        let sql = statement(&path);
        let code: Vec<&str> = sql
            .lines()
            .map(|line| line.split("--").next().unwrap_or_default())
            .collect();
        let code = code.join("\n").to_uppercase();
        assert!(
            code.trim_start().starts_with("SELECT"),
            "{file}: not a SELECT"
        );
        assert!(!code.contains(';'), "{file}: one statement only");
        let words: Vec<&str> = code
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .collect();
        for write in WRITES {
            assert!(!words.contains(write), "{file} contains {write}");
        }
    }
    for name in QUERIES {
        let variants = found
            .get(*name)
            .unwrap_or_else(|| panic!("{name}: no file"));
        let portable = variants.contains(&None);
        // Either one file for every database, or one per dialect: never a mix.
        if portable {
            assert_eq!(variants.len(), 1, "{name}: portable and dialect files");
        } else {
            for dialect in DIALECTS {
                assert!(
                    variants.contains(&Some((*dialect).to_owned())),
                    "{name}: no {dialect} variant"
                );
            }
        }
    }
}
