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
use tokio::time::Instant;

use super::error::ChaosError;
use super::faults::{cut_database_at, spawn_kill_at, spawn_periodic_kills};
use super::money::{MoneyRow, accounted_for, read_money};
use super::options::{Options, Sizes};
use super::plans::{Phase, Plan};
use super::proxy::TcpProxy;
use super::setup::Rig;
use super::timeline::{Timeline, lock};
use super::wechat::{Payment, WechatTruth};
use super::workload::{Api, Outcome};

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
    /// In front of the instances, when the Cloud simulator takes one callback URL only.
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
    // The callback routing (checked once payments have started) and the cut run beside the
    // workers.
    let cut = async {
        if let Some(proxy) = rig.db_proxy.as_ref() {
            cut_database_at(proxy, &done, sizes.main / 3, sizes.db_cut, timeline).await;
        }
    };
    let (routing, ()) = tokio::join!(rig.wechat().route_callbacks(&rig.http, &rig.urls), cut);
    let routing = routing?;
    if routing.balancer.is_some() {
        timeline.note(&routing.description);
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
        callback_routing: routing.description,
        balancer: routing.balancer,
    })
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
    let ready = rig.wechat().before_late_payments(&rig.http).await;
    let numbers: Vec<String> = late
        .iter()
        .filter_map(|(_, number)| number.clone())
        .collect();
    timeline.note(format!(
        "late: {ready}; waiting for the server to close {} orders",
        numbers.len()
    ));
    let closed = count_late(
        db,
        backend,
        &numbers,
        Duration::from_secs(300),
        None,
        |row, _| row.closed(),
    )
    .await;
    timeline.note(format!(
        "late: {closed} of {} closed by the server",
        numbers.len()
    ));
    for (outcome, number) in late.iter_mut() {
        let Some(number) = number else { continue };
        let payment = Payment {
            copies: 1 + u32::try_from(outcome.plan.index % 2).unwrap_or(0),
            delay_ms: 0,
            late: true,
        };
        match api.pay(number, &payment).await {
            Ok(callbacks) => {
                outcome.paid = true;
                outcome.callbacks = callbacks;
            }
            Err(error) => outcome.error = Some(error),
        }
    }
    timeline.note("late: paid after close; waiting for the server to record or refund them");
    let recorded = count_late(
        db,
        backend,
        &numbers,
        Duration::from_secs(120),
        Some(rig),
        accounted_for,
    )
    .await;
    timeline.note(format!(
        "late: {recorded} of {} recorded (paid or flagged) or refunded at WeChat",
        numbers.len()
    ));
}

/// Polls the orders' money (top-ups and points alike; and WeChat's ledger, when `wechat_of`
/// is given) until every one of `numbers` is `counted` or `limit` passes; how many were (the
/// last count read, when a table or the ledger cannot be read).
async fn count_late(
    db: &DatabaseConnection,
    backend: DbBackend,
    numbers: &[String],
    limit: Duration,
    wechat_of: Option<&Rig>,
    counted: impl Fn(&MoneyRow, &WechatTruth) -> bool,
) -> usize {
    let deadline = Instant::now() + limit;
    let mut count = 0;
    loop {
        let truth = match wechat_of {
            Some(rig) => rig.wechat().truth(&rig.http).await.ok(),
            None => Some(WechatTruth::default()),
        };
        if let (Ok(rows), Some(truth)) = (read_money(db, backend).await, truth) {
            count = rows
                .iter()
                .filter(|row| numbers.contains(&row.number))
                .filter(|row| counted(row, &truth))
                .count();
        }
        if count == numbers.len() || Instant::now() >= deadline {
            return count;
        }
        // WeChat's ledger is larger than the orders table: read it less often.
        let pause = if wechat_of.is_some() { 1000 } else { 500 };
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}
