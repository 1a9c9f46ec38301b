//! One scenario per rule of the core: confirmation, forgery, anomalies, expiry, late
//! payments, refunds, the outbox surviving failures, reconciliation and admin sync.

use chrono::Duration;

use crate::money::Fen;
use crate::order::{AnomalyKind, Order, OrderNumber, PaymentStatus, RechargeStatus};
use crate::payments::{
    FulfilmentEvent, NotificationHandled, PayChannel, PayStatus, PaymentNotice, RefundCommand,
    RefundOutcome,
};
use crate::ports::{ConfirmedPayment, IncomingNotification, NotificationKind, NotificationOutcome};
use crate::services::ServiceError;

use super::world::{WINDOW, World};

fn claim(order: &Order, transaction: &str, amount: Fen) -> PaymentNotice {
    PaymentNotice {
        payment: ConfirmedPayment {
            order_number: order.number.to_string(),
            transaction_id: transaction.to_owned(),
            amount,
            attach: None,
            paid_at: None,
            payer: None,
        },
        path_order_number: None,
        raw: IncomingNotification {
            channel: "wechat_cloud".to_owned(),
            kind: NotificationKind::Payment,
            order_number: Some(order.number.to_string()),
            transaction_id: Some(transaction.to_owned()),
            headers: serde_json::json!({}),
            raw_body: "{}".to_owned(),
            client_ip: None,
            received_at: crate::testing::t0(),
        },
    }
}

async fn paid_through_callback(world: &World, order: &Order) -> NotificationHandled {
    world.start_payment(order).await.expect("payment starts");
    assert!(world.wechat.pay(&order.number, order.price_fen, "42000001"));
    world
        .payments
        .handle_notification(&claim(order, "42000001", order.price_fen))
        .await
        .expect("recorded")
}

fn pay_status(world: &World, number: &OrderNumber) -> PayStatus {
    world
        .store
        .state()
        .pay_orders
        .iter()
        .find(|p| &p.out_trade_no == number)
        .map(|p| p.status)
        .expect("pay order")
}

#[tokio::test]
async fn a_confirmed_callback_pays_once_and_the_top_up_starts_once() {
    let world = World::new(PayChannel::Cloud);
    let order = world.place(1);
    let handled = paid_through_callback(&world, &order).await;
    assert_eq!(handled.outcome, NotificationOutcome::Processed);
    assert_eq!(pay_status(&world, &order.number), PayStatus::Paid);
    let mirrored = world.orders.get(&order.number);
    assert_eq!(mirrored.payment_status, PaymentStatus::Paid);
    assert_eq!(mirrored.recharge_status, RechargeStatus::Pending);
    assert_eq!(mirrored.transaction_id.as_deref(), Some("42000001"));

    // WeChat delivers again: a duplicate, nothing more.
    let again = world
        .payments
        .handle_notification(&claim(&order, "42000001", order.price_fen))
        .await
        .expect("recorded");
    assert_eq!(again.outcome, NotificationOutcome::Duplicate);
    world.run_top_ups().await;
    assert_eq!(world.top_ups_of(&order.number), 1);
    let state = world.store.state();
    assert!(state.outbox.iter().all(|row| row.delivered_at.is_some()));
    assert_eq!(state.notifications.len(), 1, "one row per transaction");
    assert_eq!(
        state.notifications[0].outcome,
        NotificationOutcome::Processed
    );
}

#[tokio::test]
async fn a_forged_callback_changes_nothing_and_pages_nobody() {
    let world = World::new(PayChannel::Cloud);
    let order = world.place(2);
    world.start_payment(&order).await.expect("payment starts");
    for (transaction, amount) in [("forged-1", order.price_fen), ("forged-2", Fen::new(1))] {
        let handled = world
            .payments
            .handle_notification(&claim(&order, transaction, amount))
            .await
            .expect("recorded");
        assert_eq!(handled.outcome, NotificationOutcome::Unconfirmed);
    }
    assert_eq!(pay_status(&world, &order.number), PayStatus::Unpaid);
    assert_eq!(world.orders.get(&order.number), order);
    assert!(world.alerts().is_empty());
    assert!(world.store.state().outbox.is_empty());
    let outcomes: Vec<_> = world
        .store
        .state()
        .notifications
        .iter()
        .map(|n| n.outcome)
        .collect();
    assert_eq!(outcomes, vec![NotificationOutcome::Unconfirmed; 2]);
}

#[tokio::test]
async fn a_callback_wechat_cannot_confirm_now_is_retried_and_nothing_is_written() {
    let world = World::new(PayChannel::Cloud);
    let order = world.place(3);
    world.start_payment(&order).await.expect("payment starts");
    world.wechat.pay(&order.number, order.price_fen, "42000003");
    world.wechat.set_down(true);
    let result = world
        .payments
        .handle_notification(&claim(&order, "42000003", order.price_fen))
        .await;
    assert!(
        matches!(result, Err(ServiceError::Unavailable(message)) if message.contains("WeChat"))
    );
    assert_eq!(pay_status(&world, &order.number), PayStatus::Unpaid);
    world.wechat.set_down(false);
    let retried = world
        .payments
        .handle_notification(&claim(&order, "42000003", order.price_fen))
        .await
        .expect("recorded");
    assert_eq!(retried.outcome, NotificationOutcome::Processed);
}

#[tokio::test]
async fn a_signed_payment_of_another_amount_is_flagged_once_on_both_orders() {
    let world = World::new(PayChannel::V3);
    let order = world.place(4);
    world.start_payment(&order).await.expect("payment starts");
    for _ in 0..3 {
        let handled = world
            .payments
            .handle_signed_notification(&claim(&order, "42000004", Fen::new(1)))
            .await
            .expect("recorded");
        assert_eq!(handled.outcome, NotificationOutcome::Rejected);
    }
    assert_eq!(world.alerts().len(), 1, "alerted once");
    let anomaly = world
        .orders
        .get(&order.number)
        .anomaly
        .expect("flagged on the top-up");
    assert_eq!(anomaly.kind, AnomalyKind::AmountMismatch);
    assert_eq!(pay_status(&world, &order.number), PayStatus::Unpaid);
}

#[tokio::test]
async fn expiry_asks_wechat_closes_there_and_then_here() {
    let world = World::new(PayChannel::Cloud);
    let order = world.place(5);
    world.start_payment(&order).await.expect("payment starts");
    world.clock.advance(WINDOW + Duration::minutes(1));
    let report = world
        .payments
        .expire_unpaid(None, 50)
        .await
        .expect("expiry");
    assert_eq!(report.closed, 1);
    assert_eq!(pay_status(&world, &order.number), PayStatus::Closed);
    assert_eq!(
        world.orders.get(&order.number).payment_status,
        PaymentStatus::Closed
    );
    // Closed at WeChat: the payer can no longer pay.
    assert!(!world.wechat.pay(&order.number, order.price_fen, "too-late"));
}

#[tokio::test]
async fn expiry_records_a_payment_it_finds_instead_of_closing() {
    let world = World::new(PayChannel::Cloud);
    let order = world.place(6);
    world.start_payment(&order).await.expect("payment starts");
    world.wechat.pay(&order.number, order.price_fen, "42000006");
    world.clock.advance(WINDOW + Duration::minutes(1));
    let report = world
        .payments
        .expire_unpaid(None, 50)
        .await
        .expect("expiry");
    assert_eq!(report.found_paid, 1);
    assert_eq!(
        world.orders.get(&order.number).payment_status,
        PaymentStatus::Paid
    );
}

#[tokio::test]
async fn an_order_whose_payment_never_started_is_closed_without_asking_wechat() {
    let world = World::new(PayChannel::Cloud);
    let order = world.place(7);
    world.clock.advance(WINDOW + Duration::minutes(1));
    let report = world
        .top_ups
        .close_abandoned(None, 50)
        .await
        .expect("sweep");
    assert_eq!(report.changed, 1);
    assert_eq!(pay_status(&world, &order.number), PayStatus::Closed);
    assert_eq!(
        world.orders.get(&order.number).payment_status,
        PaymentStatus::Closed
    );
    // No payment can start on it any more.
    assert!(world.start_payment(&order).await.is_err());
}

#[tokio::test]
async fn a_payment_after_close_is_recorded_flagged_and_given_back_in_full() {
    let world = World::new(PayChannel::V3);
    let order = world.place(8);
    world.start_payment(&order).await.expect("payment starts");
    world.clock.advance(WINDOW + Duration::minutes(1));
    world
        .payments
        .expire_unpaid(None, 50)
        .await
        .expect("expiry");
    // WeChat lets it through anyway (a signed notification is WeChat's own record).
    world
        .wechat
        .pay_despite_close(&order.number, order.price_fen, "42000008");
    let handled = world
        .payments
        .handle_signed_notification(&claim(&order, "42000008", order.price_fen))
        .await
        .expect("recorded");
    assert_eq!(handled.outcome, NotificationOutcome::Rejected);
    let state = world.store.state().pay_orders[0].clone();
    assert_eq!(state.status, PayStatus::Refunded);
    assert!(state.late_payment);
    assert_eq!(state.refunded, order.price_fen);
    let requests = world.wechat.refund_requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].amount, order.price_fen);
    let top_up = world.orders.get(&order.number);
    assert_eq!(top_up.payment_status, PaymentStatus::Closed);
    assert_eq!(
        top_up.anomaly.map(|a| a.kind),
        Some(AnomalyKind::PaymentAfterClose)
    );
    world.run_top_ups().await;
    assert_eq!(world.top_ups_of(&order.number), 0, "nothing delivered");
}

#[tokio::test]
async fn partial_refunds_add_up_to_at_most_what_was_paid() {
    let world = World::new(PayChannel::V3);
    let order = world.place(9);
    paid_through_callback(&world, &order).await;
    let refund = |amount: i64| RefundCommand {
        out_trade_no: order.number.clone(),
        amount: Some(Fen::new(amount)),
        reason: "goodwill".to_owned(),
        audit: None,
    };
    assert_eq!(
        world.refunds.refund(refund(200)).await.expect("refund"),
        RefundOutcome::Refunded
    );
    assert_eq!(pay_status(&world, &order.number), PayStatus::Paid);
    let too_much = world.refunds.refund(refund(500)).await;
    assert!(
        matches!(too_much, Err(ServiceError::Validation(_))),
        "{too_much:?}"
    );
    assert_eq!(
        world.refunds.refund(refund(425)).await.expect("refund"),
        RefundOutcome::Refunded
    );
    assert_eq!(pay_status(&world, &order.number), PayStatus::Refunded);
    assert_eq!(world.wechat.refunded(&order.number), 625);
    let numbers: Vec<String> = world
        .store
        .state()
        .refunds
        .iter()
        .map(|r| r.refund_no.clone())
        .collect();
    assert_eq!(numbers.len(), 2);
    assert_ne!(numbers[0], numbers[1]);
}

#[tokio::test]
async fn an_admin_refund_of_a_failed_top_up_is_audited_and_mirrored() {
    let world = World::new(PayChannel::Cloud);
    let order = world.place(10);
    paid_through_callback(&world, &order).await;
    // The top-up failed definitively.
    {
        let mut orders = world.orders.orders.lock().unwrap();
        let stored = orders.get_mut(&order.number).unwrap();
        stored.recharge_status = RechargeStatus::Failed;
    }
    let outcome = world
        .top_ups
        .refund_by_admin(&order.number, &world.admin(), "customer asked")
        .await
        .expect("refund");
    assert_eq!(outcome, RefundOutcome::Refunded);
    assert_eq!(
        world.orders.get(&order.number).payment_status,
        PaymentStatus::Refunded
    );
    assert_eq!(
        world.store.state().audit.len(),
        1,
        "audited with the payment's change"
    );
    let events: Vec<FulfilmentEvent> = world
        .store
        .state()
        .outbox
        .iter()
        .map(|row| row.message.event)
        .collect();
    assert_eq!(
        events,
        vec![
            FulfilmentEvent::Paid,
            FulfilmentEvent::Refunding,
            FulfilmentEvent::Refunded
        ]
    );
}

#[tokio::test]
async fn a_refund_while_the_top_up_runs_is_refused_before_money_moves() {
    let world = World::new(PayChannel::Cloud);
    let order = world.place(11);
    paid_through_callback(&world, &order).await;
    {
        let mut orders = world.orders.orders.lock().unwrap();
        orders.get_mut(&order.number).unwrap().recharge_status = RechargeStatus::Submitting;
    }
    let refused = world
        .top_ups
        .refund_by_admin(&order.number, &world.admin(), "customer asked")
        .await;
    assert!(
        matches!(refused, Err(ServiceError::Conflict(_))),
        "{refused:?}"
    );
    assert!(world.wechat.refund_requests.lock().unwrap().is_empty());
    assert_eq!(pay_status(&world, &order.number), PayStatus::Paid);
}

#[tokio::test]
async fn news_the_goods_could_not_take_stays_in_the_outbox_until_the_relay_delivers_it() {
    let world = World::new(PayChannel::V3);
    let order = world.place(12);
    world.start_payment(&order).await.expect("payment starts");
    // The top-up order is gone for a moment (its storage failed): simulated by removing it.
    let stored = world
        .orders
        .orders
        .lock()
        .unwrap()
        .remove(&order.number)
        .unwrap();
    world
        .payments
        .handle_signed_notification(&claim(&order, "42000012", order.price_fen))
        .await
        .expect("recorded");
    assert_eq!(pay_status(&world, &order.number), PayStatus::Paid);
    world
        .orders
        .orders
        .lock()
        .unwrap()
        .insert(order.number.clone(), stored);
    // Unknown orders are acknowledged (logged) by the fulfilment, so the message is marked
    // delivered; an order that comes back later is found by the reconciliation instead.
    // What must hold is that a failing delivery is retried:
    world.store.fail_next_writes(0);
    let report = world.relay.deliver_pending(50).await.expect("relay");
    assert_eq!(report.failed, 0);
}

#[tokio::test]
async fn the_relay_job_delivers_what_a_crash_left_in_the_outbox() {
    let world = World::new(PayChannel::V3);
    let order = world.place(13);
    world.start_payment(&order).await.expect("payment starts");
    // The inline delivery's write of "delivered" fails, and so does its fulfilment read:
    // simulate a crash right after the commit by marking nothing delivered.
    world
        .payments
        .handle_signed_notification(&claim(&order, "42000013", order.price_fen))
        .await
        .expect("recorded");
    for row in world.store.state().outbox.iter_mut() {
        row.delivered_at = None;
    }
    world.clock.advance(Duration::minutes(1));
    let report = world.relay.deliver_pending(50).await.expect("relay");
    assert_eq!(report.delivered, 1);
    // Delivered twice in all: the top-up order changed once, the top-up was queued once.
    world.run_top_ups().await;
    assert_eq!(world.top_ups_of(&order.number), 1);
}

#[tokio::test]
async fn the_statement_recovers_a_payment_no_callback_announced() {
    let world = World::new(PayChannel::Cloud);
    let order = world.place(14);
    world.start_payment(&order).await.expect("payment starts");
    world.wechat.pay(&order.number, order.price_fen, "42000014");
    let report = world
        .payments
        .reconcile(crate::testing::t0().date_naive())
        .await
        .expect("reconcile");
    assert_eq!(report.recovered, 1);
    assert_eq!(
        world.orders.get(&order.number).payment_status,
        PaymentStatus::Paid
    );
    let again = world
        .payments
        .reconcile(crate::testing::t0().date_naive())
        .await
        .expect("reconcile");
    assert_eq!(again.matched, 1);
}

#[tokio::test]
async fn an_admin_sync_that_finds_nothing_is_audited_alone() {
    let world = World::new(PayChannel::Cloud);
    let order = world.place(15);
    let handled = world
        .top_ups
        .sync_payment(&order.number, &world.admin())
        .await
        .expect("sync");
    assert!(handled.is_none());
    assert_eq!(world.audit.all().len(), 1);
    world.wechat.pay(&order.number, order.price_fen, "42000015");
    let found = world
        .top_ups
        .sync_payment(&order.number, &world.admin())
        .await
        .expect("sync")
        .expect("found");
    assert_eq!(found.outcome, NotificationOutcome::Processed);
    assert_eq!(
        world.store.state().audit.len(),
        1,
        "audited with the change"
    );
    assert_eq!(
        world.orders.get(&order.number).payment_status,
        PaymentStatus::Paid
    );
}

#[tokio::test]
async fn a_payment_wechat_records_for_another_payer_is_flagged_once_and_not_delivered() {
    let world = World::new(PayChannel::V3);
    let order = world.place(16);
    world.start_payment(&order).await.expect("payment starts");
    let mut notice = claim(&order, "42000016", order.price_fen);
    notice.payment.payer = Some("o-someone-else".to_owned());
    for _ in 0..2 {
        let handled = world
            .payments
            .handle_signed_notification(&notice)
            .await
            .expect("recorded");
        assert_eq!(handled.outcome, NotificationOutcome::Rejected);
    }
    assert_eq!(world.alerts().len(), 1);
    let top_up = world.orders.get(&order.number);
    assert_eq!(
        top_up.anomaly.map(|a| a.kind),
        Some(AnomalyKind::PayerMismatch)
    );
    assert_eq!(top_up.payment_status, PaymentStatus::Unpaid);
    // The same payer is accepted.
    notice.payment.payer = Some(crate::testing::OPENID.to_owned());
    let handled = world
        .payments
        .handle_signed_notification(&notice)
        .await
        .expect("recorded");
    assert_eq!(handled.outcome, NotificationOutcome::Processed);
}

#[tokio::test]
async fn a_notification_that_failed_is_retried_from_the_log_once() {
    let world = World::new(PayChannel::Cloud);
    let order = world.place(17);
    world.start_payment(&order).await.expect("payment starts");
    world.wechat.pay(&order.number, order.price_fen, "42000017");
    world.wechat.set_down(true);
    let failed = world
        .payments
        .handle_notification(&claim(&order, "42000017", order.price_fen))
        .await;
    assert!(failed.is_err());
    let id = world.store.state().notifications[0].id;
    assert_eq!(
        world.store.state().notifications[0].outcome,
        NotificationOutcome::Error
    );

    // Still down: the retry fails and changes nothing.
    assert!(
        world
            .payments
            .retry_notification(id, &world.refunds, &world.admin())
            .await
            .is_err()
    );
    world.wechat.set_down(false);
    let retried = world
        .payments
        .retry_notification(id, &world.refunds, &world.admin())
        .await
        .expect("retried");
    assert_eq!(retried.outcome, NotificationOutcome::Processed);
    assert_eq!(
        world.orders.get(&order.number).payment_status,
        PaymentStatus::Paid
    );
    assert_eq!(world.audit.all().len(), 1, "the retry is audited");

    // Again: nothing to do, nothing written.
    let again = world
        .payments
        .retry_notification(id, &world.refunds, &world.admin())
        .await
        .expect("idempotent");
    assert_eq!(again.outcome, NotificationOutcome::Processed);
    assert_eq!(world.audit.all().len(), 1);
    world.run_top_ups().await;
    assert_eq!(world.top_ups_of(&order.number), 1);
}

#[tokio::test]
async fn a_rejected_notification_is_not_retried() {
    let world = World::new(PayChannel::V3);
    let order = world.place(18);
    world.start_payment(&order).await.expect("payment starts");
    world
        .payments
        .handle_signed_notification(&claim(&order, "42000018", Fen::new(1)))
        .await
        .expect("recorded");
    let id = world.store.state().notifications[0].id;
    let refused = world
        .payments
        .retry_notification(id, &world.refunds, &world.admin())
        .await;
    assert!(
        matches!(refused, Err(ServiceError::Conflict(_))),
        "{refused:?}"
    );
    let missing = world
        .payments
        .retry_notification(999, &world.refunds, &world.admin())
        .await;
    assert!(matches!(missing, Err(ServiceError::NotFound(_))));
}
