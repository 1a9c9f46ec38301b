//! The payments core's pay orders: stored once, changed only by the compare-and-set of a
//! transition that writes everything it carries or nothing, and found by the jobs' queues.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use elife_domain::accounts::audit::{AdminAct, AuditAction, AuditActor, AuditFilter, AuditLog};
use elife_domain::money::Fen;
use elife_domain::order::AnomalyKind;
use elife_domain::payments::{
    FulfilmentEvent, FulfilmentOutbox, GoodsKind, PayChannel, PayOrder, PayOrderDraft,
    PayOrderRepository, PayQueue, PayStatus, PayTransition,
};
use elife_domain::ports::{
    CasOutcome, DecidedNotification, IncomingNotification, NotificationFilter, NotificationKind,
    NotificationOutcome, PageRequest, PaymentNotificationLog, RefundRepository, RepositoryError,
};
use elife_domain::testing::{OPENID, order_number, t0};
use elife_persistence::{
    SeaOrmAuditLog, SeaOrmFulfilmentOutbox, SeaOrmPayOrderRepository, SeaOrmPaymentNotificationLog,
    SeaOrmRefundRepository,
};

use crate::common::TestDb;

pub(crate) fn draft(n: u32, kind: GoodsKind) -> PayOrderDraft {
    PayOrderDraft {
        out_trade_no: order_number(n),
        kind,
        merchant_order_no: format!("M-{n}"),
        amount: Fen::new(625),
        payer: elife_domain::order::OpenId::parse(OPENID).unwrap(),
        description: "3000 unit, 30 days".to_owned(),
        time_expire: t0() + TimeDelta::minutes(30 + i64::from(n)),
    }
}

fn unpaid(n: u32) -> PayOrder {
    PayOrder::new(draft(n, GoodsKind::TopUp), PayChannel::Cloud, t0())
}

fn minutes(m: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(m)
}

fn callback(transaction_id: &str) -> DecidedNotification {
    DecidedNotification {
        notification: IncomingNotification {
            channel: "wechatpay_v3".to_owned(),
            kind: NotificationKind::Payment,
            order_number: Some(order_number(1).to_string()),
            transaction_id: Some(transaction_id.to_owned()),
            headers: serde_json::json!({"wechatpay-serial": "5157F09EFDC096DE15EBE81A47057A72"}),
            raw_body: r#"{"event_type":"TRANSACTION.SUCCESS"}"#.to_owned(),
            client_ip: Some("10.0.0.7".to_owned()),
            received_at: t0(),
        },
        outcome: NotificationOutcome::Processed,
        error_message: None,
        processing_ms: 12,
    }
}

struct Store {
    pay_orders: SeaOrmPayOrderRepository,
    outbox: SeaOrmFulfilmentOutbox,
    refunds: SeaOrmRefundRepository,
    notifications: SeaOrmPaymentNotificationLog,
    audit: SeaOrmAuditLog,
}

impl Store {
    fn new(test: &TestDb) -> Store {
        Store {
            pay_orders: SeaOrmPayOrderRepository::new(test.db.clone()),
            outbox: SeaOrmFulfilmentOutbox::new(test.db.clone()),
            refunds: SeaOrmRefundRepository::new(test.db.clone()),
            notifications: SeaOrmPaymentNotificationLog::new(test.db.clone()),
            audit: SeaOrmAuditLog::new(test.db.clone()),
        }
    }

    /// Applies a transition that must win and returns the pay order after it.
    async fn won(&self, transition: PayTransition) -> PayOrder {
        assert_eq!(
            self.pay_orders.apply(&transition).await.unwrap(),
            CasOutcome::Won
        );
        transition.pay_order
    }

    /// The rows a transition may carry besides the pay order: (outbox messages of pay
    /// order 1, notification log rows, audit rows).
    async fn carried_rows(&self) -> (usize, u64, u64) {
        let page = PageRequest { page: 1, limit: 50 };
        (
            self.outbox
                .pending_for(&order_number(1))
                .await
                .unwrap()
                .len(),
            self.notifications
                .list(&NotificationFilter::default(), page)
                .await
                .unwrap()
                .total,
            self.audit
                .list(&AuditFilter::default(), page)
                .await
                .unwrap()
                .total,
        )
    }
}

fn refund_audited(paid: &PayOrder, at: DateTime<Utc>) -> PayTransition {
    let entry = AdminAct::new(AuditActor::cli(), Some("req-7".to_owned())).entry(
        AuditAction::OrderRefund,
        paid.out_trade_no.as_str(),
        Some("customer asked"),
        None,
        None,
        at,
    );
    paid.request_refund(Fen::new(200), "customer asked", at)
        .unwrap()
        .audited(entry)
        .notified(callback("4200000002"))
}

#[tokio::test]
async fn a_pay_order_is_stored_exactly_and_only_once_with_its_messages() {
    let test = TestDb::new().await;
    let store = Store::new(&test);
    let order = unpaid(1);
    store.pay_orders.insert(&order, &[]).await.unwrap();
    assert_eq!(
        store.pay_orders.find(&order.out_trade_no).await.unwrap(),
        Some(order.clone())
    );
    assert_eq!(
        store.pay_orders.find(&order_number(404)).await.unwrap(),
        None
    );

    // Taken: refused, and its message is not written either.
    let (abandoned, message) =
        PayOrder::abandoned(draft(1, GoodsKind::Points), PayChannel::V3, minutes(1));
    assert!(matches!(
        store.pay_orders.insert(&abandoned, &[message]).await,
        Err(RepositoryError::Duplicate(_))
    ));
    assert_eq!(
        store.pay_orders.find(&order.out_trade_no).await.unwrap(),
        Some(order)
    );
    assert!(
        store
            .outbox
            .pending_for(&order_number(1))
            .await
            .unwrap()
            .is_empty()
    );

    // A pay order closed at once is stored with the message that tells its goods.
    let (abandoned, message) =
        PayOrder::abandoned(draft(2, GoodsKind::Mall), PayChannel::V3, minutes(1));
    store
        .pay_orders
        .insert(&abandoned, std::slice::from_ref(&message))
        .await
        .unwrap();
    assert_eq!(
        store.pay_orders.find(&order_number(2)).await.unwrap(),
        Some(abandoned)
    );
    let stored = store.outbox.pending_for(&order_number(2)).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].id > 0);
    assert_eq!(
        stored[0],
        elife_domain::payments::FulfilmentMessage {
            id: stored[0].id,
            ..message
        }
    );
}

#[tokio::test]
async fn a_transition_wins_only_from_the_expected_status_and_version() {
    let test = TestDb::new().await;
    let store = Store::new(&test);
    let order = unpaid(1);
    store.pay_orders.insert(&order, &[]).await.unwrap();

    let paid = order
        .mark_paid("4200000001", minutes(3), minutes(4))
        .unwrap();
    assert_eq!(
        store.pay_orders.apply(&paid).await.unwrap(),
        CasOutcome::Won
    );
    assert_eq!(
        store.pay_orders.find(&order.out_trade_no).await.unwrap(),
        Some(paid.pay_order.clone())
    );
    // The same expectations again: the row moved on.
    let closed = order.close(minutes(5)).unwrap();
    assert_eq!(
        store.pay_orders.apply(&closed).await.unwrap(),
        CasOutcome::Lost
    );
    // The right version with the wrong status.
    let mut wrong_status = paid
        .pay_order
        .flag(AnomalyKind::AmountMismatch, "x", minutes(6));
    wrong_status.expected_status = PayStatus::Unpaid;
    assert_eq!(
        store.pay_orders.apply(&wrong_status).await.unwrap(),
        CasOutcome::Lost
    );
    // An unknown pay order.
    let stranger = unpaid(9).close(minutes(5)).unwrap();
    assert_eq!(
        store.pay_orders.apply(&stranger).await.unwrap(),
        CasOutcome::Lost
    );
    // A transition that does not raise the version by one.
    let mut malformed = paid
        .pay_order
        .flag(AnomalyKind::AmountMismatch, "x", minutes(6));
    malformed.pay_order.version = 7;
    assert!(matches!(
        store.pay_orders.apply(&malformed).await,
        Err(RepositoryError::Corrupt(_))
    ));
    assert_eq!(
        store.pay_orders.find(&order.out_trade_no).await.unwrap(),
        Some(paid.pay_order)
    );
    let messages = store.outbox.pending_for(&order_number(1)).await.unwrap();
    let events: Vec<FulfilmentEvent> = messages.iter().map(|m| m.event).collect();
    assert_eq!(events, [FulfilmentEvent::Paid]);
}

#[tokio::test]
async fn a_won_transition_writes_everything_it_carries() {
    let test = TestDb::new().await;
    let store = Store::new(&test);
    let order = unpaid(1);
    store.pay_orders.insert(&order, &[]).await.unwrap();
    let paid = store
        .won(
            order
                .mark_paid("4200000001", minutes(3), minutes(3))
                .unwrap(),
        )
        .await;

    let refund = refund_audited(&paid, minutes(10));
    let refunding = store.won(refund.clone()).await;
    assert_eq!(refunding.status, PayStatus::Refunding);
    assert_eq!(refunding.refunding, Fen::new(200));
    assert_eq!(
        store.pay_orders.find(&order.out_trade_no).await.unwrap(),
        Some(refunding)
    );
    let stored_refund = refund.refund.clone().unwrap();
    assert_eq!(
        store.refunds.find(&stored_refund.refund_no).await.unwrap(),
        Some(stored_refund)
    );
    let events: Vec<(FulfilmentEvent, i64)> = store
        .outbox
        .pending_for(&order_number(1))
        .await
        .unwrap()
        .iter()
        .map(|m| (m.event, m.amount.value()))
        .collect();
    assert_eq!(
        events,
        [
            (FulfilmentEvent::Paid, 625),
            (FulfilmentEvent::Refunding, 200)
        ]
    );
    let page = PageRequest { page: 1, limit: 10 };
    let logged = store
        .notifications
        .list(&NotificationFilter::default(), page)
        .await
        .unwrap();
    assert_eq!(logged.total, 1);
    assert_eq!(logged.items[0].outcome, NotificationOutcome::Processed);
    assert_eq!(
        logged.items[0].transaction_id.as_deref(),
        Some("4200000002")
    );
    let audited = store
        .audit
        .list(&AuditFilter::default(), page)
        .await
        .unwrap();
    assert_eq!(audited.total, 1);
    assert_eq!(audited.items[0].entry, refund.audit.unwrap());
}

#[tokio::test]
async fn a_lost_transition_writes_nothing_it_carries() {
    let test = TestDb::new().await;
    let store = Store::new(&test);
    let order = unpaid(1);
    store.pay_orders.insert(&order, &[]).await.unwrap();
    let paid = store
        .won(
            order
                .mark_paid("4200000001", minutes(3), minutes(3))
                .unwrap(),
        )
        .await;
    let before = store.carried_rows().await;
    assert_eq!(before, (1, 0, 0));

    // Someone else changed the pay order first: the refund decided on it is stale.
    let stale = refund_audited(&paid, minutes(10));
    store
        .won(paid.flag(AnomalyKind::AmountMismatch, "WeChat says 600", minutes(9)))
        .await;
    assert_eq!(
        store.pay_orders.apply(&stale).await.unwrap(),
        CasOutcome::Lost
    );
    // The right version, the wrong status.
    let flagged = store
        .pay_orders
        .find(&order_number(1))
        .await
        .unwrap()
        .unwrap();
    let mut wrong_status = refund_audited(&flagged, minutes(11));
    wrong_status.expected_status = PayStatus::RefundFailed;
    assert_eq!(
        store.pay_orders.apply(&wrong_status).await.unwrap(),
        CasOutcome::Lost
    );

    let refund_no = stale.refund.unwrap().refund_no;
    assert_eq!(store.refunds.find(&refund_no).await.unwrap(), None);
    let wrong_refund_no = wrong_status.refund.unwrap().refund_no;
    assert_eq!(store.refunds.find(&wrong_refund_no).await.unwrap(), None);
    // Only the flag's message was added.
    assert_eq!(store.carried_rows().await, (2, 0, 0));
    assert_eq!(
        store.pay_orders.find(&order_number(1)).await.unwrap(),
        Some(flagged)
    );
}

#[tokio::test]
async fn a_refund_number_taken_already_rolls_the_whole_transition_back() {
    let test = TestDb::new().await;
    let store = Store::new(&test);
    let order = unpaid(1);
    store.pay_orders.insert(&order, &[]).await.unwrap();
    let paid = store
        .won(
            order
                .mark_paid("4200000001", minutes(3), minutes(3))
                .unwrap(),
        )
        .await;
    let refund = refund_audited(&paid, minutes(10));
    store
        .refunds
        .insert(refund.refund.as_ref().unwrap())
        .await
        .unwrap();

    assert!(matches!(
        store.pay_orders.apply(&refund).await,
        Err(RepositoryError::Duplicate(_))
    ));
    assert_eq!(
        store.pay_orders.find(&order_number(1)).await.unwrap(),
        Some(paid)
    );
    assert_eq!(store.carried_rows().await, (1, 0, 0));
}

#[tokio::test]
async fn twenty_appliers_racing_one_transition_yield_exactly_one_winner() {
    let test = TestDb::new().await;
    let store = Store::new(&test);
    let pay_orders = Arc::new(store.pay_orders.clone());
    let order = unpaid(1);
    pay_orders.insert(&order, &[]).await.unwrap();

    let tasks: Vec<_> = (0..20)
        .map(|worker| {
            let pay_orders = Arc::clone(&pay_orders);
            let transaction = format!("42000000{worker:02}");
            let at = minutes(3) + TimeDelta::milliseconds(worker);
            let transition = order
                .mark_paid(&transaction, at, at)
                .unwrap()
                .notified(callback(&transaction));
            tokio::spawn(async move { pay_orders.apply(&transition).await })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        match task
            .await
            .unwrap()
            .expect("no storage error under contention")
        {
            CasOutcome::Won => winners += 1,
            CasOutcome::Lost => {}
        }
    }
    assert_eq!(winners, 1);
    let stored = pay_orders.find(&order_number(1)).await.unwrap().unwrap();
    assert_eq!(stored.status, PayStatus::Paid);
    assert_eq!(stored.version, 1);
    // One message and one log row: the winner's.
    let messages = store.outbox.pending_for(&order_number(1)).await.unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].transaction_id, stored.transaction_id);
    let logged = store
        .notifications
        .list(
            &NotificationFilter::default(),
            PageRequest { page: 1, limit: 50 },
        )
        .await
        .unwrap();
    assert_eq!(logged.total, 1);
    assert_eq!(logged.items[0].transaction_id, stored.transaction_id);
}

#[tokio::test]
async fn the_work_queues_go_by_out_trade_no_after_a_cursor() {
    let test = TestDb::new().await;
    let store = Store::new(&test);
    // Pay order n expires 30 + n minutes after t0.
    for n in 1..=8 {
        store.pay_orders.insert(&unpaid(n), &[]).await.unwrap();
    }
    // 6 paid; 7 refunding since minute 50; 8 refunding since minute 70.
    for (n, since) in [(6, None), (7, Some(50)), (8, Some(70))] {
        let order = unpaid(n);
        let paid = store
            .won(
                order
                    .mark_paid("4200000001", minutes(2), minutes(2))
                    .unwrap(),
            )
            .await;
        if let Some(since) = since {
            store
                .won(
                    paid.request_refund(Fen::new(625), "top-up failed", minutes(since))
                        .unwrap(),
                )
                .await;
        }
    }
    let numbers = |found: Vec<PayOrder>| -> Vec<u32> {
        found
            .iter()
            .map(|order| {
                (1..=8)
                    .find(|n| order_number(*n) == order.out_trade_no)
                    .unwrap()
            })
            .collect()
    };

    // Expired at minute 35: 1..4 (time_expire 31..34); 5 expires at 35, not before it.
    let expired = store
        .pay_orders
        .find_work(PayQueue::ExpiredUnpaid, minutes(35), None, 10)
        .await
        .unwrap();
    assert_eq!(numbers(expired), [1, 2, 3, 4]);
    let first_page = store
        .pay_orders
        .find_work(PayQueue::ExpiredUnpaid, minutes(35), None, 3)
        .await
        .unwrap();
    assert_eq!(numbers(first_page.clone()), [1, 2, 3]);
    let next_page = store
        .pay_orders
        .find_work(
            PayQueue::ExpiredUnpaid,
            minutes(35),
            Some(first_page[2].out_trade_no.clone()),
            3,
        )
        .await
        .unwrap();
    assert_eq!(numbers(next_page), [4]);

    let refunding = store
        .pay_orders
        .find_work(PayQueue::Refunding, minutes(60), None, 10)
        .await
        .unwrap();
    assert_eq!(numbers(refunding), [7]);
    let refunding = store
        .pay_orders
        .find_work(PayQueue::Refunding, minutes(80), Some(order_number(7)), 10)
        .await
        .unwrap();
    assert_eq!(numbers(refunding), [8]);
}
