//! Known states for the monitoring queries, written through the real repositories at
//! times relative to now (the queries look at the last 24 hours, 30 days, 5 minutes).

use chrono::{DateTime, TimeDelta, Utc};
use elife_domain::money::Fen;
use elife_domain::order::{Actor, AnomalyKind, OpenId, Order, Resolution, TopUpResult};
use elife_domain::payments::{
    FulfilmentMessage, FulfilmentOutbox, GoodsKind, PayChannel, PayOrder, PayOrderDraft,
    PayOrderRepository, PayTransition,
};
use elife_domain::ports::{
    CasOutcome, IncomingNotification, JobLeases, NotificationKind, NotificationOutcome,
    PaymentNotificationLog,
};
use elife_domain::testing::{OPENID, order_number};
use elife_persistence::{
    SeaOrmFulfilmentOutbox, SeaOrmJobLeases, SeaOrmOrderRepository, SeaOrmPayOrderRepository,
    SeaOrmPaymentNotificationLog,
};

use crate::common::{TestDb, keyring, order_at, won};

fn minutes(m: i64) -> TimeDelta {
    TimeDelta::minutes(m)
}

fn seconds(s: i64) -> TimeDelta {
    TimeDelta::seconds(s)
}

fn succeeded() -> TopUpResult {
    TopUpResult::Succeeded {
        seq: None,
        receipt: None,
    }
}

/// The top-up orders, as stored after seeding (numbers 1..=13):
///
/// | n | paid | top-up |
/// |---|---|---|
/// | 1, 2, 3 | 60, 50, 40 min ago | success after 2, 4, 30 s |
/// | 4 | 30 min ago | failed, still paid |
/// | 5 | 20 min ago | unknown |
/// | 6, 7 | 10 min, 1 min ago | pending |
/// | 8 | 15 min ago | submitting (claimed a minute later) |
/// | 9 | never | created now |
/// | 10 | two days ago | success after 3 s |
/// | 11 | 3 h ago | unknown, then settled `succeeded` by a person now |
/// | 12 | 45 min ago | failed; its refund refused (`refund_failed`) |
/// | 13 | 25 min ago | confirming at Unitel |
///
/// Each order was created a minute before its payment.
pub async fn orders(test: &TestDb, now: DateTime<Utc>) -> Vec<Order> {
    let repo = SeaOrmOrderRepository::new(test.db.clone(), keyring());
    let repo = &repo;
    let paid = |n: u32, ago: TimeDelta| async move {
        let paid_at = now - ago;
        let order = new_order(repo, n, paid_at - minutes(1)).await;
        won(repo, order.mark_paid(&format!("42000{n}"), paid_at, "paid")).await
    };
    let claimed = |n: u32, ago: TimeDelta| async move {
        let order = paid(n, ago).await;
        let at = order.paid_at.unwrap_or(now);
        won(repo, order.claim_recharge(at)).await
    };
    let answered = |n: u32, ago: TimeDelta, result: TopUpResult, after: TimeDelta| async move {
        let order = claimed(n, ago).await;
        let at = order.paid_at.unwrap_or(now) + after;
        won(repo, order.record_top_up(&result, at)).await
    };
    let failed = || TopUpResult::Failed {
        reason: "E12: subscriber barred".to_owned(),
    };
    let unknown = || TopUpResult::Unknown {
        reason: "HTTP 502".to_owned(),
    };

    let mut all = Vec::new();
    for (n, ago, delay) in [(1, 60, 2), (2, 50, 4), (3, 40, 30)] {
        all.push(answered(n, minutes(ago), succeeded(), seconds(delay)).await);
    }
    all.push(answered(4, minutes(30), failed(), seconds(1)).await);
    all.push(answered(5, minutes(20), unknown(), seconds(5)).await);
    all.push(paid(6, minutes(10)).await);
    all.push(paid(7, minutes(1)).await);
    let eighth = paid(8, minutes(15)).await;
    all.push(won(repo, eighth.claim_recharge(now - minutes(14))).await);
    all.push(new_order(repo, 9, now).await);
    all.push(answered(10, TimeDelta::days(2), succeeded(), seconds(3)).await);
    let eleventh = answered(11, minutes(180), unknown(), seconds(5)).await;
    let settled = eleventh.resolve(
        Resolution::Succeeded,
        Actor::Admin("7".to_owned()),
        "Unitel support: topped up, ticket 1234",
        now,
    );
    all.push(won(repo, settled).await);
    let twelfth = answered(12, minutes(45), failed(), seconds(1)).await;
    let refunding = won(repo, twelfth.request_refund(Actor::System, "refund", now)).await;
    let refused = refunding.finish_refund(false, "refund failed: NOT_ENOUGH", now);
    all.push(won(repo, refused).await);
    let pending = TopUpResult::Pending {
        seq: "SEQ13".to_owned(),
    };
    all.push(answered(13, minutes(25), pending, seconds(2)).await);
    all
}

async fn new_order(repo: &SeaOrmOrderRepository, n: u32, created: DateTime<Utc>) -> Order {
    let mut order = order_at(n, OPENID, 0);
    order.created_at = created;
    elife_domain::ports::OrderRepository::insert(repo, &order)
        .await
        .expect("insert order");
    order
}

/// Callbacks in the log, one per outcome that matters: returns the ids of the `error`
/// (10 min ago) and the `received` one (5 min ago), the two a person may replay.
pub async fn notifications(test: &TestDb, now: DateTime<Utc>) -> (i64, i64) {
    let log = SeaOrmPaymentNotificationLog::new(test.db.clone());
    let mut ids = Vec::new();
    for (n, ago, outcome) in [
        (1, 20, Some(NotificationOutcome::Processed)),
        (2, 10, Some(NotificationOutcome::Error)),
        (3, 5, None),
        (4, 3, Some(NotificationOutcome::Unconfirmed)),
    ] {
        let logged = log
            .record(&IncomingNotification {
                channel: "wechat_cloud".to_owned(),
                kind: NotificationKind::Payment,
                order_number: Some(order_number(n).to_string()),
                transaction_id: Some(format!("42000{n}")),
                headers: serde_json::json!({"x-wx-source": "wxpay"}),
                raw_body: r#"{"returnCode":"SUCCESS","totalFee":625}"#.to_owned(),
                client_ip: Some("10.0.0.7".to_owned()),
                received_at: now - minutes(ago),
            })
            .await
            .expect("record notification");
        if let Some(outcome) = outcome {
            let message = (outcome == NotificationOutcome::Error).then(|| "storage down".into());
            log.set_outcome(logged.id, outcome, message, 12)
                .await
                .expect("decide notification");
        }
        ids.push(logged.id);
    }
    (ids[1], ids[2])
}

fn draft(n: u32, kind: GoodsKind, now: DateTime<Utc>) -> PayOrderDraft {
    PayOrderDraft {
        out_trade_no: order_number(n),
        kind,
        merchant_order_no: format!("M-{n}"),
        amount: Fen::new(1000),
        payer: OpenId::parse(OPENID).expect("openid"),
        description: "1000 points".to_owned(),
        time_expire: now + minutes(30),
    }
}

/// Pay orders and their outbox: 101 (points) paid and delivered; 102 (points) paid, its
/// delivery failed once, then flagged `duplicate_payment` 4 min ago; 103 (top-up)
/// abandoned, not delivered; 104 (top-up) flagged `amount_mismatch` 2 min ago and
/// delivered. Returns the five messages, in the order they were written.
pub async fn pay_orders(test: &TestDb, now: DateTime<Utc>) -> Vec<FulfilmentMessage> {
    let pay_orders = SeaOrmPayOrderRepository::new(test.db.clone());
    let outbox = SeaOrmFulfilmentOutbox::new(test.db.clone());
    let apply = |transition: PayTransition| {
        let pay_orders = &pay_orders;
        async move {
            let outcome = pay_orders.apply(&transition).await.expect("apply");
            assert_eq!(outcome, CasOutcome::Won);
            transition
        }
    };
    let open = |n: u32, kind: GoodsKind| {
        let pay_orders = &pay_orders;
        async move {
            let order = PayOrder::new(draft(n, kind, now), PayChannel::V3, now - minutes(10));
            pay_orders
                .insert(&order, &[])
                .await
                .expect("insert pay order");
            order
        }
    };
    for n in [101, 102] {
        let order = open(n, GoodsKind::Points).await;
        let paid = order
            .mark_paid(&format!("42001{n}"), now - minutes(8), now - minutes(8))
            .expect("pay");
        apply(paid).await;
    }
    let paid_102 = pay_orders
        .find(&order_number(102))
        .await
        .expect("find")
        .expect("pay order 102");
    let flagged = paid_102.flag(
        AnomalyKind::DuplicatePayment,
        "transaction 4200999 paid 1000 again",
        now - minutes(4),
    );
    apply(flagged).await;
    let (abandoned, closed) =
        PayOrder::abandoned(draft(103, GoodsKind::TopUp, now), PayChannel::Cloud, now);
    pay_orders
        .insert(&abandoned, std::slice::from_ref(&closed))
        .await
        .expect("insert abandoned");
    let unpaid_104 = open(104, GoodsKind::TopUp).await;
    let mismatch = unpaid_104.flag(
        AnomalyKind::AmountMismatch,
        "paid 1 by transaction 4200104, order costs 1000",
        now - minutes(2),
    );
    apply(mismatch).await;

    let pending = outbox
        .pending(now + minutes(1), None, 50)
        .await
        .expect("pending messages");
    // Written in this order: 101 paid, 102 paid, 102 flagged, 103 closed, 104 flagged.
    assert_eq!(pending.len(), 5, "{pending:?}");
    outbox
        .delivered(pending[0].id, now)
        .await
        .expect("delivered");
    outbox
        .failed(pending[1].id, "points order M-102 not found", now)
        .await
        .expect("failed");
    outbox
        .delivered(pending[4].id, now)
        .await
        .expect("delivered");
    pending
}

/// Two instances' leases: `recharge` held by `host-a-7-1` for 10 s, `alerts` by
/// `host-b-9-2` for 5 minutes.
pub async fn leases(test: &TestDb, now: DateTime<Utc>) {
    let leases = SeaOrmJobLeases::new(test.db.clone());
    for (job, holder, lasts) in [
        ("recharge", "host-a-7-1", seconds(10)),
        ("alerts", "host-b-9-2", minutes(5)),
    ] {
        let taken = leases
            .acquire(job, holder, now, now + lasts)
            .await
            .expect("lease");
        assert!(taken, "{job}");
    }
}
