//! `elife-chaos`: N `elife` processes on one database behind a proxy that can cut it, the
//! simulators in their own process, thousands of orders paid with duplicated, delayed and
//! late notifications, Unitel answering 10% of money calls with faults; instances killed,
//! the database cut, a burst of payments; then an audit of every order against the
//! simulators' ledgers and of the points ledger. Top-ups and points packages, the two kinds of
//! goods on the payments core, go through the same faults. The same on either WeChat Pay
//! channel (`--channel cloud|v3`).

pub mod audit;
pub mod control;
pub mod drain;
pub mod error;
pub mod faults;
pub mod ledgers;
pub mod money;
pub mod options;
pub mod orders;
pub mod phases;
pub mod plans;
pub mod points;
pub mod proxy;
pub mod report;
pub mod setup;
pub mod timeline;
pub mod wechat;
pub mod workload;

use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::cluster::{ElifeBinary, wait_until_ok};
use crate::database::{Engine, FreshDatabase, connect, redact};

use audit::AuditInput;
pub use error::ChaosError;
use ledgers::Ledgers;
pub use options::{Options, Sizes};
use setup::Rig;
use timeline::Timeline;
use workload::{Api, Outcome};

/// Runs the torture test; `Ok(true)` when every check passed.
pub async fn run(options: Options) -> Result<bool, ChaosError> {
    let engine = Engine::of(&options.database_url)?;
    let sizes = Sizes::of(&options, engine);
    std::fs::create_dir_all(&options.work_dir).map_err(error::io(format!(
        "creating {}",
        options.work_dir.display()
    )))?;
    let binary = ElifeBinary::locate()?;
    let fresh = FreshDatabase::create(&options.database_url, "elife_chaos").await?;
    println!(
        "elife-chaos: {} ({}), WeChat channel {}, {} instance(s), {} orders ({} main, {} burst, {} late; {}% points packages), seed {}",
        engine.name(),
        redact(&fresh.url),
        options.channel.name(),
        sizes.instances,
        sizes.main + sizes.burst + sizes.late,
        sizes.main,
        sizes.burst,
        sizes.late,
        options.points_percent,
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

async fn run_on(
    options: &Options,
    binary: &ElifeBinary,
    fresh: &FreshDatabase,
    sizes: Sizes,
) -> Result<bool, ChaosError> {
    let started_at = chrono::Local::now();
    let rig = Rig::start(options, binary, fresh, sizes).await?;
    let plans = plans::plans(options.seed, sizes, options.points_percent);
    let points_planned = plans.iter().filter(|plan| plan.goods.is_points()).count();
    let points_packages = if points_planned > 0 {
        points::put_on_sale(&rig.http, &rig.urls[0], &rig.admin_token).await?
    } else {
        Vec::new()
    };
    let api = Api {
        http: rig.http.clone(),
        instances: rig.urls.clone(),
        wechat: rig.wechat().clone(),
        patience: Duration::from_secs(90),
        points_packages,
    };
    let timeline = Timeline::starting_now();
    if points_planned > 0 {
        timeline.note(format!(
            "points: {} packages on sale (ids {:?}); {points_planned} of the orders buy one",
            api.points_packages.len(),
            api.points_packages
        ));
    }
    // The fault schedule's own randomness, apart from the workload's.
    let mut rng = StdRng::seed_from_u64(options.seed ^ 0x5eed);

    let mut late = phases::prepare_late(&api, &plans, &timeline).await;
    let main = phases::main_phase(&rig, &api, &plans, options, sizes, &timeline, &mut rng).await?;
    let mut outcomes = main.outcomes;
    let (burst_outcomes, burst_secs) = phases::burst(&rig, &api, &plans, &timeline, &mut rng).await;
    let kills = main.kills + 1;
    outcomes.extend(burst_outcomes);
    timeline.note("last fault over; waiting for the backlog");

    // After the last fault: the drain, the late payments and the notifications' end, at once.
    let audit_db = connect(&fresh.url).await?;
    let backend = fresh.engine.backend();
    let expected_paid = outcomes.iter().filter(|outcome| outcome.paid).count();
    let bound = Duration::from_secs(options.drain_bound_secs);
    let wait_limit = (bound * 2).max(bound + Duration::from_secs(120));
    let (drain, ()) = tokio::join!(
        drain::measure_drain(
            &audit_db,
            backend,
            timeline.last_fault_end(),
            expected_paid,
            bound,
            wait_limit,
        ),
        phases::pay_late(&api, &rig, &audit_db, backend, &mut late, &timeline)
    );
    timeline.note(match drain.pending_drained {
        Some(time) => format!(
            "drained: no paid order pending {:.1} s after the last fault",
            time.as_secs_f64()
        ),
        None => format!("NOT drained within {} s", drain.waited.as_secs()),
    });
    outcomes.extend(late.into_iter().map(|(outcome, _)| outcome));
    drain::wait_for_notifications(&rig.http, rig.wechat(), &outcomes, &timeline).await;

    // Audit.
    let orders = orders::read_orders(&audit_db, backend)
        .await
        .map_err(|source| ChaosError::Sql {
            what: "reading orders",
            source,
        })?;
    let points_tables = points::tables::read(&audit_db, backend)
        .await
        .map_err(|source| ChaosError::Sql {
            what: "reading the points tables",
            source,
        })?;
    let reasons = orders::unknown_reasons(&audit_db, backend)
        .await
        .map_err(|source| ChaosError::Sql {
            what: "reading order events",
            source,
        })?;
    let ledgers = Ledgers::fetch(&rig.http, &rig.simulators, rig.wechat()).await?;
    ledgers.save(&options.work_dir)?;
    let result = audit::audit(&AuditInput {
        outcomes: &outcomes,
        orders: &orders,
        points: &points_tables,
        unknown_reasons: &reasons,
        ledgers: &ledgers,
        drain,
    });
    let mut alive = 0;
    for url in &rig.urls {
        if wait_until_ok(&rig.http, &format!("{url}/health"), Duration::from_secs(2))
            .await
            .is_some()
        {
            alive += 1;
        }
    }

    let run = report::Run {
        engine: fresh.engine,
        channel: options.channel,
        short: options.short,
        command: std::env::args().collect::<Vec<_>>().join(" "),
        started_at,
        sizes,
        seed: options.seed,
        points_orders: points_planned,
        kills,
        kill_every_secs: options.kill_every_secs,
        db_cut: rig.db_proxy.as_ref().map(|_| sizes.db_cut),
        drain_bound: bound,
        unitel_mode: rig.unitel_mode.clone(),
        wechat_mode: rig.wechat.description.clone(),
        callback_routing: main.callback_routing,
        server_env: rig.server_env.clone(),
        burst_secs,
        instances_alive: (alive, rig.urls.len()),
        timeline: timeline.events(),
        gave_up: gave_up(&outcomes),
        duration: timeline.start.elapsed(),
    };
    let section = report::section(&run, &result);
    println!("\n{section}");
    if !options.no_report {
        report::write(&options.report, &report::key(&run), &section)
            .map_err(error::io(format!("writing {}", options.report.display())))?;
        println!("written to {}", options.report.display());
    }

    let _ = audit_db.close().await;
    rig.stop(main.balancer).await;
    Ok(result.passed())
}

/// The first orders the customer gave up on, with why.
fn gave_up(outcomes: &[Outcome]) -> Vec<String> {
    outcomes
        .iter()
        .filter_map(|outcome| {
            outcome.error.as_ref().map(|error| {
                format!(
                    "#{} ({}, {}): {error}",
                    outcome.plan.index,
                    outcome.plan.phase.name(),
                    outcome.plan.goods.name()
                )
            })
        })
        .take(10)
        .collect()
}
