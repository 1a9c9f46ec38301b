//! Raw SQL for the benchmark's own reads and writes, written once for every engine, and a
//! connection pool like the server's.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, Statement, Value};

use super::error::{self, BenchError};
use crate::database::Engine;

/// The server's pool size (`PoolSettings::default().max_connections` in elife-persistence).
pub const SERVER_POOL_SIZE: u32 = 10;

/// `?` placeholders and `"` quotes written once, turned into the engine's.
pub fn sql(engine: Engine, text: &str) -> String {
    match engine {
        Engine::Sqlite => text.to_owned(),
        Engine::MySql => text.replace('"', "`"),
        Engine::Postgres => {
            let mut out = String::with_capacity(text.len() + 16);
            let mut n = 0;
            for c in text.chars() {
                if c == '?' {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                } else {
                    out.push(c);
                }
            }
            out
        }
    }
}

pub fn statement(engine: Engine, text: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(engine.backend(), sql(engine, text), values)
}

/// A pool like the server's: same size; on SQLite the same pragmas (WAL,
/// `synchronous=NORMAL`, busy timeout) and `BEGIN IMMEDIATE` transactions.
pub async fn connect_like_server(
    url: &str,
    engine: Engine,
    max_connections: u32,
) -> Result<DatabaseConnection, BenchError> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    if engine == Engine::Sqlite {
        options.map_sqlx_sqlite_opts(|opts| {
            opts.busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
        });
    }
    Database::connect(options)
        .await
        .map_err(error::sql("connecting for the database limit"))
}
