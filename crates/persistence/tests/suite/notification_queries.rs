//! The admin's filters and figures of the callback log.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use elife_domain::ports::{
    DecidedNotification, IncomingNotification, NotificationFilter, NotificationKind,
    NotificationOutcome, NotificationStatistics, NotificationStatsQuery, OutcomeCounts,
    PageRequest, PaymentNotificationLog,
};
use elife_domain::testing::t0;
use elife_persistence::entities::payment_notifications as rows;
use elife_persistence::{SeaOrmPaymentNotificationLog, china_day_start};
use sea_orm::{ActiveValue::NotSet, ActiveValue::Set, EntityTrait};

use crate::common::TestDb;

const CLOUD: &str = "wechat_cloud";
const V3: &str = "wechat_v3";

struct Callback {
    channel: &'static str,
    kind: NotificationKind,
    order_number: Option<&'static str>,
    transaction_id: &'static str,
    outcome: NotificationOutcome,
    processing_ms: i64,
    received_at: DateTime<Utc>,
}

impl Callback {
    fn decided(&self) -> DecidedNotification {
        DecidedNotification {
            notification: IncomingNotification {
                channel: self.channel.to_owned(),
                kind: self.kind,
                order_number: self.order_number.map(str::to_owned),
                transaction_id: Some(self.transaction_id.to_owned()),
                headers: serde_json::json!({}),
                raw_body: "{}".to_owned(),
                client_ip: None,
                received_at: self.received_at,
            },
            outcome: self.outcome,
            error_message: None,
            processing_ms: self.processing_ms,
        }
    }
}

fn callback(
    channel: &'static str,
    kind: NotificationKind,
    order_number: Option<&'static str>,
    transaction_id: &'static str,
    outcome: NotificationOutcome,
    received_at: DateTime<Utc>,
) -> Callback {
    Callback {
        channel,
        kind,
        order_number,
        transaction_id,
        outcome,
        processing_ms: 5,
        received_at,
    }
}

async fn log_all(log: &SeaOrmPaymentNotificationLog, callbacks: &[Callback]) {
    for callback in callbacks {
        log.record_decided(&callback.decided()).await.unwrap();
    }
}

/// The transaction ids `filter` lists, in the order listed, and the total.
async fn listed(
    log: &SeaOrmPaymentNotificationLog,
    filter: &NotificationFilter,
    page: PageRequest,
) -> (Vec<String>, u64) {
    let page = log.list(filter, page).await.unwrap();
    let ids = page
        .items
        .into_iter()
        .map(|record| record.transaction_id.unwrap_or_default())
        .collect();
    (ids, page.total)
}

fn first_page() -> PageRequest {
    PageRequest { page: 1, limit: 50 }
}

#[tokio::test]
async fn the_log_is_filtered_by_channel_kind_outcome_order_and_period() {
    let test = TestDb::new().await;
    let log = SeaOrmPaymentNotificationLog::new(test.db.clone());
    let hours = |h: i64| t0() + TimeDelta::hours(h);
    use NotificationKind::{Payment, Refund};
    use NotificationOutcome::{Error, Processed, Rejected, Unconfirmed};
    log_all(
        &log,
        &[
            callback(CLOUD, Payment, Some("ORD-A"), "T1", Processed, hours(0)),
            callback(V3, Payment, Some("ORD-A"), "T2", Rejected, hours(1)),
            callback(CLOUD, Refund, Some("ORD-B"), "T3", Processed, hours(2)),
            callback(CLOUD, Payment, Some("ORD-B"), "T4", Unconfirmed, hours(24)),
            callback(V3, Refund, None, "T5", Error, hours(48)),
        ],
    )
    .await;
    let strings = |ids: &[&str]| ids.iter().map(|id| (*id).to_owned()).collect::<Vec<_>>();

    let everything = listed(&log, &NotificationFilter::default(), first_page()).await;
    assert_eq!(everything, (strings(&["T5", "T4", "T3", "T2", "T1"]), 5));

    let by_channel = NotificationFilter {
        channel: Some(V3.to_owned()),
        ..NotificationFilter::default()
    };
    assert_eq!(
        listed(&log, &by_channel, first_page()).await,
        (strings(&["T5", "T2"]), 2)
    );
    let by_kind = NotificationFilter {
        kind: Some(Refund),
        ..NotificationFilter::default()
    };
    assert_eq!(
        listed(&log, &by_kind, first_page()).await,
        (strings(&["T5", "T3"]), 2)
    );
    assert_eq!(
        listed(
            &log,
            &NotificationFilter::with_outcome(Processed),
            first_page()
        )
        .await,
        (strings(&["T3", "T1"]), 2)
    );
    let by_order = NotificationFilter {
        order_number: Some("ORD-B".to_owned()),
        ..NotificationFilter::default()
    };
    assert_eq!(
        listed(&log, &by_order, first_page()).await,
        (strings(&["T4", "T3"]), 2)
    );
    // From is inclusive, before exclusive.
    let by_period = NotificationFilter {
        received_from: Some(hours(1)),
        received_before: Some(hours(24)),
        ..NotificationFilter::default()
    };
    assert_eq!(
        listed(&log, &by_period, first_page()).await,
        (strings(&["T3", "T2"]), 2)
    );
    let open_ended = NotificationFilter {
        received_from: Some(hours(24)),
        ..NotificationFilter::default()
    };
    assert_eq!(
        listed(&log, &open_ended, first_page()).await,
        (strings(&["T5", "T4"]), 2)
    );

    // Everything given must match.
    let combined = NotificationFilter {
        channel: Some(CLOUD.to_owned()),
        kind: Some(Payment),
        received_before: Some(hours(48)),
        ..NotificationFilter::default()
    };
    assert_eq!(
        listed(&log, &combined, first_page()).await,
        (strings(&["T4", "T1"]), 2)
    );
    let nothing = NotificationFilter {
        channel: Some(V3.to_owned()),
        outcome: Some(Processed),
        ..NotificationFilter::default()
    };
    assert_eq!(listed(&log, &nothing, first_page()).await, (Vec::new(), 0));

    // Filtered lists are paged like the whole log, the total counting every match.
    let cloud = NotificationFilter {
        channel: Some(CLOUD.to_owned()),
        ..NotificationFilter::default()
    };
    assert_eq!(
        listed(&log, &cloud, PageRequest { page: 2, limit: 2 }).await,
        (strings(&["T1"]), 3)
    );
    // A page of nothing still counts.
    assert_eq!(
        listed(&log, &cloud, PageRequest { page: 1, limit: 0 }).await,
        (Vec::new(), 3)
    );
}

#[tokio::test]
async fn one_callback_is_found_by_its_id() {
    let test = TestDb::new().await;
    let log = SeaOrmPaymentNotificationLog::new(test.db.clone());
    let logged = callback(
        V3,
        NotificationKind::Refund,
        Some("ORD-F"),
        "F1",
        NotificationOutcome::Processed,
        t0(),
    );
    log.record_decided(&logged.decided()).await.unwrap();
    let listed = log
        .list(&NotificationFilter::default(), first_page())
        .await
        .unwrap();
    let id = listed.items[0].id;
    let found = log.find(id).await.unwrap().expect("the callback");
    assert_eq!(found, listed.items[0]);
    assert_eq!(found.kind, NotificationKind::Refund);
    assert_eq!(found.channel, V3);
    assert_eq!(log.find(id + 1).await.unwrap(), None);
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 10, d).unwrap()
}

/// 17, 18 and 19 October 2025 in China.
fn three_days(channel: Option<&str>) -> NotificationStatsQuery {
    NotificationStatsQuery {
        from: china_day_start(day(17)),
        before: china_day_start(day(20)),
        channel: channel.map(str::to_owned),
    }
}

fn counts(pairs: &[(NotificationOutcome, u64)]) -> OutcomeCounts {
    let mut counts = OutcomeCounts::default();
    for (outcome, n) in pairs {
        for _ in 0..*n {
            counts.add(*outcome);
        }
    }
    counts
}

#[tokio::test]
async fn statistics_count_each_china_day_by_outcome_with_processing_times() {
    let test = TestDb::new().await;
    let log = SeaOrmPaymentNotificationLog::new(test.db.clone());
    // t0 is 2025-10-18 10:00 UTC = 18:00 in China; +6h is midnight of the 19th there.
    let minutes = |m: i64| t0() + TimeDelta::minutes(m);
    use NotificationKind::Payment;
    use NotificationOutcome::{Duplicate, Error, Processed, Received, Rejected};
    let timed = |channel, id, outcome, ms, at| Callback {
        processing_ms: ms,
        ..callback(channel, Payment, Some("ORD-S"), id, outcome, at)
    };
    log_all(
        &log,
        &[
            timed(CLOUD, "S1", Processed, 10, minutes(0)),
            timed(CLOUD, "S2", Rejected, 4, minutes(359)),
            timed(CLOUD, "S3", Processed, 30, minutes(360)),
            timed(V3, "S4", Error, 100, minutes(600)),
            // Outside the period: the 16th and the 20th in China.
            timed(
                CLOUD,
                "S5",
                Processed,
                1,
                china_day_start(day(17)) - TimeDelta::seconds(1),
            ),
            timed(CLOUD, "S6", Processed, 1, china_day_start(day(20))),
        ],
    )
    .await;
    // A repeat of S1 is a duplicate: counted once, its first decision kept.
    log.record_decided(&timed(CLOUD, "S1", Duplicate, 2, minutes(400)).decided())
        .await
        .unwrap();
    // Received and never decided: no processing time.
    let undecided = timed(CLOUD, "S7", Received, 0, minutes(1)).decided();
    log.record(&undecided.notification).await.unwrap();

    let stats = log.statistics(&three_days(None)).await.unwrap();
    assert_eq!(
        stats.days.iter().map(|d| d.day).collect::<Vec<_>>(),
        vec![day(17), day(18), day(19)]
    );
    assert_eq!(stats.days[0].outcomes, OutcomeCounts::default());
    assert_eq!(stats.days[0].processing.average_ms(), None);
    assert_eq!(
        stats.days[1].outcomes,
        counts(&[(Processed, 1), (Rejected, 1), (Received, 1)])
    );
    assert_eq!(stats.days[1].processing.timed, 2);
    assert_eq!(stats.days[1].processing.average_ms(), Some(7));
    assert_eq!(
        stats.days[2].outcomes,
        counts(&[(Processed, 1), (Error, 1)])
    );
    assert_eq!(stats.days[2].processing.average_ms(), Some(65));
    assert_eq!(
        stats.outcomes,
        counts(&[(Processed, 2), (Rejected, 1), (Received, 1), (Error, 1)])
    );
    assert_eq!(stats.processing.timed, 4);
    assert_eq!(stats.processing.average_ms(), Some(36));

    let cloud = log.statistics(&three_days(Some(CLOUD))).await.unwrap();
    assert_eq!(cloud.days.len(), 3);
    assert_eq!(cloud.days[2].outcomes, counts(&[(Processed, 1)]));
    assert_eq!(cloud.days[2].processing.average_ms(), Some(30));
    assert_eq!(cloud.outcomes.total(), 4);
    assert_eq!(cloud.processing.average_ms(), Some(14));

    let none = log
        .statistics(&three_days(Some("wechat_other")))
        .await
        .unwrap();
    assert_eq!(none.days.len(), 3);
    assert_eq!(none.outcomes.total(), 0);
    assert_eq!(none.processing.average_ms(), None);
}

#[tokio::test]
async fn statistics_of_an_empty_period_are_empty() {
    let test = TestDb::new().await;
    let log = SeaOrmPaymentNotificationLog::new(test.db.clone());
    let query = NotificationStatsQuery {
        from: t0(),
        before: t0(),
        channel: None,
    };
    assert_eq!(
        log.statistics(&query).await.unwrap(),
        NotificationStatistics::default()
    );
    // A period within one China day lists that day only.
    let query = NotificationStatsQuery {
        from: t0(),
        before: t0() + TimeDelta::hours(1),
        channel: None,
    };
    let stats = log.statistics(&query).await.unwrap();
    assert_eq!(
        stats.days.iter().map(|d| d.day).collect::<Vec<_>>(),
        vec![day(18)]
    );
}

#[tokio::test]
async fn statistics_count_a_period_larger_than_one_read() {
    let test = TestDb::new().await;
    let log = SeaOrmPaymentNotificationLog::new(test.db.clone());
    // More rows than the adapter reads at once (2,000), written directly in batches.
    const ROWS: i64 = 2_150;
    let at = elife_persistence::truncate_timestamp(t0()).naive_utc();
    for batch in (0..ROWS).collect::<Vec<_>>().chunks(500) {
        let models = batch.iter().map(|n| rows::ActiveModel {
            id: NotSet,
            channel: Set(CLOUD.to_owned()),
            kind: Set("payment".to_owned()),
            order_number: Set(None),
            transaction_id: Set(Some(format!("B{n}"))),
            headers: Set(serde_json::json!({})),
            raw_body: Set("{}".to_owned()),
            client_ip: Set(None),
            outcome: Set(if n % 2 == 0 { "processed" } else { "rejected" }.to_owned()),
            error_message: Set(None),
            processing_ms: Set(Some(n % 10)),
            retry_count: Set(0),
            created_at: Set(at),
            updated_at: Set(at),
        });
        rows::Entity::insert_many(models)
            .exec_without_returning(&test.db)
            .await
            .unwrap();
    }
    let stats = log.statistics(&three_days(None)).await.unwrap();
    assert_eq!(stats.outcomes.processed, 1_075);
    assert_eq!(stats.outcomes.rejected, 1_075);
    assert_eq!(stats.days[1].outcomes.total(), 2_150);
    assert_eq!(stats.processing.timed, 2_150);
    // 0..=9 repeated: 215 times each, averaging 4.5, rounded down.
    assert_eq!(stats.processing.average_ms(), Some(4));
}
