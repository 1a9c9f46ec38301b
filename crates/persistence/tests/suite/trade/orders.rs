//! Mall orders on each database.

use chrono::Duration;
use elife_domain::ports::{CasOutcome, PageRequest, RepositoryError};
use elife_domain::testing::{order_number, t0};
use elife_domain::trade::orders::{
    CancelReason, Decision, MallOrder, MallOrderFilter, MallOrderQueue, MallOrderRepository,
    MallOrderStatus, MallOrderTransition, OrderEvent, TradeEvent,
};
use elife_domain::trade::outbox::TradeMessage;

use super::fixtures::{PAY_MINUTES, Repos, buyer, payment, placed, stranger};

fn written(order: &MallOrder, event: OrderEvent, minutes: i64) -> MallOrderTransition {
    match order.decide(&event, t0() + Duration::minutes(minutes)) {
        Ok(Decision::Write(transition)) => *transition,
        other => panic!("not a write: {other:?}"),
    }
}

#[tokio::test]
async fn an_order_reads_back_whole_and_only_for_its_buyer() {
    let repos = Repos::new().await;
    let order = placed(1, &buyer(), t0());
    repos.orders.insert(&order).await.unwrap();

    assert_eq!(
        repos.orders.find(&order.order_no).await.unwrap(),
        Some(order.clone())
    );
    assert_eq!(
        repos
            .orders
            .find_for_buyer(&order.order_no, &buyer())
            .await
            .unwrap(),
        Some(order.clone())
    );
    assert_eq!(
        repos
            .orders
            .find_for_buyer(&order.order_no, &stranger())
            .await
            .unwrap(),
        None
    );
    assert_eq!(repos.orders.find(&order_number(2)).await.unwrap(), None);

    // The receiver's phone is sealed: no column holds it.
    let stored = repos
        .test
        .strings("SELECT receiver_phone_masked FROM mall_orders", vec![])
        .await;
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains("5678"), "{stored:?}");
    let cipher = repos
        .test
        .strings("SELECT receiver_phone_cipher FROM mall_orders", vec![])
        .await;
    assert!(!cipher[0].contains("13812345678"));
}

#[tokio::test]
async fn a_taken_number_is_a_duplicate_and_writes_nothing() {
    let repos = Repos::new().await;
    let order = placed(1, &buyer(), t0());
    repos.orders.insert(&order).await.unwrap();
    let mut again = placed(1, &stranger(), t0());
    again.pay_order = order_number(99);
    let result = repos.orders.insert(&again).await;
    assert!(
        matches!(result, Err(RepositoryError::Duplicate(_))),
        "{result:?}"
    );
    assert_eq!(
        repos.orders.find(&order.order_no).await.unwrap(),
        Some(order)
    );
    let items = repos
        .test
        .strings("SELECT order_no FROM mall_order_items", vec![])
        .await;
    assert_eq!(items.len(), 2);
}

#[tokio::test]
async fn a_stale_change_loses_and_only_the_winner_writes_its_events() {
    let repos = Repos::new().await;
    let order = placed(1, &buyer(), t0());
    repos.orders.insert(&order).await.unwrap();
    let cancel = written(
        &order,
        OrderEvent::Cancel(CancelReason::Timeout),
        PAY_MINUTES,
    );
    let pay = written(&order, OrderEvent::Paid(payment(&order, "tx-1")), 1);

    assert_eq!(repos.orders.apply(&pay).await.unwrap(), CasOutcome::Won);
    assert_eq!(repos.orders.apply(&cancel).await.unwrap(), CasOutcome::Lost);

    let stored = repos.orders.find(&order.order_no).await.unwrap().unwrap();
    assert_eq!(stored, pay.order);
    let messages = repos.messages().await;
    assert_eq!(messages.len(), 1);
    assert!(matches!(
        &messages[0],
        TradeMessage::Order(TradeEvent::StockDeduct { lines, .. }) if lines.len() == 2
    ));

    // Shipping then receipt round-trip every optional part.
    let shipped = written(
        &stored,
        OrderEvent::Ship {
            carrier: "顺丰".to_owned(),
            tracking_no: "SF1".to_owned(),
            auto_confirm_at: t0() + Duration::days(7),
        },
        2,
    );
    assert_eq!(repos.orders.apply(&shipped).await.unwrap(), CasOutcome::Won);
    assert_eq!(
        repos.orders.find(&order.order_no).await.unwrap().unwrap(),
        shipped.order
    );
}

#[tokio::test]
async fn the_due_queues_are_earliest_first_up_to_the_cutoff() {
    let repos = Repos::new().await;
    // Placed 10, 0 and 5 minutes after t0: due at +25, +15, +20.
    for (n, minutes) in [(1, 10), (2, 0), (3, 5)] {
        let order = placed(n, &buyer(), t0() + Duration::minutes(minutes));
        repos.orders.insert(&order).await.unwrap();
    }
    let due = |minutes: i64, limit: u64| {
        let orders = repos.orders.clone();
        async move {
            orders
                .due(
                    MallOrderQueue::PaymentDue,
                    t0() + Duration::minutes(minutes),
                    limit,
                )
                .await
                .unwrap()
                .into_iter()
                .map(|order| order.order_no)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(due(14, 10).await, vec![]);
    assert_eq!(due(20, 10).await, vec![order_number(2), order_number(3)]);
    assert_eq!(due(60, 2).await, vec![order_number(2), order_number(3)]);
    assert_eq!(due(60, 10).await.len(), 3);
    assert!(
        repos
            .orders
            .due(MallOrderQueue::ReceiptDue, t0() + Duration::days(30), 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Once paid and shipped, order 2 leaves the payment queue for the receipt queue.
    let order = repos.orders.find(&order_number(2)).await.unwrap().unwrap();
    let paid = written(&order, OrderEvent::Paid(payment(&order, "tx-2")), 1);
    repos.orders.apply(&paid).await.unwrap();
    let shipped = written(
        &paid.order,
        OrderEvent::Ship {
            carrier: "顺丰".to_owned(),
            tracking_no: "SF2".to_owned(),
            auto_confirm_at: t0() + Duration::days(7),
        },
        2,
    );
    repos.orders.apply(&shipped).await.unwrap();
    assert_eq!(due(60, 10).await, vec![order_number(3), order_number(1)]);
    let receipt = |days: i64| {
        let orders = repos.orders.clone();
        async move {
            orders
                .due(MallOrderQueue::ReceiptDue, t0() + Duration::days(days), 10)
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(receipt(6).await, 0);
    assert_eq!(receipt(7).await, 1);
}

#[tokio::test]
async fn lists_filter_and_page_newest_first() {
    let repos = Repos::new().await;
    for n in 1..=5 {
        let who = if n == 5 { stranger() } else { buyer() };
        let order = placed(n, &who, t0() + Duration::minutes(i64::from(n)));
        repos.orders.insert(&order).await.unwrap();
    }
    let order = repos.orders.find(&order_number(2)).await.unwrap().unwrap();
    repos
        .orders
        .apply(&written(&order, OrderEvent::Paid(payment(&order, "tx")), 3))
        .await
        .unwrap();
    let list = |filter: MallOrderFilter, page: u64, limit: u64| {
        let orders = repos.orders.clone();
        async move {
            let found = orders
                .list(filter, PageRequest { page, limit })
                .await
                .unwrap();
            let numbers: Vec<_> = found.items.iter().map(|o| o.order_no.clone()).collect();
            (found.total, numbers)
        }
    };
    let mine = MallOrderFilter {
        buyer: Some(buyer()),
        ..MallOrderFilter::default()
    };
    assert_eq!(
        list(mine.clone(), 1, 3).await,
        (4, vec![order_number(4), order_number(3), order_number(2)])
    );
    assert_eq!(list(mine.clone(), 2, 3).await, (4, vec![order_number(1)]));
    let unpaid = MallOrderFilter {
        status: Some(MallOrderStatus::Unpaid),
        ..mine.clone()
    };
    assert_eq!(list(unpaid, 1, 10).await.0, 3);
    let window = MallOrderFilter {
        created_from: Some(t0() + Duration::minutes(2)),
        created_to: Some(t0() + Duration::minutes(4)),
        ..MallOrderFilter::default()
    };
    assert_eq!(
        list(window, 1, 10).await,
        (2, vec![order_number(3), order_number(2)])
    );
    let one = MallOrderFilter {
        order_no: Some(order_number(5)),
        ..MallOrderFilter::default()
    };
    let (total, found) = list(one, 1, 10).await;
    assert_eq!((total, found), (1, vec![order_number(5)]));
    // Every order comes with its items.
    let all = repos
        .orders
        .list(
            MallOrderFilter::default(),
            PageRequest { page: 1, limit: 10 },
        )
        .await
        .unwrap();
    assert!(all.items.iter().all(|order| order.items.len() == 2));
}
