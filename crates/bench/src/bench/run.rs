//! One benchmark run on one engine: the processes, the scenarios in order, the table.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, Utc};
use futures::StreamExt;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::api::{Api, PreparedOrder, openid};
use super::counters::{Counters, MachineCpu, per_order};
use super::limit::{self, SERVER_POOL_SIZE, statement};
use super::load::{LoadResult, closed_loop, histogram, open_loop, per_second};
use super::report::{Report, ms, rate};
use crate::cluster::{ElifeBinary, ProcessUsage, ServerConfig, ServerProcess, Simulators};
use crate::database::{Engine, FreshDatabase};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Scenario {
    /// Order creation (`POST /orders`), the price list warm.
    Create,
    /// `GET /orders/my`.
    MyOrders,
    /// Payment callbacks at the maximum rate (closed loop), each order paid and topped up.
    Callback,
    /// The same statements straight to the database at the same concurrency.
    Limit,
    /// Payment callbacks at a fixed rate (open loop), half the callback peak by default.
    Paced,
    /// Time from the callback's answer to the order's top-up recorded as success.
    RechargeLatency,
    /// A backlog of paid, unclaimed orders drained by a fresh instance.
    Drain,
    /// Spawn to the first healthy `/health` answer, on a migrated database.
    Startup,
}

impl Scenario {
    pub const ALL: [Scenario; 8] = [
        Scenario::Create,
        Scenario::MyOrders,
        Scenario::Callback,
        Scenario::Limit,
        Scenario::Paced,
        Scenario::RechargeLatency,
        Scenario::Drain,
        Scenario::Startup,
    ];
}

#[derive(Debug, Clone)]
pub struct Options {
    pub database_url: String,
    pub orders: usize,
    pub concurrency: usize,
    pub scenarios: Vec<Scenario>,
    /// Open-loop rate of `paced`; default half the callback peak.
    pub rate: Option<f64>,
    pub recharge_orders: usize,
    pub recharge_rate: f64,
    pub backlog: usize,
    pub drain_timeout: Duration,
    pub starts: usize,
    /// Extra server environment (`NAME=value`), e.g. `TOPUP_CONCURRENCY=8`.
    pub server_env: Vec<(String, String)>,
}

/// Distinct users orders are spread over (rate limits are per user; `/orders/my` then
/// finds several orders per user).
const USERS: usize = 1000;

/// How long the benchmark waits for every order of a phase to be topped up.
const SETTLE_LIMIT: Duration = Duration::from_secs(180);

/// PostgreSQL backends send their statistics at most once a second when idle.
const STATS_FLUSH: Duration = Duration::from_millis(1600);

fn say(message: impl AsRef<str>) {
    eprintln!("[elife-bench] {}", message.as_ref());
}

struct Run {
    options: Options,
    engine: Engine,
    api: Api,
    server: ServerProcess,
    simulators: Simulators,
    /// Raw reads on the benchmark database (counts, timestamps, the drain's backlog).
    db: DatabaseConnection,
    /// Where the counters are read (not the benchmark database on PostgreSQL).
    counters_db: Option<DatabaseConnection>,
    database_name: String,
    database_url: String,
    report: Report,
    /// Unpaid orders created by the `create` scenario, reused by the callback scenario.
    created: Vec<(String, String)>,
    /// The callback scenario's answers per second (the peak), for `paced`.
    peak: Option<f64>,
    /// Paid and topped-up orders per second of the server, for server/limit.
    server_rate: Option<f64>,
    next_user: usize,
    /// Orders the database-limit phase set to success itself (no Unitel top-up).
    limit_success: u64,
}

pub async fn run(options: Options) -> Result<Report, String> {
    let engine = Engine::of(&options.database_url).map_err(|error| error.to_string())?;
    let binary = ElifeBinary::locate().map_err(|error| error.to_string())?;
    let logs = std::env::temp_dir().join(format!("elife-bench-{}", std::process::id()));
    std::fs::create_dir_all(&logs).map_err(|error| format!("{}: {error}", logs.display()))?;
    say(format!("logs in {}", logs.display()));
    let database = FreshDatabase::create(&options.database_url, "elife_bench")
        .await
        .map_err(|error| error.to_string())?;
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
) -> Result<Report, String> {
    // WeChat never notifies by itself here (the benchmark posts each callback), so the
    // simulator's callback target is a placeholder.
    let simulators = Simulators::start(
        binary,
        &["http://127.0.0.1:9".to_owned()],
        &logs.join("sandbox.log"),
    )
    .await
    .map_err(|error| error.to_string())?;
    let config = ServerConfig {
        database_url: database.url.clone(),
        unitel_url: simulators.unitel_url.clone(),
        wechat_pay_api: simulators.wechat_pay_api(),
        extra_env: options.server_env.clone(),
    };
    let mut server = ServerProcess::new(binary, &config, logs.join("server.log"))
        .map_err(|error| error.to_string())?;
    let first_start = server
        .start(Duration::from_secs(60))
        .await
        .map_err(|error| error.to_string())?;
    let db = limit::connect_like_server(&database.url, engine, 2).await?;
    let counters_db = match engine {
        Engine::Sqlite => None,
        Engine::MySql | Engine::Postgres => Some(
            crate::database::connect(database.maintenance_url())
                .await
                .map_err(|error| error.to_string())?,
        ),
    };
    let api = Api::new(
        server.base_url(),
        simulators.wechat_url.clone(),
        options.concurrency * 2,
    );
    let version = engine_version(&db, engine).await;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mut report = Report {
        title: format!("{} ({version})", engine.name()),
        ..Report::default()
    };
    report.context = vec![
        format!(
            "machine: {cores} cores ({}), {} — server, simulators (`elife sandbox`, own process), database and this load generator all share them",
            cpu_model(),
            memory_total()
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
        let outcome = match scenario {
            Scenario::Create => run.create().await,
            Scenario::MyOrders => run.my_orders().await,
            Scenario::Callback => run.callback().await,
            Scenario::Limit => run.limit().await,
            Scenario::Paced => run.paced().await,
            Scenario::RechargeLatency => run.recharge_latency().await,
            Scenario::Drain => run.drain().await,
            Scenario::Startup => run.startup().await,
        };
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

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

fn memory_total() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse::<u64>().ok())
        })
        .map(|kib| format!("{:.1} GiB RAM", kib as f64 / 1024.0 / 1024.0))
        .unwrap_or_default()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn self_usage() -> ProcessUsage {
    ProcessUsage::of(std::process::id()).unwrap_or_default()
}

/// `f(item)` for every item, `concurrency` at a time (preparation: not timed).
async fn for_each_concurrent<T, R, F, Fut>(
    items: Vec<T>,
    concurrency: usize,
    f: F,
) -> Result<Vec<R>, String>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = Result<R, String>>,
{
    let results: Vec<Result<R, String>> = futures::stream::iter(items.into_iter().map(f))
        .buffered(concurrency.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}

impl Run {
    fn concurrency(&self) -> usize {
        self.options.concurrency.max(1)
    }

    /// Users for `count` new orders, round-robin over [`USERS`].
    fn users(&mut self, count: usize) -> Vec<String> {
        let users = (0..count)
            .map(|i| openid((self.next_user + i) % USERS))
            .collect();
        self.next_user += count;
        users
    }

    /// Creates `count` unpaid orders (not timed): (number, openid).
    async fn new_orders(&mut self, count: usize) -> Result<Vec<(String, String)>, String> {
        let users = self.users(count);
        let api = self.api.clone();
        for_each_concurrent(users, self.concurrency(), |user| {
            let api = api.clone();
            async move {
                let number = api.create_order(&user).await?;
                Ok((number, user))
            }
        })
        .await
    }

    /// Payment created and paid in the simulator without a notification (not timed).
    async fn pay_in_simulator(
        &self,
        orders: Vec<(String, String)>,
    ) -> Result<Vec<PreparedOrder>, String> {
        let api = self.api.clone();
        for_each_concurrent(orders, self.concurrency(), |(number, user)| {
            let api = api.clone();
            async move {
                api.create_payment(&user, &number).await?;
                let (transaction, fee) = api.pay_without_callback(&number).await?;
                Ok(PreparedOrder {
                    number,
                    openid: user,
                    transaction_id: Some(transaction),
                    total_fee: fee,
                })
            }
        })
        .await
    }

    /// `count` orders ready for their callback: from `create` when there are, else new.
    async fn prepared(&mut self, count: usize) -> Result<Vec<PreparedOrder>, String> {
        let take = count.min(self.created.len());
        let mut orders: Vec<(String, String)> = self.created.drain(..take).collect();
        if orders.len() < count {
            let more = self.new_orders(count - orders.len()).await?;
            orders.extend(more);
        }
        self.pay_in_simulator(orders).await
    }

    async fn count_success(&self) -> Result<i64, String> {
        let row = self
            .db
            .query_one_raw(statement(
                self.engine,
                "SELECT COUNT(*) AS n FROM \"orders\" WHERE \"recharge_status\" = ?",
                vec!["success".into()],
            ))
            .await
            .map_err(|error| format!("counting topped-up orders: {error}"))?
            .ok_or("COUNT answered no row")?;
        row.try_get::<i64>("", "n")
            .map_err(|error| format!("reading the count: {error}"))
    }

    /// Polls until `target` orders are topped up or `limit` passes: (time since `from`
    /// when reached, the last count, polls made).
    async fn wait_for_success(
        &self,
        target: i64,
        from: Instant,
        limit: Duration,
    ) -> Result<(Option<Duration>, i64, i64), String> {
        let mut polls = 0;
        loop {
            let done = self.count_success().await?;
            polls += 1;
            if done >= target {
                return Ok((Some(from.elapsed()), done, polls));
            }
            if from.elapsed() > limit {
                return Ok((None, done, polls));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn counters(&self) -> Option<Counters> {
        let connection = self.counters_db.as_ref()?;
        Counters::read(connection, self.engine, &self.database_name).await
    }

    async fn restart(&mut self) -> Result<Duration, String> {
        self.server.terminate(Duration::from_secs(10)).await;
        self.server
            .start(Duration::from_secs(60))
            .await
            .map_err(|error| error.to_string())
    }

    fn load_rows(&mut self, what: &str, result: &LoadResult) {
        self.report.measure(
            format!("{what}: rate"),
            format!(
                "{}/s ({} ok, {} errors, {:.1} s)",
                rate(result.rate()),
                result.ok,
                result.errors,
                result.elapsed.as_secs_f64()
            ),
        );
        self.report
            .measure(format!("{what}: latency"), result.summary());
        if let Some(error) = &result.first_error {
            self.report.note(format!("{what}: first error: {error}"));
        }
    }

    async fn create(&mut self) -> Result<(), String> {
        // Warm-up, not timed: connections open, the price list fetched once.
        let warm = self.concurrency();
        let warmed = self.new_orders(warm).await?;
        self.created.extend(warmed);
        let users = self.users(self.options.orders);
        let created = Arc::new(Mutex::new(Vec::with_capacity(users.len())));
        let api = self.api.clone();
        let sink = Arc::clone(&created);
        let result = closed_loop(users, self.concurrency(), move |users, index| {
            let api = api.clone();
            let sink = Arc::clone(&sink);
            async move {
                let user = &users[index];
                let number = api.create_order(user).await?;
                if let Ok(mut sink) = sink.lock() {
                    sink.push((number, user.clone()));
                }
                Ok(())
            }
        })
        .await;
        if let Ok(mut created) = created.lock() {
            self.created.append(&mut created);
        }
        self.load_rows("order creation (`POST /orders`)", &result);
        Ok(())
    }

    async fn my_orders(&mut self) -> Result<(), String> {
        if self.created.is_empty() {
            let made = self.new_orders(USERS.min(self.options.orders)).await?;
            self.created.extend(made);
        }
        let users: Vec<String> = (0..self.options.orders)
            .map(|i| openid(i % USERS.min(self.next_user.max(1))))
            .collect();
        let api = self.api.clone();
        let result = closed_loop(users, self.concurrency(), move |users, index| {
            let api = api.clone();
            async move { api.my_orders(&users[index]).await }
        })
        .await;
        self.load_rows("`GET /orders/my` (page of 10)", &result);
        Ok(())
    }

    async fn callback(&mut self) -> Result<(), String> {
        let n = self.options.orders;
        let orders = self.prepared(n).await?;
        // A fresh process: its peak RSS and CPU are this phase's alone.
        let start = self.restart().await?;
        say(format!(
            "server restarted in {start:?}; firing {n} callbacks"
        ));
        tokio::time::sleep(STATS_FLUSH).await;
        let idle_rss = self.server.usage().map(|u| u.rss_kib).unwrap_or_default();
        let counters_before = self.counters().await;
        let before_success = self.count_success().await?;
        let server_before = self.server.usage().unwrap_or_default();
        let sim_before = self
            .simulators
            .pid()
            .and_then(ProcessUsage::of)
            .unwrap_or_default();
        let bench_before = self_usage();
        let machine_before = MachineCpu::read().unwrap_or_default();
        let started = Instant::now();
        let api = self.api.clone();
        let result = closed_loop(orders, self.concurrency(), move |orders, index| {
            let api = api.clone();
            async move { api.callback(&orders[index]).await }
        })
        .await;
        let bench_after = self_usage();
        let target = before_success + i64::try_from(n).unwrap_or(i64::MAX);
        let (all_done, done, polls) = self.wait_for_success(target, started, SETTLE_LIMIT).await?;
        let finished = started.elapsed();
        let server_after = self.server.usage().unwrap_or_default();
        let sim_after = self
            .simulators
            .pid()
            .and_then(ProcessUsage::of)
            .unwrap_or_default();
        let machine = MachineCpu::read()
            .unwrap_or_default()
            .since(&machine_before);
        tokio::time::sleep(STATS_FLUSH).await;
        let counters_after = self.counters().await;
        let topped_up = u64::try_from(done - before_success).unwrap_or(0);

        self.load_rows("callbacks, closed loop (answers)", &result);
        self.peak = Some(result.rate());
        let complete_rate = per_second(topped_up, finished);
        self.server_rate = Some(complete_rate);
        self.report.measure(
            "callbacks: orders paid and topped up",
            format!(
                "{topped_up} of {n} success; all success after {} → {}/s paid + topped up",
                match all_done {
                    Some(at) => format!("{:.2} s", at.as_secs_f64()),
                    None => format!("(not all within {} s)", SETTLE_LIMIT.as_secs()),
                },
                rate(complete_rate)
            ),
        );
        let peak_rss = mib(server_after.peak_rss_kib);
        self.report.target(
            "server peak RSS (VmHWM, callback phase)",
            format!(
                "{peak_rss:.1} MiB (idle after start {:.1} MiB)",
                mib(idle_rss)
            ),
            "< 32 MiB",
            peak_rss < 32.0,
        );
        let per = |usage: Duration| usage.as_secs_f64() * 1000.0 / topped_up.max(1) as f64;
        let server_cpu = per(server_after.cpu.saturating_sub(server_before.cpu));
        self.report.target(
            "server CPU per paid + topped-up order",
            format!("{server_cpu:.3} ms"),
            "≤ 0.5 ms",
            server_cpu <= 0.5,
        );
        let sim_cpu = per(sim_after.cpu.saturating_sub(sim_before.cpu));
        let bench_cpu = bench_after
            .cpu
            .saturating_sub(bench_before.cpu)
            .as_secs_f64()
            * 1000.0
            / result.ok.max(1) as f64;
        let machine_busy = per(machine.busy);
        self.report.measure(
            "CPU per order: simulators / load generator / whole machine",
            format!(
                "{sim_cpu:.3} ms / {bench_cpu:.3} ms per callback / {machine_busy:.3} ms (machine {:.0}% busy over the phase)",
                100.0 * machine.busy.as_secs_f64() / machine.total.as_secs_f64().max(1e-9)
            ),
        );
        self.per_order_counters(
            "callbacks",
            counters_before,
            counters_after,
            topped_up,
            polls,
        );
        Ok(())
    }

    fn per_order_counters(
        &mut self,
        what: &str,
        before: Option<Counters>,
        after: Option<Counters>,
        orders: u64,
        own_reads: i64,
    ) {
        match (before, after) {
            (Some(before), Some(after)) => {
                let figures = per_order(self.engine, &after.since(&before), orders, own_reads);
                let value = match self.engine {
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
                self.report
                    .measure(format!("{what}: per order, database counters"), value);
                self.report
                    .note(format!("{what}, database counters: {}", figures.detail));
            }
            _ => self.report.measure(
                format!("{what}: per order, database counters"),
                "not available (SQLite has no server counters)",
            ),
        }
    }

    async fn limit(&mut self) -> Result<(), String> {
        let n = self.options.orders;
        let template = self.new_orders(1).await?;
        let pool =
            limit::connect_like_server(&self.database_url, self.engine, SERVER_POOL_SIZE).await?;
        let numbers =
            limit::clone_orders(&pool, self.engine, &template[0].0, n, self.concurrency()).await?;
        tokio::time::sleep(STATS_FLUSH).await;
        let before = self.counters().await;
        let result = limit::run(pool.clone(), self.engine, numbers, self.concurrency()).await;
        tokio::time::sleep(STATS_FLUSH).await;
        let after = self.counters().await;
        let _ = pool.close().await;
        self.limit_success += result.ok;
        self.load_rows(
            "database limit (same transactions, straight from Rust)",
            &result,
        );
        self.per_order_counters("database limit", before, after, result.ok, 0);
        if let Some(server) = self.server_rate {
            let ratio = server / result.rate();
            let value = format!(
                "{:.0}% ({} / {} orders/s)",
                ratio * 100.0,
                rate(server),
                rate(result.rate())
            );
            match self.engine {
                Engine::Sqlite => self
                    .report
                    .measure("server / database limit (paid + topped up)", value),
                Engine::MySql | Engine::Postgres => self.report.target(
                    "server / database limit (paid + topped up)",
                    value,
                    "≥ 70%",
                    ratio >= 0.70,
                ),
            }
        }
        Ok(())
    }

    async fn paced(&mut self) -> Result<(), String> {
        let Some(rate_per_second) = self.options.rate.or(self.peak.map(|peak| peak / 2.0)) else {
            return Err("no rate: run `callback` first or give --rate".to_owned());
        };
        let n = self.options.orders;
        let orders = self.prepared(n).await?;
        let before_success = self.count_success().await?;
        let api = self.api.clone();
        let result = open_loop(orders, rate_per_second, 10_000, move |orders, index| {
            let api = api.clone();
            async move { api.callback(&orders[index]).await }
        })
        .await;
        let what = format!(
            "callbacks, open loop at {}/s{}",
            rate(rate_per_second),
            if self.options.rate.is_none() {
                " (half the peak)"
            } else {
                ""
            }
        );
        self.load_rows(&what, &result);
        let p99 = result.percentile_ms(99.0);
        self.report.target(
            format!("{what}: p99"),
            ms(p99),
            "< 10 ms",
            p99 < 10.0 && result.errors == 0,
        );
        let target = before_success + i64::try_from(n).unwrap_or(i64::MAX);
        self.wait_for_success(target, Instant::now(), SETTLE_LIMIT)
            .await?;
        Ok(())
    }

    async fn recharge_latency(&mut self) -> Result<(), String> {
        let n = self.options.recharge_orders;
        let orders = self.prepared(n).await?;
        let before_success = self.count_success().await?;
        let answered: Arc<Mutex<HashMap<String, DateTime<Utc>>>> =
            Arc::new(Mutex::new(HashMap::with_capacity(n)));
        let api = self.api.clone();
        let sink = Arc::clone(&answered);
        let result = open_loop(
            orders,
            self.options.recharge_rate,
            10_000,
            move |orders, index| {
                let api = api.clone();
                let sink = Arc::clone(&sink);
                async move {
                    let order = &orders[index];
                    api.callback(order).await?;
                    if let Ok(mut sink) = sink.lock() {
                        sink.insert(order.number.clone(), Utc::now());
                    }
                    Ok(())
                }
            },
        )
        .await;
        let target = before_success + i64::try_from(n).unwrap_or(i64::MAX);
        self.wait_for_success(target, Instant::now(), SETTLE_LIMIT)
            .await?;
        let rows = self
            .db
            .query_all_raw(statement(
                self.engine,
                "SELECT \"order_number\", \"recharged_at\" FROM \"orders\" WHERE \"recharge_status\" = ?",
                vec!["success".into()],
            ))
            .await
            .map_err(|error| format!("reading recharge times: {error}"))?;
        let answered = answered.lock().map(|map| map.clone()).unwrap_or_default();
        let mut latencies = histogram();
        let mut early = 0;
        for row in rows {
            let number: String = row.try_get("", "order_number").unwrap_or_default();
            let Some(answer) = answered.get(&number) else {
                continue;
            };
            let Ok(at) = row.try_get::<NaiveDateTime>("", "recharged_at") else {
                continue;
            };
            let micros = (at.and_utc() - *answer).num_microseconds().unwrap_or(0);
            if micros <= 0 {
                early += 1;
            }
            let _ = latencies.record(u64::try_from(micros.max(1)).unwrap_or(1));
        }
        let measured = LoadResult {
            latencies,
            elapsed: result.elapsed,
            ok: result.ok,
            errors: result.errors,
            first_error: result.first_error.clone(),
        };
        let p99 = measured.percentile_ms(99.0);
        self.report.target(
            format!(
                "paid → recharged ({} orders at {}/s): callback answered → `recharged_at`",
                measured.latencies.len(),
                rate(self.options.recharge_rate)
            ),
            format!(
                "p50 {} / p99 {} / max {}",
                ms(measured.percentile_ms(50.0)),
                ms(p99),
                ms(measured.max_ms())
            ),
            "p99 < 200 ms",
            p99 < 200.0 && measured.latencies.len() as usize == n,
        );
        if early > 0 {
            self.report.note(format!(
                "paid → recharged: {early} top-ups were recorded before the client had read the callback's answer (counted as 1 µs)"
            ));
        }
        if let Some(error) = result.first_error {
            self.report
                .note(format!("paid → recharged: first callback error: {error}"));
        }
        Ok(())
    }

    async fn drain(&mut self) -> Result<(), String> {
        let n = self.options.backlog;
        let orders = self.new_orders(n).await?;
        self.server.terminate(Duration::from_secs(10)).await;
        // Paid two minutes ago, top-up never claimed: what a crash between the callback's
        // answer and the dispatch leaves behind (the recharge job's `PaidUnclaimed` queue).
        let paid_at = (Utc::now() - chrono::Duration::minutes(2)).naive_utc();
        let db = self.db.clone();
        let engine = self.engine;
        for_each_concurrent(
            orders.into_iter().enumerate().collect(),
            8,
            |(index, (number, _))| {
                let db = db.clone();
                async move {
                    db.execute_raw(statement(
                        engine,
                        "UPDATE \"orders\" SET \"payment_status\" = ?, \"recharge_status\" = ?, \"transaction_id\" = ?, \"paid_at\" = ?, \"updated_at\" = ?, \"version\" = \"version\" + 1 WHERE \"order_number\" = ?",
                        vec![
                            "paid".into(),
                            "pending".into(),
                            format!("42000001{index:020}").into(),
                            paid_at.into(),
                            paid_at.into(),
                            number.into(),
                        ],
                    ))
                    .await
                    .map(|_| ())
                    .map_err(|error| format!("making the backlog: {error}"))
                }
            },
        )
        .await?;
        let before_success = self.count_success().await?;
        let started = Instant::now();
        self.server
            .start(Duration::from_secs(60))
            .await
            .map_err(|error| error.to_string())?;
        let target = before_success + i64::try_from(n).unwrap_or(i64::MAX);
        let (all_done, done, _) = self
            .wait_for_success(target, started, self.options.drain_timeout)
            .await?;
        let drained = done - before_success;
        let elapsed = all_done.unwrap_or_else(|| started.elapsed());
        let value = format!(
            "{drained} of {n} topped up in {:.1} s{} ({}/s)",
            elapsed.as_secs_f64(),
            if all_done.is_none() {
                " (gave up waiting)"
            } else {
                ""
            },
            rate(per_second(u64::try_from(drained).unwrap_or(0), elapsed))
        );
        self.report.target(
            format!("backlog of {n} paid, unclaimed orders drained by a fresh instance"),
            value,
            "all in < 60 s",
            all_done.is_some_and(|at| at < Duration::from_secs(60)),
        );
        if all_done.is_none() {
            // Leave no half-drained backlog behind for the scenarios after this one.
            self.report.note(format!(
                "drain: {} orders were still pending when the benchmark stopped waiting",
                i64::try_from(n).unwrap_or(i64::MAX) - drained
            ));
        }
        Ok(())
    }

    async fn startup(&mut self) -> Result<(), String> {
        let mut times = Vec::new();
        for _ in 0..self.options.starts.max(1) {
            times.push(self.restart().await?);
        }
        times.sort();
        let median = times[times.len() / 2];
        let value = format!(
            "median {} of {} starts (min {}, max {}; polled every 5 ms)",
            ms(median.as_secs_f64() * 1000.0),
            times.len(),
            ms(times[0].as_secs_f64() * 1000.0),
            ms(times[times.len() - 1].as_secs_f64() * 1000.0)
        );
        self.report.target(
            "start-up: spawn → first healthy `/health` (migrated database)",
            value,
            "< 200 ms",
            median < Duration::from_millis(200),
        );
        Ok(())
    }

    /// Every success in the database was topped up exactly once by the Unitel simulator.
    async fn audit(&mut self) {
        let Ok(success) = self.count_success().await else {
            return;
        };
        let ledger = self
            .api
            .client
            .get(format!("{}/__sandbox/ledger", self.simulators.unitel_url))
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
