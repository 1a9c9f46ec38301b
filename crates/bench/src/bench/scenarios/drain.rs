//! A backlog of paid, unclaimed orders drained by a fresh instance.

use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::ConnectionTrait;

use crate::bench::error::{self, BenchError};
use crate::bench::load::per_second;
use crate::bench::orders::for_each_concurrent;
use crate::bench::report::rate;
use crate::bench::run::Run;
use crate::bench::sql::statement;

impl Run {
    pub(super) async fn drain(&mut self) -> Result<(), BenchError> {
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
                    .map_err(error::sql("making the backlog"))
                }
            },
        )
        .await?;
        let before_success = self.count_success().await?;
        let started = Instant::now();
        self.server.start(Duration::from_secs(60)).await?;
        let (all_done, done, _) = self
            .wait_for_success(before_success, n, started, self.options.drain_timeout)
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
}
