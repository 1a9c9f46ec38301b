//! Payment callbacks at a fixed rate (open loop), half the callback peak by default.

use std::time::Instant;

use crate::bench::error::BenchError;
use crate::bench::load::open_loop;
use crate::bench::report::{ms, rate};
use crate::bench::run::{Run, SETTLE_LIMIT};

impl Run {
    pub(super) async fn paced(&mut self) -> Result<(), BenchError> {
        let Some(rate_per_second) = self.options.rate.or(self.peak.map(|peak| peak / 2.0)) else {
            return Err(BenchError::NoRate);
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
        self.report.load_rows(&what, &result);
        let p99 = result.percentile_ms(99.0);
        self.report.target(
            format!("{what}: p99"),
            ms(p99),
            "< 10 ms",
            p99 < 10.0 && result.errors == 0,
        );
        self.wait_for_success(before_success, n, Instant::now(), SETTLE_LIMIT)
            .await?;
        Ok(())
    }
}
