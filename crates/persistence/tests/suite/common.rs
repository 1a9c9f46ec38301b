//! A fresh, migrated database per test.

use std::time::Duration;

use elife_persistence::{DatabaseConnection, DbBackend, PoolSettings, backend_of, connect};
use rand::Rng;
use sea_orm::{ConnectionTrait, Statement};

pub const URL_VARIABLE: &str = "ELIFE_TEST_DATABASE_URL";

/// The personal-data keys the migrations use here (the environment's, else the development
/// keys), so that repositories open what the migrations sealed.
pub fn keyring() -> elife_persistence::Keyring {
    elife_persistence::Keyring::from_lookup(|name| std::env::var(name).ok(), false)
        .expect("personal data keys of the environment")
}

pub struct TestDb {
    pub db: DatabaseConnection,
    server: Option<ServerDatabase>,
    _dir: Option<tempfile::TempDir>,
}

/// A database created on a MySQL/PostgreSQL server for one test.
struct ServerDatabase {
    admin_url: String,
    name: String,
    backend: DbBackend,
}

pub fn settings() -> PoolSettings {
    PoolSettings {
        max_connections: 8,
        min_connections: 1,
        max_retries: 0,
        retry_delay: Duration::from_millis(100),
        ..PoolSettings::default()
    }
}

impl TestDb {
    /// A fresh database with every migration applied.
    pub async fn new() -> TestDb {
        let test = TestDb::empty().await;
        elife_persistence::migrate_up(&test.db)
            .await
            .expect("migrations apply");
        test
    }

    /// A fresh database without any table.
    pub async fn empty() -> TestDb {
        match std::env::var(URL_VARIABLE) {
            Ok(url) if !url.trim().is_empty() && !url.starts_with("sqlite") => {
                TestDb::on_server(url.trim()).await
            }
            Ok(url) if url.starts_with("sqlite") && url.contains("memory") => {
                let db = connect(&url, &settings()).await.expect("connect");
                TestDb {
                    db,
                    server: None,
                    _dir: None,
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("elife.db").display()
                );
                let db = connect(&url, &settings()).await.expect("connect to sqlite");
                TestDb {
                    db,
                    server: None,
                    _dir: Some(dir),
                }
            }
        }
    }

    async fn on_server(url: &str) -> TestDb {
        let backend = backend_of(url).expect("ELIFE_TEST_DATABASE_URL has a known scheme");
        let suffix: u64 = rand::rng().random();
        let name = format!("elife_test_{suffix:016x}");
        let mut parsed = url::Url::parse(url).expect("valid database URL");
        let mut admin = parsed.clone();
        admin.set_path(match backend {
            DbBackend::Postgres => "/postgres",
            _ => "",
        });
        parsed.set_path(&format!("/{name}"));
        let admin_url = admin.to_string();
        let admin_db = connect(&admin_url, &settings())
            .await
            .unwrap_or_else(|e| panic!("database server of {URL_VARIABLE} unreachable: {e}"));
        admin_db
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        admin_db.close().await.ok();
        let test_url = parsed.to_string();
        let db = connect(&test_url, &settings())
            .await
            .expect("connect to test database");
        TestDb {
            db,
            server: Some(ServerDatabase {
                admin_url,
                name,
                backend,
            }),
            _dir: None,
        }
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// One column of strings from a raw query.
    pub async fn strings(&self, sql: &str, values: Vec<sea_orm::Value>) -> Vec<String> {
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(self.backend(), sql, values))
            .await
            .expect("catalog query");
        rows.iter()
            .map(|row| row.try_get_by_index::<String>(0).expect("string column"))
            .collect()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(server) = self.server.take() else {
            return;
        };
        // Drop runs outside async: use a private runtime on a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let admin = connect(&server.admin_url, &settings()).await?;
                let sql = match server.backend {
                    // Our pool may still hold connections to it.
                    DbBackend::Postgres => {
                        format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", server.name)
                    }
                    _ => format!("DROP DATABASE IF EXISTS {}", server.name),
                };
                if server.backend == DbBackend::MySql {
                    // A failed test may leave a transaction open: fail the drop in seconds
                    // rather than wait a year for its locks.
                    admin
                        .execute_unprepared("SET SESSION lock_wait_timeout = 10")
                        .await
                        .ok();
                }
                admin.execute_unprepared(&sql).await.map_err(|e| {
                    elife_persistence::ConnectError::Unreachable {
                        attempts: 1,
                        source: e,
                    }
                })?;
                admin.close().await.ok();
                Ok::<(), elife_persistence::ConnectError>(())
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("could not drop test database: {error}");
        }
    }
}

/// An unpaid order number `n` of `openid`, created `minutes` after `t0`.
pub fn order_at(n: u32, openid: &str, minutes: i64) -> elife_domain::order::Order {
    let mut order = elife_domain::testing::unpaid_order();
    order.number = elife_domain::testing::order_number(n);
    order.openid = elife_domain::order::OpenId::parse(openid).expect("openid");
    order.created_at = elife_domain::testing::t0() + chrono::TimeDelta::minutes(minutes);
    order
}

/// Applies a transition that must win and returns the order after it.
pub async fn won(
    repo: &dyn elife_domain::ports::OrderRepository,
    transition: Result<elife_domain::order::Transition, elife_domain::order::OrderError>,
) -> elife_domain::order::Order {
    let transition = transition.expect("transition allowed");
    assert_eq!(
        repo.apply(&transition).await.expect("apply"),
        elife_domain::ports::CasOutcome::Won
    );
    transition.order
}
