//! Waiting after the last fault: for the backlog of paid orders to drain (top-ups delivered,
//! points credited), and for WeChat to stop notifying.

use std::time::Duration;

use sea_orm::{DatabaseConnection, DbBackend};
use tokio::time::Instant;

use super::audit::Check;
use super::orders::{count_paid, in_flight};
use super::points::tables as points;
use super::timeline::Timeline;
use super::wechat::Wechat;
use super::workload::Outcome;

/// The drain: from the end of the last fault until no paid order is `pending`.
#[derive(Debug, Clone, Copy)]
pub struct Drain {
    pub pending_drained: Option<Duration>,
    pub settled: Option<Duration>,
    pub bound: Duration,
    pub waited: Duration,
    pub pending_left: i64,
    pub busy_left: i64,
}

impl Drain {
    /// The drain time (checked against its bound) and the settle time (a figure).
    pub fn checks(&self) -> [Check; 2] {
        let seconds = |duration: Duration| format!("{:.1} s", duration.as_secs_f64());
        let drained = Check {
            what: "drain time: last fault ended → no paid order `pending` or points uncredited"
                .to_owned(),
            value: match self.pending_drained {
                Some(time) => seconds(time),
                None => format!(
                    "not drained after {} ({} pending)",
                    seconds(self.waited),
                    self.pending_left
                ),
            },
            expected: format!("≤ {}", seconds(self.bound)),
            ok: Some(self.pending_drained.is_some_and(|time| time <= self.bound)),
        };
        let settled = Check::info(
            "settle time: last fault ended → no paid order pending, submitting or confirming",
            match self.settled {
                Some(time) => seconds(time),
                None => format!(
                    "not settled after {} ({} pending, {} submitting/confirming)",
                    seconds(self.waited),
                    self.pending_left,
                    self.busy_left
                ),
            },
        );
        [drained, settled]
    }
}

/// Polls the database from the end of the last fault until no paid order is pending (a
/// top-up not started, a points order not credited) and every order paid at WeChat is paid
/// here, then until no top-up is submitting or confirming.
pub async fn measure_drain(
    db: &DatabaseConnection,
    backend: DbBackend,
    from: Instant,
    expected_paid: usize,
    bound: Duration,
    limit: Duration,
) -> Drain {
    let mut drain = Drain {
        pending_drained: None,
        settled: None,
        bound,
        waited: Duration::ZERO,
        pending_left: -1,
        busy_left: -1,
    };
    loop {
        let checked = async {
            let (pending, busy) = in_flight(db, backend).await?;
            let uncredited = points::awaiting_credit(db, backend).await?;
            let paid = count_paid(db, backend).await? + points::count_paid(db, backend).await?;
            Ok::<_, sea_orm::DbErr>((pending + uncredited, busy, paid))
        }
        .await;
        drain.waited = from.elapsed();
        if let Ok((pending, busy, paid)) = checked {
            drain.pending_left = pending;
            drain.busy_left = busy;
            let all_recorded = usize::try_from(paid).unwrap_or(0) >= expected_paid;
            if drain.pending_drained.is_none() && pending == 0 && all_recorded {
                drain.pending_drained = Some(from.elapsed());
            }
            if drain.pending_drained.is_some() && busy == 0 {
                drain.settled = Some(from.elapsed());
                return drain;
            }
        }
        if drain.waited >= limit {
            return drain;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until WeChat has sent what it still had to, then until it has stopped notifying:
/// every notification acknowledged or its retries spent, every refund settled.
pub async fn wait_for_notifications(
    http: &reqwest::Client,
    wechat: &Wechat,
    outcomes: &[Outcome],
    timeline: &Timeline,
) {
    let problems = wechat.settle().await;
    for error in problems.errors.iter().take(5) {
        timeline.note(format!("WeChat follow-up not done: {error}"));
    }
    if problems.errors.len() > 5 {
        timeline.note(format!(
            "... and {} more follow-ups not done",
            problems.errors.len() - 5
        ));
    }
    let scheduled: usize = outcomes
        .iter()
        .filter(|outcome| outcome.paid)
        .map(|outcome| usize::try_from(outcome.callbacks).unwrap_or(0))
        .sum();
    let expected = scheduled.saturating_sub(usize::try_from(problems.missing).unwrap_or(0));
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        // (notifications finished, refunds unsettled); `None` when the ledger is unreadable.
        let read = match wechat.truth(http).await {
            Ok(truth) => Some((
                truth
                    .deliveries
                    .iter()
                    .filter(|delivery| delivery.finished)
                    .count(),
                truth.refunds_unsettled,
            )),
            Err(error) => {
                timeline.note(format!("WeChat's ledger not read: {error}"));
                None
            }
        };
        let done = read.is_some_and(|(finished, unsettled)| finished >= expected && unsettled == 0);
        if done || Instant::now() >= deadline {
            timeline.note(match read {
                Some((finished, unsettled)) => format!(
                    "notifications: {finished} of {expected} finished; {unsettled} refund(s) unsettled at WeChat"
                ),
                None => "WeChat's ledger could not be read at the end".to_owned(),
            });
            return;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
