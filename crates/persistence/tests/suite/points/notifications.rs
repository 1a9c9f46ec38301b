//! The acceptance test of the points shop on each database: a hundred copies of one
//! signed payment notification at once, through the real payments core and the real
//! points fulfilment on the database adapters, credit the order's points exactly once.

use std::sync::Arc;

use elife_domain::accounts::audit::MockAuditLog;
use elife_domain::money::Fen;
use elife_domain::order::OrderNumber;
use elife_domain::payments::{
    FulfilmentRelay, FulfilmentRouter, GoodsKind, PayChannel, PayOrderDraft, PayPorts, PayStatus,
    PaymentNotice, PaymentService,
};
use elife_domain::points::{
    EntryKind, PackageDraft, PackageRepository, PointsFulfilment, PointsLedger, PointsOrder,
    PointsOrderRepository, PointsOrderStatus, PointsService,
};
use elife_domain::ports::{
    Clock, ConfirmedPayment, IncomingNotification, MockAlerts, MockPaymentGateway,
    NotificationKind, NotificationOutcome, SystemClock,
};
use elife_persistence::{
    SeaOrmFulfilmentOutbox, SeaOrmPackageRepository, SeaOrmPayOrderRepository,
    SeaOrmPaymentNotificationLog, SeaOrmPointsLedger, SeaOrmPointsOrderRepository,
    SeaOrmRefundRepository,
};

use super::{all_entries, user};
use crate::common::TestDb;

const COPIES: usize = 100;

fn notice(number: &OrderNumber, amount: Fen) -> PaymentNotice {
    PaymentNotice {
        payment: ConfirmedPayment {
            order_number: number.to_string(),
            transaction_id: "4200000000202611300000000001".to_owned(),
            amount,
            attach: None,
            paid_at: None,
            payer: None,
        },
        path_order_number: None,
        raw: IncomingNotification {
            channel: "wechat_v3".to_owned(),
            kind: NotificationKind::Payment,
            order_number: Some(number.to_string()),
            transaction_id: Some("4200000000202611300000000001".to_owned()),
            headers: serde_json::json!({}),
            raw_body: "{}".to_owned(),
            client_ip: None,
            received_at: SystemClock.now(),
        },
    }
}

#[tokio::test]
async fn a_hundred_concurrent_copies_of_a_payment_notification_credit_a_points_order_once() {
    let test = TestDb::new().await;
    let db = test.db.clone();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut alerts = MockAlerts::new();
    alerts.expect_send().returning(|_| Ok(()));
    let ledger = Arc::new(SeaOrmPointsLedger::new(db.clone()));
    let orders = Arc::new(SeaOrmPointsOrderRepository::new(db.clone()));
    let points = Arc::new(PointsService::new(
        ledger.clone(),
        Arc::clone(&clock),
        Arc::new(MockAlerts::new()),
    ));
    let pay_ports = PayPorts {
        pay_orders: Arc::new(SeaOrmPayOrderRepository::new(db.clone())),
        outbox: Arc::new(SeaOrmFulfilmentOutbox::new(db.clone())),
        refunds: Arc::new(SeaOrmRefundRepository::new(db.clone())),
        notifications: Arc::new(SeaOrmPaymentNotificationLog::new(db.clone())),
        // A signed notification is WeChat's own record: the gateway is never asked.
        gateway: Arc::new(MockPaymentGateway::new()),
        clock: Arc::clone(&clock),
        alerts: Arc::new(alerts),
        audit: Arc::new(MockAuditLog::new()),
        channel: PayChannel::V3,
    };
    let goods = FulfilmentRouter::new().with(
        GoodsKind::Points,
        Arc::new(PointsFulfilment::new(
            orders.clone(),
            Arc::clone(&points),
            Arc::clone(&clock),
        )),
    );
    let relay = Arc::new(FulfilmentRelay::new(
        Arc::clone(&pay_ports.outbox),
        Arc::new(goods),
        Arc::clone(&clock),
    ));
    let payments = Arc::new(PaymentService::new(pay_ports, Arc::clone(&relay)));

    let now = clock.now();
    let package = SeaOrmPackageRepository::new(db.clone())
        .insert(
            &PackageDraft {
                name: "1000 积分".to_owned(),
                description: String::new(),
                amount: Fen::new(1000),
                points: 1000,
                bonus_points: 200,
                active: true,
                sort_order: 0,
            },
            now,
        )
        .await
        .expect("a package");
    let buyer = user("o-points-race");
    let number = elife_domain::testing::order_number(77);
    let order = PointsOrder {
        order_no: number.clone(),
        user: buyer.clone(),
        package_id: package.id,
        package_name: package.name.clone(),
        amount: package.amount,
        points: package.points,
        bonus_points: package.bonus_points,
        status: PointsOrderStatus::Pending,
        transaction_id: None,
        paid_at: None,
        refunded: Fen::ZERO,
        created_at: now,
        updated_at: now,
        version: 0,
    };
    orders.insert(&order).await.expect("the order");
    payments
        .open(PayOrderDraft {
            out_trade_no: number.clone(),
            kind: GoodsKind::Points,
            merchant_order_no: number.to_string(),
            amount: order.amount,
            payer: buyer.clone(),
            description: "points".to_owned(),
            time_expire: now + chrono::Duration::minutes(30),
        })
        .await
        .expect("the pay order");

    let copies: Vec<_> = (0..COPIES)
        .map(|_| {
            let payments = Arc::clone(&payments);
            let notice = notice(&number, order.amount);
            tokio::spawn(async move { payments.handle_signed_notification(&notice).await })
        })
        .collect();
    let mut processed = 0;
    let mut retried = 0;
    for copy in copies {
        match copy.await.expect("the task") {
            Ok(handled) => match handled.outcome {
                NotificationOutcome::Processed => processed += 1,
                NotificationOutcome::Duplicate => {}
                other => panic!("unexpected outcome {other:?}"),
            },
            // Answered with an error: WeChat delivers it again later.
            Err(_) => retried += 1,
        }
    }
    for _ in 0..retried {
        let handled = payments
            .handle_signed_notification(&notice(&number, order.amount))
            .await
            .expect("a later delivery");
        if handled.outcome == NotificationOutcome::Processed {
            processed += 1;
        }
    }
    // Whatever the inline deliveries left undone, as the relay job would.
    relay.deliver_for(&number).await;

    assert_eq!(processed, 1, "exactly one copy recorded the payment");
    let pay_order = payments.find(&number).await.unwrap().expect("pay order");
    assert_eq!(pay_order.status, PayStatus::Paid);
    let stored = orders.find(&number).await.unwrap().expect("points order");
    assert_eq!(stored.status, PointsOrderStatus::Paid);
    let entries = all_entries(ledger.as_ref(), &buyer).await;
    let kinds: Vec<EntryKind> = entries.iter().map(|entry| entry.kind).collect();
    assert_eq!(kinds, vec![EntryKind::PackagePurchase, EntryKind::Bonus]);
    let account = ledger.account(&buyer).await.unwrap().expect("account");
    assert_eq!(account.balance, 1200);
    assert!(ledger.drifted(10).await.unwrap().is_empty());
}
