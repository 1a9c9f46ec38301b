//! `PaymentService::expire_unpaid`: an order is closed only after the gateway says it
//! was not paid; a payment found there is processed as paid.

use super::*;
use crate::money::Fen;
use crate::order::{AnomalyKind, PaymentStatus, RechargeStatus};
use crate::ports::{ConfirmedPayment, GatewayError, TradeState, WorkQueue};
use crate::services::{ExpiryReport, PaymentService, ServiceError};
use crate::testing::{ORDER_NUMBER, order_number, unpaid_order};

const EXPIRE_AFTER_MINUTES: i64 = 30;

fn found_paid() -> ConfirmedPayment {
    ConfirmedPayment {
        order_number: ORDER_NUMBER.to_owned(),
        transaction_id: "4200000077".to_owned(),
        amount: Fen::new(625),
        // A query answer carries no attach; it is trusted because we asked.
        attach: None,
        paid_at: Some(t0() + Duration::minutes(29)),
    }
}

/// The expiry queue holds these orders.
fn candidates(mocks: &mut Mocks, orders: Vec<Order>) {
    mocks
        .orders
        .expect_find_work()
        .withf(|queue, cutoff, after, limit| {
            after.is_none()
                && *queue == WorkQueue::ExpiredUnpaid
                && *cutoff == now() - Duration::minutes(EXPIRE_AFTER_MINUTES)
                && *limit == 50
        })
        .times(1)
        .returning(move |_, _, _, _| Ok(orders.clone()));
}

/// The gateway answers these to successive order queries.
fn queries(mocks: &mut Mocks, answers: Vec<Result<TradeState, GatewayError>>) {
    let queue = Mutex::new(VecDeque::from(answers.clone()));
    mocks
        .gateway
        .expect_query_order()
        .times(answers.len())
        .returning(move |_| queue.lock().unwrap().pop_front().unwrap());
}

fn closes(mocks: &mut Mocks, answer: Result<(), GatewayError>) {
    mocks
        .gateway
        .expect_close_order()
        .withf(|number| number.as_str() == ORDER_NUMBER)
        .times(1)
        .returning(move |_| answer.clone());
}

async fn expire(mocks: Mocks) -> Result<ExpiryReport, ServiceError> {
    PaymentService::new(mocks.ports(), PAYMENT_WINDOW)
        .expire_unpaid(Duration::minutes(EXPIRE_AFTER_MINUTES), None, 50)
        .await
}

fn report(closed: usize, found_paid: usize, skipped: usize) -> ExpiryReport {
    ExpiryReport {
        closed,
        found_paid,
        skipped,
        next: None,
    }
}

fn unavailable() -> GatewayError {
    GatewayError::Unavailable("timeout".to_owned())
}

#[tokio::test]
async fn an_order_paid_at_the_gateway_is_processed_as_paid_not_closed() {
    let mut mocks = Mocks::default();
    candidates(&mut mocks, vec![unpaid_order()]);
    queries(&mut mocks, vec![Ok(TradeState::Paid(found_paid()))]);
    mocks.gateway.expect_close_order().never();
    mocks.finds(vec![Some(unpaid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    mocks.no_alerts();

    assert_eq!(expire(mocks).await.unwrap(), report(0, 1, 0));

    let write = only_write(&writes);
    assert_eq!(write.order.payment_status, PaymentStatus::Paid);
    assert_eq!(write.order.recharge_status, RechargeStatus::Pending);
    assert_eq!(write.order.transaction_id.as_deref(), Some("4200000077"));
    assert_eq!(write.order.closed_at, None);
}

#[tokio::test]
async fn an_unpaid_order_is_closed_at_the_gateway_then_here() {
    for state in [TradeState::NotPaid, TradeState::PayError] {
        let mut mocks = Mocks::default();
        candidates(&mut mocks, vec![unpaid_order()]);
        queries(&mut mocks, vec![Ok(state.clone())]);
        closes(&mut mocks, Ok(()));
        let writes = mocks.applies(&[CasOutcome::Won]);

        assert_eq!(expire(mocks).await.unwrap(), report(1, 0, 0), "{state:?}");

        let write = only_write(&writes);
        assert_eq!(write.expected_state, unpaid_order().state());
        assert_eq!(write.order.payment_status, PaymentStatus::Closed);
        assert_eq!(write.order.closed_at, Some(now()));
    }
}

#[tokio::test]
async fn an_order_closed_or_unknown_at_the_gateway_is_closed_here_without_a_close_call() {
    for state in [
        TradeState::Closed,
        TradeState::Revoked,
        TradeState::NotFound,
    ] {
        let mut mocks = Mocks::default();
        candidates(&mut mocks, vec![unpaid_order()]);
        queries(&mut mocks, vec![Ok(state.clone())]);
        mocks.gateway.expect_close_order().never();
        let writes = mocks.applies(&[CasOutcome::Won]);

        assert_eq!(expire(mocks).await.unwrap(), report(1, 0, 0), "{state:?}");
        assert_eq!(
            only_write(&writes).order.payment_status,
            PaymentStatus::Closed
        );
    }
}

#[tokio::test]
async fn closing_what_the_gateway_already_closed_or_never_knew_still_closes_here() {
    for answer in [GatewayError::OrderClosed, GatewayError::NotFound] {
        let mut mocks = Mocks::default();
        candidates(&mut mocks, vec![unpaid_order()]);
        queries(&mut mocks, vec![Ok(TradeState::NotPaid)]);
        closes(&mut mocks, Err(answer.clone()));
        let writes = mocks.applies(&[CasOutcome::Won]);

        assert_eq!(expire(mocks).await.unwrap(), report(1, 0, 0), "{answer:?}");
        assert_eq!(
            only_write(&writes).order.payment_status,
            PaymentStatus::Closed
        );
    }
}

#[tokio::test]
async fn paid_between_query_and_close_is_queried_again_and_taken_as_paid() {
    let mut mocks = Mocks::default();
    candidates(&mut mocks, vec![unpaid_order()]);
    queries(
        &mut mocks,
        vec![Ok(TradeState::NotPaid), Ok(TradeState::Paid(found_paid()))],
    );
    closes(&mut mocks, Err(GatewayError::OrderPaid));
    mocks.finds(vec![Some(unpaid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);

    assert_eq!(expire(mocks).await.unwrap(), report(0, 1, 0));
    assert_eq!(
        only_write(&writes).order.payment_status,
        PaymentStatus::Paid
    );
}

#[tokio::test]
async fn paid_at_close_but_not_paid_on_the_second_query_is_left_alone() {
    let mut mocks = Mocks::default();
    candidates(&mut mocks, vec![unpaid_order()]);
    queries(
        &mut mocks,
        vec![Ok(TradeState::NotPaid), Ok(TradeState::UserPaying)],
    );
    closes(&mut mocks, Err(GatewayError::OrderPaid));
    mocks.applies_nothing();

    assert_eq!(expire(mocks).await.unwrap(), report(0, 0, 1));
}

#[tokio::test]
async fn an_unavailable_gateway_skips_the_order_and_changes_nothing() {
    // The query fails.
    let mut mocks = Mocks::default();
    candidates(&mut mocks, vec![unpaid_order()]);
    queries(&mut mocks, vec![Err(unavailable())]);
    mocks.gateway.expect_close_order().never();
    mocks.applies_nothing();
    assert_eq!(expire(mocks).await.unwrap(), report(0, 0, 1));

    // The close fails (or is refused).
    for answer in [
        unavailable(),
        GatewayError::Rejected {
            code: "SYSTEMERROR".to_owned(),
            message: "busy".to_owned(),
        },
    ] {
        let mut mocks = Mocks::default();
        candidates(&mut mocks, vec![unpaid_order()]);
        queries(&mut mocks, vec![Ok(TradeState::NotPaid)]);
        closes(&mut mocks, Err(answer));
        mocks.applies_nothing();
        assert_eq!(expire(mocks).await.unwrap(), report(0, 0, 1));
    }

    // The second query after ORDERPAID fails.
    let mut mocks = Mocks::default();
    candidates(&mut mocks, vec![unpaid_order()]);
    queries(
        &mut mocks,
        vec![Ok(TradeState::NotPaid), Err(unavailable())],
    );
    closes(&mut mocks, Err(GatewayError::OrderPaid));
    mocks.applies_nothing();
    assert_eq!(expire(mocks).await.unwrap(), report(0, 0, 1));
}

#[tokio::test]
async fn a_customer_still_paying_is_not_closed() {
    let mut mocks = Mocks::default();
    candidates(&mut mocks, vec![unpaid_order()]);
    queries(&mut mocks, vec![Ok(TradeState::UserPaying)]);
    mocks.gateway.expect_close_order().never();
    mocks.applies_nothing();
    assert_eq!(expire(mocks).await.unwrap(), report(0, 0, 1));
}

#[tokio::test]
async fn refunded_at_the_gateway_while_unpaid_here_is_flagged_once_and_not_closed() {
    let mut mocks = Mocks::default();
    candidates(&mut mocks, vec![unpaid_order()]);
    queries(&mut mocks, vec![Ok(TradeState::Refunded(found_paid()))]);
    mocks.gateway.expect_close_order().never();
    let writes = mocks.applies(&[CasOutcome::Won]);
    let alerts = mocks.alerts();

    assert_eq!(expire(mocks).await.unwrap(), report(0, 0, 1));
    let flagged = calls(&writes).remove(0);
    assert_eq!(flagged.order.state(), unpaid_order().state());
    assert_eq!(
        flagged.order.anomaly.as_ref().map(|a| a.kind),
        Some(AnomalyKind::UnconfirmedPayment)
    );
    assert_critical(&only_alert(&alerts), "4200000077");

    // The next run finds the same anomaly recorded: no write, no second alert.
    let mut mocks = Mocks::default();
    candidates(&mut mocks, vec![flagged.order.clone()]);
    queries(&mut mocks, vec![Ok(TradeState::Refunded(found_paid()))]);
    mocks.gateway.expect_close_order().never();
    mocks.applies_nothing();
    mocks.no_alerts();
    assert_eq!(expire(mocks).await.unwrap(), report(0, 0, 1));
}

#[tokio::test]
async fn a_close_lost_to_a_concurrent_payment_is_skipped() {
    let mut mocks = Mocks::default();
    candidates(&mut mocks, vec![unpaid_order()]);
    queries(&mut mocks, vec![Ok(TradeState::NotPaid)]);
    closes(&mut mocks, Ok(()));
    mocks.applies(&[CasOutcome::Lost]);
    assert_eq!(expire(mocks).await.unwrap(), report(0, 0, 1));
}

#[tokio::test]
async fn a_payment_found_with_the_wrong_amount_is_an_anomaly_not_a_close() {
    let mut mocks = Mocks::default();
    candidates(&mut mocks, vec![unpaid_order()]);
    let mut wrong = found_paid();
    wrong.amount = Fen::new(600);
    queries(&mut mocks, vec![Ok(TradeState::Paid(wrong))]);
    mocks.gateway.expect_close_order().never();
    mocks.finds(vec![Some(unpaid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    mocks.alerts();

    assert_eq!(expire(mocks).await.unwrap(), report(0, 0, 1));
    let write = only_write(&writes);
    assert_eq!(write.order.payment_status, PaymentStatus::Unpaid);
    assert!(write.order.anomaly.is_some());
}

#[tokio::test]
async fn each_candidate_is_decided_on_its_own() {
    let mut second = unpaid_order();
    second.number = order_number(2);
    let mut mocks = Mocks::default();
    candidates(&mut mocks, vec![unpaid_order(), second.clone()]);
    let second_number = second.number.clone();
    mocks.gateway.expect_query_order().returning(move |number| {
        if *number == second_number {
            Ok(TradeState::NotPaid)
        } else {
            Err(GatewayError::Unavailable("timeout".to_owned()))
        }
    });
    mocks.gateway.expect_close_order().returning(|_| Ok(()));
    let writes = mocks.applies(&[CasOutcome::Won]);

    assert_eq!(expire(mocks).await.unwrap(), report(1, 0, 1));
    assert_eq!(only_write(&writes).order.number, order_number(2));
}

#[tokio::test]
async fn no_candidates_means_no_calls_and_storage_errors_are_reported() {
    let mut mocks = Mocks::default();
    candidates(&mut mocks, vec![]);
    mocks.gateway.expect_query_order().never();
    assert_eq!(expire(mocks).await.unwrap(), ExpiryReport::default());

    let mut mocks = Mocks::default();
    mocks
        .orders
        .expect_find_work()
        .returning(|_, _, _, _| Err(storage_down()));
    mocks.gateway.expect_query_order().never();
    let error = expire(mocks).await.unwrap_err();
    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
}
