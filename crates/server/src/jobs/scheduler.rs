//! When each job runs and under which lease: periods, daily times in the report's time
//! zone, the lease taken for one run and given back at shutdown.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Days, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use elife_domain::services::ServiceError;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::{Job, Jobs};
use crate::configuration::JobSettings;
use crate::metrics_names;

impl Job {
    /// How often a periodic job runs, and how long one run's lease lasts.
    fn period(self, settings: &JobSettings, mall_interval: StdDuration) -> StdDuration {
        match self {
            Job::MallDeadlines | Job::TradeRelay => mall_interval,
            Job::Recharge => settings.recharge_interval,
            Job::ExpireUnpaid | Job::Refunds => StdDuration::from_secs(60),
            Job::Alerts => StdDuration::from_secs(300),
            Job::DailyReport | Job::Reconcile => StdDuration::from_secs(24 * 3600),
        }
    }
}

impl Jobs {
    /// Runs `job` once if this instance gets its lease; false when another instance holds it.
    pub async fn run_once(&self, job: Job) -> Result<bool, ServiceError> {
        let inner = &self.inner;
        let now = inner.ports.clock.now();
        let lease_for = Duration::from_std(job.period(&inner.settings, inner.mall_interval))
            .unwrap_or(Duration::minutes(1));
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
            Job::MallDeadlines => self.mall_deadlines().await,
            Job::TradeRelay => self.trade_relay().await,
        };
        let outcome = if result.is_ok() { "ok" } else { "error" };
        metrics::counter!(metrics_names::JOB_RUNS, "job" => job.name(), "outcome" => outcome)
            .increment(1);
        result.map(|()| true)
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
        let now = self.inner.ports.clock.now();
        let tz = self.inner.settings.report_timezone;
        let next = match job {
            Job::DailyReport => next_daily_run(now, tz),
            Job::Reconcile => next_run_at(now, tz, reconcile_time()),
            Job::Recharge
            | Job::ExpireUnpaid
            | Job::Refunds
            | Job::Alerts
            | Job::MallDeadlines
            | Job::TradeRelay => {
                return job.period(&self.inner.settings, self.inner.mall_interval);
            }
        };
        (next - now).to_std().unwrap_or(StdDuration::from_secs(60))
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

    #[test]
    fn a_daily_run_across_a_dst_change_is_still_found() {
        // New York springs forward on 2025-03-09: 02:00 does not exist that day, so the
        // next 02:00 after 2025-03-09 01:00 local is the 10th's.
        let tz = chrono_tz::America::New_York;
        assert_eq!(
            next_daily_run(utc("2025-03-09T06:00:00Z"), tz),
            utc("2025-03-10T06:00:00Z")
        );
    }
}
