//! Orders that need a person: failed and unknown top-ups, anomalies, and paid orders or
//! refunds stuck in flight (money taken, nothing delivered nor given back). The alerts job
//! asks every few minutes; an unchanged backlog is alerted again only after an hour, so
//! that a person is reminded without being flooded.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

use crate::order::{Order, OrderNumber, PaymentStatus, RechargeStatus};
use crate::ports::{Alert, AlertLevel, OrderFilter, PageRequest, WorkQueue};

use super::{Ports, ServiceError};

/// The alert's title; its body tells what changed.
pub const ATTENTION_TITLE: &str = "orders need attention";

/// Stuck orders counted per kind; beyond this the count reads "500+".
pub const STUCK_COUNT_CAP: u64 = 500;

/// Order numbers named per kind in the alert.
pub const NAMED_PER_KIND: u64 = 10;

/// Anomalies of orders created this recently are reported.
pub const ANOMALY_WINDOW: Duration = Duration::hours(24);

/// How long an identical alert is not sent again.
pub const REPEAT_AFTER: Duration = Duration::hours(1);

/// In-flight states that should not last: each is dated by its own timestamp (paid,
/// claimed, refund requested) in its work queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StuckKind {
    /// Paid, and the top-up never claimed.
    PaidUnclaimed,
    /// Claimed, and its answer never recorded.
    Submitting,
    /// Accepted by Unitel, never confirmed.
    Confirming,
    /// Refund requested, never finished.
    Refunding,
}

impl StuckKind {
    pub const ALL: [StuckKind; 4] = [
        StuckKind::PaidUnclaimed,
        StuckKind::Submitting,
        StuckKind::Confirming,
        StuckKind::Refunding,
    ];

    fn queue(self) -> WorkQueue {
        match self {
            StuckKind::PaidUnclaimed => WorkQueue::PaidUnclaimed,
            StuckKind::Submitting => WorkQueue::StaleSubmissions,
            StuckKind::Confirming => WorkQueue::Confirming,
            StuckKind::Refunding => WorkQueue::Refunding,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            StuckKind::PaidUnclaimed => "paid, top-up pending",
            StuckKind::Submitting => "top-ups submitting",
            StuckKind::Confirming => "top-ups confirming at Unitel",
            StuckKind::Refunding => "refunds in progress",
        }
    }
}

/// Orders in one state: how many, and the newest few by number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderTally {
    pub total: u64,
    pub newest: Vec<OrderNumber>,
}

/// Orders stuck in one in-flight state past the cut-off, counted up to [`STUCK_COUNT_CAP`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StuckTally {
    pub kind: StuckKind,
    pub count: u64,
    /// The cap was reached: there may be more.
    pub capped: bool,
    pub oldest: Vec<OrderNumber>,
}

impl fmt::Display for StuckTally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plus = if self.capped { "+" } else { "" };
        write!(f, "{}{plus}", self.count)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttentionReport {
    pub failed: OrderTally,
    pub unknown: OrderTally,
    pub anomalous: OrderTally,
    /// Only the kinds that have any, in [`StuckKind::ALL`]'s order.
    pub stuck: Vec<StuckTally>,
    /// How long an in-flight state may last before it counts as stuck.
    pub stuck_after: Duration,
}

impl AttentionReport {
    /// Nothing needs a person.
    pub fn is_clear(&self) -> bool {
        self.failed.total + self.unknown.total + self.anomalous.total == 0 && self.stuck.is_empty()
    }

    /// Critical when money may have moved wrongly and only a person can tell (an unknown
    /// top-up must be checked with Unitel, an anomaly is a payment that does not match);
    /// a warning when the way forward is known (a refund, a retry, a late confirmation).
    /// `None` when nothing needs attention.
    pub fn level(&self) -> Option<AlertLevel> {
        if self.is_clear() {
            None
        } else if self.unknown.total + self.anomalous.total > 0 {
            Some(AlertLevel::Critical)
        } else {
            Some(AlertLevel::Warning)
        }
    }

    /// The alert's text: one line per kind, stuck kinds only when they have any.
    pub fn body(&self) -> String {
        let named = |numbers: &[OrderNumber]| -> Vec<String> {
            numbers.iter().map(ToString::to_string).collect()
        };
        let (failed, unknown, anomalous) = (&self.failed, &self.unknown, &self.anomalous);
        let mut body = format!(
            "failed top-ups not refunded: {} {:?}\nunknown top-ups (never re-sent; check with Unitel): {} {:?}\norders with anomalies (last 24 h): {} {:?}",
            failed.total,
            named(&failed.newest),
            unknown.total,
            named(&unknown.newest),
            anomalous.total,
            named(&anomalous.newest),
        );
        let minutes = self.stuck_after.num_minutes();
        for tally in &self.stuck {
            body.push_str(&format!(
                "\n{} for over {minutes} min: {tally} {:?}",
                tally.kind.describe(),
                named(&tally.oldest)
            ));
        }
        body
    }

    /// The alert to send, if anything needs attention.
    pub fn alert(&self) -> Option<Alert> {
        self.level().map(|level| Alert {
            level,
            title: ATTENTION_TITLE.to_owned(),
            body: self.body(),
        })
    }
}

/// What one check came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttentionAlert {
    /// Nothing needs attention; nothing was sent.
    Clear,
    Sent(AlertLevel),
    /// The same alert was sent less than [`REPEAT_AFTER`] ago.
    Repeat,
    /// The alert could not be delivered; the next check sends it again.
    NotDelivered,
}

struct LastSent {
    body: String,
    at: DateTime<Utc>,
}

pub struct AttentionService {
    ports: Ports,
    stuck_after: Duration,
    /// In memory: a job lease keeps the check on one instance; an instance taking over
    /// sends the alert once more, which is harmless.
    last_sent: Mutex<Option<LastSent>>,
}

impl AttentionService {
    /// `stuck_after`: how long a paid order or a refund may stay in flight before a person
    /// is told (`STUCK_ALERT_MINUTES`).
    pub fn new(ports: Ports, stuck_after: Duration) -> Self {
        AttentionService {
            ports,
            stuck_after,
            last_sent: Mutex::new(None),
        }
    }

    /// Counts what needs attention now.
    pub async fn report(&self) -> Result<AttentionReport, ServiceError> {
        // A failed top-up needs a person while its money is held: paid and not refunded,
        // or a refund that failed. One already refunded is done.
        let mut failed = OrderTally::default();
        for payment_status in [PaymentStatus::Paid, PaymentStatus::RefundFailed] {
            let tally = self
                .tally(OrderFilter {
                    recharge_status: Some(RechargeStatus::Failed),
                    payment_status: Some(payment_status),
                    ..OrderFilter::default()
                })
                .await?;
            failed.total += tally.total;
            failed.newest.extend(tally.newest);
        }
        failed.newest.truncate(NAMED_PER_KIND as usize);
        let unknown = self
            .tally(OrderFilter {
                recharge_status: Some(RechargeStatus::Unknown),
                ..OrderFilter::default()
            })
            .await?;
        // Flags are never cleared (they are history), so only recent ones are news; older
        // ones stay in the orders list and the anomalies-per-day figures.
        let anomalous = self
            .tally(OrderFilter {
                only_anomalies: true,
                created_from: Some(self.ports.clock.now() - ANOMALY_WINDOW),
                ..OrderFilter::default()
            })
            .await?;
        let cutoff = self.ports.clock.now() - self.stuck_after;
        let mut stuck = Vec::new();
        for kind in StuckKind::ALL {
            let found = self
                .ports
                .orders
                .find_work(kind.queue(), cutoff, None, STUCK_COUNT_CAP)
                .await?;
            if !found.is_empty() {
                stuck.push(StuckTally {
                    kind,
                    count: found.len() as u64,
                    capped: found.len() as u64 >= STUCK_COUNT_CAP,
                    oldest: numbers(found.iter().take(NAMED_PER_KIND as usize)),
                });
            }
        }
        Ok(AttentionReport {
            failed,
            unknown,
            anomalous,
            stuck,
            stuck_after: self.stuck_after,
        })
    }

    /// Alerts a person when something needs attention, unless the same alert went out less
    /// than an hour ago. An alert that was not delivered is not remembered, so the next
    /// check tries again.
    pub async fn check(&self) -> Result<AttentionAlert, ServiceError> {
        let report = self.report().await?;
        let Some(alert) = report.alert() else {
            return Ok(AttentionAlert::Clear);
        };
        let now = self.ports.clock.now();
        if self.sent_recently(&alert.body, now) {
            return Ok(AttentionAlert::Repeat);
        }
        if let Err(error) = self.ports.alerts.send(&alert).await {
            tracing::warn!(%error, title = ATTENTION_TITLE, "alert not delivered");
            return Ok(AttentionAlert::NotDelivered);
        }
        *self.last_sent() = Some(LastSent {
            body: alert.body,
            at: now,
        });
        Ok(AttentionAlert::Sent(alert.level))
    }

    fn sent_recently(&self, body: &str, now: DateTime<Utc>) -> bool {
        self.last_sent()
            .as_ref()
            .is_some_and(|last| last.body == body && now - last.at < REPEAT_AFTER)
    }

    /// Never held across an await. Poisoned only by a panic while held, which cannot leave
    /// half a value: the value is still usable.
    fn last_sent(&self) -> std::sync::MutexGuard<'_, Option<LastSent>> {
        self.last_sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    async fn tally(&self, filter: OrderFilter) -> Result<OrderTally, ServiceError> {
        let page = self
            .ports
            .orders
            .list_all(
                &filter,
                PageRequest {
                    page: 1,
                    limit: NAMED_PER_KIND,
                },
            )
            .await?;
        Ok(OrderTally {
            total: page.total,
            newest: numbers(page.items.iter()),
        })
    }
}

fn numbers<'a>(orders: impl Iterator<Item = &'a Order>) -> Vec<OrderNumber> {
    orders.map(|order| order.number.clone()).collect()
}
