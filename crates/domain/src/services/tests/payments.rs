//! `PaymentService`: creating payments and accepting their confirmations exactly once.
//!
//! A callback is unsigned: it changes an order only once WeChat's own record (the order
//! query) confirms it, and what is recorded is that record. Callbacks WeChat does not
//! confirm are in `forged_callbacks.rs`; the anomalies here are genuine ones, in WeChat's
//! own record.

use super::*;
use crate::accounts::audit::AuditAction;
use crate::money::Fen;
use crate::order::{AnomalyKind, OpenId, OrderNumber, PaymentStatus, RechargeStatus};
use crate::ports::{
    ConfirmedPayment, DecidedNotification, GatewayError, IncomingNotification, NotificationKind,
    NotificationOutcome, PaymentParams, PaymentRequest, TradeState,
};
use crate::services::{NotificationHandled, PaymentNotice, PaymentService, ServiceError};
use crate::testing::{
    OPENID, ORDER_NUMBER, closed_order, order_number, paid_order, refunding_order, unpaid_order,
};

/// The transaction the fixtures' paid orders record.
pub(super) const TRANSACTION: &str = "4200000001";
/// Another transaction than the one paid orders record.
pub(super) const OTHER_TRANSACTION: &str = "4200000999";

pub(super) fn paid_time() -> DateTime<Utc> {
    t0() + Duration::minutes(3)
}

/// A correct confirmation of the fixture order.
pub(super) fn payment(transaction_id: &str) -> ConfirmedPayment {
    ConfirmedPayment {
        order_number: ORDER_NUMBER.to_owned(),
        transaction_id: transaction_id.to_owned(),
        amount: Fen::new(625),
        attach: Some(format!(r#"{{"orderNumber":"{ORDER_NUMBER}"}}"#)),
        paid_at: Some(paid_time()),
    }
}

/// A confirmation of the fixture order of `amount` fen.
pub(super) fn payment_of(transaction_id: &str, amount: i64) -> ConfirmedPayment {
    ConfirmedPayment {
        amount: Fen::new(amount),
        ..payment(transaction_id)
    }
}

pub(super) fn notice(payment: ConfirmedPayment) -> PaymentNotice {
    PaymentNotice {
        raw: IncomingNotification {
            channel: "cloud".to_owned(),
            kind: NotificationKind::Payment,
            order_number: Some(payment.order_number.clone()),
            transaction_id: Some(payment.transaction_id.clone()),
            headers: serde_json::json!({}),
            raw_body: "{}".to_owned(),
            client_ip: Some("10.0.0.1".to_owned()),
            received_at: now(),
        },
        path_order_number: Some(payment.order_number.clone()),
        payment,
    }
}

pub(super) type Outcomes = Calls<DecidedNotification>;

/// The audit log accepts every callback; the callbacks logged (on their own or with the
/// order's change) are returned.
pub(super) fn audit_log(mocks: &mut Mocks) -> Outcomes {
    mocks.logs()
}

/// WeChat's order query confirms the callback's payment, `times` times.
pub(super) fn wechat_confirms(mocks: &mut Mocks, times: usize) {
    mocks
        .gateway
        .expect_query_order()
        .withf(|number| number.as_str() == ORDER_NUMBER)
        .times(times)
        .returning(|_| Ok(TradeState::Paid(payment(TRANSACTION))));
}

/// WeChat's order query of the fixture order answers `state`, once.
pub(super) fn wechat_says(mocks: &mut Mocks, state: TradeState) {
    mocks
        .gateway
        .expect_query_order()
        .withf(|number| number.as_str() == ORDER_NUMBER)
        .times(1)
        .returning(move |_| Ok(state.clone()));
}

pub(super) fn only_outcome(outcomes: &Outcomes) -> NotificationOutcome {
    let recorded = calls(outcomes);
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0].notification.channel, "cloud");
    recorded[0].outcome
}

pub(super) async fn handle(
    mocks: Mocks,
    notice: PaymentNotice,
) -> Result<NotificationHandled, ServiceError> {
    PaymentService::new(mocks.ports(), PAYMENT_WINDOW)
        .handle_notification(&notice)
        .await
}

/// Asserts a rejected callback left an anomaly of `kind` and did not touch the statuses.
fn assert_flagged(write: &Transition, before: &Order, kind: AnomalyKind) {
    assert_eq!(write.expected_version, before.version);
    assert_eq!(
        write.order.state(),
        before.state(),
        "statuses must not move"
    );
    assert_eq!(write.order.transaction_id, before.transaction_id);
    assert_eq!(write.order.paid_at, before.paid_at);
    let anomaly = write.order.anomaly.clone().expect("anomaly recorded");
    assert_eq!(anomaly.kind, kind);
}

#[tokio::test]
async fn a_valid_callback_marks_the_order_paid_and_asks_for_dispatch() {
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.finds(vec![Some(unpaid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    mocks.no_alerts();
    wechat_confirms(&mut mocks, 1);

    let handled = handle(mocks, notice(payment(TRANSACTION))).await.unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Processed);
    assert_eq!(handled.order_number, Some(unpaid_order().number));
    assert!(handled.dispatch.is_some());
    let write = only_write(&writes);
    assert_eq!(write.expected_version, 0);
    assert_eq!(write.expected_state, unpaid_order().state());
    assert_eq!(write.order.payment_status, PaymentStatus::Paid);
    assert_eq!(write.order.recharge_status, RechargeStatus::Pending);
    assert_eq!(write.order.transaction_id.as_deref(), Some(TRANSACTION));
    assert_eq!(write.order.paid_at, Some(paid_time()));
    assert!(write.event.reason.contains(TRANSACTION));
    assert_eq!(only_outcome(&outcomes), NotificationOutcome::Processed);
}

#[tokio::test]
async fn wechats_record_with_a_bare_order_number_in_attach_is_accepted_and_no_paid_time_is_now() {
    let mut mocks = Mocks::default();
    audit_log(&mut mocks);
    mocks.finds(vec![Some(unpaid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    mocks.no_alerts();
    let mut record = payment(TRANSACTION);
    record.attach = Some(ORDER_NUMBER.to_owned());
    record.paid_at = None;
    wechat_says(&mut mocks, TradeState::Paid(record));
    let mut callback = notice(payment(TRANSACTION));
    callback.path_order_number = None;

    let handled = handle(mocks, callback).await.unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Processed);
    assert_eq!(only_write(&writes).order.paid_at, Some(now()));
}

#[tokio::test]
async fn what_is_recorded_is_wechats_record_not_the_callbacks_own_fields() {
    // The callback's transaction and amount are confirmed; its attach and paid time are
    // not WeChat's: WeChat's are checked and recorded.
    for attach in [
        None,
        Some("not json".to_owned()),
        Some(order_number(5).to_string()),
    ] {
        let mut mocks = Mocks::default();
        let outcomes = audit_log(&mut mocks);
        mocks.finds(vec![Some(unpaid_order())]);
        let writes = mocks.applies(&[CasOutcome::Won]);
        mocks.no_alerts();
        wechat_confirms(&mut mocks, 1);
        let mut claim = payment(TRANSACTION);
        claim.attach = attach.clone();
        claim.paid_at = Some(t0() + Duration::days(30));

        let handled = handle(mocks, notice(claim)).await.unwrap();

        assert_eq!(
            handled.outcome,
            NotificationOutcome::Processed,
            "{attach:?}"
        );
        let write = only_write(&writes);
        assert_eq!(write.order.paid_at, Some(paid_time()), "{attach:?}");
        assert_eq!(write.order.anomaly, None);
        assert_eq!(only_outcome(&outcomes), NotificationOutcome::Processed);
    }
}

#[tokio::test]
async fn a_callback_that_cannot_be_confirmed_now_is_an_error_so_that_wechat_retries() {
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.finds(vec![Some(unpaid_order())]);
    mocks
        .gateway
        .expect_query_order()
        .times(1)
        .returning(|_| Err(GatewayError::Unavailable("timeout".to_owned())));
    mocks.applies_nothing();
    mocks.no_alerts();

    let error = handle(mocks, notice(payment(TRANSACTION)))
        .await
        .unwrap_err();

    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
    assert_eq!(only_outcome(&outcomes), NotificationOutcome::Error);
}

#[tokio::test]
async fn the_same_transaction_again_is_a_duplicate_and_writes_nothing() {
    for order in [paid_order(), refunding_order()] {
        let mut mocks = Mocks::default();
        let outcomes = audit_log(&mut mocks);
        mocks.finds(vec![Some(order.clone())]);
        mocks.applies_nothing();
        mocks.no_alerts();
        // Nothing to confirm: the order records this very transaction.
        mocks.gateway.expect_query_order().never();

        let handled = handle(mocks, notice(payment(TRANSACTION))).await.unwrap();

        assert_eq!(
            handled.outcome,
            NotificationOutcome::Duplicate,
            "{}",
            order.state()
        );
        assert!(
            handled.dispatch.is_none(),
            "a duplicate must not dispatch again"
        );
        assert_eq!(only_outcome(&outcomes), NotificationOutcome::Duplicate);
    }
}

#[tokio::test]
async fn a_second_transaction_wechat_confirms_for_a_paid_order_is_a_duplicate_payment_anomaly() {
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.finds(vec![Some(paid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    let alerts = mocks.alerts();
    wechat_says(&mut mocks, TradeState::Paid(payment(OTHER_TRANSACTION)));

    let handled = handle(mocks, notice(payment(OTHER_TRANSACTION)))
        .await
        .unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Rejected);
    assert!(handled.dispatch.is_none());
    assert!(handled.reason.unwrap().contains(OTHER_TRANSACTION));
    let write = only_write(&writes);
    assert_flagged(&write, &paid_order(), AnomalyKind::DuplicatePayment);
    assert_eq!(write.order.transaction_id.as_deref(), Some(TRANSACTION));
    assert_critical(&only_alert(&alerts), "duplicate_payment");
    assert_eq!(only_outcome(&outcomes), NotificationOutcome::Rejected);
}

/// WeChat's record says the callback's transaction paid `amount`, not the order's price.
fn wechat_confirms_an_amount(mocks: &mut Mocks, amount: i64) {
    wechat_says(mocks, TradeState::Paid(payment_of(TRANSACTION, amount)));
}

#[tokio::test]
async fn an_anomaly_already_recorded_is_not_written_or_alerted_again() {
    // First delivery: WeChat confirms a wrong amount; the anomaly is recorded and alerted.
    let mut mocks = Mocks::default();
    audit_log(&mut mocks);
    mocks.finds(vec![Some(unpaid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    let alerts = mocks.alerts();
    wechat_confirms_an_amount(&mut mocks, 1);
    handle(mocks, notice(payment_of(TRANSACTION, 1)))
        .await
        .unwrap();
    let flagged = only_write(&writes).order;
    assert_critical(&only_alert(&alerts), "amount_mismatch");

    // WeChat retries the same callback, and WeChat's record still says the same.
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.finds(vec![Some(flagged)]);
    mocks.applies_nothing();
    mocks.no_alerts();
    wechat_confirms_an_amount(&mut mocks, 1);
    let handled = handle(mocks, notice(payment_of(TRANSACTION, 1)))
        .await
        .unwrap();
    assert_eq!(handled.outcome, NotificationOutcome::Rejected);
    assert_eq!(only_outcome(&outcomes), NotificationOutcome::Rejected);
}

#[tokio::test]
async fn a_wrong_amount_wechat_confirms_is_an_anomaly_and_never_pays() {
    for amount in [1, 624, 626, 62_500] {
        let mut mocks = Mocks::default();
        let outcomes = audit_log(&mut mocks);
        mocks.finds(vec![Some(unpaid_order())]);
        let writes = mocks.applies(&[CasOutcome::Won]);
        let alerts = mocks.alerts();
        wechat_confirms_an_amount(&mut mocks, amount);

        let handled = handle(mocks, notice(payment_of(TRANSACTION, amount)))
            .await
            .unwrap();

        assert_eq!(handled.outcome, NotificationOutcome::Rejected);
        assert!(handled.dispatch.is_none());
        let write = only_write(&writes);
        assert_flagged(&write, &unpaid_order(), AnomalyKind::AmountMismatch);
        assert_eq!(write.order.payment_status, PaymentStatus::Unpaid);
        assert!(
            write
                .order
                .anomaly
                .as_ref()
                .unwrap()
                .details
                .contains(&format!("paid {}", Fen::new(amount))),
            "{:?}",
            write.order.anomaly
        );
        assert_critical(&only_alert(&alerts), "amount_mismatch");
        assert_eq!(only_outcome(&outcomes), NotificationOutcome::Rejected);
    }
}

#[tokio::test]
async fn wechats_record_of_the_order_pays_it_whatever_its_attach_says() {
    // WeChat's record was read by the order's own number; the attach is only the
    // callback's claim, which the adapter checks.
    let other = order_number(5).to_string();
    for attach in [None, Some(other.clone()), Some("not json".to_owned())] {
        let mut mocks = Mocks::default();
        audit_log(&mut mocks);
        mocks.finds(vec![Some(unpaid_order())]);
        let writes = mocks.applies(&[CasOutcome::Won]);
        mocks.no_alerts();
        let mut record = payment(TRANSACTION);
        record.attach = attach.clone();
        wechat_says(&mut mocks, TradeState::Paid(record));

        let handled = handle(mocks, notice(payment(TRANSACTION))).await.unwrap();

        assert_eq!(
            handled.outcome,
            NotificationOutcome::Processed,
            "{attach:?}"
        );
        assert_eq!(
            only_write(&writes).order.payment_status,
            PaymentStatus::Paid
        );
    }
}

#[tokio::test]
async fn a_payment_wechat_confirms_after_close_is_recorded_not_accepted() {
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.finds(vec![Some(closed_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    let alerts = mocks.alerts();
    wechat_confirms(&mut mocks, 1);

    let handled = handle(mocks, notice(payment(TRANSACTION))).await.unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Rejected);
    assert!(handled.dispatch.is_none());
    let write = only_write(&writes);
    assert_flagged(&write, &closed_order(), AnomalyKind::PaymentAfterClose);
    assert_eq!(write.order.payment_status, PaymentStatus::Closed);
    assert!(write.order.anomaly.unwrap().details.contains(TRANSACTION));
    assert_critical(&only_alert(&alerts), "payment_after_close");
    assert_eq!(only_outcome(&outcomes), NotificationOutcome::Rejected);
}

#[tokio::test]
async fn a_lost_race_rereads_and_sees_the_same_payment_as_a_duplicate() {
    let mut mocks = Mocks::default();
    audit_log(&mut mocks);
    // Another delivery of the same callback won in between.
    mocks.finds(vec![Some(unpaid_order()), Some(paid_order())]);
    let writes = mocks.applies(&[CasOutcome::Lost]);
    mocks.no_alerts();
    wechat_confirms(&mut mocks, 1);

    let handled = handle(mocks, notice(payment(TRANSACTION))).await.unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Duplicate);
    assert!(handled.dispatch.is_none(), "only the winner dispatches");
    assert_eq!(calls(&writes).len(), 1);
}

#[tokio::test]
async fn a_lost_race_against_the_expiry_job_records_payment_after_close() {
    let mut mocks = Mocks::default();
    audit_log(&mut mocks);
    mocks.finds(vec![Some(unpaid_order()), Some(closed_order())]);
    let writes = mocks.applies(&[CasOutcome::Lost, CasOutcome::Won]);
    let alerts = mocks.alerts();
    wechat_confirms(&mut mocks, 1);

    let handled = handle(mocks, notice(payment(TRANSACTION))).await.unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Rejected);
    let written = calls(&writes);
    assert_eq!(written[0].order.payment_status, PaymentStatus::Paid);
    assert_flagged(&written[1], &closed_order(), AnomalyKind::PaymentAfterClose);
    assert_critical(&only_alert(&alerts), "payment_after_close");
}

#[tokio::test]
async fn a_lost_anomaly_write_is_retried_on_the_fresh_order_without_asking_wechat_again() {
    let mut mocks = Mocks::default();
    audit_log(&mut mocks);
    let moved_on = crate::testing::submitting_order();
    mocks.finds(vec![Some(paid_order()), Some(moved_on.clone())]);
    let writes = mocks.applies(&[CasOutcome::Lost, CasOutcome::Won]);
    let alerts = mocks.alerts();
    wechat_says(&mut mocks, TradeState::Paid(payment(OTHER_TRANSACTION)));

    let handled = handle(mocks, notice(payment(OTHER_TRANSACTION)))
        .await
        .unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Rejected);
    let written = calls(&writes);
    assert_eq!(written.len(), 2);
    assert_flagged(&written[1], &moved_on, AnomalyKind::DuplicatePayment);
    assert_critical(&only_alert(&alerts), "duplicate_payment");
}

#[tokio::test]
async fn an_order_that_keeps_changing_is_an_error_so_that_wechat_retries() {
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.stores(unpaid_order());
    let writes = mocks.applies(&[CasOutcome::Lost; 5]);
    // WeChat is asked once; every lost race reads the order again, not WeChat.
    wechat_confirms(&mut mocks, 1);

    let error = handle(mocks, notice(payment(TRANSACTION)))
        .await
        .unwrap_err();

    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
    assert_eq!(calls(&writes).len(), 5);
    assert_eq!(only_outcome(&outcomes), NotificationOutcome::Error);
}

#[tokio::test]
async fn nothing_is_acknowledged_when_the_callback_cannot_be_logged() {
    // A decision that changes no order (here a duplicate) is acknowledged only once logged.
    let mut mocks = Mocks::default();
    mocks
        .notifications
        .expect_record_decided()
        .times(1)
        .returning(|_| Err(storage_down()));
    mocks.finds(vec![Some(paid_order())]);
    mocks.applies_nothing();

    let error = handle(mocks, notice(payment(TRANSACTION)))
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");

    // A genuine anomaly: it is durable, the log is not, so WeChat retries; the retry finds
    // the same anomaly already recorded and does not write or alert it again.
    let mut mocks = Mocks::default();
    mocks
        .notifications
        .expect_record_decided()
        .times(1)
        .returning(|_| Err(storage_down()));
    mocks.finds(vec![Some(paid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    mocks.alerts();
    wechat_says(&mut mocks, TradeState::Paid(payment(OTHER_TRANSACTION)));
    let error = handle(mocks, notice(payment(OTHER_TRANSACTION)))
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
    let flagged = only_write(&writes).order;

    let mut mocks = Mocks::default();
    let outcomes = mocks.logs();
    mocks.finds(vec![Some(flagged)]);
    mocks.applies_nothing();
    mocks.no_alerts();
    wechat_says(&mut mocks, TradeState::Paid(payment(OTHER_TRANSACTION)));
    let handled = handle(mocks, notice(payment(OTHER_TRANSACTION)))
        .await
        .unwrap();
    assert_eq!(handled.outcome, NotificationOutcome::Rejected);
    assert_eq!(calls(&outcomes).len(), 1);
}

#[tokio::test]
async fn storage_errors_while_paying_are_errors_and_logged_as_such() {
    // Reading the order fails.
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks
        .orders
        .expect_find()
        .returning(|_| Err(storage_down()));
    let error = handle(mocks, notice(payment(TRANSACTION)))
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
    assert_eq!(only_outcome(&outcomes), NotificationOutcome::Error);

    // Writing the payment fails: not durable, so not acknowledged.
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.finds(vec![Some(unpaid_order())]);
    wechat_confirms(&mut mocks, 1);
    mocks
        .orders
        .expect_apply_notified()
        .times(1)
        .returning(|_, _| Err(storage_down()));
    let error = handle(mocks, notice(payment(TRANSACTION)))
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
    let recorded = calls(&outcomes);
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0].outcome, NotificationOutcome::Error);
    assert!(
        recorded[0]
            .error_message
            .as_deref()
            .unwrap()
            .contains("connection refused")
    );
}

#[tokio::test]
async fn a_paying_callback_is_logged_with_its_outcome_in_the_orders_transaction() {
    let mut mocks = Mocks::default();
    // No separate log write: the order's transaction carries it.
    mocks.notifications.expect_record_decided().never();
    mocks.finds(vec![Some(unpaid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    mocks.orders.expect_apply().never();
    mocks.no_alerts();
    wechat_confirms(&mut mocks, 1);

    let handled = handle(mocks, notice(payment(TRANSACTION))).await.unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Processed);
    let write = only_write(&writes);
    // The order to dispatch is the one written: the top-up need not read it back.
    assert_eq!(handled.dispatch, Some(write.order.clone()));
    assert_eq!(write.order.version, 1);
}

#[tokio::test]
async fn a_crash_before_the_orders_transaction_commits_acknowledges_nothing_and_the_retry_pays_once()
 {
    // The transaction of payment and log fails (as a crash before its commit would leave
    // it: neither written). The callback is not acknowledged.
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.finds(vec![Some(unpaid_order())]);
    wechat_confirms(&mut mocks, 1);
    mocks
        .orders
        .expect_apply_notified()
        .times(1)
        .returning(|_, _| Err(storage_down()));
    let error = handle(mocks, notice(payment(TRANSACTION)))
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
    assert_eq!(only_outcome(&outcomes), NotificationOutcome::Error);

    // WeChat's retry finds the order still unpaid, pays it and logs it, once.
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.finds(vec![Some(unpaid_order())]);
    wechat_confirms(&mut mocks, 1);
    let writes = mocks.applies(&[CasOutcome::Won]);
    let handled = handle(mocks, notice(payment(TRANSACTION))).await.unwrap();
    assert_eq!(handled.outcome, NotificationOutcome::Processed);
    assert_eq!(
        only_write(&writes).order.payment_status,
        PaymentStatus::Paid
    );
    assert_eq!(only_outcome(&outcomes), NotificationOutcome::Processed);

    // A crash after that commit, before the answer: the retry reads the order paid by this
    // transaction, a duplicate; nothing is written to the order, the top-up is not asked
    // for again, and the log keeps `processed` (the repository does not overwrite it).
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.finds(vec![Some(only_write(&writes).order)]);
    mocks.applies_nothing();
    mocks.no_alerts();
    let handled = handle(mocks, notice(payment(TRANSACTION))).await.unwrap();
    assert_eq!(handled.outcome, NotificationOutcome::Duplicate);
    assert!(handled.dispatch.is_none());
    assert_eq!(only_outcome(&outcomes), NotificationOutcome::Duplicate);
}

#[tokio::test]
async fn a_lost_race_logs_nothing_with_the_order_and_the_duplicate_once() {
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.finds(vec![Some(unpaid_order()), Some(paid_order())]);
    let writes = mocks.applies(&[CasOutcome::Lost]);
    wechat_confirms(&mut mocks, 1);
    let handled = handle(mocks, notice(payment(TRANSACTION))).await.unwrap();
    assert_eq!(handled.outcome, NotificationOutcome::Duplicate);
    assert_eq!(calls(&writes).len(), 1);
    assert_eq!(only_outcome(&outcomes), NotificationOutcome::Duplicate);
}

#[tokio::test]
async fn a_malformed_callback_is_logged_as_rejected() {
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.orders.expect_find().never();
    let raw = notice(payment(TRANSACTION)).raw;

    PaymentService::new(mocks.ports(), PAYMENT_WINDOW)
        .reject_malformed(&raw, "body is not JSON")
        .await
        .unwrap();

    let recorded = calls(&outcomes);
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].outcome, NotificationOutcome::Rejected);
    assert_eq!(
        recorded[0].error_message.as_deref(),
        Some("body is not JSON")
    );

    let mut mocks = Mocks::default();
    mocks
        .notifications
        .expect_record_decided()
        .returning(|_| Err(storage_down()));
    let error = PaymentService::new(mocks.ports(), PAYMENT_WINDOW)
        .reject_malformed(&raw, "body is not JSON")
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
}

// --- create_payment -------------------------------------------------------------------

fn owner() -> OpenId {
    OpenId::parse(OPENID).unwrap()
}

#[tokio::test]
async fn the_owner_gets_payment_parameters_for_the_order_price() {
    let mut mocks = Mocks::default();
    mocks.stores(unpaid_order());
    let (requests, answering) = recording::<PaymentRequest, _>(Ok(PaymentParams(
        serde_json::json!({"package": "prepay_id=wx1"}),
    )));
    mocks
        .gateway
        .expect_create_payment()
        .times(1)
        .returning(answering);

    let params = PaymentService::new(mocks.ports(), PAYMENT_WINDOW)
        .create_payment(&owner(), ORDER_NUMBER, "10.0.0.9")
        .await
        .unwrap();

    assert_eq!(params.0["package"], "prepay_id=wx1");
    let request = calls(&requests).remove(0);
    assert_eq!(request.order_number.as_str(), ORDER_NUMBER);
    assert_eq!(request.openid, owner());
    assert_eq!(request.amount, Fen::new(625));
    assert_eq!(request.client_ip, "10.0.0.9");
    // WeChat is told to refuse the payment once the order's window is over.
    assert_eq!(
        request.expires_at,
        unpaid_order().created_at + PAYMENT_WINDOW
    );
    assert!(
        request.description.contains("Unitel"),
        "{}",
        request.description
    );
}

#[tokio::test]
async fn no_payment_is_started_at_the_end_of_the_window() {
    // Created an hour ago: a 30-minute window is over, a 61-minute one nearly so.
    for window in [Duration::minutes(30), Duration::minutes(61)] {
        let mut mocks = Mocks::default();
        mocks.stores(unpaid_order());
        mocks.gateway.expect_create_payment().never();
        let error = PaymentService::new(mocks.ports(), window)
            .create_payment(&owner(), ORDER_NUMBER, "10.0.0.9")
            .await
            .unwrap_err();
        assert!(matches!(error, ServiceError::Conflict(_)), "{error:?}");
    }
}

#[tokio::test]
async fn another_users_order_cannot_be_paid_and_looks_missing() {
    let mut mocks = Mocks::default();
    mocks.stores(unpaid_order());
    mocks.gateway.expect_create_payment().never();
    let stranger = OpenId::parse("o-stranger").unwrap();
    let service = PaymentService::new(mocks.ports(), PAYMENT_WINDOW);

    let error = service
        .create_payment(&stranger, ORDER_NUMBER, "10.0.0.9")
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::NotFound(_)), "{error:?}");

    let error = service
        .create_payment(&owner(), order_number(3).as_str(), "10.0.0.9")
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::NotFound(_)), "{error:?}");
}

#[tokio::test]
async fn only_unpaid_orders_can_be_paid() {
    for order in [paid_order(), closed_order(), refunding_order()] {
        let mut mocks = Mocks::default();
        mocks.stores(order.clone());
        mocks.gateway.expect_create_payment().never();
        let error = PaymentService::new(mocks.ports(), PAYMENT_WINDOW)
            .create_payment(&owner(), ORDER_NUMBER, "10.0.0.9")
            .await
            .unwrap_err();
        assert!(
            matches!(error, ServiceError::Conflict(_)),
            "{}: {error:?}",
            order.payment_status
        );
    }
}

#[tokio::test]
async fn gateway_errors_on_create_payment_are_mapped() {
    let cases = [
        (GatewayError::Unavailable("timeout".to_owned()), "upstream"),
        (
            GatewayError::Rejected {
                code: "PARAM_ERROR".to_owned(),
                message: "bad".to_owned(),
            },
            "upstream",
        ),
        (GatewayError::OrderPaid, "conflict"),
        (GatewayError::OrderClosed, "conflict"),
        (GatewayError::NotFound, "not found"),
    ];
    for (gateway_error, expected) in cases {
        let mut mocks = Mocks::default();
        mocks.stores(unpaid_order());
        let answer = gateway_error.clone();
        mocks
            .gateway
            .expect_create_payment()
            .returning(move |_| Err(answer.clone()));
        let error = PaymentService::new(mocks.ports(), PAYMENT_WINDOW)
            .create_payment(&owner(), ORDER_NUMBER, "10.0.0.9")
            .await
            .unwrap_err();
        let kind = match error {
            ServiceError::Upstream(_) => "upstream",
            ServiceError::Conflict(_) => "conflict",
            ServiceError::NotFound(_) => "not found",
            ServiceError::Validation(_) | ServiceError::Unavailable(_) => "other",
        };
        assert_eq!(kind, expected, "{gateway_error:?}");
    }
}

// --- sync_with_gateway ----------------------------------------------------------------

fn number() -> OrderNumber {
    unpaid_order().number
}

#[tokio::test]
async fn a_payment_found_by_query_is_trusted_without_attach() {
    let mut mocks = Mocks::default();
    let mut found = payment(TRANSACTION);
    found.attach = None;
    mocks
        .gateway
        .expect_query_order()
        .times(1)
        .returning(move |_| Ok(TradeState::Paid(found.clone())));
    mocks.finds(vec![Some(unpaid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    mocks.audit.expect_record().never();

    let handled = PaymentService::new(mocks.ports(), PAYMENT_WINDOW)
        .sync_with_gateway(&number(), &admin_act("alice"))
        .await
        .unwrap()
        .unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Processed);
    assert!(handled.dispatch.is_some());
    let write = only_write(&writes);
    assert_eq!(write.order.payment_status, PaymentStatus::Paid);
    // The admin's sync is audited in the order's own write, not alone.
    let audit = write.audit.expect("audited with the change");
    assert_eq!(audit.action, AuditAction::PaymentSync);
    assert_eq!(audit.actor.username, "alice");
    assert_eq!(audit.target_id, number().as_str());
    assert_eq!(audit.before.unwrap()["paymentStatus"], "unpaid");
    assert_eq!(audit.after.unwrap()["paymentStatus"], "paid");
    assert!(
        write.event.reason.contains("query"),
        "{}",
        write.event.reason
    );
}

#[tokio::test]
async fn a_query_with_the_wrong_amount_is_still_an_anomaly() {
    let mut mocks = Mocks::default();
    let mut found = payment(TRANSACTION);
    found.amount = Fen::new(1);
    mocks
        .gateway
        .expect_query_order()
        .returning(move |_| Ok(TradeState::Paid(found.clone())));
    mocks.finds(vec![Some(unpaid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    mocks.alerts();
    let audited = mocks.audits();

    let handled = PaymentService::new(mocks.ports(), PAYMENT_WINDOW)
        .sync_with_gateway(&number(), &admin_act("alice"))
        .await
        .unwrap()
        .unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Rejected);
    assert_flagged(
        &only_write(&writes),
        &unpaid_order(),
        AnomalyKind::AmountMismatch,
    );
    // The payment was not taken: the attempt is audited alone.
    let rows = calls(&audited);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].after.as_ref().unwrap()["found"], "rejected");
}

#[tokio::test]
async fn an_unpaid_query_changes_nothing_and_gateway_errors_are_reported() {
    for state in [
        TradeState::NotPaid,
        TradeState::UserPaying,
        TradeState::Closed,
        TradeState::Revoked,
        TradeState::PayError,
        TradeState::NotFound,
    ] {
        let mut mocks = Mocks::default();
        let answer = state.clone();
        mocks
            .gateway
            .expect_query_order()
            .returning(move |_| Ok(answer.clone()));
        mocks.orders.expect_find().never();
        mocks.applies_nothing();
        let audited = mocks.audits();
        let handled = PaymentService::new(mocks.ports(), PAYMENT_WINDOW)
            .sync_with_gateway(&number(), &admin_act("alice"))
            .await
            .unwrap();
        assert_eq!(handled, None, "{state:?}");
        let rows = calls(&audited);
        assert_eq!(rows.len(), 1, "{state:?}");
        assert_eq!(rows[0].action, AuditAction::PaymentSync);
        assert_eq!(rows[0].after.as_ref().unwrap()["changed"], false);
        assert_eq!(rows[0].request_id.as_deref(), Some("req-1"));
    }

    let mut mocks = Mocks::default();
    mocks
        .gateway
        .expect_query_order()
        .returning(|_| Err(GatewayError::Unavailable("timeout".to_owned())));
    mocks.applies_nothing();
    let error = PaymentService::new(mocks.ports(), PAYMENT_WINDOW)
        .sync_with_gateway(&number(), &admin_act("alice"))
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::Upstream(_)), "{error:?}");
}

#[tokio::test]
async fn a_retried_callback_is_logged_as_a_duplicate_in_one_write() {
    // The repository raises the retry count of the first row and keeps its `processed`.
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    let mut paid = unpaid_order()
        .mark_paid(TRANSACTION, now(), "callback")
        .unwrap()
        .order;
    paid.version = 1;
    mocks.finds(vec![Some(paid)]);
    mocks.applies_nothing();

    let handled = handle(mocks, notice(payment(TRANSACTION))).await.unwrap();
    assert_eq!(handled.outcome, NotificationOutcome::Duplicate);
    assert!(handled.dispatch.is_none());
    assert_eq!(only_outcome(&outcomes), NotificationOutcome::Duplicate);
}

#[tokio::test]
async fn a_refund_notice_is_only_logged() {
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.orders.expect_find().never();
    mocks.gateway.expect_query_refund().never();
    let raw = notice(payment(TRANSACTION)).raw;

    PaymentService::new(mocks.ports(), PAYMENT_WINDOW)
        .record_refund_notice(&raw)
        .await
        .unwrap();

    let recorded = calls(&outcomes);
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].outcome, NotificationOutcome::Processed);
    assert_eq!(recorded[0].error_message, None);
}
