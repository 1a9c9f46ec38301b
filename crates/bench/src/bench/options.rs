//! What `elife-bench` is asked to run.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Scenario {
    /// Order creation (`POST /orders`), the price list warm.
    Create,
    /// `GET /orders/my`.
    MyOrders,
    /// Payment callbacks at the maximum rate (closed loop), each order paid and topped up.
    Callback,
    /// The server's per-order statements (1 autocommit SELECT, then 3 transactions: 8
    /// statements) straight to the database at the same concurrency.
    Limit,
    /// Payment callbacks at a fixed rate (open loop), half the callback peak by default.
    Paced,
    /// Time from the callback's answer to the order's top-up recorded as success.
    RechargeLatency,
    /// A backlog of paid, unclaimed orders drained by a fresh instance.
    Drain,
    /// Spawn to the first healthy `/health` answer, on a migrated database.
    Startup,
}

impl Scenario {
    pub const ALL: [Scenario; 8] = [
        Scenario::Create,
        Scenario::MyOrders,
        Scenario::Callback,
        Scenario::Limit,
        Scenario::Paced,
        Scenario::RechargeLatency,
        Scenario::Drain,
        Scenario::Startup,
    ];
}

#[derive(Debug, Clone)]
pub struct Options {
    pub database_url: String,
    pub orders: usize,
    pub concurrency: usize,
    pub scenarios: Vec<Scenario>,
    /// Open-loop rate of `paced`; default half the callback peak.
    pub rate: Option<f64>,
    pub recharge_orders: usize,
    pub recharge_rate: f64,
    pub backlog: usize,
    pub drain_timeout: Duration,
    pub starts: usize,
    /// Extra server environment (`NAME=value`), e.g. `TOPUP_CONCURRENCY=8`.
    pub server_env: Vec<(String, String)>,
}
