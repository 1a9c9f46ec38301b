//! The deadline's cancel races the payment, through the in-memory compare-and-set, in both
//! orders and truly concurrently: exactly one wins; when the cancel wins, the payment is
//! refunded and never revives the order; stock moves exactly once.

use std::sync::Arc;

use chrono::Duration;

use super::support::{PAY_WINDOW, Trade, payment};
use crate::ports::CasOutcome;
use crate::trade::orders::{
    CancelReason, Decision, MallOrderRepository, MallOrderStatus, OrderError, OrderEvent,
    PaymentOutcome, TradeEvent,
};

fn count(events: &[TradeEvent], wanted: &str) -> usize {
    events
        .iter()
        .filter(|event| {
            let name = match event {
                TradeEvent::StockDeduct { .. } => "deduct",
                TradeEvent::StockRelease { .. } => "release",
                TradeEvent::RefundPayment(_) => "refund",
            };
            name == wanted
        })
        .count()
}

fn written(decision: Result<Decision, OrderError>) -> crate::trade::orders::MallOrderTransition {
    match decision {
        Ok(Decision::Write(transition)) => *transition,
        other => panic!("not a write: {other:?}"),
    }
}

#[tokio::test]
async fn both_decided_on_the_same_read_the_cancel_first_then_the_payment_is_refunded() {
    let trade = Trade::new();
    let order = trade.place(1).await;
    trade.clock.advance(Duration::minutes(PAY_WINDOW));
    let now = trade.now();
    let cancel = written(order.decide(&OrderEvent::Cancel(CancelReason::Timeout), now));
    let pay = written(order.decide(&OrderEvent::Paid(payment(&order, "tx-race")), now));

    assert_eq!(trade.orders.apply(&cancel).await.unwrap(), CasOutcome::Won);
    assert_eq!(trade.orders.apply(&pay).await.unwrap(), CasOutcome::Lost);
    // The loser reads again and decides again: a late payment, refunded.
    let reread = trade.stored(&order.order_no);
    let late = written(reread.decide(&OrderEvent::Paid(payment(&order, "tx-race")), now));
    assert!(late.late_payment().is_some());
    assert_eq!(trade.orders.apply(&late).await.unwrap(), CasOutcome::Won);

    let stored = trade.stored(&order.order_no);
    assert_eq!(stored.status, MallOrderStatus::Cancelled);
    let events = trade.orders.state().events.clone();
    assert_eq!(count(&events, "release"), 1);
    assert_eq!(count(&events, "deduct"), 0);
    assert_eq!(count(&events, "refund"), 1);
}

#[tokio::test]
async fn both_decided_on_the_same_read_the_payment_first_then_the_cancel_is_refused() {
    let trade = Trade::new();
    let order = trade.place(1).await;
    trade.clock.advance(Duration::minutes(PAY_WINDOW));
    let now = trade.now();
    let cancel = written(order.decide(&OrderEvent::Cancel(CancelReason::Timeout), now));
    let pay = written(order.decide(&OrderEvent::Paid(payment(&order, "tx-race")), now));

    assert_eq!(trade.orders.apply(&pay).await.unwrap(), CasOutcome::Won);
    assert_eq!(trade.orders.apply(&cancel).await.unwrap(), CasOutcome::Lost);
    let reread = trade.stored(&order.order_no);
    assert!(matches!(
        reread.decide(&OrderEvent::Cancel(CancelReason::Timeout), now),
        Err(OrderError::Transition(_))
    ));

    assert_eq!(trade.stored(&order.order_no).status, MallOrderStatus::Paid);
    let events = trade.orders.state().events.clone();
    assert_eq!(count(&events, "deduct"), 1);
    assert_eq!(count(&events, "release"), 0);
    assert_eq!(count(&events, "refund"), 0);
}

#[tokio::test]
async fn through_the_services_in_both_orders() {
    for cancel_first in [true, false] {
        let trade = Trade::new();
        let order = trade.place(1).await;
        trade.clock.advance(Duration::minutes(PAY_WINDOW));
        let pay = || {
            trade
                .service
                .record_payment(order.order_no.as_str(), payment(&order, "tx-race"))
        };
        if cancel_first {
            let report = trade.service.cancel_expired(10).await.unwrap();
            assert_eq!(report.changed, 1);
            let outcome = pay().await.unwrap();
            assert!(
                matches!(outcome, PaymentOutcome::LatePayment(_)),
                "{outcome:?}"
            );
            assert_eq!(
                trade.payments.refunds().len(),
                1,
                "the late payment is refunded"
            );
        } else {
            assert!(matches!(pay().await.unwrap(), PaymentOutcome::Paid(_)));
            let report = trade.service.cancel_expired(10).await.unwrap();
            assert_eq!((report.examined, report.changed), (0, 0));
            assert!(
                trade
                    .service
                    .cancel_by_admin(&order.order_no)
                    .await
                    .is_err()
            );
            assert!(trade.payments.refunds().is_empty());
        }
        let events = trade.orders.state().events.clone();
        assert_eq!(count(&events, "release") + count(&events, "deduct"), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrently_exactly_one_wins_and_stock_moves_once() {
    let mut cancelled_wins = 0;
    let mut paid_wins = 0;
    for round in 0..200u32 {
        let trade = Arc::new(Trade::new());
        let order = trade.place(round + 1).await;
        trade.clock.advance(Duration::minutes(PAY_WINDOW));
        let canceller = {
            let trade = trade.clone();
            tokio::spawn(async move { trade.service.cancel_expired(10).await })
        };
        let payer = {
            let trade = trade.clone();
            let order = order.clone();
            tokio::spawn(async move {
                trade
                    .service
                    .record_payment(order.order_no.as_str(), payment(&order, "tx-race"))
                    .await
            })
        };
        let cancelled = canceller.await.unwrap().unwrap();
        let paid = payer.await.unwrap().unwrap();

        let stored = trade.stored(&order.order_no);
        let events = trade.orders.state().events.clone();
        let refunds = trade.payments.refunds();
        match stored.status {
            MallOrderStatus::Cancelled => {
                cancelled_wins += 1;
                assert_eq!(cancelled.changed, 1);
                assert!(matches!(paid, PaymentOutcome::LatePayment(_)), "{paid:?}");
                assert_eq!(stored.payment, None);
                assert_eq!(count(&events, "release"), 1);
                assert_eq!(count(&events, "deduct"), 0);
                assert_eq!(count(&events, "refund"), 1);
                assert_eq!(refunds.len(), 1);
                assert_eq!(refunds[0].0.amount, Some(order.totals.pay));
            }
            MallOrderStatus::Paid => {
                paid_wins += 1;
                assert_eq!(cancelled.changed, 0);
                assert!(matches!(paid, PaymentOutcome::Paid(_)));
                assert_eq!(count(&events, "deduct"), 1);
                assert_eq!(count(&events, "release"), 0);
                assert!(refunds.is_empty());
            }
            other => panic!("round {round}: {other}"),
        }
    }
    assert_eq!(cancelled_wins + paid_wins, 200);
}
