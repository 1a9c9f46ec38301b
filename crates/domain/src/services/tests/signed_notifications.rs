//! Signed notifications (WeChat Pay API v3): the adapter verified the signature over the
//! exact bytes, so a payment notification is WeChat's own record — accepted without a
//! confirming query, logged with the order's change — and a refund notification makes the
//! refund be asked about now, never trusted by itself.

use super::payments::{
    OTHER_TRANSACTION, TRANSACTION, audit_log, notice, paid_time, payment, payment_of,
};
use super::*;
use crate::money::Fen;
use crate::order::{AnomalyKind, OrderNumber, PaymentStatus, RechargeStatus};
use crate::ports::{NotificationOutcome, Refund, RefundState, RefundStatus};
use crate::services::{
    NotificationHandled, PaymentNotice, PaymentService, RefundOutcome, RefundPolicy, RefundService,
    ServiceError,
};
use crate::testing::{ORDER_NUMBER, failed_order, paid_order, refunding_order, unpaid_order};

/// A notification as the v3 route builds it: no number in the URL, channel `wechat_v3`.
fn signed(payment: crate::ports::ConfirmedPayment) -> PaymentNotice {
    let mut notice = notice(payment);
    notice.path_order_number = None;
    notice.raw.channel = "wechat_v3".to_owned();
    notice
}

/// Handles `notice` as signed. The gateway mock has no expectation: a query would fail the
/// test, which proves none is made.
async fn handle_signed(
    mocks: Mocks,
    notice: PaymentNotice,
) -> Result<NotificationHandled, ServiceError> {
    PaymentService::new(mocks.ports(), PAYMENT_WINDOW)
        .handle_signed_notification(&notice)
        .await
}

fn logged_once(outcomes: &super::payments::Outcomes) -> NotificationOutcome {
    let recorded = calls(outcomes);
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0].notification.channel, "wechat_v3");
    recorded[0].outcome
}

#[tokio::test]
async fn a_signed_payment_is_recorded_without_asking_wechat_again() {
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.finds(vec![Some(unpaid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    mocks.no_alerts();

    let handled = handle_signed(mocks, signed(payment(TRANSACTION)))
        .await
        .unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Processed);
    assert!(handled.dispatch.is_some(), "the top-up is to be started");
    let write = only_write(&writes);
    assert_eq!(write.order.payment_status, PaymentStatus::Paid);
    assert_eq!(write.order.recharge_status, RechargeStatus::Pending);
    assert_eq!(write.order.transaction_id.as_deref(), Some(TRANSACTION));
    assert_eq!(write.order.paid_at, Some(paid_time()));
    assert!(
        write.event.reason.contains("signed notification"),
        "{}",
        write.event.reason
    );
    // Logged once, in the order's own transaction (`apply_notified`).
    assert_eq!(logged_once(&outcomes), NotificationOutcome::Processed);
}

#[tokio::test]
async fn a_signed_payment_needs_no_attach_as_a_query_answer_does_not() {
    let mut mocks = Mocks::default();
    audit_log(&mut mocks);
    mocks.finds(vec![Some(unpaid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    mocks.no_alerts();
    let mut record = payment(TRANSACTION);
    record.attach = None;
    record.paid_at = None;

    let handled = handle_signed(mocks, signed(record)).await.unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Processed);
    assert_eq!(only_write(&writes).order.paid_at, Some(now()));
}

#[tokio::test]
async fn a_replayed_signed_payment_is_a_duplicate_and_changes_nothing() {
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.finds(vec![Some(paid_order())]);
    mocks.applies_nothing();
    mocks.no_alerts();

    let handled = handle_signed(mocks, signed(payment(TRANSACTION)))
        .await
        .unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Duplicate);
    assert!(handled.dispatch.is_none(), "no second top-up");
    assert_eq!(logged_once(&outcomes), NotificationOutcome::Duplicate);
}

#[tokio::test]
async fn a_signed_payment_of_another_amount_is_a_genuine_anomaly_and_alerts_once() {
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.finds(vec![Some(unpaid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    let alerts = mocks.alerts();

    let handled = handle_signed(mocks, signed(payment_of(TRANSACTION, 1)))
        .await
        .unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Rejected);
    let write = only_write(&writes);
    assert_eq!(write.order.payment_status, PaymentStatus::Unpaid);
    assert_eq!(
        write.order.anomaly.map(|anomaly| anomaly.kind),
        Some(AnomalyKind::AmountMismatch)
    );
    assert_critical(&only_alert(&alerts), ORDER_NUMBER);
    assert_eq!(logged_once(&outcomes), NotificationOutcome::Rejected);
}

#[tokio::test]
async fn a_signed_second_transaction_on_a_paid_order_is_flagged() {
    let mut mocks = Mocks::default();
    audit_log(&mut mocks);
    mocks.finds(vec![Some(paid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    let alerts = mocks.alerts();

    let handled = handle_signed(mocks, signed(payment(OTHER_TRANSACTION)))
        .await
        .unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Rejected);
    let write = only_write(&writes);
    assert_eq!(write.order.transaction_id.as_deref(), Some(TRANSACTION));
    assert_eq!(
        write.order.anomaly.map(|anomaly| anomaly.kind),
        Some(AnomalyKind::DuplicatePayment)
    );
    assert_critical(&only_alert(&alerts), OTHER_TRANSACTION);
}

#[tokio::test]
async fn a_signed_payment_for_an_unknown_order_alerts_and_is_rejected() {
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.finds(vec![None]);
    mocks.applies_nothing();
    let alerts = mocks.alerts();

    let handled = handle_signed(mocks, signed(payment(TRANSACTION)))
        .await
        .unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Rejected);
    assert_critical(&only_alert(&alerts), "unknown order");
    assert_eq!(logged_once(&outcomes), NotificationOutcome::Rejected);
}

#[tokio::test]
async fn a_signed_payment_that_cannot_be_stored_is_an_error_so_that_wechat_retries() {
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks
        .orders
        .expect_find()
        .times(1)
        .returning(|_| Err(storage_down()));
    mocks.applies_nothing();
    mocks.no_alerts();

    let error = handle_signed(mocks, signed(payment(TRANSACTION)))
        .await
        .unwrap_err();

    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
    assert_eq!(logged_once(&outcomes), NotificationOutcome::Error);
}

#[tokio::test]
async fn a_lost_race_reads_the_order_again_and_then_sees_the_payment() {
    let mut mocks = Mocks::default();
    let outcomes = audit_log(&mut mocks);
    mocks.finds(vec![Some(unpaid_order()), Some(paid_order())]);
    mocks.applies(&[CasOutcome::Lost]);
    mocks.no_alerts();

    let handled = handle_signed(mocks, signed(payment(TRANSACTION)))
        .await
        .unwrap();

    assert_eq!(handled.outcome, NotificationOutcome::Duplicate);
    assert_eq!(logged_once(&outcomes), NotificationOutcome::Duplicate);
}

// --- refunds ----------------------------------------------------------------------------

/// The refund number of the first attempt on [`failed_order`] (refunding at version 4).
fn refund_no() -> String {
    format!("{}R4", failed_order().number)
}

fn number() -> OrderNumber {
    failed_order().number
}

fn processing_refund() -> Refund {
    Refund {
        refund_no: refund_no(),
        order_number: number(),
        amount: Fen::new(625),
        reason: "admin refund".to_owned(),
        status: RefundStatus::Processing,
        gateway_refund_id: Some("503000".to_owned()),
        created_at: t0(),
        updated_at: t0(),
        version: 1,
    }
}

fn latest_refund(mocks: &mut Mocks, latest: Option<Refund>) {
    mocks
        .refunds
        .expect_latest_for_order()
        .returning(move |_| Ok(latest.clone()));
}

async fn sync_refund(mocks: Mocks, refund_no: &str) -> Option<RefundOutcome> {
    RefundService::new(mocks.ports(), RefundPolicy::default())
        .sync_refund(&number(), refund_no)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_refund_notice_makes_that_refund_be_asked_about_and_settled() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(refunding_order())]);
    latest_refund(&mut mocks, Some(processing_refund()));
    mocks
        .gateway
        .expect_query_refund()
        .withf(|asked| asked == refund_no())
        .times(1)
        .returning(|_| {
            Ok(RefundState::Succeeded {
                gateway_refund_id: Some("503000".to_owned()),
            })
        });
    mocks
        .refunds
        .expect_update()
        .times(1)
        .returning(|refund, status, version| {
            assert_eq!(refund.status, RefundStatus::Succeeded);
            assert_eq!((status, version), (RefundStatus::Processing, 1));
            Ok(CasOutcome::Won)
        });
    let writes = mocks.applies(&[CasOutcome::Won]);
    mocks.no_alerts();

    assert_eq!(
        sync_refund(mocks, &refund_no()).await,
        Some(RefundOutcome::Refunded)
    );
    assert_eq!(
        only_write(&writes).order.payment_status,
        PaymentStatus::Refunded
    );
}

#[tokio::test]
async fn a_refund_wechat_still_processes_stays_in_progress() {
    // ABNORMAL notices end here too: the query answers "processing", nothing is final.
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(refunding_order())]);
    latest_refund(&mut mocks, Some(processing_refund()));
    mocks.gateway.expect_query_refund().times(1).returning(|_| {
        Ok(RefundState::Processing {
            gateway_refund_id: Some("503000".to_owned()),
        })
    });
    mocks.applies_nothing();
    mocks.no_alerts();

    assert_eq!(
        sync_refund(mocks, &refund_no()).await,
        Some(RefundOutcome::InProgress)
    );
}

#[tokio::test]
async fn a_refund_notice_about_nothing_in_flight_asks_nothing() {
    // The order is not refunding; or the notice names an older attempt than the latest.
    for (order, latest, named) in [
        (paid_order(), Some(processing_refund()), refund_no()),
        (unpaid_order(), None, refund_no()),
        (refunding_order(), None, refund_no()),
        (
            refunding_order(),
            Some(processing_refund()),
            format!("{}R2", number()),
        ),
    ] {
        let mut mocks = Mocks::default();
        mocks.finds(vec![Some(order)]);
        latest_refund(&mut mocks, latest);
        mocks.gateway.expect_query_refund().never();
        mocks.applies_nothing();
        mocks.no_alerts();

        assert_eq!(sync_refund(mocks, &named).await, None, "{named}");
    }
}

#[tokio::test]
async fn a_refund_notice_for_an_unknown_order_asks_nothing() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![None]);
    mocks.gateway.expect_query_refund().never();
    mocks.applies_nothing();

    assert_eq!(sync_refund(mocks, &refund_no()).await, None);
}
