//! Scheduled jobs. Each run holds a `job_leases` lease so that parallel instances do not
//! run the same job at once; the work itself is the domain's.
//!
//! [`scheduler`] decides when a job runs and under which lease; [`sweeps`] and [`reports`]
//! translate each job to the domain's use cases.

mod mall;
mod reports;
mod scheduler;
mod sweeps;

use std::collections::HashMap;
use std::sync::Arc;

use elife_domain::accounts::sessions::SessionService;
use elife_domain::order::OrderNumber;
use elife_domain::ports::{JobLeases, StatisticsRepository};
use elife_domain::services::{AttentionService, Ports, RechargeService};
use tokio::sync::Mutex;

use crate::configuration::JobSettings;
use crate::topups::TopUps;

pub use scheduler::{next_daily_run, next_run_at, previous_china_day, previous_day};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Paid never claimed, stale claims, confirmations by seq.
    Recharge,
    /// Unpaid orders past their time, after asking WeChat.
    ExpireUnpaid,
    /// Automatic refunds (when enabled) and refund status sync.
    Refunds,
    /// Failed, unknown and anomalous orders, and paid orders or refunds stuck in flight.
    Alerts,
    /// Yesterday's figures at 02:00, and every points balance checked against its ledger.
    DailyReport,
    /// Yesterday's WeChat statement (China day) against our orders, at 10:30.
    Reconcile,
    /// Mall orders at their deadlines (unpaid: cancelled after asking WeChat; shipped:
    /// received after N days), then the trade outbox.
    MallDeadlines,
    /// The trade outbox: stock movements and refunds of late payments, after commit.
    TradeRelay,
}

impl Job {
    pub const ALL: [Job; 8] = [
        Job::Recharge,
        Job::ExpireUnpaid,
        Job::Refunds,
        Job::Alerts,
        Job::DailyReport,
        Job::Reconcile,
        Job::MallDeadlines,
        Job::TradeRelay,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::Recharge => "recharge",
            Job::ExpireUnpaid => "expire_unpaid",
            Job::Refunds => "refunds",
            Job::Alerts => "alerts",
            Job::DailyReport => "daily_report",
            Job::Reconcile => "reconcile",
            Job::MallDeadlines => "mall_deadlines",
            Job::TradeRelay => "trade_relay",
        }
    }
}

#[derive(Clone)]
pub struct Jobs {
    inner: Arc<JobsInner>,
}

struct JobsInner {
    ports: Ports,
    recharge: Arc<RechargeService>,
    top_ups: TopUps,
    /// The payments core (expiry, refunds, reconciliation, the outbox relay).
    payments: crate::payments::Payments,
    /// Orders that need a person, and the alert about them.
    attention: AttentionService,
    statistics: Arc<dyn StatisticsRepository>,
    /// Expired sessions are purged with the daily report.
    sessions: Arc<SessionService>,
    leases: Arc<dyn JobLeases>,
    holder: String,
    settings: JobSettings,
    /// The mall's orders and trade outbox, and how often their jobs run.
    mall: crate::mall::Mall,
    mall_interval: std::time::Duration,
    /// Where each sweep's next run starts; in memory, since a lease keeps a job on one
    /// instance (another instance taking over simply starts from the oldest).
    cursors: Mutex<HashMap<sweeps::Sweep, OrderNumber>>,
}

impl Jobs {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ports: Ports,
        recharge: Arc<RechargeService>,
        top_ups: TopUps,
        payments: crate::payments::Payments,
        statistics: Arc<dyn StatisticsRepository>,
        sessions: Arc<SessionService>,
        leases: Arc<dyn JobLeases>,
        holder: String,
        settings: JobSettings,
        mall: crate::mall::Mall,
        mall_interval: std::time::Duration,
    ) -> Self {
        let attention = AttentionService::new(
            ports.clone(),
            chrono::Duration::minutes(settings.stuck_alert_minutes),
        );
        Jobs {
            inner: Arc::new(JobsInner {
                ports,
                recharge,
                top_ups,
                payments,
                attention,
                statistics,
                sessions,
                leases,
                holder,
                settings,
                mall,
                mall_interval,
                cursors: Mutex::new(HashMap::new()),
            }),
        }
    }
}
