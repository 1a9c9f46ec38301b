//! Payment callbacks at the maximum rate (closed loop): the server's peak, its memory and
//! CPU, and the database work per order.

use std::time::{Duration, Instant};

use crate::bench::counters::Counters;
use crate::database::Engine;

use crate::bench::counters::report_per_order;
use crate::bench::error::BenchError;
use crate::bench::load::{closed_loop, per_second};
use crate::bench::report::rate;
use crate::bench::run::{Run, SETTLE_LIMIT, STATS_FLUSH, say};
use crate::machine::{self, MachineCpu, ProcessUsage};

impl Run {
    pub(super) async fn callback(&mut self) -> Result<(), BenchError> {
        let n = self.options.orders;
        let orders = self.prepared(n).await?;
        // A fresh process: its peak RSS and CPU are this phase's alone.
        let start = self.restart().await?;
        say(format!(
            "server restarted in {start:?}; firing {n} callbacks"
        ));
        tokio::time::sleep(STATS_FLUSH).await;
        let idle_rss = self.server.usage().map(|u| u.rss_kib).unwrap_or_default();
        let counters_before = self.settled_counters().await;
        let before_success = self.count_success().await?;
        let server_before = self.server.usage().unwrap_or_default();
        let sim_before = self.simulators.usage().unwrap_or_default();
        let bench_before = ProcessUsage::own();
        let machine_before = MachineCpu::read().unwrap_or_default();
        let started = Instant::now();
        let api = self.api.clone();
        let result = closed_loop(orders, self.concurrency(), move |orders, index| {
            let api = api.clone();
            async move { api.callback(&orders[index]).await }
        })
        .await;
        let bench_after = ProcessUsage::own();
        let (all_done, done, polls) = self
            .wait_for_success(before_success, n, started, SETTLE_LIMIT)
            .await?;
        let finished = started.elapsed();
        let server_after = self.server.usage().unwrap_or_default();
        let sim_after = self.simulators.usage().unwrap_or_default();
        let machine = MachineCpu::read()
            .unwrap_or_default()
            .since(&machine_before);
        let counters_after = self.counters_after_callbacks().await?;
        let topped_up = u64::try_from(done - before_success).unwrap_or(0);

        self.report
            .load_rows("callbacks, closed loop (answers)", &result);
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
        let peak_rss = machine::mib(server_after.peak_rss_kib);
        self.report.target(
            "server peak RSS (VmHWM, callback phase)",
            format!(
                "{peak_rss:.1} MiB (idle after start {:.1} MiB)",
                machine::mib(idle_rss)
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
        report_per_order(
            &mut self.report,
            self.engine,
            "callbacks",
            counters_before,
            counters_after,
            topped_up,
            polls,
        );
        Ok(())
    }
}

impl Run {
    /// The counters after the phase. PostgreSQL's only hold what backends flushed (when
    /// idle, or 10 s later after contention): its server and this benchmark's own
    /// connections are closed first, so that every backend of the phase exits and flushes,
    /// then the server is started again for the next phase.
    async fn counters_after_callbacks(&mut self) -> Result<Option<Counters>, BenchError> {
        if self.engine != Engine::Postgres {
            return Ok(self.counters().await);
        }
        self.server.terminate(Duration::from_secs(10)).await;
        self.reconnect().await?;
        let counters = self.settled_counters().await;
        self.server.start(Duration::from_secs(60)).await?;
        Ok(counters)
    }
}
