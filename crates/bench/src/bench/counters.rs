//! The database's own counters (statements, transactions, fsyncs), read before and after a
//! phase.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use super::report::Report;
use crate::database::Engine;

/// Counter name → value at one moment.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    pub values: BTreeMap<String, i64>,
}

const MARIADB: &[&str] = &[
    "Com_select",
    "Com_insert",
    "Com_update",
    "Com_delete",
    "Com_begin",
    "Com_commit",
    "Com_rollback",
    "Com_stmt_execute",
    "Questions",
    "Handler_commit",
    "Innodb_data_fsyncs",
    "Innodb_os_log_fsyncs",
];

impl Counters {
    /// Reads the counters. MariaDB's are server-wide (anything else using the server
    /// counts too); PostgreSQL's `pg_stat_database` row is the benchmark database's own
    /// (`pg_stat_wal` is server-wide). SQLite has none: `None`.
    ///
    /// `connection` must not be on the benchmark database for PostgreSQL, or its own
    /// reads would count as transactions there.
    pub async fn read(
        connection: &DatabaseConnection,
        engine: Engine,
        database: &str,
    ) -> Option<Counters> {
        let backend = engine.backend();
        let mut values = BTreeMap::new();
        match engine {
            Engine::Sqlite => return None,
            Engine::MySql => {
                let rows = connection
                    .query_all_raw(Statement::from_string(backend, "SHOW GLOBAL STATUS"))
                    .await
                    .ok()?;
                for row in rows {
                    let name: String = row.try_get("", "Variable_name").ok()?;
                    if MARIADB.contains(&name.as_str()) {
                        let value: String = row.try_get("", "Value").ok()?;
                        values.insert(name, value.parse().unwrap_or_default());
                    }
                }
            }
            Engine::Postgres => {
                // Only what backends have flushed (when idle, at most once a second, 10 s
                // later after lock contention; at exit): see `Run::settled_counters`. A
                // fresh snapshot, not the one cached in this session.
                let _ = connection
                    .execute_raw(Statement::from_string(
                        backend,
                        "SELECT pg_stat_clear_snapshot()",
                    ))
                    .await;
                let row = connection
                    .query_one_raw(Statement::from_sql_and_values(
                        backend,
                        "SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, \
                         tup_fetched, tup_returned, blks_hit, blks_read \
                         FROM pg_stat_database WHERE datname = $1",
                        [database.into()],
                    ))
                    .await
                    .ok()??;
                for name in [
                    "xact_commit",
                    "xact_rollback",
                    "tup_inserted",
                    "tup_updated",
                    "tup_fetched",
                    "tup_returned",
                    "blks_hit",
                    "blks_read",
                ] {
                    values.insert(name.to_owned(), row.try_get::<i64>("", name).ok()?);
                }
                if let Ok(Some(wal)) = connection
                    .query_one_raw(Statement::from_string(
                        backend,
                        "SELECT wal_records, wal_sync, wal_write FROM pg_stat_wal",
                    ))
                    .await
                {
                    for name in ["wal_records", "wal_sync", "wal_write"] {
                        if let Ok(value) = wal.try_get::<i64>("", name) {
                            values.insert(name.to_owned(), value);
                        }
                    }
                }
            }
        }
        Some(Counters { values })
    }

    /// `self - before`, per counter both have.
    pub fn since(&self, before: &Counters) -> Counters {
        Counters {
            values: self
                .values
                .iter()
                .filter_map(|(name, after)| {
                    before
                        .values
                        .get(name)
                        .map(|before| (name.clone(), after - before))
                })
                .collect(),
        }
    }

    /// Whether the database's own work counters (not server-wide ones such as WAL, nor the
    /// reader's own statements) are the same in both readings.
    pub fn same_work(&self, other: &Counters) -> bool {
        const WORK: &[&str] = &[
            "xact_commit",
            "xact_rollback",
            "tup_inserted",
            "tup_updated",
        ];
        WORK.iter()
            .all(|name| self.values.get(*name) == other.values.get(*name))
    }

    pub fn get(&self, name: &str) -> i64 {
        self.values.get(name).copied().unwrap_or_default()
    }
}

/// Per-order figures from counter deltas, with `own_reads` SELECT statements (each its own
/// transaction) the benchmark itself sent during the phase taken out.
#[derive(Debug, Clone, Default)]
pub struct PerOrder {
    pub transactions: f64,
    pub statements: f64,
    pub selects: f64,
    pub inserts: f64,
    pub updates: f64,
    pub fsyncs: Option<f64>,
    pub detail: String,
}

pub fn per_order(engine: Engine, delta: &Counters, orders: u64, own_reads: i64) -> PerOrder {
    let n = orders.max(1) as f64;
    match engine {
        Engine::Sqlite => PerOrder::default(),
        Engine::MySql => {
            let selects = (delta.get("Com_select") - own_reads) as f64 / n;
            let inserts = delta.get("Com_insert") as f64 / n;
            let updates = delta.get("Com_update") as f64 / n;
            let deletes = delta.get("Com_delete") as f64 / n;
            // Handler_commit counts every storage-engine commit, explicit or autocommit
            // (a read-only autocommit SELECT counts too).
            let commits = (delta.get("Handler_commit") - own_reads) as f64 / n;
            let fsyncs = delta.get("Innodb_data_fsyncs") as f64 / n;
            PerOrder {
                transactions: commits,
                statements: selects + inserts + updates + deletes,
                selects,
                inserts,
                updates,
                fsyncs: Some(fsyncs),
                detail: format!(
                    "Com_begin {:.2}, Com_commit {:.2}, Handler_commit {:.2}, Innodb_os_log_fsyncs {:.2}, Questions {:.2} per order (server-wide counters)",
                    delta.get("Com_begin") as f64 / n,
                    delta.get("Com_commit") as f64 / n,
                    commits,
                    delta.get("Innodb_os_log_fsyncs") as f64 / n,
                    (delta.get("Questions") - own_reads) as f64 / n,
                ),
            }
        }
        Engine::Postgres => {
            let transactions = (delta.get("xact_commit") - own_reads) as f64 / n;
            let inserts = delta.get("tup_inserted") as f64 / n;
            let updates = delta.get("tup_updated") as f64 / n;
            PerOrder {
                transactions,
                // Row counts, not statements: each statement of ours touches one row.
                statements: f64::NAN,
                selects: f64::NAN,
                inserts,
                updates,
                fsyncs: delta.values.get("wal_sync").map(|v| *v as f64 / n),
                detail: format!(
                    "xact_commit {transactions:.2}, xact_rollback {:.2}, rows inserted {inserts:.2}, rows updated {updates:.2}, WAL records {:.2}, WAL syncs {:.2} per order (pg_stat_database of the benchmark database; pg_stat_wal server-wide)",
                    delta.get("xact_rollback") as f64 / n,
                    delta.get("wal_records") as f64 / n,
                    delta.get("wal_sync") as f64 / n,
                ),
            }
        }
    }
}

/// The per-order row of a phase from the counters before and after it (and a note with
/// the details); "not available" without counters.
pub fn report_per_order(
    report: &mut Report,
    engine: Engine,
    what: &str,
    before: Option<Counters>,
    after: Option<Counters>,
    orders: u64,
    own_reads: i64,
) {
    match (before, after) {
        (Some(before), Some(after)) => {
            let figures = per_order(engine, &after.since(&before), orders, own_reads);
            let value = match engine {
                Engine::MySql => format!(
                    "{:.2} transactions (Handler_commit), {:.2} statements ({:.2} SELECT, {:.2} INSERT, {:.2} UPDATE), {:.2} fsyncs",
                    figures.transactions,
                    figures.statements,
                    figures.selects,
                    figures.inserts,
                    figures.updates,
                    figures.fsyncs.unwrap_or(f64::NAN)
                ),
                Engine::Postgres => format!(
                    "{:.2} transactions (xact_commit), {:.2} rows inserted, {:.2} rows updated, {:.2} WAL syncs",
                    figures.transactions,
                    figures.inserts,
                    figures.updates,
                    figures.fsyncs.unwrap_or(f64::NAN)
                ),
                Engine::Sqlite => String::new(),
            };
            report.measure(format!("{what}: per order, database counters"), value);
            report.note(format!("{what}, database counters: {}", figures.detail));
        }
        _ => report.measure(
            format!("{what}: per order, database counters"),
            "not available (SQLite has no server counters)",
        ),
    }
}
