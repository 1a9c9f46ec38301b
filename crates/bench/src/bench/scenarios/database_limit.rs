//! The same statements as the callback path (8 per order: 1 autocommit SELECT, then 3
//! transactions; `crate::bench::limit` lists them), straight to the database: the server's
//! rate beside the database's own limit.

use crate::bench::counters::report_per_order;
use crate::bench::error::BenchError;
use crate::bench::limit;
use crate::bench::report::rate;
use crate::bench::run::Run;
use crate::bench::sql::{self, SERVER_POOL_SIZE};
use crate::database::Engine;

impl Run {
    pub(super) async fn limit(&mut self) -> Result<(), BenchError> {
        let n = self.options.orders;
        let template = self.new_orders(1).await?;
        // Cloning on a pool of its own, closed before the first reading: on PostgreSQL its
        // backends exit and flush their statistics, which would count in the phase otherwise.
        let pool =
            sql::connect_like_server(&self.database_url, self.engine, SERVER_POOL_SIZE).await?;
        let cloned =
            limit::clone_orders(&pool, self.engine, &template[0].0, n, self.concurrency()).await;
        let _ = pool.close().await;
        let numbers = cloned?;
        let pool =
            sql::connect_like_server(&self.database_url, self.engine, SERVER_POOL_SIZE).await?;
        let before = self.settled_counters().await;
        let result = limit::run(pool.clone(), self.engine, numbers, self.concurrency()).await;
        // Closed before the reading, for the same reason.
        let _ = pool.close().await;
        let after = self.settled_counters().await;
        self.limit_success += result.ok;
        self.report.load_rows(
            "database limit (same transactions, straight from Rust)",
            &result,
        );
        report_per_order(
            &mut self.report,
            self.engine,
            "database limit",
            before,
            after,
            result.ok,
            0,
        );
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
}
