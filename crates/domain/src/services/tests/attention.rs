//! The "orders need attention" alert: what counts, its level, its text, and that an
//! unchanged backlog is not re-sent within the hour.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::order::{Order, PaymentStatus, RechargeStatus};
use crate::ports::{AlertError, OrderFilter, Page, PageRequest, WorkQueue};
use crate::services::{AttentionAlert, AttentionService, ServiceError, StuckKind};
use crate::testing::{
    confirming_order, failed_order, order_number, paid_order, refunding_order, unknown_order,
};

const STUCK_AFTER: Duration = Duration::minutes(30);

/// `order` renumbered, so that a tally can hold several.
fn numbered(order: Order, n: u32) -> Order {
    Order {
        number: order_number(n),
        ..order
    }
}

/// What the repository holds, by what the check asks for.
#[derive(Default, Clone)]
struct Backlog {
    failed: Vec<Order>,
    unknown: Vec<Order>,
    anomalous: Vec<Order>,
    paid_unclaimed: Vec<Order>,
    submitting: Vec<Order>,
    confirming: Vec<Order>,
    refunding: Vec<Order>,
}

impl Backlog {
    fn listed(&self, filter: &OrderFilter) -> Vec<Order> {
        let held = match (filter.recharge_status, filter.only_anomalies) {
            (Some(RechargeStatus::Failed), false) => &self.failed,
            (Some(RechargeStatus::Unknown), false) => &self.unknown,
            (None, true) => &self.anomalous,
            other => panic!("unexpected list filter {other:?}: {filter:?}"),
        };
        // The rest of the filter, as the repository applies it.
        held.iter()
            .filter(|order| {
                filter
                    .payment_status
                    .is_none_or(|status| order.payment_status == status)
                    && filter
                        .created_from
                        .is_none_or(|from| order.created_at >= from)
            })
            .cloned()
            .collect()
    }

    fn queued(&self, queue: WorkQueue) -> Vec<Order> {
        match queue {
            WorkQueue::PaidUnclaimed => self.paid_unclaimed.clone(),
            WorkQueue::StaleSubmissions => self.submitting.clone(),
            WorkQueue::Confirming => self.confirming.clone(),
            WorkQueue::Refunding => self.refunding.clone(),
            WorkQueue::ExpiredUnpaid | WorkQueue::FailedPaid => {
                panic!("the check has no business with {queue:?}")
            }
        }
    }

    /// Mocks the repository as holding this backlog; the work queues' cut-offs are kept.
    fn stored_in(self, mocks: &mut Mocks) -> Calls<DateTime<Utc>> {
        let listing = self.clone();
        mocks
            .orders
            .expect_list_all()
            .returning(move |filter, page: PageRequest| {
                let all = listing.listed(filter);
                Ok(Page {
                    total: all.len() as u64,
                    items: all.into_iter().take(page.limit as usize).collect(),
                    page: page.page,
                    limit: page.limit,
                })
            });
        let cutoffs = Calls::default();
        let seen = Arc::clone(&cutoffs);
        mocks
            .orders
            .expect_find_work()
            .returning(move |queue, cutoff, after, limit| {
                assert_eq!(after, None, "the check counts from the oldest");
                seen.lock().unwrap().push(cutoff);
                Ok(self
                    .queued(queue)
                    .into_iter()
                    .take(limit as usize)
                    .collect())
            });
        cutoffs
    }
}

fn service(ports: Ports) -> AttentionService {
    AttentionService::new(ports, STUCK_AFTER)
}

#[tokio::test]
async fn nothing_to_report_sends_nothing() {
    let mut mocks = Mocks::default();
    Backlog::default().stored_in(&mut mocks);
    mocks.no_alerts();
    let attention = service(mocks.ports());

    let report = attention.report().await.unwrap();
    assert!(report.is_clear());
    assert_eq!(report.level(), None);
    assert_eq!(report.alert(), None);
    assert_eq!(attention.check().await.unwrap(), AttentionAlert::Clear);
}

#[tokio::test]
async fn failed_top_ups_alone_are_a_warning_naming_the_newest_ten() {
    let mut mocks = Mocks::default();
    Backlog {
        failed: (1..=12).map(|n| numbered(failed_order(), n)).collect(),
        ..Backlog::default()
    }
    .stored_in(&mut mocks);
    let alerts = mocks.alerts();
    let attention = service(mocks.ports());

    let outcome = attention.check().await.unwrap();

    assert_eq!(outcome, AttentionAlert::Sent(AlertLevel::Warning));
    let alert = only_alert(&alerts);
    assert_eq!(alert.level, AlertLevel::Warning);
    assert_eq!(alert.title, "orders need attention");
    let first_line = alert.body.lines().next().unwrap();
    assert!(
        first_line.starts_with("failed top-ups not refunded: 12 ["),
        "{first_line}"
    );
    assert!(
        first_line.contains(order_number(10).as_str()),
        "{first_line}"
    );
    assert!(
        !first_line.contains(order_number(11).as_str()),
        "at most ten are named: {first_line}"
    );
    assert!(
        alert
            .body
            .contains("unknown top-ups (never re-sent; check with Unitel): 0 []")
    );
    assert!(
        alert
            .body
            .contains("orders with anomalies (last 24 h): 0 []")
    );
    assert_eq!(
        alert.body.lines().count(),
        3,
        "no stuck line: {}",
        alert.body
    );
}

#[tokio::test]
async fn refunded_failures_and_old_anomalies_are_not_news() {
    let mut mocks = Mocks::default();
    let refunded = Order {
        payment_status: PaymentStatus::Refunded,
        ..numbered(failed_order(), 1)
    };
    let refund_failed = Order {
        payment_status: PaymentStatus::RefundFailed,
        ..numbered(failed_order(), 2)
    };
    let old_anomaly = numbered(paid_order(), 3);
    let old_anomaly = Order {
        created_at: old_anomaly.created_at - Duration::hours(25),
        ..old_anomaly
    };
    Backlog {
        failed: vec![refunded, refund_failed.clone()],
        anomalous: vec![old_anomaly],
        ..Backlog::default()
    }
    .stored_in(&mut mocks);
    let attention = service(mocks.ports());

    let report = attention.report().await.unwrap();

    assert_eq!(
        report.failed.total, 1,
        "only the failure whose money is held"
    );
    assert_eq!(report.failed.newest, vec![refund_failed.number]);
    assert_eq!(
        report.anomalous.total, 0,
        "a flag from yesterday is history"
    );
}

#[tokio::test]
async fn an_unknown_top_up_is_critical() {
    let mut mocks = Mocks::default();
    let unknown = unknown_order();
    Backlog {
        failed: vec![numbered(failed_order(), 2)],
        unknown: vec![unknown.clone()],
        ..Backlog::default()
    }
    .stored_in(&mut mocks);
    let alerts = mocks.alerts();

    let outcome = service(mocks.ports()).check().await.unwrap();

    assert_eq!(outcome, AttentionAlert::Sent(AlertLevel::Critical));
    let alert = only_alert(&alerts);
    assert_critical(&alert, unknown.number.as_str());
    assert!(
        alert.body.contains("check with Unitel): 1 ["),
        "{}",
        alert.body
    );
}

#[tokio::test]
async fn an_anomaly_is_critical() {
    let mut mocks = Mocks::default();
    let anomalous = paid_order();
    Backlog {
        anomalous: vec![anomalous.clone()],
        ..Backlog::default()
    }
    .stored_in(&mut mocks);
    let alerts = mocks.alerts();

    let outcome = service(mocks.ports()).check().await.unwrap();

    assert_eq!(outcome, AttentionAlert::Sent(AlertLevel::Critical));
    let alert = only_alert(&alerts);
    assert_critical(&alert, anomalous.number.as_str());
    assert!(
        alert
            .body
            .contains("orders with anomalies (last 24 h): 1 ["),
        "{}",
        alert.body
    );
}

#[tokio::test]
async fn orders_stuck_in_flight_are_a_warning_line_per_kind_dated_by_the_cutoff() {
    let mut mocks = Mocks::default();
    let cutoffs = Backlog {
        paid_unclaimed: vec![numbered(paid_order(), 1), numbered(paid_order(), 2)],
        confirming: vec![confirming_order("SEQ-9")],
        refunding: vec![refunding_order()],
        ..Backlog::default()
    }
    .stored_in(&mut mocks);
    let alerts = mocks.alerts();
    let attention = service(mocks.ports());

    let report = attention.report().await.unwrap();
    let kinds: Vec<StuckKind> = report.stuck.iter().map(|tally| tally.kind).collect();
    assert_eq!(
        kinds,
        [
            StuckKind::PaidUnclaimed,
            StuckKind::Confirming,
            StuckKind::Refunding
        ],
        "kinds without any are left out"
    );
    assert_eq!(report.level(), Some(AlertLevel::Warning));
    assert_eq!(calls(&cutoffs), vec![now() - STUCK_AFTER; 4]);

    attention.check().await.unwrap();
    let alert = only_alert(&alerts);
    assert_eq!(alert.level, AlertLevel::Warning);
    let lines: Vec<&str> = alert.body.lines().skip(3).collect();
    assert_eq!(
        lines,
        [
            format!(
                "paid, top-up pending for over 30 min: 2 [{:?}, {:?}]",
                order_number(1).as_str(),
                order_number(2).as_str()
            ),
            format!(
                "top-ups confirming at Unitel for over 30 min: 1 [{:?}]",
                confirming_order("SEQ-9").number.as_str()
            ),
            format!(
                "refunds in progress for over 30 min: 1 [{:?}]",
                refunding_order().number.as_str()
            ),
        ]
    );
}

#[tokio::test]
async fn a_stuck_count_past_the_cap_reads_plus() {
    let mut mocks = Mocks::default();
    Backlog {
        submitting: (1..=501).map(|n| numbered(paid_order(), n)).collect(),
        ..Backlog::default()
    }
    .stored_in(&mut mocks);
    let attention = service(mocks.ports());

    let report = attention.report().await.unwrap();

    let tally = &report.stuck[0];
    assert_eq!(
        (tally.kind, tally.count, tally.capped),
        (StuckKind::Submitting, 500, true)
    );
    assert_eq!(tally.oldest.len(), 10);
    assert_eq!(tally.oldest[0], order_number(1), "oldest first");
    assert!(
        report
            .body()
            .contains("top-ups submitting for over 30 min: 500+ ["),
        "{}",
        report.body()
    );
}

/// A clock the test moves.
struct MovableClock {
    offset_minutes: AtomicI64,
}

impl MovableClock {
    fn advance(&self, by: Duration) {
        self.offset_minutes
            .fetch_add(by.num_minutes(), Ordering::SeqCst);
    }
}

impl crate::ports::Clock for MovableClock {
    fn now(&self) -> DateTime<Utc> {
        now() + Duration::minutes(self.offset_minutes.load(Ordering::SeqCst))
    }
}

fn with_movable_clock(mocks: Mocks) -> (Ports, Arc<MovableClock>) {
    let clock = Arc::new(MovableClock {
        offset_minutes: AtomicI64::new(0),
    });
    let mut ports = mocks.ports();
    ports.clock = clock.clone();
    (ports, clock)
}

#[tokio::test]
async fn an_unchanged_backlog_is_alerted_again_only_after_an_hour() {
    let mut mocks = Mocks::default();
    Backlog {
        unknown: vec![unknown_order()],
        ..Backlog::default()
    }
    .stored_in(&mut mocks);
    let alerts = mocks.alerts();
    let (ports, clock) = with_movable_clock(mocks);
    let attention = service(ports);

    let critical = AttentionAlert::Sent(AlertLevel::Critical);
    assert_eq!(attention.check().await.unwrap(), critical);
    clock.advance(Duration::minutes(5));
    assert_eq!(attention.check().await.unwrap(), AttentionAlert::Repeat);
    clock.advance(Duration::minutes(54));
    assert_eq!(attention.check().await.unwrap(), AttentionAlert::Repeat);
    assert_eq!(
        calls(&alerts).len(),
        1,
        "59 minutes later: still suppressed"
    );

    clock.advance(Duration::minutes(1));
    assert_eq!(
        attention.check().await.unwrap(),
        critical,
        "an hour later: a reminder"
    );
    assert_eq!(calls(&alerts).len(), 2);
    // The reminder starts a new hour.
    clock.advance(Duration::minutes(5));
    assert_eq!(attention.check().await.unwrap(), AttentionAlert::Repeat);
    assert_eq!(calls(&alerts).len(), 2);
}

#[tokio::test]
async fn a_changed_backlog_is_alerted_at_once() {
    let mut mocks = Mocks::default();
    // First one failed order, then two: the second check sees a different backlog.
    let checks = Arc::new(AtomicI64::new(0));
    let seen = Arc::clone(&checks);
    mocks
        .orders
        .expect_list_all()
        .returning(move |filter, page| {
            let items = match (
                filter.recharge_status,
                filter.payment_status,
                filter.only_anomalies,
            ) {
                (Some(RechargeStatus::Failed), Some(PaymentStatus::Paid), false) => {
                    let run = seen.fetch_add(1, Ordering::SeqCst);
                    (1..=run + 1)
                        .map(|n| numbered(failed_order(), n as u32))
                        .collect()
                }
                _ => Vec::new(),
            };
            Ok(Page {
                total: items.len() as u64,
                items,
                page: page.page,
                limit: page.limit,
            })
        });
    mocks
        .orders
        .expect_find_work()
        .returning(|_, _, _, _| Ok(Vec::new()));
    let alerts = mocks.alerts();
    let (ports, clock) = with_movable_clock(mocks);
    let attention = service(ports);

    let warning = AttentionAlert::Sent(AlertLevel::Warning);
    assert_eq!(attention.check().await.unwrap(), warning);
    clock.advance(Duration::minutes(5));
    assert_eq!(attention.check().await.unwrap(), warning);

    let sent = calls(&alerts);
    assert_eq!(sent.len(), 2);
    assert!(
        sent[0].body.starts_with("failed top-ups not refunded: 1 "),
        "{}",
        sent[0].body
    );
    assert!(
        sent[1].body.starts_with("failed top-ups not refunded: 2 "),
        "{}",
        sent[1].body
    );
}

#[tokio::test]
async fn an_undelivered_alert_is_sent_again_at_the_next_check() {
    let mut mocks = Mocks::default();
    Backlog {
        unknown: vec![unknown_order()],
        ..Backlog::default()
    }
    .stored_in(&mut mocks);
    let attempts = Calls::default();
    let sink = Arc::clone(&attempts);
    mocks.alerts.expect_send().returning(move |alert| {
        let mut sent = sink.lock().unwrap();
        sent.push(alert.clone());
        if sent.len() == 1 {
            Err(AlertError("webhook down".to_owned()))
        } else {
            Ok(())
        }
    });
    let (ports, clock) = with_movable_clock(mocks);
    let attention = service(ports);

    assert_eq!(
        attention.check().await.unwrap(),
        AttentionAlert::NotDelivered
    );
    clock.advance(Duration::minutes(5));
    assert_eq!(
        attention.check().await.unwrap(),
        AttentionAlert::Sent(AlertLevel::Critical)
    );
    let sent: Vec<Alert> = calls(&attempts);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0], sent[1], "the same alert, tried again");
    clock.advance(Duration::minutes(5));
    assert_eq!(attention.check().await.unwrap(), AttentionAlert::Repeat);
}

#[tokio::test]
async fn storage_down_fails_the_check_without_alerting() {
    let mut mocks = Mocks::default();
    mocks
        .orders
        .expect_list_all()
        .returning(|_, _| Err(storage_down()));
    mocks.no_alerts();

    let result = service(mocks.ports()).check().await;

    assert!(
        matches!(result, Err(ServiceError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_stuck_queue_that_cannot_be_read_fails_the_check_without_alerting() {
    let mut mocks = Mocks::default();
    mocks.orders.expect_list_all().returning(|_, page| {
        Ok(Page {
            items: vec![failed_order()],
            total: 1,
            page: page.page,
            limit: page.limit,
        })
    });
    mocks
        .orders
        .expect_find_work()
        .returning(|_, _, _, _| Err(storage_down()));
    mocks.no_alerts();

    let result = service(mocks.ports()).check().await;

    assert!(result.is_err(), "{result:?}");
}
