//! Opening the database: pool settings, SQLite pragmas, and start-up retries.

use std::time::Duration;

use sea_orm::sqlx::postgres::PgSslMode;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

/// How to size and open the pool (from the server's configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub min_connections: u32,
    pub connect_timeout: Duration,
    /// How long a query waits for a free connection before failing as unavailable.
    pub acquire_timeout: Duration,
    pub idle_timeout: Option<Duration>,
    /// Connection attempts after the first one fails (`DB_MAX_RETRIES`).
    pub max_retries: u32,
    /// Wait before the first retry, doubled after each failure up to
    /// [`PoolSettings::MAX_RETRY_DELAY`] (`DB_RETRY_DELAY`).
    pub retry_delay: Duration,
    /// How long a SQLite writer waits for the lock instead of failing with "database is locked".
    pub sqlite_busy_timeout: Duration,
    /// Log every statement (sqlx's statement log).
    pub log_statements: bool,
}

impl PoolSettings {
    pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(60);
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 10,
            min_connections: 1,
            connect_timeout: Duration::from_secs(10),
            acquire_timeout: Duration::from_secs(30),
            idle_timeout: Some(Duration::from_secs(600)),
            max_retries: 5,
            retry_delay: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(10),
            log_statements: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("unsupported database URL {0:?}: expected sqlite:, mysql: or postgres:")]
    UnsupportedUrl(String),
    #[error("could not connect to the database after {attempts} attempt(s): {source}")]
    Unreachable {
        attempts: u32,
        #[source]
        source: DbErr,
    },
}

/// Connects and checks the connection with a round trip.
///
/// SQLite: WAL journal, `synchronous=NORMAL`, foreign keys and a busy timeout; a file is
/// created if missing; an in-memory URL gets exactly one connection that is never closed,
/// because every pooled connection to `:memory:` would see its own empty database.
/// MySQL/PostgreSQL: connection failures are retried `max_retries` times with backoff, since
/// the server may start before its database.
/// PostgreSQL on the loopback interface without an explicit `sslmode` connects without TLS:
/// sqlx's default (`prefer`) negotiates TLS, whose handshake stalls ~90 ms per connection
/// on Nagle + delayed ACK, and start-up opens up to three connections one after another.
/// TLS protects nothing between two processes of one host; `sslmode=...` in the URL wins.
pub async fn connect(
    url: &str,
    settings: &PoolSettings,
) -> Result<DatabaseConnection, ConnectError> {
    let backend = backend_of(url).ok_or_else(|| ConnectError::UnsupportedUrl(redact(url)))?;
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(settings.max_connections.max(1))
        .min_connections(
            settings
                .min_connections
                .min(settings.max_connections.max(1)),
        )
        .connect_timeout(settings.connect_timeout)
        .acquire_timeout(settings.acquire_timeout)
        .idle_timeout(settings.idle_timeout)
        .sqlx_logging(settings.log_statements);

    match backend {
        DbBackend::Sqlite => {
            let in_memory = is_sqlite_memory(url);
            let busy_timeout = settings.sqlite_busy_timeout;
            if in_memory {
                options
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
            }
            options.map_sqlx_sqlite_opts(move |opts| {
                let opts = opts
                    .busy_timeout(busy_timeout)
                    .foreign_keys(true)
                    .create_if_missing(true);
                if in_memory {
                    opts
                } else {
                    opts.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                }
            });
            // A local file does not come and go: no retries.
            open(options, 0, settings.retry_delay).await
        }
        DbBackend::Postgres => {
            if is_loopback(url) && !has_query_param(url, "sslmode") {
                options.map_sqlx_postgres_opts(|opts| opts.ssl_mode(PgSslMode::Disable));
            }
            open(options, settings.max_retries, settings.retry_delay).await
        }
        _ => open(options, settings.max_retries, settings.retry_delay).await,
    }
}

/// The URL's host is this machine (`localhost`, `127.x.y.z` or `[::1]`).
fn is_loopback(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn has_query_param(url: &str, name: &str) -> bool {
    url.split_once('?').is_some_and(|(_, query)| {
        query.split('&').any(|pair| {
            pair.split('=')
                .next()
                .unwrap_or_default()
                .eq_ignore_ascii_case(name)
        })
    })
}

async fn open(
    options: ConnectOptions,
    max_retries: u32,
    first_delay: Duration,
) -> Result<DatabaseConnection, ConnectError> {
    let mut delay = first_delay;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = match Database::connect(options.clone()).await {
            Ok(db) => db.ping().await.map(|()| db),
            Err(error) => Err(error),
        };
        match result {
            Ok(db) => return Ok(db),
            Err(error) if attempt <= max_retries && is_retryable(&error) => {
                tracing::warn!(
                    attempt,
                    max_retries,
                    retry_in_ms = delay.as_millis() as u64,
                    error = %error,
                    "database not reachable yet, retrying"
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(PoolSettings::MAX_RETRY_DELAY);
            }
            Err(source) => {
                return Err(ConnectError::Unreachable {
                    attempts: attempt,
                    source,
                });
            }
        }
    }
}

/// Failures to reach the server (or of the first ping) are worth waiting for; others,
/// such as a malformed URL, are not.
fn is_retryable(error: &DbErr) -> bool {
    matches!(
        error,
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) | DbErr::Exec(_) | DbErr::Query(_)
    )
}

pub fn backend_of(url: &str) -> Option<DbBackend> {
    let scheme = url
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match scheme.as_str() {
        "sqlite" => Some(DbBackend::Sqlite),
        "mysql" | "mariadb" => Some(DbBackend::MySql),
        "postgres" | "postgresql" => Some(DbBackend::Postgres),
        _ => None,
    }
}

fn is_sqlite_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`, which takes the write lock
/// up front (waiting up to the busy timeout) instead of failing at the first write when
/// another writer got there first; the other backends lock rows as they update them.
pub(crate) async fn begin_write(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Ends a write transaction: commits it when `result` is `Ok`, rolls it back otherwise.
/// A transaction that is only dropped is rolled back when its connection is next used, and
/// keeps its locks until then (on MySQL a metadata lock that blocks any DDL on its tables).
pub(crate) async fn finish<T>(
    txn: sea_orm::DatabaseTransaction,
    result: Result<T, elife_domain::ports::RepositoryError>,
) -> Result<T, elife_domain::ports::RepositoryError> {
    match result {
        Ok(value) => {
            txn.commit().await.map_err(crate::error::map_db_err)?;
            Ok(value)
        }
        Err(error) => {
            if let Err(rollback) = txn.rollback().await {
                tracing::warn!(error = %rollback, "could not roll back a failed transaction");
            }
            Err(error)
        }
    }
}

/// Applies every pending migration.
pub async fn migrate_up(db: &DatabaseConnection) -> Result<(), DbErr> {
    use migration::MigratorTrait;
    migration::Migrator::up(db, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_backends() {
        assert_eq!(backend_of("sqlite::memory:"), Some(DbBackend::Sqlite));
        assert_eq!(
            backend_of("sqlite://x.db?mode=rwc"),
            Some(DbBackend::Sqlite)
        );
        assert_eq!(backend_of("mysql://root@h/db"), Some(DbBackend::MySql));
        assert_eq!(backend_of("postgres://p@h/db"), Some(DbBackend::Postgres));
        assert_eq!(backend_of("postgresql://p@h/db"), Some(DbBackend::Postgres));
        assert_eq!(backend_of("redis://h"), None);
    }

    #[test]
    fn recognises_loopback_hosts() {
        for url in [
            "postgres://postgres@127.0.0.1:5432",
            "postgres://u:p@localhost/db",
            "postgresql://[::1]:5432/db?application_name=x",
            "postgres://127.1.2.3",
        ] {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "postgres://u:p@db.example.com:5432/db",
            "postgres://u:p@10.0.0.5/db",
            "postgres:///db?host=/var/run/postgresql",
            "not a url",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
        assert!(has_query_param(
            "postgres://h/db?a=1&sslmode=require",
            "sslmode"
        ));
        assert!(has_query_param(
            "postgres://h/db?SSLMODE=require",
            "sslmode"
        ));
        assert!(!has_query_param("postgres://h/db?a=sslmode", "sslmode"));
        assert!(!has_query_param("postgres://h/sslmode", "sslmode"));
    }

    #[test]
    fn hides_passwords() {
        assert_eq!(
            redact("mysql://u:secret@h:3306/db"),
            "mysql://***@h:3306/db"
        );
        assert_eq!(redact("sqlite::memory:"), "sqlite::memory:");
    }

    #[tokio::test]
    async fn refuses_unknown_schemes_without_retrying() {
        let error = connect("redis://localhost", &PoolSettings::default())
            .await
            .err();
        assert!(matches!(error, Some(ConnectError::UnsupportedUrl(_))));
    }
}
