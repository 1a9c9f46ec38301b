//! One benchmark run on one engine: the processes, the scenarios in order, the table.

use std::path::PathBuf;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::api::Api;
use super::counters::Counters;
use super::error::BenchError;
use super::options::Options;
use super::report::{Report, ms};
use super::sql::{self, SERVER_POOL_SIZE, statement};
use crate::cluster::{ElifeBinary, ServerConfig, ServerProcess, Simulators};
use crate::database::{Engine, FreshDatabase};
use crate::machine;
use crate::shop;

/// Distinct users orders are spread over (rate limits are per user; `/orders/my` then
/// finds several orders per user).
pub(super) const USERS: usize = 1000;

/// How long the benchmark waits for every order of a phase to be topped up.
pub(super) const SETTLE_LIMIT: Duration = Duration::from_secs(180);

/// PostgreSQL backends send their statistics at most once a second when idle (10 s later
/// when the shared entry was locked), and when they exit: readings this far apart that
/// agree are taken as settled.
pub(super) const STATS_FLUSH: Duration = Duration::from_millis(1100);

/// How long [`Run::settled_counters`] waits for PostgreSQL's counters to stop moving.
const STATS_SETTLE_LIMIT: Duration = Duration::from_secs(15);

pub(super) fn say(message: impl AsRef<str>) {
    eprintln!("[elife-bench] {}", message.as_ref());
}

pub(super) struct Run {
    pub(super) options: Options,
    pub(super) engine: Engine,
    pub(super) api: Api,
    pub(super) server: ServerProcess,
    pub(super) simulators: Simulators,
    /// Raw reads on the benchmark database (counts, timestamps, the drain's backlog).
    pub(super) db: DatabaseConnection,
    /// Where the counters are read (not the benchmark database on PostgreSQL).
    pub(super) counters_db: Option<DatabaseConnection>,
    pub(super) database_name: String,
    pub(super) database_url: String,
    pub(super) report: Report,
    /// Unpaid orders created by the `create` scenario, reused by the callback scenario.
    pub(super) created: Vec<(String, String)>,
    /// The callback scenario's answers per second (the peak), for `paced`.
    pub(super) peak: Option<f64>,
    /// Paid and topped-up orders per second of the server, for server/limit.
    pub(super) server_rate: Option<f64>,
    pub(super) next_user: usize,
    /// Orders the database-limit phase set to success itself (no Unitel top-up).
    pub(super) limit_success: u64,
}

pub async fn run(options: Options) -> Result<Report, BenchError> {
    let engine = Engine::of(&options.database_url)?;
    let binary = ElifeBinary::locate()?;
    let logs = std::env::temp_dir().join(format!("elife-bench-{}", std::process::id()));
    std::fs::create_dir_all(&logs).map_err(|source| BenchError::Io {
        what: logs.display().to_string(),
        source,
    })?;
    say(format!("logs in {}", logs.display()));
    let database = FreshDatabase::create(&options.database_url, "elife_bench").await?;
    let outcome = run_on(&options, engine, &binary, &database, logs).await;
    database.drop_now().await;
    outcome
}

async fn run_on(
    options: &Options,
    engine: Engine,
    binary: &ElifeBinary,
    database: &FreshDatabase,
    logs: PathBuf,
) -> Result<Report, BenchError> {
    // WeChat never notifies by itself here (the benchmark posts each callback), so the
    // simulator's callback target is a placeholder.
    let simulators = Simulators::start(
        binary,
        &["http://127.0.0.1:9".to_owned()],
        &logs.join("sandbox.log"),
    )
    .await?;
    let config = ServerConfig {
        database_url: database.url.clone(),
        unitel_url: simulators.unitel_url.clone(),
        wechat_pay_api: simulators.wechat_pay_api(),
        extra_env: options.server_env.clone(),
    };
    let mut server = ServerProcess::new(binary, &config, logs.join("server.log"))?;
    let first_start = server.start(Duration::from_secs(60)).await?;
    let db = sql::connect_like_server(&database.url, engine, 2).await?;
    let counters_db = match engine {
        Engine::Sqlite => None,
        Engine::MySql | Engine::Postgres => {
            Some(crate::database::connect(database.maintenance_url()).await?)
        }
    };
    let api = Api::new(
        server.base_url(),
        simulators.wechat_url.clone(),
        options.concurrency * 2,
    );
    let version = engine_version(&db, engine).await;
    let cores = machine::cores();
    let mut report = Report {
        title: format!("{} ({version})", engine.name()),
        ..Report::default()
    };
    report.context = vec![
        format!(
            "machine: {cores} cores ({}), {} — server, simulators (`elife sandbox`, own process), database and this load generator all share them",
            machine::cpu_model(),
            machine::memory_total()
        ),
        format!(
            "{} orders per phase, concurrency {}, server pool {} connections, keep-alive HTTP/1.1 (reqwest), Unitel simulator instant (no faults)",
            options.orders, options.concurrency, SERVER_POOL_SIZE
        ),
        format!(
            "first start of the server (fresh database, migrations included): {}",
            ms(first_start.as_secs_f64() * 1000.0)
        ),
    ];
    let mut run = Run {
        options: options.clone(),
        engine,
        api,
        server,
        simulators,
        db,
        counters_db,
        database_name: database.database_name().to_owned(),
        database_url: database.url.clone(),
        report,
        created: Vec::new(),
        peak: None,
        server_rate: None,
        next_user: 0,
        limit_success: 0,
    };
    let mut scenarios = options.scenarios.clone();
    scenarios.sort();
    scenarios.dedup();
    let mut failure = None;
    for scenario in scenarios {
        say(format!("{scenario:?}"));
        let outcome = run.scenario(scenario).await;
        if let Err(error) = outcome {
            say(format!("{scenario:?} failed: {error}"));
            run.report.note(format!("{scenario:?} failed: {error}"));
            failure = Some(error);
        }
    }
    run.audit().await;
    run.server.terminate(Duration::from_secs(10)).await;
    run.simulators.stop().await;
    let _ = run.db.close().await;
    if let Some(connection) = run.counters_db {
        let _ = connection.close().await;
    }
    if let Some(error) = failure {
        say(format!("at least one scenario failed (last: {error})"));
    }
    Ok(run.report)
}

async fn engine_version(db: &DatabaseConnection, engine: Engine) -> String {
    let text = match engine {
        Engine::Sqlite => "SELECT sqlite_version() AS v",
        Engine::MySql | Engine::Postgres => "SELECT version() AS v",
    };
    match db.query_one_raw(statement(engine, text, Vec::new())).await {
        Ok(Some(row)) => row
            .try_get::<String>("", "v")
            .unwrap_or_default()
            .split(" on ")
            .next()
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    }
}

impl Run {
    pub(super) fn concurrency(&self) -> usize {
        self.options.concurrency.max(1)
    }

    pub(super) async fn counters(&self) -> Option<Counters> {
        let connection = self.counters_db.as_ref()?;
        Counters::read(connection, self.engine, &self.database_name).await
    }

    /// The counters once PostgreSQL's backends have flushed what they did: two readings
    /// [`STATS_FLUSH`] apart that agree (at most [`STATS_SETTLE_LIMIT`]). Only reliable
    /// once the backends that did the work have exited or stayed idle: callers close them
    /// first. MariaDB's counters are live (and a reading moves `Questions`): read once.
    pub(super) async fn settled_counters(&self) -> Option<Counters> {
        let mut last = self.counters().await?;
        if self.engine != Engine::Postgres {
            return Some(last);
        }
        let deadline = std::time::Instant::now() + STATS_SETTLE_LIMIT;
        loop {
            tokio::time::sleep(STATS_FLUSH).await;
            let next = self.counters().await?;
            if next.same_work(&last) {
                return Some(next);
            }
            if std::time::Instant::now() >= deadline {
                say("PostgreSQL counters still moving; read them anyway");
                return Some(next);
            }
            last = next;
        }
    }

    /// Closes the benchmark's own connections to the benchmark database and opens new ones,
    /// so that PostgreSQL's backends of the old ones exit and flush their statistics.
    pub(super) async fn reconnect(&mut self) -> Result<(), BenchError> {
        let fresh = sql::connect_like_server(&self.database_url, self.engine, 2).await?;
        let old = std::mem::replace(&mut self.db, fresh);
        let _ = old.close().await;
        Ok(())
    }

    pub(super) async fn restart(&mut self) -> Result<Duration, BenchError> {
        self.server.terminate(Duration::from_secs(10)).await;
        Ok(self.server.start(Duration::from_secs(60)).await?)
    }

    /// Every success in the database was topped up exactly once by the Unitel simulator.
    async fn audit(&mut self) {
        let Ok(success) = self.count_success().await else {
            return;
        };
        let ledger = self
            .api
            .client
            .get(shop::unitel_ledger_url(&self.simulators.unitel_url))
            .send()
            .await;
        let entries = match ledger {
            Ok(response) => response.json::<serde_json::Value>().await.ok(),
            Err(_) => None,
        };
        let count = entries.as_ref().and_then(|value| {
            value
                .as_array()
                .or_else(|| value["entries"].as_array())
                .or_else(|| value["top_ups"].as_array())
                .map(Vec::len)
        });
        match count {
            Some(count) => self.report.note(format!(
                "audit: {} orders topped up through the server ({success} success in the database, {} of them written by the database-limit phase itself); the Unitel simulator's ledger holds {count} top-ups",
                u64::try_from(success).unwrap_or(0).saturating_sub(self.limit_success),
                self.limit_success
            )),
            None => self.report.note(format!(
                "audit: {success} orders recorded success (Unitel ledger not read)"
            )),
        }
    }
}
