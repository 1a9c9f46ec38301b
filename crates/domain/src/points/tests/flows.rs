//! One scenario per rule: credit once, cancel, a payment after cancel, refunds in
//! proportion of what is left, adjustments, the nightly check, package removal.

use chrono::Duration;

use crate::money::Fen;
use crate::order::OpenId;
use crate::payments::tests::world::World;
use crate::payments::{PayChannel, PayStatus, PaymentNotice, RefundOutcome};
use crate::points::{
    EntryKind, PackageDraft, PayMethod, PaymentStart, PointsOrder, PointsOrderStatus, Reference,
    Removal,
};
use crate::ports::{ConfirmedPayment, IncomingNotification, NotificationKind, NotificationOutcome};
use crate::services::ServiceError;

fn buyer() -> OpenId {
    OpenId::parse("o-points-buyer").unwrap()
}

fn package_draft() -> PackageDraft {
    PackageDraft {
        name: "1000 积分".to_owned(),
        description: "1000 points and 200 bonus".to_owned(),
        amount: Fen::new(1000),
        points: 1000,
        bonus_points: 200,
        active: true,
        sort_order: 1,
    }
}

async fn with_package(world: &World) -> i64 {
    world
        .points_admin
        .create(package_draft(), &world.admin())
        .await
        .expect("a package")
        .id
}

fn notice(order: &PointsOrder, transaction: &str) -> PaymentNotice {
    PaymentNotice {
        payment: ConfirmedPayment {
            order_number: order.order_no.to_string(),
            transaction_id: transaction.to_owned(),
            amount: order.amount,
            attach: None,
            paid_at: None,
            payer: Some(order.user.as_str().to_owned()),
        },
        path_order_number: None,
        raw: IncomingNotification {
            channel: "wechat_v3".to_owned(),
            kind: NotificationKind::Payment,
            order_number: Some(order.order_no.to_string()),
            transaction_id: Some(transaction.to_owned()),
            headers: serde_json::json!({}),
            raw_body: String::new(),
            client_ip: None,
            received_at: crate::testing::t0(),
        },
    }
}

/// Buys the package and pays it through a signed notification.
async fn bought_and_paid(world: &World, package: i64) -> PointsOrder {
    let (order, start) = world
        .shop
        .buy(&buyer(), package, PayMethod::Jsapi, "127.0.0.1")
        .await
        .expect("bought");
    assert!(matches!(start, PaymentStart::Jsapi(_)));
    let transaction = format!("4200{}", order.order_no);
    world
        .wechat
        .pay(&order.order_no, order.amount, &transaction);
    let handled = world
        .payments
        .handle_signed_notification(&notice(&order, &transaction))
        .await
        .expect("recorded");
    assert_eq!(handled.outcome, NotificationOutcome::Processed);
    world.shop.order(&order.order_no).await.expect("the order")
}

async fn balance(world: &World) -> i64 {
    world
        .points
        .account(&buyer())
        .await
        .expect("account")
        .balance
}

#[tokio::test]
async fn a_paid_order_credits_points_and_bonus_exactly_once() {
    let world = World::new(PayChannel::V3);
    let package = with_package(&world).await;
    let order = bought_and_paid(&world, package).await;
    assert_eq!(order.status, PointsOrderStatus::Paid);
    assert_eq!(balance(&world).await, 1200);

    // WeChat repeats itself, and the outbox is delivered again: nothing more.
    let transaction = order.transaction_id.clone().expect("recorded");
    let again = world
        .payments
        .handle_signed_notification(&notice(&order, &transaction))
        .await
        .expect("recorded");
    assert_eq!(again.outcome, NotificationOutcome::Duplicate);
    for row in world.store.state().outbox.iter_mut() {
        row.delivered_at = None;
    }
    world.clock.advance(Duration::minutes(1));
    world.relay.deliver_pending(50).await.expect("relay");
    assert_eq!(balance(&world).await, 1200);
    let kinds: Vec<EntryKind> = world
        .points_store
        .state()
        .entries
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, vec![EntryKind::PackagePurchase, EntryKind::Bonus]);
    assert!(
        world
            .points
            .check_ledgers()
            .await
            .expect("checked")
            .is_empty()
    );
}

#[tokio::test]
async fn a_native_order_is_refused_on_a_channel_without_native_payments() {
    let world = World::new(PayChannel::Cloud);
    let package = with_package(&world).await;
    // The in-memory WeChat has no Native payments (like Cloud Hosting): a clear refusal.
    let refused = world
        .shop
        .buy(&buyer(), package, PayMethod::Native, "127.0.0.1")
        .await;
    assert!(
        matches!(refused, Err(ServiceError::Validation(_))),
        "{refused:?}"
    );
    assert!(
        world.points_store.state().orders.is_empty(),
        "nothing written"
    );
}

#[tokio::test]
async fn an_unpaid_order_is_cancelled_at_wechat_first_and_a_payment_landing_anyway_is_refunded() {
    let world = World::new(PayChannel::V3);
    let package = with_package(&world).await;
    let (order, _) = world
        .shop
        .buy(&buyer(), package, PayMethod::Jsapi, "127.0.0.1")
        .await
        .expect("bought");
    let someone_else = OpenId::parse("o-other").unwrap();
    let refused = world
        .shop
        .cancel(&someone_else, order.order_no.as_str())
        .await;
    assert!(matches!(refused, Err(ServiceError::NotFound(_))));

    let cancelled = world
        .shop
        .cancel(&buyer(), order.order_no.as_str())
        .await
        .expect("cancelled");
    assert_eq!(cancelled.status, PointsOrderStatus::Closed);
    let pay = world.payments.find(&order.order_no).await.unwrap().unwrap();
    assert_eq!(pay.status, PayStatus::Closed);
    assert!(
        !world.wechat.pay(&order.order_no, order.amount, "too-late"),
        "closed at WeChat"
    );

    // WeChat lets one through anyway: the core refunds it, no points are credited.
    world
        .wechat
        .pay_despite_close(&order.order_no, order.amount, "4200-late");
    world
        .payments
        .handle_signed_notification(&notice(&order, "4200-late"))
        .await
        .expect("recorded");
    let pay = world.payments.find(&order.order_no).await.unwrap().unwrap();
    assert_eq!(pay.status, PayStatus::Refunded);
    assert_eq!(world.wechat.refunded(&order.order_no), order.amount.value());
    assert_eq!(balance(&world).await, 0);
    let again = world.shop.cancel(&buyer(), order.order_no.as_str()).await;
    assert!(matches!(again, Err(ServiceError::Conflict(_))));
}

#[tokio::test]
async fn a_refund_takes_back_proportional_points_only_while_they_are_unspent() {
    let world = World::new(PayChannel::V3);
    let package = with_package(&world).await;
    let order = bought_and_paid(&world, package).await;
    world
        .points
        .spend(
            &buyer(),
            Reference::new("mall_order", "M1"),
            500,
            "a purchase",
        )
        .await
        .expect("spent");
    assert_eq!(balance(&world).await, 700);

    // Half the money: half the 1200 points.
    let half = world
        .shop
        .refund(&order.order_no, Some(Fen::new(500)), "half", &world.admin())
        .await
        .expect("refunded");
    assert_eq!(half, RefundOutcome::Refunded);
    assert_eq!(balance(&world).await, 100);
    let order_now = world.shop.order(&order.order_no).await.unwrap();
    assert_eq!(order_now.status, PointsOrderStatus::PartlyRefunded);
    assert_eq!(order_now.refunded, Fen::new(500));

    // The rest would take 600 more points than the 100 left: refused, no money moves.
    let refused = world
        .shop
        .refund(&order.order_no, None, "the rest", &world.admin())
        .await;
    match refused {
        Err(ServiceError::Conflict(message)) => {
            assert!(message.contains("100 points"), "{message}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(world.wechat.refunded(&order.order_no), 500);
    assert_eq!(balance(&world).await, 100);
    assert!(
        world
            .points
            .check_ledgers()
            .await
            .expect("checked")
            .is_empty()
    );
    let refused_empty = world
        .shop
        .refund(&order.order_no, None, " ", &world.admin())
        .await;
    assert!(matches!(refused_empty, Err(ServiceError::Validation(_))));
}

#[tokio::test]
async fn a_refund_whose_answer_was_lost_is_finished_by_the_refund_job() {
    let world = World::new(PayChannel::V3);
    let package = with_package(&world).await;
    let order = bought_and_paid(&world, package).await;
    world.wechat.set_down(true);
    // Unknown outcome: the refund stays in flight (points taken), the job asks later.
    let pending = world
        .shop
        .refund(&order.order_no, Some(Fen::new(1000)), "all", &world.admin())
        .await
        .expect("in flight");
    assert_eq!(pending, RefundOutcome::InProgress);
    assert_eq!(balance(&world).await, 0);
    world.wechat.set_down(false);
    world.clock.advance(Duration::minutes(2));
    world
        .refunds
        .sync_refunds(Duration::zero(), None, 50)
        .await
        .expect("synced");
    assert_eq!(
        world.shop.order(&order.order_no).await.unwrap().status,
        PointsOrderStatus::Refunded
    );
    assert_eq!(balance(&world).await, 0);
}

#[tokio::test]
async fn an_adjustment_needs_a_reason_is_audited_and_never_goes_below_zero() {
    let world = World::new(PayChannel::V3);
    let user = buyer();
    let missing = world.points.adjust(&user, 10, "  ", &world.admin()).await;
    assert!(matches!(missing, Err(ServiceError::Validation(_))));
    let below = world.points.adjust(&user, -1, "oops", &world.admin()).await;
    assert!(matches!(below, Err(ServiceError::Conflict(_))));
    let entry = world
        .points
        .adjust(&user, 50, "goodwill", &world.admin())
        .await
        .expect("adjusted");
    assert_eq!(entry.balance_after, 50);
    assert_eq!(world.points_store.state().audit.len(), 1);
}

#[tokio::test]
async fn the_nightly_check_alerts_on_a_balance_that_is_not_its_ledger() {
    let world = World::new(PayChannel::V3);
    world
        .points
        .adjust(&buyer(), 50, "goodwill", &world.admin())
        .await
        .expect("adjusted");
    assert!(world.points.check_ledgers().await.unwrap().is_empty());
    world
        .points_store
        .state()
        .accounts
        .values_mut()
        .for_each(|account| account.balance += 7);
    let drifted = world.points.check_ledgers().await.unwrap();
    assert_eq!(drifted.len(), 1);
    assert_eq!(drifted[0].ledger_sum, 50);
    assert!(
        world
            .alerts()
            .iter()
            .any(|alert| alert.title.contains("ledger"))
    );
}

#[tokio::test]
async fn a_package_that_sold_is_deactivated_not_deleted() {
    let world = World::new(PayChannel::V3);
    let sold = with_package(&world).await;
    let unsold = with_package(&world).await;
    bought_and_paid(&world, sold).await;
    assert_eq!(
        world
            .points_admin
            .remove(unsold, &world.admin())
            .await
            .unwrap(),
        Removal::Deleted
    );
    match world
        .points_admin
        .remove(sold, &world.admin())
        .await
        .unwrap()
    {
        Removal::Deactivated(package) => assert!(!package.active),
        Removal::Deleted => panic!("a sold package must be kept"),
    }
    assert!(world.shop.packages().await.unwrap().is_empty());
    let bad = world
        .points_admin
        .create(
            PackageDraft {
                amount: Fen::new(0),
                name: String::new(),
                ..package_draft()
            },
            &world.admin(),
        )
        .await;
    assert!(
        matches!(bad, Err(ServiceError::Validation(message)) if message.contains("name") && message.contains("amount"))
    );
    let stats = world
        .points_admin
        .statistics(
            crate::testing::t0() - Duration::days(1),
            crate::testing::t0() + Duration::days(1),
        )
        .await
        .unwrap();
    assert_eq!(stats.iter().map(|day| day.packages_sold).sum::<u64>(), 1);
    assert_eq!(stats.iter().map(|day| day.points_issued).sum::<i64>(), 1200);
}
