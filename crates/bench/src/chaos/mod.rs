//! `elife-chaos`: N `elife` processes on one database behind a proxy that can cut it, the
//! simulators in their own process, thousands of orders paid with duplicated, delayed and
//! late notifications, Unitel answering 10% of money calls with faults; instances killed,
//! the database cut, a burst of payments; then an audit of every order against the
//! simulators' ledgers.

pub mod audit;
pub mod proxy;
pub mod report;
pub mod workload;

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::cluster::{ElifeBinary, ServerConfig, ServerProcess, Simulators, wait_until_ok};
use crate::database::{Engine, FreshDatabase, connect, redact};

use audit::{AuditInput, Drain, Ledgers};
use proxy::TcpProxy;
use workload::{Api, Outcome, Phase, Plan};

#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "elife-chaos",
    about = "Torture test: elife instances killed, the database cut, hostile simulators; then an audit of every order",
    long_about = None
)]
pub struct Options {
    /// The database server (a fresh database is created on it and dropped at the end):
    /// `postgres://postgres@127.0.0.1:5432`, `mysql://root@127.0.0.1:3306`, or `sqlite:`
    /// (one instance, no database cut).
    #[arg(long, env = "ELIFE_CHAOS_DATABASE_URL")]
    pub database_url: String,
    /// `elife` server processes.
    #[arg(long, default_value_t = 3)]
    pub instances: usize,
    /// Orders in all (default 2000; 300 with --short).
    #[arg(long)]
    pub orders: Option<usize>,
    /// Seed of the workload and of Unitel's faults.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// A random instance is SIGKILLed this often during the main phase (and restarted).
    #[arg(long, default_value_t = 5)]
    pub kill_every_secs: u64,
    /// How long the database is cut mid-run (default 20; 6 with --short).
    #[arg(long)]
    pub db_cut_secs: Option<u64>,
    /// The drain time (last fault over → no paid order pending) above which the run fails.
    #[arg(long, default_value_t = 60)]
    pub drain_bound_secs: u64,
    /// The CI version: ~300 orders, one kill, one short database cut.
    #[arg(long)]
    pub short: bool,
    /// Markdown file whose section for this engine and mode is (re)written.
    #[arg(long, default_value = "docs/reliability.md")]
    pub report: PathBuf,
    /// Do not write the report file.
    #[arg(long)]
    pub no_report: bool,
    /// Logs of every process go here.
    #[arg(long, default_value = "target/chaos")]
    pub work_dir: PathBuf,
    /// Keep the database at the end (its URL is printed).
    #[arg(long)]
    pub keep: bool,
    /// Customers buying at once in the main phase.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Further server environment, `NAME=VALUE` (repeatable), e.g. `TOPUP_CONCURRENCY=8`.
    #[arg(long = "server-env", value_parser = parse_env)]
    pub server_env: Vec<(String, String)>,
}

fn parse_env(raw: &str) -> Result<(String, String), String> {
    raw.split_once('=')
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("expected NAME=VALUE, got {raw:?}"))
}

/// WeChat's compressed retry schedule: about 40 s of retries over 17 attempts, so that a
/// notification outlives a kill and a database cut, as real WeChat's (hours) does.
const CALLBACK_RETRY_DELAYS_MS: [u64; 16] = [
    200, 300, 500, 800, 1000, 1500, 2000, 3000, 3000, 3000, 3000, 3000, 4000, 4000, 4000, 4000,
];

/// Unitel's faults: 10% of money calls, from a fixed seed.
fn unitel_faults(seed: u64) -> Value {
    json!({"seed": seed, "mix": {"rate": 0.1, "faults": [
        {"kind": "slow", "hold_ms": 3000},
        {"kind": "apply_then_drop"},
        {"kind": "server_error", "status": 502, "apply": true},
        {"kind": "failed"},
        {"kind": "pending", "checks_until_success": 2}
    ]}})
}

/// What happened when, relative to the start of the workload.
#[derive(Clone)]
struct Timeline {
    start: Instant,
    events: Arc<Mutex<Vec<(Duration, String)>>>,
    last_fault_end: Arc<Mutex<Instant>>,
}

impl Timeline {
    fn new() -> Timeline {
        let start = Instant::now();
        Timeline {
            start,
            events: Arc::new(Mutex::new(Vec::new())),
            last_fault_end: Arc::new(Mutex::new(start)),
        }
    }

    fn note(&self, what: impl Into<String>) {
        let what = what.into();
        let at = self.start.elapsed();
        println!("[{:>7.1}s] {what}", at.as_secs_f64());
        lock(&self.events).push((at, what));
    }

    fn fault_ended(&self) {
        *lock(&self.last_fault_end) = Instant::now();
    }

    fn last_fault_end(&self) -> Instant {
        *lock(&self.last_fault_end)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

type Servers = Arc<Vec<tokio::sync::Mutex<ServerProcess>>>;

const START_LIMIT: Duration = Duration::from_secs(120);

async fn kill_and_restart(servers: &Servers, index: usize, timeline: &Timeline, why: &str) {
    let mut server = servers[index].lock().await;
    server.kill().await;
    timeline.note(format!("SIGKILL instance {index} ({why})"));
    match server.start(START_LIMIT).await {
        Ok(took) => timeline.note(format!(
            "instance {index} restarted, healthy after {:.1} s",
            took.as_secs_f64()
        )),
        Err(error) => timeline.note(format!("instance {index} did not come back: {error}")),
    }
    timeline.fault_ended();
}

/// The run's sizes, from the options.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub instances: usize,
    pub main: usize,
    pub burst: usize,
    pub late: usize,
    pub db_cut: Duration,
    /// Main phase pace: it should last about this long without faults.
    pub main_target: Duration,
    pub kills_in_main: bool,
}

impl Sizes {
    fn of(options: &Options, engine: Engine) -> Sizes {
        let total = options
            .orders
            .unwrap_or(if options.short { 300 } else { 2000 })
            .max(20);
        let late = (total / 100).max(3);
        let burst = total / 5;
        let db_cut =
            Duration::from_secs(
                options
                    .db_cut_secs
                    .unwrap_or(if options.short { 6 } else { 20 }),
            );
        Sizes {
            instances: if engine == Engine::Sqlite {
                1
            } else {
                options.instances.max(1)
            },
            main: total - late - burst,
            burst,
            late,
            db_cut,
            main_target: (db_cut * 3).max(Duration::from_secs(if options.short { 20 } else { 60 })),
            kills_in_main: !options.short,
        }
    }
}

/// Runs the torture test; `Ok(true)` when every check passed.
pub async fn run(options: Options) -> Result<bool, String> {
    let engine = Engine::of(&options.database_url).map_err(|error| error.to_string())?;
    let sizes = Sizes::of(&options, engine);
    std::fs::create_dir_all(&options.work_dir)
        .map_err(|error| format!("creating {}: {error}", options.work_dir.display()))?;
    let binary = ElifeBinary::locate().map_err(|error| error.to_string())?;
    let fresh = FreshDatabase::create(&options.database_url, "elife_chaos")
        .await
        .map_err(|error| error.to_string())?;
    println!(
        "elife-chaos: {} ({}), {} instance(s), {} orders ({} main, {} burst, {} late), seed {}",
        engine.name(),
        redact(&fresh.url),
        sizes.instances,
        sizes.main + sizes.burst + sizes.late,
        sizes.main,
        sizes.burst,
        sizes.late,
        options.seed
    );
    let result = run_on(&options, &binary, &fresh, sizes).await;
    if options.keep {
        println!("database kept: {}", redact(&fresh.url));
    } else {
        fresh.drop_now().await;
    }
    result
}

/// The URL the servers use: the database through the proxy; and the proxy's upstream.
fn through_proxy(url: &str, port: u16) -> Result<(String, String), String> {
    let mut parsed = url::Url::parse(url).map_err(|error| error.to_string())?;
    let host = parsed.host_str().unwrap_or("127.0.0.1").to_owned();
    let upstream_port = parsed
        .port_or_known_default()
        .unwrap_or(match parsed.scheme() {
            "postgres" | "postgresql" => 5432,
            _ => 3306,
        });
    parsed
        .set_host(Some("127.0.0.1"))
        .map_err(|error| error.to_string())?;
    parsed
        .set_port(Some(port))
        .map_err(|()| "cannot set the port".to_owned())?;
    Ok((parsed.to_string(), format!("{host}:{upstream_port}")))
}

async fn run_on(
    options: &Options,
    binary: &ElifeBinary,
    fresh: &FreshDatabase,
    sizes: Sizes,
) -> Result<bool, String> {
    let started_at = chrono::Local::now();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .pool_max_idle_per_host(64)
        .build()
        .map_err(|error| error.to_string())?;

    // The database, through the proxy that cuts it.
    let (db_proxy, server_db_url) = if fresh.engine == Engine::Sqlite {
        (None, fresh.url.clone())
    } else {
        let (_, upstream) = through_proxy(&fresh.url, 0)?;
        let proxy = TcpProxy::start(vec![upstream])
            .await
            .map_err(|error| format!("starting the database proxy: {error}"))?;
        let (url, _) = through_proxy(&fresh.url, proxy.port)?;
        (Some(proxy), url)
    };

    // The simulators in their own process; callbacks are pointed at the instances below.
    let simulators = Simulators::start(
        binary,
        &["http://127.0.0.1:9".to_owned()],
        &options.work_dir.join("sandbox.log"),
    )
    .await
    .map_err(|error| error.to_string())?;

    let mut extra_env: Vec<(String, String)> = [
        ("ORDER_EXPIRE_MINUTES", "2"),
        ("STALE_SUBMISSION_MINUTES", "1"),
        ("UNITEL_TIMEOUT", "5000"),
        ("AUTO_REFUND", "true"),
        ("LOG_LEVEL", "info"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect();
    extra_env.extend(options.server_env.iter().cloned());
    let config = ServerConfig {
        database_url: server_db_url,
        unitel_url: simulators.unitel_url.clone(),
        wechat_pay_api: simulators.wechat_pay_api(),
        extra_env: extra_env.clone(),
    };
    let mut processes = Vec::new();
    for index in 0..sizes.instances {
        processes.push(
            ServerProcess::new(
                binary,
                &config,
                options.work_dir.join(format!("elife-{index}.log")),
            )
            .map_err(|error| error.to_string())?,
        );
    }
    let urls: Vec<String> = processes.iter().map(ServerProcess::base_url).collect();
    // The first runs the migrations; the others start together after it.
    if let Some(process) = processes.first_mut() {
        process
            .start(START_LIMIT)
            .await
            .map_err(|error| error.to_string())?;
    }
    futures::future::try_join_all(
        processes
            .iter_mut()
            .skip(1)
            .map(|process| process.start(START_LIMIT)),
    )
    .await
    .map_err(|error| error.to_string())?;
    let servers: Servers = Arc::new(processes.into_iter().map(tokio::sync::Mutex::new).collect());

    let wechat_config = json!({
        "callback_base_url": urls.join(","),
        "callback_retry_delays_ms": CALLBACK_RETRY_DELAYS_MS,
    });
    post_ok(
        &http,
        &format!("{}/__sandbox/wechat/config", simulators.wechat_url),
        &wechat_config,
    )
    .await?;
    let unitel_mode = match post_ok(
        &http,
        &format!("{}/__sandbox/faults", simulators.unitel_url),
        &unitel_faults(options.seed),
    )
    .await
    {
        Ok(()) => "10% of money calls faulted (slow 3 s, apply-then-drop, 502 after applying, failed, pending-then-success), seed ".to_owned() + &options.seed.to_string(),
        Err(error) => {
            println!("warning: the Unitel simulator refused the fault mix ({error}); falling back to 10% definite failures");
            post_ok(
                &http,
                &format!("{}/__sandbox/faults", simulators.unitel_url),
                &json!({"seed": options.seed, "failure_rate": 0.1}),
            )
            .await?;
            format!("FALLBACK: fault mix unsupported by this simulator; 10% definite failures only, seed {}", options.seed)
        }
    };

    let api = Api {
        http: http.clone(),
        instances: urls.clone(),
        wechat_url: simulators.wechat_url.clone(),
        patience: Duration::from_secs(90),
    };
    let plans = workload::plans(options.seed, sizes.main, sizes.burst, sizes.late);
    let timeline = Timeline::new();
    let mut rng = StdRng::seed_from_u64(options.seed ^ 0x5eed);
    let outcomes: Arc<Mutex<Vec<Outcome>>> = Arc::new(Mutex::new(Vec::new()));
    let mut callback_routing = format!(
        "each attempt to one of the {} instances at random (simulator)",
        urls.len()
    );
    let mut balancer: Option<TcpProxy> = None;

    // Late orders: created and their payment started, then left until the server closes them.
    timeline.note(format!(
        "creating {} orders to be paid after close",
        sizes.late
    ));
    let late_plans: Vec<Plan> = plans
        .iter()
        .filter(|plan| plan.phase == Phase::Late)
        .cloned()
        .collect();
    let mut late_prepared: Vec<(Outcome, Option<String>)> = futures::stream::iter(late_plans)
        .map(|plan| {
            let api = api.clone();
            async move {
                let mut outcome = Outcome {
                    plan: plan.clone(),
                    order_number: None,
                    paid: false,
                    callbacks: 0,
                    error: None,
                    create_attempts: 0,
                    unauthorized: 0,
                };
                let number = match api.prepare(&plan, &mut outcome).await {
                    Ok(number) => Some(number),
                    Err(error) => {
                        outcome.error = Some(error);
                        None
                    }
                };
                (outcome, number)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;

    // Main phase: paced customers; kills every few seconds; the database cut a third in.
    timeline.note(format!(
        "main phase: {} orders over about {} s, {} customers at once",
        sizes.main,
        sizes.main_target.as_secs(),
        options.concurrency
    ));
    let queue: Arc<Mutex<VecDeque<Plan>>> = Arc::new(Mutex::new(
        plans
            .iter()
            .filter(|plan| plan.phase == Phase::Main)
            .cloned()
            .collect(),
    ));
    let done = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let concurrency = options.concurrency.max(1);
    let gap = sizes
        .main_target
        .mul_f64(concurrency as f64 / sizes.main.max(1) as f64);
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (queue, outcomes, done, api) =
            (queue.clone(), outcomes.clone(), done.clone(), api.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let Some(plan) = lock(&queue).pop_front() else {
                    break;
                };
                let began = Instant::now();
                let outcome = api.buy(plan).await;
                lock(&outcomes).push(outcome);
                done.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(gap.saturating_sub(began.elapsed())).await;
            }
        }));
    }
    let killer = if sizes.kills_in_main {
        let (servers, timeline, stop) = (servers.clone(), timeline.clone(), stop.clone());
        let every = Duration::from_secs(options.kill_every_secs.max(1));
        let mut kill_rng = StdRng::seed_from_u64(rng.random());
        Some(tokio::spawn(async move {
            let mut kills = 0;
            loop {
                tokio::time::sleep(every).await;
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let index = kill_rng.random_range(0..servers.len());
                kill_and_restart(&servers, index, &timeline, "main phase").await;
                kills += 1;
            }
            kills
        }))
    } else {
        None
    };
    let cutter = db_proxy.as_ref().map(|_| {
        let (done, timeline) = (done.clone(), timeline.clone());
        let third = sizes.main / 3;
        async move {
            while done.load(Ordering::SeqCst) < third {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            timeline.note(format!(
                "database cut for {} s (live connections closed, new ones refused)",
                sizes.db_cut.as_secs()
            ));
        }
    });
    // The callback-routing check and the cut run beside the workers.
    let check_routing = async {
        // A simulator without multi-URL callbacks posts to the joined list: detect it early
        // and put a balancer in front of the instances instead.
        tokio::time::sleep(Duration::from_secs(3)).await;
        Ledgers::fetch(&http, &simulators.wechat_url, &simulators.unitel_url)
            .await
            .map(|ledgers| ledgers.unsplit_callback_urls())
            .unwrap_or(false)
    };
    let cut_run = async {
        if let (Some(cutter), Some(proxy)) = (cutter, db_proxy.as_ref()) {
            cutter.await;
            proxy.cut();
            tokio::time::sleep(sizes.db_cut).await;
            proxy.restore();
            let (accepted, refused) = proxy.counts();
            timeline.note(format!(
                "database restored ({accepted} connections forwarded, {refused} refused so far)"
            ));
            timeline.fault_ended();
        }
    };
    let (unsplit, ()) = tokio::join!(check_routing, cut_run);
    if unsplit {
        let upstreams = urls
            .iter()
            .map(|url| url.trim_start_matches("http://").to_owned())
            .collect();
        let proxy = TcpProxy::start(upstreams)
            .await
            .map_err(|error| error.to_string())?;
        post_ok(
            &http,
            &format!("{}/__sandbox/wechat/config", simulators.wechat_url),
            &json!({"callback_base_url": format!("http://127.0.0.1:{}", proxy.port)}),
        )
        .await?;
        callback_routing = "FALLBACK: this simulator takes one callback URL; a TCP balancer in front of the instances picks one at random per connection".to_owned();
        timeline.note(&callback_routing);
        balancer = Some(proxy);
    }
    for worker in workers {
        let _ = worker.await;
    }
    stop.store(true, Ordering::SeqCst);
    let mut kills = match killer {
        Some(killer) => killer.await.unwrap_or(0),
        None => 0,
    };
    timeline.note(format!(
        "main phase done: {} orders",
        done.load(Ordering::SeqCst)
    ));

    // Burst: every order ready, then paid as fast as the simulator goes; an instance dies
    // halfway through.
    let burst_plans: Vec<Plan> = plans
        .iter()
        .filter(|plan| plan.phase == Phase::Burst)
        .cloned()
        .collect();
    timeline.note(format!("burst: preparing {} orders", burst_plans.len()));
    let prepared: Vec<(Outcome, Option<String>)> = futures::stream::iter(burst_plans)
        .map(|plan| {
            let api = api.clone();
            async move {
                let mut outcome = Outcome {
                    plan: plan.clone(),
                    order_number: None,
                    paid: false,
                    callbacks: 0,
                    error: None,
                    create_attempts: 0,
                    unauthorized: 0,
                };
                let number = match api.prepare(&plan, &mut outcome).await {
                    Ok(number) => Some(number),
                    Err(error) => {
                        outcome.error = Some(error);
                        None
                    }
                };
                (outcome, number)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    timeline.note("burst: paying all at once");
    let paid_count = Arc::new(AtomicUsize::new(0));
    let half = prepared.len() / 2;
    let burst_kill = {
        let (servers, timeline, paid_count) =
            (servers.clone(), timeline.clone(), paid_count.clone());
        let index = rng.random_range(0..servers.len());
        tokio::spawn(async move {
            while paid_count.load(Ordering::SeqCst) < half {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            kill_and_restart(&servers, index, &timeline, "burst").await;
        })
    };
    let burst_started = Instant::now();
    let burst_outcomes: Vec<Outcome> = futures::stream::iter(prepared)
        .map(|(mut outcome, number)| {
            let (api, paid_count) = (api.clone(), paid_count.clone());
            async move {
                if let Some(number) = number {
                    api.pay_prepared(&mut outcome, &number).await;
                }
                paid_count.fetch_add(1, Ordering::SeqCst);
                outcome
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let burst_secs = burst_started.elapsed().as_secs_f64();
    timeline.note(format!(
        "burst: {} payments in {:.2} s",
        burst_outcomes.len(),
        burst_secs
    ));
    let _ = burst_kill.await;
    kills += 1;
    lock(&outcomes).extend(burst_outcomes);
    timeline.note("last fault over; waiting for the backlog");

    // After the last fault: the drain, the late payments and the notifications' end, at once.
    let audit_db = connect(&fresh.url)
        .await
        .map_err(|error| error.to_string())?;
    let backend = fresh.engine.backend();
    let expected_paid = lock(&outcomes)
        .iter()
        .filter(|outcome| outcome.paid)
        .count();
    let bound = Duration::from_secs(options.drain_bound_secs);
    let wait_limit = (bound * 2).max(bound + Duration::from_secs(120));
    let drain_fut = measure_drain(
        &audit_db,
        backend,
        timeline.last_fault_end(),
        expected_paid,
        bound,
        wait_limit,
    );
    let late_fut = pay_late(
        &api,
        &http,
        &simulators.wechat_url,
        &audit_db,
        backend,
        &mut late_prepared,
        &timeline,
    );
    let (drain, ()) = tokio::join!(drain_fut, late_fut);
    let drain = drain?;
    timeline.note(match drain.pending_drained {
        Some(time) => format!(
            "drained: no paid order pending {:.1} s after the last fault",
            time.as_secs_f64()
        ),
        None => format!("NOT drained within {} s", drain.waited.as_secs()),
    });
    lock(&outcomes).extend(late_prepared.into_iter().map(|(outcome, _)| outcome));
    let all_outcomes = lock(&outcomes).clone();
    wait_for_notifications(&http, &simulators, &all_outcomes, &timeline).await;

    // Audit.
    let orders = audit::read_orders(&audit_db, backend)
        .await
        .map_err(|error| format!("reading orders: {error}"))?;
    let reasons = audit::unknown_reasons(&audit_db, backend)
        .await
        .map_err(|error| format!("reading order events: {error}"))?;
    let ledgers = Ledgers::fetch(&http, &simulators.wechat_url, &simulators.unitel_url).await?;
    let result = audit::audit(&AuditInput {
        outcomes: &all_outcomes,
        orders: &orders,
        unknown_reasons: &reasons,
        ledgers: &ledgers,
        drain,
    });
    let mut alive = 0;
    for url in &urls {
        if wait_until_ok(&http, &format!("{url}/health"), Duration::from_secs(2))
            .await
            .is_some()
        {
            alive += 1;
        }
    }
    let gave_up: Vec<String> = all_outcomes
        .iter()
        .filter_map(|outcome| {
            outcome.error.as_ref().map(|error| {
                format!(
                    "#{} ({}): {error}",
                    outcome.plan.index,
                    outcome.plan.phase.name()
                )
            })
        })
        .take(10)
        .collect();

    let run = report::Run {
        engine: fresh.engine,
        short: options.short,
        command: std::env::args().collect::<Vec<_>>().join(" "),
        started_at,
        sizes,
        seed: options.seed,
        kills,
        kill_every_secs: options.kill_every_secs,
        db_cut: db_proxy.as_ref().map(|_| sizes.db_cut),
        drain_bound: bound,
        unitel_mode,
        callback_routing,
        server_env: extra_env,
        burst_secs,
        instances_alive: (alive, urls.len()),
        timeline: lock(&timeline.events).clone(),
        gave_up,
        duration: timeline.start.elapsed(),
    };
    let section = report::section(&run, &result);
    println!("\n{section}");
    if !options.no_report {
        report::write(&options.report, &report::key(&run), &section)
            .map_err(|error| format!("writing {}: {error}", options.report.display()))?;
        println!("written to {}", options.report.display());
    }

    let _ = audit_db.close().await;
    for server in servers.iter() {
        server.lock().await.terminate(Duration::from_secs(10)).await;
    }
    simulators.stop().await;
    drop(balancer);
    drop(db_proxy);
    Ok(result.passed())
}

async fn post_ok(http: &reqwest::Client, url: &str, body: &Value) -> Result<(), String> {
    let response = http
        .post(url)
        .json(body)
        .send()
        .await
        .map_err(|error| format!("{url}: {error}"))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        let text = response.text().await.unwrap_or_default();
        Err(format!("{url}: HTTP {status}: {text}"))
    }
}

/// Polls the database from the end of the last fault until no paid order is pending and
/// every order paid at WeChat is paid here, then until none is submitting or confirming.
async fn measure_drain(
    db: &DatabaseConnection,
    backend: DbBackend,
    from: Instant,
    expected_paid: usize,
    bound: Duration,
    limit: Duration,
) -> Result<Drain, String> {
    let mut drain = Drain {
        pending_drained: None,
        settled: None,
        bound,
        waited: Duration::ZERO,
        pending_left: -1,
        busy_left: -1,
    };
    let paid_sql = "SELECT COUNT(*) AS paid FROM orders WHERE payment_status IN ('paid', 'refunding', 'refunded', 'refund_failed')";
    loop {
        let checked = async {
            let (pending, busy) = audit::in_flight(db, backend).await?;
            let row = db
                .query_one_raw(Statement::from_string(backend, paid_sql))
                .await?;
            let paid: i64 = match row {
                Some(row) => row.try_get("", "paid")?,
                None => 0,
            };
            Ok::<_, sea_orm::DbErr>((pending, busy, paid))
        }
        .await;
        drain.waited = from.elapsed();
        if let Ok((pending, busy, paid)) = checked {
            drain.pending_left = pending;
            drain.busy_left = busy;
            let all_recorded = usize::try_from(paid).unwrap_or(0) >= expected_paid;
            if drain.pending_drained.is_none() && pending == 0 && all_recorded {
                drain.pending_drained = Some(from.elapsed());
            }
            if drain.pending_drained.is_some() && busy == 0 {
                drain.settled = Some(from.elapsed());
                return Ok(drain);
            }
        }
        if drain.waited >= limit {
            return Ok(drain);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits for the server to close the late orders, then pays them anyway (`late: true`).
async fn pay_late(
    api: &Api,
    http: &reqwest::Client,
    wechat_url: &str,
    db: &DatabaseConnection,
    backend: DbBackend,
    late: &mut [(Outcome, Option<String>)],
    timeline: &Timeline,
) {
    // WeChat closes an order only five minutes after its creation: move its clock on.
    let _ = post_ok(
        http,
        &format!("{wechat_url}/__sandbox/wechat/clock"),
        &json!({"advance_seconds": 360}),
    )
    .await;
    let numbers: Vec<String> = late
        .iter()
        .filter_map(|(_, number)| number.clone())
        .collect();
    timeline.note(format!(
        "late: WeChat's clock moved 6 min on; waiting for the server to close {} orders",
        numbers.len()
    ));
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut statuses: HashMap<String, (String, Option<String>)> = HashMap::new();
    loop {
        if let Ok(rows) = audit::read_orders(db, backend).await {
            statuses = rows
                .into_iter()
                .filter(|row| numbers.contains(&row.number))
                .map(|row| (row.number, (row.payment_status, row.anomaly_reason)))
                .collect();
        }
        let closed = statuses
            .values()
            .filter(|(status, _)| status == "closed")
            .count();
        if closed == numbers.len() || Instant::now() >= deadline {
            timeline.note(format!(
                "late: {closed} of {} closed by the server",
                numbers.len()
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for (outcome, number) in late.iter_mut() {
        let Some(number) = number else { continue };
        let copies = 1 + u32::try_from(outcome.plan.index % 2).unwrap_or(0);
        match api
            .pay(number, json!({"late": true, "copies": copies}))
            .await
        {
            Ok(callbacks) => {
                outcome.paid = true;
                outcome.callbacks = callbacks;
            }
            Err(error) => outcome.error = Some(error),
        }
    }
    timeline.note("late: paid after close; waiting for the server to record them");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(rows) = audit::read_orders(db, backend).await {
            let recorded = rows
                .iter()
                .filter(|row| numbers.contains(&row.number))
                .filter(|row| {
                    row.anomaly_reason.as_deref() == Some("payment_after_close")
                        || audit::is_paid_status(&row.payment_status)
                })
                .count();
            if recorded == numbers.len() || Instant::now() >= deadline {
                timeline.note(format!(
                    "late: {recorded} of {} recorded (flagged or paid)",
                    numbers.len()
                ));
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Waits until WeChat has stopped notifying: every copy acknowledged or its retries spent.
async fn wait_for_notifications(
    http: &reqwest::Client,
    simulators: &Simulators,
    outcomes: &[Outcome],
    timeline: &Timeline,
) {
    let expected: usize = outcomes
        .iter()
        .filter(|outcome| outcome.paid)
        .map(|outcome| usize::try_from(outcome.callbacks).unwrap_or(0))
        .sum();
    let max_attempts = u64::try_from(CALLBACK_RETRY_DELAYS_MS.len() + 1).unwrap_or(u64::MAX);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(ledgers) =
            Ledgers::fetch(http, &simulators.wechat_url, &simulators.unitel_url).await
        {
            let deliveries = ledgers.deliveries();
            let finished = deliveries
                .values()
                .filter(|(attempts, _, acknowledged)| *acknowledged || *attempts >= max_attempts)
                .count();
            if finished >= expected || Instant::now() >= deadline {
                timeline.note(format!(
                    "notifications: {finished} of {expected} copies finished"
                ));
                return;
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
