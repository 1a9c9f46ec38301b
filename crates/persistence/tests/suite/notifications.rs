use std::sync::Arc;

use chrono::TimeDelta;
use elife_domain::ports::{
    DecidedNotification, IncomingNotification, NotificationFilter, NotificationKind,
    NotificationOutcome, NotificationRecord, PageRequest, PaymentNotificationLog, RepositoryError,
};
use elife_domain::testing::{ORDER_NUMBER, t0};
use elife_persistence::SeaOrmPaymentNotificationLog;

use crate::common::TestDb;

fn callback(transaction_id: Option<&str>, kind: NotificationKind) -> IncomingNotification {
    IncomingNotification {
        channel: "wechat_cloud".to_owned(),
        kind,
        order_number: Some(ORDER_NUMBER.to_owned()),
        transaction_id: transaction_id.map(str::to_owned),
        headers: serde_json::json!({"x-wx-source": "wxpay", "content-type": "application/json"}),
        raw_body: r#"{"returnCode":"SUCCESS","totalFee":625}"#.to_owned(),
        client_ip: Some("10.0.0.7".to_owned()),
        received_at: t0(),
    }
}

#[tokio::test]
async fn a_repeated_callback_is_recognised_and_its_retries_counted() {
    let test = TestDb::new().await;
    let log = SeaOrmPaymentNotificationLog::new(test.db.clone());
    let first = log
        .record(&callback(Some("4200"), NotificationKind::Payment))
        .await
        .unwrap();
    assert!(!first.seen_before);
    let mut again = callback(Some("4200"), NotificationKind::Payment);
    again.received_at = t0() + TimeDelta::seconds(15);
    for _ in 0..2 {
        let repeat = log.record(&again).await.unwrap();
        assert!(repeat.seen_before);
        assert_eq!(repeat.id, first.id);
    }
    let page = log
        .list(
            &NotificationFilter::default(),
            PageRequest { page: 1, limit: 10 },
        )
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    let record = &page.items[0];
    assert_eq!(record.retry_count, 2);
    assert_eq!(record.outcome, NotificationOutcome::Received);
    assert_eq!(
        record.raw_body,
        callback(None, NotificationKind::Payment).raw_body
    );
    assert_eq!(record.client_ip.as_deref(), Some("10.0.0.7"));
    assert_eq!(record.created_at, t0());
    assert_eq!(record.kind, NotificationKind::Payment);
}

#[tokio::test]
async fn the_refund_callback_of_a_transaction_is_not_a_duplicate_of_its_payment() {
    let test = TestDb::new().await;
    let log = SeaOrmPaymentNotificationLog::new(test.db.clone());
    let payment = log
        .record(&callback(Some("4200"), NotificationKind::Payment))
        .await
        .unwrap();
    let refund = log
        .record(&callback(Some("4200"), NotificationKind::Refund))
        .await
        .unwrap();
    assert!(!refund.seen_before);
    assert_ne!(payment.id, refund.id);
    let mut other_channel = callback(Some("4200"), NotificationKind::Payment);
    other_channel.channel = "wechat_direct".to_owned();
    assert!(!log.record(&other_channel).await.unwrap().seen_before);
}

#[tokio::test]
async fn callbacks_without_a_transaction_id_are_all_kept() {
    let test = TestDb::new().await;
    let log = SeaOrmPaymentNotificationLog::new(test.db.clone());
    let a = log
        .record(&callback(None, NotificationKind::Payment))
        .await
        .unwrap();
    let b = log
        .record(&callback(None, NotificationKind::Payment))
        .await
        .unwrap();
    assert!(!a.seen_before && !b.seen_before);
    assert_ne!(a.id, b.id);
}

#[tokio::test]
async fn concurrent_deliveries_of_one_callback_make_one_row() {
    let test = TestDb::new().await;
    let log = Arc::new(SeaOrmPaymentNotificationLog::new(test.db.clone()));
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                log.record(&callback(Some("4300"), NotificationKind::Payment))
                    .await
            })
        })
        .collect();
    let mut fresh = 0;
    let mut ids = Vec::new();
    for task in tasks {
        let logged = task.await.unwrap().unwrap();
        if !logged.seen_before {
            fresh += 1;
        }
        ids.push(logged.id);
    }
    assert_eq!(fresh, 1);
    ids.dedup();
    assert_eq!(ids.len(), 1);
    let page = log
        .list(
            &NotificationFilter::default(),
            PageRequest { page: 1, limit: 10 },
        )
        .await
        .unwrap();
    assert_eq!(page.items[0].retry_count, 9);
}

#[tokio::test]
async fn outcomes_are_recorded_and_filtered() {
    let test = TestDb::new().await;
    let log = SeaOrmPaymentNotificationLog::new(test.db.clone());
    let mut ids = Vec::new();
    for n in 0..5 {
        let logged = log
            .record(&callback(Some(&format!("T{n}")), NotificationKind::Payment))
            .await
            .unwrap();
        ids.push(logged.id);
    }
    log.set_outcome(ids[0], NotificationOutcome::Processed, None, 12)
        .await
        .unwrap();
    log.set_outcome(
        ids[1],
        NotificationOutcome::Rejected,
        Some("amount 600 != 625".to_owned()),
        3,
    )
    .await
    .unwrap();
    log.set_outcome(ids[2], NotificationOutcome::Processed, None, 8)
        .await
        .unwrap();
    // Writing the same outcome again is fine.
    log.set_outcome(ids[2], NotificationOutcome::Processed, None, 8)
        .await
        .unwrap();

    let processed = log
        .list(
            &NotificationFilter::with_outcome(NotificationOutcome::Processed),
            PageRequest { page: 1, limit: 10 },
        )
        .await
        .unwrap();
    assert_eq!(processed.total, 2);
    assert_eq!(
        processed.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![ids[2], ids[0]]
    );
    assert_eq!(processed.items[1].processing_ms, Some(12));
    let rejected = log
        .list(
            &NotificationFilter::with_outcome(NotificationOutcome::Rejected),
            PageRequest { page: 1, limit: 10 },
        )
        .await
        .unwrap();
    assert_eq!(
        rejected.items[0].error_message.as_deref(),
        Some("amount 600 != 625")
    );

    let second_page = log
        .list(
            &NotificationFilter::default(),
            PageRequest { page: 2, limit: 2 },
        )
        .await
        .unwrap();
    assert_eq!(second_page.total, 5);
    assert_eq!(
        second_page.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![ids[2], ids[1]]
    );
}

#[tokio::test]
async fn the_outcome_of_an_unknown_notification_is_an_error() {
    let test = TestDb::new().await;
    let log = SeaOrmPaymentNotificationLog::new(test.db.clone());
    let error = log
        .set_outcome(999, NotificationOutcome::Processed, None, 1)
        .await
        .unwrap_err();
    assert!(matches!(error, RepositoryError::Corrupt(_)), "{error:?}");
}

fn decided(
    transaction_id: Option<&str>,
    outcome: NotificationOutcome,
    message: Option<&str>,
    processing_ms: i64,
) -> DecidedNotification {
    DecidedNotification {
        notification: callback(transaction_id, NotificationKind::Payment),
        outcome,
        error_message: message.map(str::to_owned),
        processing_ms,
    }
}

async fn all(log: &SeaOrmPaymentNotificationLog) -> Vec<NotificationRecord> {
    log.list(
        &NotificationFilter::default(),
        PageRequest { page: 1, limit: 50 },
    )
    .await
    .unwrap()
    .items
}

#[tokio::test]
async fn a_decided_callback_is_logged_with_its_outcome_in_one_write() {
    let test = TestDb::new().await;
    let log = SeaOrmPaymentNotificationLog::new(test.db.clone());
    log.record_decided(&decided(
        Some("4200"),
        NotificationOutcome::Rejected,
        Some("amount 600 != 625"),
        4,
    ))
    .await
    .unwrap();
    let rows = all(&log).await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.outcome, NotificationOutcome::Rejected);
    assert_eq!(row.error_message.as_deref(), Some("amount 600 != 625"));
    assert_eq!(row.processing_ms, Some(4));
    assert_eq!(row.retry_count, 0);
    assert_eq!(row.created_at, t0());
    assert_eq!(row.client_ip.as_deref(), Some("10.0.0.7"));
}

#[tokio::test]
async fn a_decided_repeat_counts_a_retry_and_a_duplicate_keeps_the_first_decision() {
    let test = TestDb::new().await;
    let log = SeaOrmPaymentNotificationLog::new(test.db.clone());
    let first = decided(
        Some("4200"),
        NotificationOutcome::Error,
        Some("WeChat unavailable"),
        30,
    );
    log.record_decided(&first).await.unwrap();
    // The retry is processed: the outcome is replaced.
    log.record_decided(&decided(
        Some("4200"),
        NotificationOutcome::Processed,
        None,
        9,
    ))
    .await
    .unwrap();
    // Later deliveries are duplicates: counted, the decision kept.
    for _ in 0..2 {
        log.record_decided(&decided(
            Some("4200"),
            NotificationOutcome::Duplicate,
            None,
            1,
        ))
        .await
        .unwrap();
    }
    let rows = all(&log).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].retry_count, 3);
    assert_eq!(rows[0].outcome, NotificationOutcome::Processed);
    assert_eq!(rows[0].error_message, None);
    assert_eq!(rows[0].processing_ms, Some(9));
    // Callbacks without a transaction id never collide.
    for _ in 0..2 {
        log.record_decided(&decided(
            None,
            NotificationOutcome::Rejected,
            Some("bad"),
            0,
        ))
        .await
        .unwrap();
    }
    assert_eq!(all(&log).await.len(), 3);
    // The old two-step log still recognises the row.
    let again = log
        .record(&callback(Some("4200"), NotificationKind::Payment))
        .await
        .unwrap();
    assert!(again.seen_before);
    assert_eq!(again.id, rows[0].id);
}

#[tokio::test]
async fn concurrent_decided_deliveries_make_one_row() {
    let test = TestDb::new().await;
    let log = Arc::new(SeaOrmPaymentNotificationLog::new(test.db.clone()));
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                log.record_decided(&decided(
                    Some("4300"),
                    NotificationOutcome::Duplicate,
                    None,
                    1,
                ))
                .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let rows = all(&log).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].retry_count, 9);
}
