//! Callbacks WeChat's own record does not confirm. Any mini-program user can send a Cloud
//! Hosting callback, so one that WeChat's order query does not back changes no order, pages
//! nobody, and is logged once as `unconfirmed` (and acknowledged, so WeChat does not retry).

use super::payments::{
    OTHER_TRANSACTION, Outcomes, TRANSACTION, audit_log, handle, notice, only_outcome, paid_time,
    payment, payment_of, wechat_confirms, wechat_says,
};
use super::*;
use crate::money::Fen;
use crate::order::{PaymentStatus, RechargeStatus};
use crate::ports::{NotificationOutcome, TradeState};
use crate::services::{NotificationHandled, PaymentService, ServiceError};
use crate::testing::{ORDER_NUMBER, closed_order, order_number, paid_order, unpaid_order};

/// A forgery may be read and WeChat asked about it; nothing else.
fn forged(mocks: &mut Mocks) -> Outcomes {
    mocks.applies_nothing();
    mocks.no_alerts();
    audit_log(mocks)
}

/// The callback was answered as unconfirmed and logged once as such, with a reason that
/// names `mentions`.
fn assert_unconfirmed(handled: &NotificationHandled, outcomes: &Outcomes, mentions: &str) {
    assert_eq!(
        handled.outcome,
        NotificationOutcome::Unconfirmed,
        "{handled:?}"
    );
    assert!(handled.dispatch.is_none(), "{handled:?}");
    assert_eq!(only_outcome(outcomes), NotificationOutcome::Unconfirmed);
    let reason = calls(outcomes)[0].error_message.clone().unwrap_or_default();
    assert!(
        reason.contains(mentions),
        "the logged reason {reason:?} should mention {mentions:?}"
    );
    assert_eq!(handled.reason.as_deref(), Some(reason.as_str()));
}

#[tokio::test]
async fn a_callback_wechat_does_not_confirm_changes_nothing_and_pages_nobody() {
    for wechat_says_now in [
        TradeState::NotPaid,
        TradeState::UserPaying,
        TradeState::Closed,
        TradeState::Revoked,
        TradeState::PayError,
        TradeState::NotFound,
        // Refunded already: topping up now would give the number away.
        TradeState::Refunded(payment(TRANSACTION)),
        TradeState::Paid(payment(OTHER_TRANSACTION)),
        TradeState::Paid(payment_of(TRANSACTION, 1)),
    ] {
        let mut mocks = Mocks::default();
        let outcomes = forged(&mut mocks);
        mocks.finds(vec![Some(unpaid_order())]);
        wechat_says(&mut mocks, wechat_says_now.clone());

        let handled = handle(mocks, notice(payment(TRANSACTION))).await.unwrap();

        assert_unconfirmed(&handled, &outcomes, TRANSACTION);
        assert_eq!(
            handled.order_number,
            Some(unpaid_order().number),
            "{wechat_says_now:?}"
        );
    }
}

#[tokio::test]
async fn forged_transaction_ids_on_a_paid_order_change_nothing_however_many() {
    // The measurement of the issue: 20 forged ids gave 20 alerts and 20 order events.
    let mut mocks = Mocks::default();
    let outcomes = forged(&mut mocks);
    mocks.stores(paid_order());
    wechat_confirms(&mut mocks, 20);
    let service = PaymentService::new(mocks.ports(), PAYMENT_WINDOW);

    for n in 0..20 {
        let transaction = format!("42000090{n:02}");
        let handled = service
            .handle_notification(&notice(payment(&transaction)))
            .await
            .unwrap();
        assert_eq!(
            handled.outcome,
            NotificationOutcome::Unconfirmed,
            "{transaction}"
        );
        assert!(handled.dispatch.is_none());
    }

    let logged = calls(&outcomes);
    assert_eq!(logged.len(), 20);
    assert!(
        logged
            .iter()
            .all(|row| row.outcome == NotificationOutcome::Unconfirmed),
        "{logged:?}"
    );
}

#[tokio::test]
async fn a_wrong_amount_is_unconfirmed_when_wechat_knows_the_real_one() {
    // WeChat's record says the real amount (or that nothing was paid yet): the claim of
    // another amount is a forgery, not an amount mismatch on the order.
    for (order, wechat_says_now) in [
        (unpaid_order(), TradeState::Paid(payment(TRANSACTION))),
        (unpaid_order(), TradeState::NotPaid),
        (paid_order(), TradeState::Paid(payment(TRANSACTION))),
    ] {
        for amount in [1, 624, 626, 62_500] {
            let mut mocks = Mocks::default();
            let outcomes = forged(&mut mocks);
            mocks.finds(vec![Some(order.clone())]);
            wechat_says(&mut mocks, wechat_says_now.clone());
            // On the paid order the forger does not know the recorded transaction.
            let transaction = match order.payment_status {
                PaymentStatus::Unpaid => TRANSACTION,
                _ => OTHER_TRANSACTION,
            };

            let handled = handle(mocks, notice(payment_of(transaction, amount)))
                .await
                .unwrap();

            assert_unconfirmed(&handled, &outcomes, &format!("paid {}", Fen::new(amount)));
        }
    }
}

#[tokio::test]
async fn a_wrong_attach_is_unconfirmed_when_wechat_has_no_such_payment() {
    let other = order_number(5).to_string();
    for (order, wechat_says_now, transaction) in [
        (unpaid_order(), TradeState::NotPaid, TRANSACTION),
        (
            paid_order(),
            TradeState::Paid(payment(TRANSACTION)),
            OTHER_TRANSACTION,
        ),
    ] {
        let mut mocks = Mocks::default();
        let outcomes = forged(&mut mocks);
        mocks.finds(vec![Some(order.clone())]);
        wechat_says(&mut mocks, wechat_says_now);
        let mut claim = payment(transaction);
        claim.attach = Some(format!(r#"{{"orderNumber":"{other}"}}"#));

        let handled = handle(mocks, notice(claim)).await.unwrap();

        assert_unconfirmed(&handled, &outcomes, transaction);
    }
}

#[tokio::test]
async fn a_callback_whose_url_and_body_disagree_is_unconfirmed_without_a_lookup() {
    let mut mocks = Mocks::default();
    let outcomes = forged(&mut mocks);
    mocks.orders.expect_find().never();
    mocks.gateway.expect_query_order().never();
    let mut claim = notice(payment(TRANSACTION));
    let other = order_number(5).to_string();
    claim.path_order_number = Some(other.clone());

    let handled = handle(mocks, claim).await.unwrap();

    assert_unconfirmed(&handled, &outcomes, &other);
    assert_eq!(handled.order_number, Some(unpaid_order().number));
}

#[tokio::test]
async fn a_callback_for_an_unknown_order_is_unconfirmed_without_an_alert() {
    // A payment for an order we do not have is found by the daily reconciliation, from
    // WeChat's statement; a callback alone proves nothing and asks WeChat nothing.
    let mut mocks = Mocks::default();
    let outcomes = forged(&mut mocks);
    mocks.finds(vec![None]);
    mocks.gateway.expect_query_order().never();

    let handled = handle(mocks, notice(payment(TRANSACTION))).await.unwrap();

    assert_unconfirmed(&handled, &outcomes, ORDER_NUMBER);
    assert_eq!(handled.order_number, Some(unpaid_order().number));
}

#[tokio::test]
async fn a_callback_with_a_malformed_order_number_is_unconfirmed_without_a_lookup() {
    let mut mocks = Mocks::default();
    let outcomes = forged(&mut mocks);
    mocks.orders.expect_find().never();
    mocks.gateway.expect_query_order().never();
    let mut claim = notice(payment(TRANSACTION));
    claim.payment.order_number = "ORD-bogus".to_owned();
    claim.path_order_number = None;

    let handled = handle(mocks, claim).await.unwrap();

    assert_unconfirmed(&handled, &outcomes, "ORD-bogus");
    assert_eq!(handled.order_number, None);
}

#[tokio::test]
async fn a_forged_callback_on_a_closed_order_is_no_payment_after_close() {
    let mut mocks = Mocks::default();
    let outcomes = forged(&mut mocks);
    mocks.finds(vec![Some(closed_order())]);
    wechat_says(&mut mocks, TradeState::Closed);

    let handled = handle(mocks, notice(payment(TRANSACTION))).await.unwrap();

    assert_unconfirmed(&handled, &outcomes, TRANSACTION);
}

#[tokio::test]
async fn a_callback_naming_the_recorded_transaction_is_a_duplicate_whatever_else_it_says() {
    // Already paid by this transaction: nothing could change, so WeChat is not asked.
    let mut mocks = Mocks::default();
    mocks.applies_nothing();
    mocks.no_alerts();
    let outcomes = audit_log(&mut mocks);
    mocks.finds(vec![Some(paid_order())]);
    mocks.gateway.expect_query_order().never();
    let mut claim = payment_of(TRANSACTION, 1);
    claim.attach = Some(order_number(5).to_string());

    let handled = handle(mocks, notice(claim)).await.unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Duplicate);
    assert_eq!(only_outcome(&outcomes), NotificationOutcome::Duplicate);
}

#[tokio::test]
async fn an_anomaly_forged_on_an_unpaid_order_leaves_nothing_behind_once_it_is_paid() {
    // The forgery: a wrong amount while the customer has not paid yet.
    let mut mocks = Mocks::default();
    let outcomes = forged(&mut mocks);
    mocks.finds(vec![Some(unpaid_order())]);
    wechat_says(&mut mocks, TradeState::NotPaid);
    let handled = handle(mocks, notice(payment_of(TRANSACTION, 1)))
        .await
        .unwrap();
    assert_unconfirmed(&handled, &outcomes, TRANSACTION);

    // The genuine payment then finds the order as it was and pays it, with no anomaly.
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.no_alerts();
    mocks.finds(vec![Some(unpaid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    wechat_confirms(&mut mocks, 1);
    let handled = handle(mocks, notice(payment(TRANSACTION))).await.unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Processed);
    let write = only_write(&writes);
    assert_eq!(write.expected_version, unpaid_order().version);
    assert_eq!(write.order.payment_status, PaymentStatus::Paid);
    assert_eq!(write.order.recharge_status, RechargeStatus::Pending);
    assert_eq!(write.order.paid_at, Some(paid_time()));
    assert_eq!(write.order.anomaly, None);
    assert_eq!(only_outcome(&outcomes), NotificationOutcome::Processed);
}

#[tokio::test]
async fn an_unconfirmed_callback_is_acknowledged_only_once_logged() {
    let mut mocks = Mocks::default();
    mocks.applies_nothing();
    mocks.no_alerts();
    mocks
        .notifications
        .expect_record_decided()
        .times(1)
        .returning(|_| Err(storage_down()));
    mocks.finds(vec![Some(paid_order())]);
    wechat_confirms(&mut mocks, 1);

    let error = handle(mocks, notice(payment(OTHER_TRANSACTION)))
        .await
        .unwrap_err();

    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
}
