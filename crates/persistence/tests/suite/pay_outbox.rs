//! The payments core's outbox: messages read back exactly, undelivered ones oldest first,
//! delivered once, and failed deliveries counted with their error.

use chrono::{DateTime, TimeDelta, Utc};
use elife_domain::money::Fen;
use elife_domain::order::AnomalyKind;
use elife_domain::payments::{
    FulfilmentEvent, FulfilmentMessage, FulfilmentOutbox, GoodsKind, PayChannel, PayOrder,
    PayOrderRepository,
};
use elife_domain::ports::CasOutcome;
use elife_domain::testing::{order_number, t0};
use elife_persistence::entities::pay_outbox;
use elife_persistence::{SeaOrmFulfilmentOutbox, SeaOrmPayOrderRepository};
use sea_orm::EntityTrait;

use crate::common::TestDb;
use crate::pay_orders::draft;

fn minutes(m: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(m)
}

/// Pay orders 1..=3 closed at once at minutes 1..=3 (one message each), then pay order 1
/// paid after closing at minute 4 and flagged at minute 5 (one message each): five
/// messages, in the order they are returned.
async fn five_messages(test: &TestDb) -> Vec<FulfilmentMessage> {
    let pay_orders = SeaOrmPayOrderRepository::new(test.db.clone());
    let mut written = Vec::new();
    for n in 1..=3 {
        let (order, mut message) = PayOrder::abandoned(
            draft(n, GoodsKind::Points),
            PayChannel::V3,
            minutes(n.into()),
        );
        message.note = format!("points order M-{n} expired before payment");
        pay_orders
            .insert(&order, std::slice::from_ref(&message))
            .await
            .unwrap();
        written.push(message);
    }
    let closed = pay_orders.find(&order_number(1)).await.unwrap().unwrap();
    let late = closed
        .accept_late_payment("4200000009", Fen::new(625), minutes(4), minutes(4))
        .unwrap();
    let flagged = late.pay_order.flag(
        AnomalyKind::DuplicatePayment,
        "a second transaction",
        minutes(5),
    );
    for transition in [late, flagged] {
        assert_eq!(
            pay_orders.apply(&transition).await.unwrap(),
            CasOutcome::Won
        );
        written.extend(transition.outbox);
    }
    written
}

#[tokio::test]
async fn messages_read_back_exactly_oldest_first() {
    let test = TestDb::new().await;
    let written = five_messages(&test).await;
    let outbox = SeaOrmFulfilmentOutbox::new(test.db.clone());

    let of_one = outbox.pending_for(&order_number(1)).await.unwrap();
    let ids: Vec<i64> = of_one.iter().map(|m| m.id).collect();
    assert_eq!(of_one.len(), 3);
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
    let events: Vec<FulfilmentEvent> = of_one.iter().map(|m| m.event).collect();
    assert_eq!(
        events,
        [
            FulfilmentEvent::Closed,
            FulfilmentEvent::Flagged,
            FulfilmentEvent::Flagged
        ]
    );
    // Every field round-trips, the anomaly and the payment's time included.
    let late = &of_one[1];
    assert_eq!(
        late,
        &FulfilmentMessage {
            id: late.id,
            ..written[3].clone()
        }
    );
    assert_eq!(
        late.anomaly.as_ref().map(|a| a.kind),
        Some(AnomalyKind::PaymentAfterClose)
    );
    assert_eq!(late.paid_at, Some(minutes(4)));
    assert_eq!(late.transaction_id.as_deref(), Some("4200000009"));
    assert_eq!(late.kind, GoodsKind::Points);
    assert_eq!(late.merchant_order_no, "M-1");
}

#[tokio::test]
async fn pending_messages_come_in_pages_before_a_time() {
    let test = TestDb::new().await;
    let written = five_messages(&test).await;
    let outbox = SeaOrmFulfilmentOutbox::new(test.db.clone());
    let all = outbox.pending(minutes(60), None, 50).await.unwrap();
    let ids: Vec<i64> = all.iter().map(|m| m.id).collect();
    let first = ids[0];
    // Ids are consecutive in the order of writing on every backend.
    assert_eq!(ids, (first..first + 5).collect::<Vec<_>>());
    let unnumbered: Vec<FulfilmentMessage> = all
        .into_iter()
        .map(|message| FulfilmentMessage { id: 0, ..message })
        .collect();
    assert_eq!(unnumbered, written);

    // Created strictly before minute 3: the first two.
    let early = outbox.pending(minutes(3), None, 50).await.unwrap();
    assert_eq!(
        early.iter().map(|m| m.id).collect::<Vec<_>>(),
        [first, first + 1]
    );
    let page = outbox
        .pending(minutes(60), Some(first + 1), 2)
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|m| m.id).collect::<Vec<_>>(),
        [first + 2, first + 3]
    );
    let last = outbox
        .pending(minutes(60), Some(first + 3), 2)
        .await
        .unwrap();
    assert_eq!(last.iter().map(|m| m.id).collect::<Vec<_>>(), [first + 4]);
    assert!(
        outbox
            .pending(minutes(60), Some(first + 4), 2)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_delivered_message_is_pending_no_more_and_keeps_its_first_delivery() {
    let test = TestDb::new().await;
    five_messages(&test).await;
    let outbox = SeaOrmFulfilmentOutbox::new(test.db.clone());
    let first = outbox.pending_for(&order_number(1)).await.unwrap()[0].id;

    outbox.delivered(first, minutes(10)).await.unwrap();
    outbox.delivered(first, minutes(20)).await.unwrap();
    // An unknown id is no error: its pay order's transaction may never have committed.
    outbox.delivered(9_999, minutes(20)).await.unwrap();

    let of_one = outbox.pending_for(&order_number(1)).await.unwrap();
    assert_eq!(of_one.len(), 2);
    assert!(of_one.iter().all(|m| m.id != first));
    let pending = outbox.pending(minutes(60), None, 50).await.unwrap();
    assert_eq!(pending.len(), 4);
    assert!(pending.iter().all(|m| m.id != first));
    let row = pay_outbox::Entity::find_by_id(first)
        .one(&test.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.delivered_at,
        Some(minutes(10).naive_utc()),
        "the first delivery's time stays"
    );
}

#[tokio::test]
async fn a_failed_delivery_is_counted_with_its_error_and_stays_pending() {
    let test = TestDb::new().await;
    five_messages(&test).await;
    let outbox = SeaOrmFulfilmentOutbox::new(test.db.clone());
    let id = outbox.pending_for(&order_number(2)).await.unwrap()[0].id;

    outbox
        .failed(id, "fulfilment deferred: database busy", minutes(10))
        .await
        .unwrap();
    let huge = "é".repeat(100_000);
    outbox.failed(id, &huge, minutes(11)).await.unwrap();

    let row = pay_outbox::Entity::find_by_id(id)
        .one(&test.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.attempts, 2);
    assert_eq!(row.delivered_at, None);
    let last_error = row.last_error.unwrap();
    assert!(last_error.chars().all(|c| c == 'é'));
    assert!(
        (1..=10_000).contains(&last_error.chars().count()),
        "bounded"
    );
    assert_eq!(outbox.pending_for(&order_number(2)).await.unwrap().len(), 1);
}
