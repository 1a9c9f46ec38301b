//! The workload's phases: late orders prepared first and paid after close, the paced main
//! phase under kills and a database cut, the burst of payments.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use rand::Rng;
use rand::rngs::StdRng;
use sea_orm::{DatabaseConnection, DbBackend};
use serde_json::json;
use tokio::time::Instant;

use super::error::ChaosError;
use super::faults::{cut_database_at, spawn_kill_at, spawn_periodic_kills};
use super::ledgers::Ledgers;
use super::options::{Options, Sizes};
use super::orders::{OrderRow, is_paid_status, read_orders};
use super::proxy::TcpProxy;
use super::setup::{Rig, post_ok};
use super::timeline::{Timeline, lock};
use super::workload::{Api, Outcome, Phase, Plan};
use crate::shop;

/// Orders prepared (created, payment started) and not paid yet, with their numbers.
pub type Prepared = Vec<(Outcome, Option<String>)>;

fn plans_of(plans: &[Plan], phase: Phase) -> Vec<Plan> {
    plans
        .iter()
        .filter(|plan| plan.phase == phase)
        .cloned()
        .collect()
}

/// Late orders: created and their payment started, then left until the server closes them.
pub async fn prepare_late(api: &Api, plans: &[Plan], timeline: &Timeline) -> Prepared {
    let late = plans_of(plans, Phase::Late);
    timeline.note(format!(
        "creating {} orders to be paid after close",
        late.len()
    ));
    api.prepare_all(late, 8).await
}

/// What the main phase leaves behind.
pub struct MainPhase {
    pub outcomes: Vec<Outcome>,
    pub kills: usize,
    pub callback_routing: String,
    /// In front of the instances, when the simulator takes one callback URL only.
    pub balancer: Option<TcpProxy>,
}

/// Paced customers; kills every few seconds; the database cut a third in.
pub async fn main_phase(
    rig: &Rig,
    api: &Api,
    plans: &[Plan],
    options: &Options,
    sizes: Sizes,
    timeline: &Timeline,
    rng: &mut StdRng,
) -> Result<MainPhase, ChaosError> {
    timeline.note(format!(
        "main phase: {} orders over about {} s, {} customers at once",
        sizes.main,
        sizes.main_target.as_secs(),
        options.concurrency
    ));
    let queue: Arc<Mutex<VecDeque<Plan>>> =
        Arc::new(Mutex::new(plans_of(plans, Phase::Main).into()));
    let outcomes: Arc<Mutex<Vec<Outcome>>> = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let concurrency = options.concurrency.max(1);
    // Each customer waits so that the phase lasts about `main_target` without faults.
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
    let killer = sizes.kills_in_main.then(|| {
        let every = Duration::from_secs(options.kill_every_secs.max(1));
        spawn_periodic_kills(&rig.servers, timeline, &stop, every, rng.random())
    });
    // The callback-routing check and the cut run beside the workers.
    let check_routing = async {
        // A simulator without multi-URL callbacks posts to the joined list: detect it early
        // and put a balancer in front of the instances instead.
        tokio::time::sleep(Duration::from_secs(3)).await;
        Ledgers::fetch(&rig.http, &rig.simulators)
            .await
            .map(|ledgers| ledgers.unsplit_callback_urls())
            .unwrap_or(false)
    };
    let cut = async {
        if let Some(proxy) = rig.db_proxy.as_ref() {
            cut_database_at(proxy, &done, sizes.main / 3, sizes.db_cut, timeline).await;
        }
    };
    let (unsplit, ()) = tokio::join!(check_routing, cut);
    let mut callback_routing = format!(
        "each attempt to one of the {} instances at random (simulator)",
        rig.urls.len()
    );
    let mut balancer = None;
    if unsplit {
        balancer = Some(balance_callbacks(rig).await?);
        callback_routing = "FALLBACK: this simulator takes one callback URL; a TCP balancer in front of the instances picks one at random per connection".to_owned();
        timeline.note(&callback_routing);
    }
    for worker in workers {
        let _ = worker.await;
    }
    stop.store(true, Ordering::SeqCst);
    let kills = match killer {
        Some(killer) => killer.await.unwrap_or(0),
        None => 0,
    };
    timeline.note(format!(
        "main phase done: {} orders",
        done.load(Ordering::SeqCst)
    ));
    let outcomes = std::mem::take(&mut *lock(&outcomes));
    Ok(MainPhase {
        outcomes,
        kills,
        callback_routing,
        balancer,
    })
}

/// A TCP balancer in front of the instances, WeChat's callbacks pointed at it.
async fn balance_callbacks(rig: &Rig) -> Result<TcpProxy, ChaosError> {
    let upstreams = rig
        .urls
        .iter()
        .map(|url| url.trim_start_matches("http://").to_owned())
        .collect();
    let proxy = TcpProxy::start(upstreams)
        .await
        .map_err(ChaosError::Balancer)?;
    post_ok(
        &rig.http,
        &shop::wechat_config_url(&rig.simulators.wechat_url),
        &json!({"callback_base_url": format!("http://127.0.0.1:{}", proxy.port)}),
    )
    .await?;
    Ok(proxy)
}

/// Every burst order ready, then paid as fast as the simulator goes; an instance dies
/// halfway through. The outcomes and how long the payments took, in seconds.
pub async fn burst(
    rig: &Rig,
    api: &Api,
    plans: &[Plan],
    timeline: &Timeline,
    rng: &mut StdRng,
) -> (Vec<Outcome>, f64) {
    let burst_plans = plans_of(plans, Phase::Burst);
    timeline.note(format!("burst: preparing {} orders", burst_plans.len()));
    let prepared = api.prepare_all(burst_plans, 32).await;
    timeline.note("burst: paying all at once");
    let paid_count = Arc::new(AtomicUsize::new(0));
    let index = rng.random_range(0..rig.servers.len());
    let burst_kill = spawn_kill_at(
        &rig.servers,
        timeline,
        &paid_count,
        prepared.len() / 2,
        index,
    );
    let started = Instant::now();
    let outcomes: Vec<Outcome> = futures::stream::iter(prepared)
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
    let secs = started.elapsed().as_secs_f64();
    timeline.note(format!(
        "burst: {} payments in {:.2} s",
        outcomes.len(),
        secs
    ));
    let _ = burst_kill.await;
    (outcomes, secs)
}

/// Waits for the server to close the late orders, then pays them anyway (`late: true`).
pub async fn pay_late(
    api: &Api,
    rig: &Rig,
    db: &DatabaseConnection,
    backend: DbBackend,
    late: &mut Prepared,
    timeline: &Timeline,
) {
    // WeChat closes an order only five minutes after its creation: move its clock on.
    let _ = post_ok(
        &rig.http,
        &shop::wechat_clock_url(&rig.simulators.wechat_url),
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
    let closed = count_late(db, backend, &numbers, Duration::from_secs(300), |row| {
        row.payment_status == "closed"
    })
    .await;
    timeline.note(format!(
        "late: {closed} of {} closed by the server",
        numbers.len()
    ));
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
    let recorded = count_late(db, backend, &numbers, Duration::from_secs(120), |row| {
        row.anomaly_reason.as_deref() == Some("payment_after_close")
            || is_paid_status(&row.payment_status)
    })
    .await;
    timeline.note(format!(
        "late: {recorded} of {} recorded (flagged or paid)",
        numbers.len()
    ));
}

/// Polls the orders table until every one of `numbers` is `counted` or `limit` passes;
/// how many were (the last count read, when the table cannot be read).
async fn count_late(
    db: &DatabaseConnection,
    backend: DbBackend,
    numbers: &[String],
    limit: Duration,
    counted: impl Fn(&OrderRow) -> bool,
) -> usize {
    let deadline = Instant::now() + limit;
    let mut count = 0;
    loop {
        if let Ok(rows) = read_orders(db, backend).await {
            count = rows
                .iter()
                .filter(|row| numbers.contains(&row.number))
                .filter(|row| counted(row))
                .count();
        }
        if count == numbers.len() || Instant::now() >= deadline {
            return count;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
