//! Time from the callback's answer to the order's top-up recorded as success.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::bench::error::{self, BenchError};
use crate::bench::load::{LoadResult, histogram, open_loop};
use crate::bench::report::{ms, rate};
use crate::bench::run::{Run, SETTLE_LIMIT};
use crate::bench::sql::statement;

impl Run {
    pub(super) async fn recharge_latency(&mut self) -> Result<(), BenchError> {
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
        self.wait_for_success(before_success, n, Instant::now(), SETTLE_LIMIT)
            .await?;
        let rows = self
            .db
            .query_all_raw(statement(
                self.engine,
                "SELECT \"order_number\", \"recharged_at\" FROM \"orders\" WHERE \"recharge_status\" = ?",
                vec!["success".into()],
            ))
            .await
            .map_err(error::sql("reading recharge times"))?;
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
}
