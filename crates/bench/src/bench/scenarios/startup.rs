//! Spawn to the first healthy `/health` answer, on a migrated database.

use std::time::Duration;

use crate::bench::error::BenchError;
use crate::bench::report::ms;
use crate::bench::run::Run;

impl Run {
    pub(super) async fn startup(&mut self) -> Result<(), BenchError> {
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
}
