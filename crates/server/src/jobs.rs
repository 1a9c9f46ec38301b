//! Scheduled jobs. Each run holds a `job_leases` lease so that parallel instances do not
//! run the same job at once; the work itself is the domain's.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Days, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use elife_domain::order::{OrderNumber, RechargeStatus};
use elife_domain::ports::{
    Alert, AlertLevel, JobLeases, OrderFilter, PageRequest, StatisticsQuery, StatisticsRepository,
    WorkQueue,
};
use elife_domain::services::{
    DispatchOutcome, ExpiryReport, PaymentService, Ports, RechargeService, RefundService,
    ServiceError, SweepReport, UnclaimedPage,
};
use tokio::sync::{Mutex, watch};
use tokio::task::JoinSet;

use elife_domain::accounts::sessions::SessionService;

use crate::configuration::JobSettings;
use crate::metrics_names;
use crate::topups::TopUps;

/// Candidates read per query; a run reads page after page until its queue's end.
const BATCH: u64 = 200;

/// Pages one run of a sweep reads at most, so that a run ends even if the queue refills as
/// fast as it drains; the next run continues from the cursor.
const MAX_PAGES_PER_RUN: usize = 50;

/// Stuck orders counted per kind by the alerts job; beyond this the count reads "500+".
const STUCK_COUNT_CAP: u64 = 500;

/// Order numbers named per kind in an alert.
const NAMED_IN_ALERT: usize = 10;

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
    /// Yesterday's figures at 02:00.
    DailyReport,
    /// Yesterday's WeChat statement (China day) against our orders, at 10:30.
    Reconcile,
}

impl Job {
    pub const ALL: [Job; 6] = [
        Job::Recharge,
        Job::ExpireUnpaid,
        Job::Refunds,
        Job::Alerts,
        Job::DailyReport,
        Job::Reconcile,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::Recharge => "recharge",
            Job::ExpireUnpaid => "expire_unpaid",
            Job::Refunds => "refunds",
            Job::Alerts => "alerts",
            Job::DailyReport => "daily_report",
            Job::Reconcile => "reconcile",
        }
    }

    fn period(self, settings: &JobSettings) -> StdDuration {
        match self {
            Job::Recharge => settings.recharge_interval,
            Job::ExpireUnpaid | Job::Refunds => StdDuration::from_secs(60),
            Job::Alerts => StdDuration::from_secs(300),
            Job::DailyReport | Job::Reconcile => StdDuration::from_secs(24 * 3600),
        }
    }
}

/// A page a sweep read: where the next one starts, and how to add it to the run's total.
trait Page: Default {
    fn next(&self) -> &Option<OrderNumber>;
    fn absorb(&mut self, page: Self);
}

impl Page for SweepReport {
    fn next(&self) -> &Option<OrderNumber> {
        &self.next
    }

    fn absorb(&mut self, page: Self) {
        self.examined += page.examined;
        self.changed += page.changed;
        self.next = page.next;
    }
}

impl Page for ExpiryReport {
    fn next(&self) -> &Option<OrderNumber> {
        &self.next
    }

    fn absorb(&mut self, page: Self) {
        self.closed += page.closed;
        self.found_paid += page.found_paid;
        self.skipped += page.skipped;
        self.next = page.next;
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
    payments: Arc<PaymentService>,
    refunds: Arc<RefundService>,
    statistics: Arc<dyn StatisticsRepository>,
    /// Expired sessions are purged with the daily report.
    sessions: Arc<SessionService>,
    leases: Arc<dyn JobLeases>,
    holder: String,
    settings: JobSettings,
    /// The last alert summary sent, so that an unchanged backlog is not re-sent every 5 minutes.
    last_alert: Mutex<Option<(String, DateTime<Utc>)>>,
    /// Where each sweep's next run starts; in memory, since a lease keeps a job on one
    /// instance (another instance taking over simply starts from the oldest).
    cursors: Mutex<HashMap<Sweep, OrderNumber>>,
}

/// The sweeps that page through a work queue. Each keeps a keyset cursor (absent: start
/// from the oldest candidate), so that candidates that stay stuck (e.g. confirming at
/// Unitel for hours) cannot hide newer ones behind a fixed batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Sweep {
    DispatchUnclaimed,
    StaleSubmissions,
    ConfirmPending,
    ExpireUnpaid,
    RefundFailed,
    SyncRefunds,
}

impl Jobs {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ports: Ports,
        recharge: Arc<RechargeService>,
        top_ups: TopUps,
        payments: Arc<PaymentService>,
        refunds: Arc<RefundService>,
        statistics: Arc<dyn StatisticsRepository>,
        sessions: Arc<SessionService>,
        leases: Arc<dyn JobLeases>,
        holder: String,
        settings: JobSettings,
    ) -> Self {
        Jobs {
            inner: Arc::new(JobsInner {
                ports,
                recharge,
                top_ups,
                payments,
                refunds,
                statistics,
                sessions,
                leases,
                holder,
                settings,
                last_alert: Mutex::new(None),
                cursors: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Runs `job` once if this instance gets its lease; false when another instance holds it.
    pub async fn run_once(&self, job: Job) -> Result<bool, ServiceError> {
        let inner = &self.inner;
        let now = inner.ports.clock.now();
        let lease_for =
            Duration::from_std(job.period(&inner.settings)).unwrap_or(Duration::minutes(1));
        if !inner
            .leases
            .acquire(job.name(), &inner.holder, now, now + lease_for)
            .await?
        {
            return Ok(false);
        }
        let result = match job {
            Job::Recharge => self.recharge().await,
            Job::ExpireUnpaid => self.expire().await,
            Job::Refunds => self.refunds().await,
            Job::Alerts => self.alerts().await,
            Job::DailyReport => self.daily_report().await,
            Job::Reconcile => self.reconcile().await,
        };
        let outcome = if result.is_ok() { "ok" } else { "error" };
        metrics::counter!(metrics_names::JOB_RUNS, "job" => job.name(), "outcome" => outcome)
            .increment(1);
        result.map(|()| true)
    }

    /// Drains the recharge queues: every paid order never claimed is dispatched (in
    /// parallel, bounded by `TOPUP_CONCURRENCY`), every stale claim is marked unknown, and
    /// every top-up awaiting confirmation is asked about.
    async fn recharge(&self) -> Result<(), ServiceError> {
        let inner = &self.inner;
        let dispatched = self.dispatch_unclaimed().await?;
        let stale_after = Duration::minutes(inner.settings.stale_submission_minutes);
        let stale = self
            .drain(Sweep::StaleSubmissions, |after| {
                inner
                    .recharge
                    .sweep_stale_submissions(stale_after, after, BATCH)
            })
            .await?;
        let confirmed = self
            .drain(Sweep::ConfirmPending, |after| {
                inner
                    .recharge
                    .confirm_pending(Duration::seconds(30), after, BATCH)
            })
            .await?;
        if dispatched.examined + stale.examined + confirmed.examined > 0 {
            tracing::info!(?dispatched, ?stale, ?confirmed, "recharge job");
        }
        Ok(())
    }

    /// Paid orders nobody claimed: a crash between payment and dispatch, a backlog larger
    /// than the instance's permits, or a provider that was unreachable. Orders paid within
    /// the last interval are left to the dispatch their callback started.
    async fn dispatch_unclaimed(&self) -> Result<SweepReport, ServiceError> {
        let inner = &self.inner;
        let older_than =
            Duration::from_std(inner.settings.recharge_interval).unwrap_or(Duration::seconds(10));
        let mut report = SweepReport::default();
        let mut running = JoinSet::new();
        let mut after = self.cursor(Sweep::DispatchUnclaimed).await;
        for _ in 0..MAX_PAGES_PER_RUN {
            let UnclaimedPage { orders, next } = inner
                .recharge
                .unclaimed(older_than, after.clone(), BATCH)
                .await?;
            report.examined += orders.len();
            for number in orders {
                let top_ups = inner.top_ups.clone();
                running.spawn(async move { top_ups.dispatch(&number).await });
            }
            self.move_cursor(Sweep::DispatchUnclaimed, &next).await;
            after = next;
            if after.is_none() {
                break;
            }
        }
        while let Some(outcome) = running.join_next().await {
            if let Ok(Some(DispatchOutcome::Submitted(_))) = outcome {
                report.changed += 1;
            }
        }
        report.next = after;
        Ok(report)
    }

    /// Runs `sweep` page after page from its cursor until the queue's end (or the run's page
    /// bound), moving the cursor after each page so that a failed run resumes there.
    async fn drain<R, F, Fut>(&self, sweep: Sweep, mut page: F) -> Result<R, ServiceError>
    where
        R: Page,
        F: FnMut(Option<OrderNumber>) -> Fut,
        Fut: std::future::Future<Output = Result<R, ServiceError>>,
    {
        let mut total = R::default();
        let mut after = self.cursor(sweep).await;
        for _ in 0..MAX_PAGES_PER_RUN {
            let read = page(after.clone()).await?;
            after = read.next().clone();
            self.move_cursor(sweep, &after).await;
            total.absorb(read);
            if after.is_none() {
                break;
            }
        }
        Ok(total)
    }

    async fn expire(&self) -> Result<(), ServiceError> {
        let inner = &self.inner;
        let expire_after = Duration::minutes(inner.settings.order_expire_minutes);
        let report = self
            .drain(Sweep::ExpireUnpaid, |after| {
                inner.payments.expire_unpaid(expire_after, after, BATCH)
            })
            .await?;
        if report.closed + report.found_paid + report.skipped > 0 {
            tracing::info!(?report, "expiry job");
        }
        Ok(())
    }

    async fn refunds(&self) -> Result<(), ServiceError> {
        let inner = &self.inner;
        let refunded = self
            .drain(Sweep::RefundFailed, |after| {
                inner.refunds.refund_failed_top_ups(after, BATCH)
            })
            .await?;
        let synced = self
            .drain(Sweep::SyncRefunds, |after| {
                inner
                    .refunds
                    .sync_refunds(Duration::minutes(1), after, BATCH)
            })
            .await?;
        if refunded.examined + synced.examined > 0 {
            tracing::info!(?refunded, ?synced, "refund job");
        }
        Ok(())
    }

    /// Where a sweep's run starts (locked only briefly: the jobs run side by side). A run
    /// that fails keeps it, so the next run retries the same page.
    async fn cursor(&self, sweep: Sweep) -> Option<OrderNumber> {
        self.inner.cursors.lock().await.get(&sweep).cloned()
    }

    async fn move_cursor(&self, sweep: Sweep, next: &Option<OrderNumber>) {
        let mut cursors = self.inner.cursors.lock().await;
        match next {
            Some(next) => cursors.insert(sweep, next.clone()),
            None => cursors.remove(&sweep),
        };
    }

    async fn count(&self, filter: OrderFilter) -> Result<(u64, Vec<String>), ServiceError> {
        let page = self
            .inner
            .ports
            .orders
            .list_all(&filter, PageRequest { page: 1, limit: 10 })
            .await?;
        Ok((
            page.total,
            page.items
                .iter()
                .map(|order| order.number.to_string())
                .collect(),
        ))
    }

    async fn alerts(&self) -> Result<(), ServiceError> {
        let (failed, failed_ids) = self
            .count(OrderFilter {
                recharge_status: Some(RechargeStatus::Failed),
                ..OrderFilter::default()
            })
            .await?;
        let (unknown, unknown_ids) = self
            .count(OrderFilter {
                recharge_status: Some(RechargeStatus::Unknown),
                ..OrderFilter::default()
            })
            .await?;
        let (anomalous, anomalous_ids) = self
            .count(OrderFilter {
                only_anomalies: true,
                ..OrderFilter::default()
            })
            .await?;
        let stuck = self.stuck().await?;
        if failed + unknown + anomalous == 0 && stuck.is_empty() {
            return Ok(());
        }
        let mut body = format!(
            "failed top-ups: {failed} {failed_ids:?}\nunknown top-ups (never re-sent; check with Unitel): {unknown} {unknown_ids:?}\norders with anomalies: {anomalous} {anomalous_ids:?}"
        );
        for line in &stuck {
            body.push('\n');
            body.push_str(line);
        }
        let now = self.inner.ports.clock.now();
        let mut last = self.inner.last_alert.lock().await;
        let repeat = last
            .as_ref()
            .is_some_and(|(sent, at)| *sent == body && now - *at < Duration::hours(1));
        if repeat {
            return Ok(());
        }
        let alert = Alert {
            level: if unknown + anomalous > 0 {
                AlertLevel::Critical
            } else {
                AlertLevel::Warning
            },
            title: "orders need attention".to_owned(),
            body: body.clone(),
        };
        if let Err(error) = self.inner.ports.alerts.send(&alert).await {
            tracing::warn!(%error, "alert not delivered");
        }
        *last = Some((body, now));
        Ok(())
    }

    /// Paid orders whose top-up, and refunds, still in flight past `STUCK_ALERT_MINUTES`
    /// (money taken, nothing delivered nor given back): one line per kind that has any.
    async fn stuck(&self) -> Result<Vec<String>, ServiceError> {
        let minutes = self.inner.settings.stuck_alert_minutes;
        let cutoff = self.inner.ports.clock.now() - Duration::minutes(minutes);
        let kinds = [
            (WorkQueue::PaidUnclaimed, "paid, top-up pending"),
            (WorkQueue::StaleSubmissions, "top-ups submitting"),
            (WorkQueue::Confirming, "top-ups confirming at Unitel"),
            (WorkQueue::Refunding, "refunds in progress"),
        ];
        let mut lines = Vec::new();
        for (queue, what) in kinds {
            // The work queue dates each state by its own timestamp (paid, claimed, refund
            // requested), oldest first; counted up to a cap.
            let found = self
                .inner
                .ports
                .orders
                .find_work(queue, cutoff, None, STUCK_COUNT_CAP)
                .await?;
            if found.is_empty() {
                continue;
            }
            let count = if found.len() as u64 >= STUCK_COUNT_CAP {
                format!("{STUCK_COUNT_CAP}+")
            } else {
                found.len().to_string()
            };
            let oldest: Vec<String> = found
                .iter()
                .take(NAMED_IN_ALERT)
                .map(|order| order.number.to_string())
                .collect();
            lines.push(format!("{what} for over {minutes} min: {count} {oldest:?}"));
        }
        Ok(lines)
    }

    async fn daily_report(&self) -> Result<(), ServiceError> {
        let now = self.inner.ports.clock.now();
        let (from, before) = previous_day(now, self.inner.settings.report_timezone);
        let stats = self
            .inner
            .statistics
            .order_statistics(&StatisticsQuery {
                from: Some(from),
                before: Some(before),
                appid: None,
            })
            .await?;
        let view = crate::http::views::OverviewView::new(&stats, now);
        let body = serde_json::to_string_pretty(&view).unwrap_or_default();
        tracing::info!(report = %body, "daily report");
        let alert = Alert {
            level: AlertLevel::Warning,
            title: format!(
                "daily report {}",
                from.with_timezone(&self.inner.settings.report_timezone)
                    .date_naive()
            ),
            body,
        };
        if let Err(error) = self.inner.ports.alerts.send(&alert).await {
            tracing::warn!(%error, "daily report not delivered");
        }
        // Sessions that ended or expired more than a day ago keep nothing anyone needs.
        match self.inner.sessions.purge_expired().await {
            Ok(purged) => tracing::info!(purged, "expired sessions purged"),
            Err(error) => tracing::warn!(%error, "expired sessions not purged"),
        }
        Ok(())
    }

    /// Holds yesterday's WeChat statement against our orders: a payment whose callback
    /// never came is recorded as paid (the recharge job then tops it up); mismatches are
    /// alerted by the domain.
    async fn reconcile(&self) -> Result<(), ServiceError> {
        let day = previous_china_day(self.inner.ports.clock.now());
        let report = self.inner.payments.reconcile(day).await?;
        for (outcome, count) in [
            ("matched", report.matched),
            ("recovered", report.recovered),
            ("mismatch", report.mismatches.len()),
        ] {
            metrics::counter!(metrics_names::RECONCILED_PAYMENTS, "outcome" => outcome)
                .increment(count as u64);
        }
        let mismatched: Vec<&str> = report
            .mismatches
            .iter()
            .map(|mismatch| mismatch.order_number.as_str())
            .collect();
        if mismatched.is_empty() {
            tracing::info!(
                %day,
                entries = report.entries,
                matched = report.matched,
                recovered = report.recovered,
                "WeChat statement reconciled"
            );
        } else {
            tracing::error!(
                %day,
                entries = report.entries,
                matched = report.matched,
                recovered = report.recovered,
                mismatches = ?mismatched,
                "WeChat statement reconciled with mismatches"
            );
        }
        Ok(())
    }

    /// Gives up every lease this instance holds, so that a successor (a restart, another
    /// instance) runs the jobs at once instead of waiting for the leases to expire; a crash
    /// cannot do this, and its leases simply expire.
    pub async fn release_leases(&self) {
        let inner = &self.inner;
        for job in Job::ALL {
            if let Err(error) = inner.leases.release(job.name(), &inner.holder).await {
                tracing::warn!(job = job.name(), %error, "lease not released; it will expire");
            }
        }
    }

    /// Runs every job on its schedule until `shutdown` turns true; in-flight runs finish.
    pub fn spawn(&self, shutdown: watch::Receiver<bool>) -> JoinSet<()> {
        let mut set = JoinSet::new();
        for job in Job::ALL {
            let jobs = self.clone();
            let mut shutdown = shutdown.clone();
            set.spawn(async move {
                // The recharge job runs at start-up too: what a crash left paid and
                // unclaimed must not wait a whole interval.
                let mut first = matches!(job, Job::Recharge);
                loop {
                    let wait = if first {
                        StdDuration::ZERO
                    } else {
                        jobs.until_next(job)
                    };
                    first = false;
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = shutdown.changed() => break,
                    }
                    if *shutdown.borrow() {
                        break;
                    }
                    match jobs.run_once(job).await {
                        Ok(true) => {}
                        Ok(false) => tracing::debug!(job = job.name(), "lease held elsewhere"),
                        Err(error) => tracing::error!(job = job.name(), %error, "job failed"),
                    }
                }
                tracing::info!(job = job.name(), "job stopped");
            });
        }
        set
    }

    fn until_next(&self, job: Job) -> StdDuration {
        match job {
            Job::DailyReport | Job::Reconcile => {
                let now = self.inner.ports.clock.now();
                let tz = self.inner.settings.report_timezone;
                let next = match job {
                    Job::Reconcile => next_run_at(now, tz, reconcile_time()),
                    _ => next_daily_run(now, tz),
                };
                (next - now).to_std().unwrap_or(StdDuration::from_secs(60))
            }
            Job::Recharge | Job::ExpireUnpaid | Job::Refunds | Job::Alerts => {
                job.period(&self.inner.settings)
            }
        }
    }
}

fn at_local(day: NaiveDate, time: NaiveTime, tz: Tz) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&day.and_time(time))
        .earliest()
        .map(|at| at.with_timezone(&Utc))
}

/// The next 02:00 in `tz` after `now`.
pub fn next_daily_run(now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    next_run_at(now, tz, NaiveTime::MIN + Duration::hours(2))
}

/// When the reconciliation runs: WeChat's statement of a day is ready after about 10:00
/// China time the next day.
fn reconcile_time() -> NaiveTime {
    NaiveTime::MIN + Duration::minutes(10 * 60 + 30)
}

/// The next `time` of day in `tz` after `now`.
pub fn next_run_at(now: DateTime<Utc>, tz: Tz, time: NaiveTime) -> DateTime<Utc> {
    let today = now.with_timezone(&tz).date_naive();
    [
        Some(today),
        today.checked_add_days(Days::new(1)),
        today.checked_add_days(Days::new(2)),
    ]
    .into_iter()
    .flatten()
    .filter_map(|day| at_local(day, time, tz))
    .find(|at| *at > now)
    .unwrap_or(now + Duration::days(1))
}

/// Yesterday in China, the calendar WeChat's statements are dated by.
pub fn previous_china_day(now: DateTime<Utc>) -> NaiveDate {
    let today = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    today.pred_opt().unwrap_or(today)
}

/// Yesterday in `tz`, as `[start, end)` in UTC.
pub fn previous_day(now: DateTime<Utc>, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let today = now.with_timezone(&tz).date_naive();
    let midnight = |day: NaiveDate| {
        tz.from_local_datetime(&day.and_time(NaiveTime::MIN))
            .earliest()
            .map(|at| at.with_timezone(&Utc))
    };
    let end = midnight(today).unwrap_or(now);
    let start = today
        .checked_sub_days(Days::new(1))
        .and_then(midnight)
        .unwrap_or(end - Duration::days(1));
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_report_runs_at_two_in_shanghai() {
        let tz = chrono_tz::Asia::Shanghai;
        // 2025-10-18 01:00 Shanghai -> 02:00 the same day.
        assert_eq!(
            next_daily_run(utc("2025-10-17T17:00:00Z"), tz),
            utc("2025-10-17T18:00:00Z")
        );
        // 03:00 Shanghai -> 02:00 the next day.
        assert_eq!(
            next_daily_run(utc("2025-10-17T19:00:00Z"), tz),
            utc("2025-10-18T18:00:00Z")
        );
    }

    #[test]
    fn the_reconciliation_runs_at_half_past_ten_for_the_previous_china_day() {
        let tz = chrono_tz::Asia::Shanghai;
        let time = reconcile_time();
        // 09:00 Shanghai -> 10:30 the same day; 11:00 -> 10:30 the next day.
        assert_eq!(
            next_run_at(utc("2025-10-18T01:00:00Z"), tz, time),
            utc("2025-10-18T02:30:00Z")
        );
        assert_eq!(
            next_run_at(utc("2025-10-18T03:00:00Z"), tz, time),
            utc("2025-10-19T02:30:00Z")
        );
        // 2025-10-18 01:00 in China is still the 17th in UTC.
        assert_eq!(
            previous_china_day(utc("2025-10-17T17:00:00Z")),
            NaiveDate::from_ymd_opt(2025, 10, 17).unwrap()
        );
        assert_eq!(
            previous_china_day(utc("2025-10-18T02:30:00Z")),
            NaiveDate::from_ymd_opt(2025, 10, 17).unwrap()
        );
    }

    #[test]
    fn the_report_covers_the_previous_local_day() {
        let (start, end) = previous_day(utc("2025-10-17T18:00:00Z"), chrono_tz::Asia::Shanghai);
        assert_eq!(start, utc("2025-10-16T16:00:00Z"));
        assert_eq!(end, utc("2025-10-17T16:00:00Z"));
    }
}
