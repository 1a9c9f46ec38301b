//! `RefundService`: money goes back only after a definitive failure (or a person's
//! decision), once per attempt.

use super::*;
use crate::money::Fen;
use crate::order::{Actor, AnomalyKind, OrderNumber, PaymentStatus, RechargeStatus};
use crate::ports::{GatewayError, Refund, RefundRequest, RefundState, RefundStatus, WorkQueue};
use crate::services::{RefundOutcome, RefundPolicy, RefundService, ServiceError, SweepReport};
use crate::testing::{
    failed_order, paid_order, refunding_order, submitting_order, success_order, unknown_order,
    unpaid_order,
};

const AUTOMATIC: RefundPolicy = RefundPolicy { automatic: true };

fn number() -> OrderNumber {
    failed_order().number
}

/// The refund number of the first attempt on [`failed_order`] (refunding at version 4).
fn refund_no() -> String {
    format!("{}R4", number())
}

fn service(mocks: Mocks, policy: RefundPolicy) -> RefundService {
    RefundService::new(mocks.ports(), policy)
}

fn failed_queue(mocks: &mut Mocks, orders: Vec<Order>) {
    mocks
        .orders
        .expect_find_work()
        .withf(|queue, cutoff, after, limit| {
            after.is_none() && *queue == WorkQueue::FailedPaid && *cutoff == now() && *limit == 10
        })
        .times(1)
        .returning(move |_, _, _, _| Ok(orders.clone()));
}

/// Refund rows are accepted and kept: inserts, then updates with their expected status.
struct RefundLog {
    inserted: Calls<Refund>,
    updated: Calls<(Refund, RefundStatus, i32)>,
}

fn refund_rows(mocks: &mut Mocks) -> RefundLog {
    let log = RefundLog {
        inserted: Calls::default(),
        updated: Calls::default(),
    };
    let sink = log.inserted.clone();
    mocks.refunds.expect_insert().returning(move |refund| {
        sink.lock().unwrap().push(refund.clone());
        Ok(())
    });
    let sink = log.updated.clone();
    mocks
        .refunds
        .expect_update()
        .returning(move |refund, status, version| {
            sink.lock().unwrap().push((refund.clone(), status, version));
            Ok(CasOutcome::Won)
        });
    log
}

fn gateway_refund_answers(
    mocks: &mut Mocks,
    answer: Result<RefundState, GatewayError>,
) -> Calls<RefundRequest> {
    let (requests, answering) = recording(answer);
    mocks.gateway.expect_refund().times(1).returning(answering);
    requests
}

#[tokio::test]
async fn with_the_policy_off_nothing_is_refunded_automatically() {
    let mut mocks = Mocks::default();
    mocks.orders.expect_find_work().never();
    mocks.applies_nothing();
    mocks.gateway.expect_refund().never();
    let service = service(mocks, RefundPolicy::default());
    assert!(!service.policy().automatic);
    assert_eq!(
        service.refund_failed_top_ups(None, 10).await.unwrap(),
        SweepReport::default()
    );
}

#[tokio::test]
async fn a_failed_top_up_is_refunded_automatically() {
    let mut mocks = Mocks::default();
    failed_queue(&mut mocks, vec![failed_order()]);
    let writes = mocks.applies(&[CasOutcome::Won, CasOutcome::Won]);
    let rows = refund_rows(&mut mocks);
    let requests = gateway_refund_answers(
        &mut mocks,
        Ok(RefundState::Succeeded {
            gateway_refund_id: Some("503000".to_owned()),
        }),
    );
    mocks.no_alerts();

    let report = service(mocks, AUTOMATIC)
        .refund_failed_top_ups(None, 10)
        .await
        .unwrap();

    assert_eq!(
        report,
        SweepReport {
            examined: 1,
            changed: 1,
            next: None
        }
    );
    let written = calls(&writes);
    assert_eq!(written[0].expected_state, failed_order().state());
    assert_eq!(written[0].order.payment_status, PaymentStatus::Refunding);
    assert_eq!(written[0].event.actor, Actor::System);
    assert_eq!(written[1].expected_version, written[0].order.version);
    assert_eq!(written[1].order.payment_status, PaymentStatus::Refunded);
    assert_eq!(written[1].order.recharge_status, RechargeStatus::Failed);

    let inserted = calls(&rows.inserted);
    assert_eq!(inserted.len(), 1);
    assert_eq!(inserted[0].refund_no, refund_no());
    assert_eq!(inserted[0].amount, Fen::new(625));
    assert_eq!(inserted[0].status, RefundStatus::Processing);
    let request = calls(&requests).remove(0);
    assert_eq!(request.refund_no, refund_no());
    assert_eq!(request.total, Fen::new(625));
    assert_eq!(request.amount, Fen::new(625));
    let (updated, expected_status, expected_version) = calls(&rows.updated).remove(0);
    assert_eq!(updated.status, RefundStatus::Succeeded);
    assert_eq!(updated.gateway_refund_id.as_deref(), Some("503000"));
    assert_eq!(
        (expected_status, expected_version),
        (RefundStatus::Processing, 0)
    );
    assert_eq!(updated.version, 1);
}

#[tokio::test]
async fn an_unavailable_gateway_leaves_the_refund_in_progress() {
    let mut mocks = Mocks::default();
    failed_queue(&mut mocks, vec![failed_order()]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    let rows = refund_rows(&mut mocks);
    gateway_refund_answers(
        &mut mocks,
        Err(GatewayError::Unavailable("timeout".to_owned())),
    );
    mocks.no_alerts();

    let report = service(mocks, AUTOMATIC)
        .refund_failed_top_ups(None, 10)
        .await
        .unwrap();

    assert_eq!(
        report,
        SweepReport {
            examined: 1,
            changed: 1,
            next: None
        }
    );
    assert_eq!(
        only_write(&writes).order.payment_status,
        PaymentStatus::Refunding
    );
    assert_eq!(calls(&rows.inserted).len(), 1);
    assert!(
        calls(&rows.updated).is_empty(),
        "unknown answers change no row"
    );
}

#[tokio::test]
async fn a_refund_the_gateway_accepts_for_processing_stays_in_progress() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(failed_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    let rows = refund_rows(&mut mocks);
    gateway_refund_answers(
        &mut mocks,
        Ok(RefundState::Processing {
            gateway_refund_id: Some("503001".to_owned()),
        }),
    );

    let outcome = service(mocks, RefundPolicy::default())
        .refund_by_admin(&number(), &admin_act("alice"), "customer asked")
        .await
        .unwrap();

    assert_eq!(outcome, RefundOutcome::InProgress);
    let write = only_write(&writes);
    assert_eq!(write.order.payment_status, PaymentStatus::Refunding);
    // The admin's request is audited in the order's own write.
    let audit = write.audit.expect("audited with the change");
    assert_eq!(
        audit.action,
        crate::accounts::audit::AuditAction::OrderRefund
    );
    assert_eq!(audit.reason.as_deref(), Some("customer asked"));
    assert_eq!(audit.before.unwrap()["paymentStatus"], "paid");
    assert_eq!(audit.after.unwrap()["paymentStatus"], "refunding");
    let (updated, _, _) = calls(&rows.updated).remove(0);
    assert_eq!(updated.status, RefundStatus::Processing);
    assert_eq!(updated.gateway_refund_id.as_deref(), Some("503001"));
}

#[tokio::test]
async fn a_refused_refund_is_refund_failed_with_an_anomaly_and_an_alert() {
    for answer in [
        Err(GatewayError::Rejected {
            code: "NOTENOUGH".to_owned(),
            message: "balance too low".to_owned(),
        }),
        Err(GatewayError::NotFound),
        Ok(RefundState::Failed {
            reason: "ABNORMAL".to_owned(),
        }),
    ] {
        let mut mocks = Mocks::default();
        failed_queue(&mut mocks, vec![failed_order()]);
        let writes = mocks.applies(&[CasOutcome::Won, CasOutcome::Won]);
        let rows = refund_rows(&mut mocks);
        gateway_refund_answers(&mut mocks, answer.clone());
        let alerts = mocks.alerts();

        let report = service(mocks, AUTOMATIC)
            .refund_failed_top_ups(None, 10)
            .await
            .unwrap();

        assert_eq!(
            report,
            SweepReport {
                examined: 1,
                changed: 1,
                next: None
            },
            "{answer:?}"
        );
        let finished = calls(&writes).remove(1);
        assert_eq!(finished.order.payment_status, PaymentStatus::RefundFailed);
        assert_eq!(
            finished.order.anomaly.unwrap().kind,
            AnomalyKind::RefundRejected
        );
        assert_eq!(calls(&rows.updated)[0].0.status, RefundStatus::Failed);
        assert_critical(&only_alert(&alerts), "refund");
    }
}

#[tokio::test]
async fn only_definitive_failures_are_refunded_automatically() {
    for order in [
        paid_order(),
        submitting_order(),
        unknown_order(),
        success_order(),
        unpaid_order(),
    ] {
        let mut mocks = Mocks::default();
        failed_queue(&mut mocks, vec![order.clone()]);
        mocks.applies_nothing();
        mocks.gateway.expect_refund().never();
        mocks.refunds.expect_insert().never();

        let report = service(mocks, AUTOMATIC)
            .refund_failed_top_ups(None, 10)
            .await
            .unwrap();
        assert_eq!(
            report,
            SweepReport {
                examined: 1,
                changed: 0,
                next: None
            },
            "{}",
            order.state()
        );
    }
}

#[tokio::test]
async fn a_refund_lost_to_another_writer_sends_nothing() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(failed_order())]);
    mocks.applies(&[CasOutcome::Lost]);
    mocks.refunds.expect_insert().never();
    mocks.gateway.expect_refund().never();

    let error = service(mocks, AUTOMATIC)
        .refund_by_admin(&number(), &admin_act("alice"), "customer asked")
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::Conflict(_)), "{error:?}");
}

#[tokio::test]
async fn a_refund_that_cannot_be_recorded_is_never_sent() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(failed_order())]);
    mocks.applies(&[CasOutcome::Won]);
    mocks
        .refunds
        .expect_insert()
        .times(1)
        .returning(|refund| Err(RepositoryError::Duplicate(refund.refund_no.clone())));
    mocks.gateway.expect_refund().never();

    let error = service(mocks, AUTOMATIC)
        .refund_by_admin(&number(), &admin_act("alice"), "customer asked")
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::Conflict(_)), "{error:?}");
}

#[tokio::test]
async fn a_person_may_refund_an_unknown_or_successful_top_up_with_a_reason() {
    for order in [unknown_order(), success_order(), paid_order()] {
        let mut mocks = Mocks::default();
        mocks.finds(vec![Some(order.clone())]);
        let writes = mocks.applies(&[CasOutcome::Won, CasOutcome::Won]);
        refund_rows(&mut mocks);
        gateway_refund_answers(
            &mut mocks,
            Ok(RefundState::Succeeded {
                gateway_refund_id: None,
            }),
        );

        let outcome = service(mocks, RefundPolicy::default())
            .refund_by_admin(&number(), &admin_act("alice"), "goodwill")
            .await
            .unwrap();

        assert_eq!(outcome, RefundOutcome::Refunded, "{}", order.state());
        let started = calls(&writes).remove(0);
        assert_eq!(started.event.actor, Actor::Admin("alice".to_owned()));
        assert_eq!(started.event.reason, "goodwill");
    }
}

#[tokio::test]
async fn a_person_cannot_refund_while_a_top_up_is_in_flight_or_unpaid() {
    for order in [submitting_order(), unpaid_order(), refunding_order()] {
        let mut mocks = Mocks::default();
        mocks.finds(vec![Some(order.clone())]);
        mocks.applies_nothing();
        mocks.gateway.expect_refund().never();
        let error = service(mocks, RefundPolicy::default())
            .refund_by_admin(&number(), &admin_act("alice"), "why not")
            .await
            .unwrap_err();
        assert!(
            matches!(error, ServiceError::Conflict(_)),
            "{}: {error:?}",
            order.state()
        );
    }
}

#[tokio::test]
async fn an_admin_refund_needs_a_reason_and_an_existing_order() {
    let mut mocks = Mocks::default();
    mocks.orders.expect_find().never();
    let error = service(mocks, RefundPolicy::default())
        .refund_by_admin(&number(), &admin_act("alice"), " ")
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::Validation(_)), "{error:?}");

    let mut mocks = Mocks::default();
    mocks.finds(vec![None]);
    let error = service(mocks, RefundPolicy::default())
        .refund_by_admin(&number(), &admin_act("alice"), "customer asked")
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::NotFound(_)), "{error:?}");
}

// --- sync_refunds --------------------------------------------------------------------

fn processing_refund() -> Refund {
    Refund {
        refund_no: refund_no(),
        order_number: number(),
        amount: Fen::new(625),
        reason: "automatic refund: top-up failed".to_owned(),
        status: RefundStatus::Processing,
        gateway_refund_id: Some("503000".to_owned()),
        created_at: t0(),
        updated_at: t0(),
        version: 2,
    }
}

fn refunding_queue(mocks: &mut Mocks, orders: Vec<Order>, latest: Option<Refund>) {
    mocks
        .orders
        .expect_find_work()
        .withf(|queue, cutoff, after, limit| {
            after.is_none()
                && *queue == WorkQueue::Refunding
                && *cutoff == now() - Duration::minutes(5)
                && *limit == 10
        })
        .times(1)
        .returning(move |_, _, _, _| Ok(orders.clone()));
    mocks
        .refunds
        .expect_latest_for_order()
        .returning(move |_| Ok(latest.clone()));
}

fn gateway_query_answers(mocks: &mut Mocks, answer: Result<RefundState, GatewayError>) {
    mocks
        .gateway
        .expect_query_refund()
        .withf(|refund_no| refund_no.ends_with("R4"))
        .times(1)
        .returning(move |_| answer.clone());
}

async fn sync(mocks: Mocks) -> SweepReport {
    service(mocks, RefundPolicy::default())
        .sync_refunds(Duration::minutes(5), None, 10)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_refund_found_succeeded_finishes_the_order() {
    let mut mocks = Mocks::default();
    refunding_queue(
        &mut mocks,
        vec![refunding_order()],
        Some(processing_refund()),
    );
    gateway_query_answers(
        &mut mocks,
        Ok(RefundState::Succeeded {
            gateway_refund_id: None,
        }),
    );
    let rows = refund_rows(&mut mocks);
    let writes = mocks.applies(&[CasOutcome::Won]);
    mocks.no_alerts();

    assert_eq!(
        sync(mocks).await,
        SweepReport {
            examined: 1,
            changed: 1,
            next: None
        }
    );

    let (updated, expected_status, expected_version) = calls(&rows.updated).remove(0);
    assert_eq!(updated.status, RefundStatus::Succeeded);
    assert_eq!(updated.gateway_refund_id.as_deref(), Some("503000"), "kept");
    assert_eq!(
        (expected_status, expected_version),
        (RefundStatus::Processing, 2)
    );
    assert_eq!(
        only_write(&writes).order.payment_status,
        PaymentStatus::Refunded
    );
}

#[tokio::test]
async fn a_refund_still_processing_or_unanswered_changes_nothing() {
    for answer in [
        Ok(RefundState::Processing {
            gateway_refund_id: Some("503000".to_owned()),
        }),
        Err(GatewayError::Unavailable("timeout".to_owned())),
    ] {
        let mut mocks = Mocks::default();
        refunding_queue(
            &mut mocks,
            vec![refunding_order()],
            Some(processing_refund()),
        );
        gateway_query_answers(&mut mocks, answer.clone());
        mocks.refunds.expect_update().never();
        mocks.applies_nothing();
        mocks.no_alerts();
        assert_eq!(
            sync(mocks).await,
            SweepReport {
                examined: 1,
                changed: 0,
                next: None
            },
            "{answer:?}"
        );
    }
}

#[tokio::test]
async fn a_refund_found_failed_is_refund_failed_and_alerted() {
    let mut mocks = Mocks::default();
    refunding_queue(
        &mut mocks,
        vec![refunding_order()],
        Some(processing_refund()),
    );
    gateway_query_answers(
        &mut mocks,
        Ok(RefundState::Failed {
            reason: "CHANGE".to_owned(),
        }),
    );
    refund_rows(&mut mocks);
    let writes = mocks.applies(&[CasOutcome::Won]);
    let alerts = mocks.alerts();

    assert_eq!(
        sync(mocks).await,
        SweepReport {
            examined: 1,
            changed: 1,
            next: None
        }
    );
    assert_eq!(
        only_write(&writes).order.payment_status,
        PaymentStatus::RefundFailed
    );
    assert_critical(&only_alert(&alerts), "CHANGE");
}

#[tokio::test]
async fn a_refund_recorded_succeeded_before_a_crash_still_finishes_the_order() {
    let mut done = processing_refund();
    done.status = RefundStatus::Succeeded;
    let mut mocks = Mocks::default();
    refunding_queue(&mut mocks, vec![refunding_order()], Some(done));
    gateway_query_answers(
        &mut mocks,
        Ok(RefundState::Succeeded {
            gateway_refund_id: Some("503000".to_owned()),
        }),
    );
    mocks.refunds.expect_update().never();
    let writes = mocks.applies(&[CasOutcome::Won]);

    assert_eq!(
        sync(mocks).await,
        SweepReport {
            examined: 1,
            changed: 1,
            next: None
        }
    );
    assert_eq!(
        only_write(&writes).order.payment_status,
        PaymentStatus::Refunded
    );
}

#[tokio::test]
async fn a_finished_refund_lost_to_another_writer_is_not_counted() {
    let mut mocks = Mocks::default();
    refunding_queue(
        &mut mocks,
        vec![refunding_order()],
        Some(processing_refund()),
    );
    gateway_query_answers(
        &mut mocks,
        Ok(RefundState::Succeeded {
            gateway_refund_id: None,
        }),
    );
    refund_rows(&mut mocks);
    mocks.applies(&[CasOutcome::Lost]);
    assert_eq!(
        sync(mocks).await,
        SweepReport {
            examined: 1,
            changed: 0,
            next: None
        }
    );
}

#[tokio::test]
async fn refund_jobs_report_storage_errors() {
    let mut mocks = Mocks::default();
    mocks
        .orders
        .expect_find_work()
        .returning(|_, _, _, _| Err(storage_down()));
    let service = service(mocks, AUTOMATIC);
    assert!(matches!(
        service.refund_failed_top_ups(None, 10).await,
        Err(ServiceError::Unavailable(_))
    ));
    assert!(matches!(
        service.sync_refunds(Duration::minutes(5), None, 10).await,
        Err(ServiceError::Unavailable(_))
    ));
}

#[tokio::test]
async fn a_refund_whose_row_was_never_written_is_started_by_the_sync() {
    // The order won `refunding`, then storing the refund row failed: no request was sent.
    let mut mocks = Mocks::default();
    refunding_queue(&mut mocks, vec![refunding_order()], None);
    let rows = refund_rows(&mut mocks);
    let requests = gateway_refund_answers(
        &mut mocks,
        Ok(RefundState::Processing {
            gateway_refund_id: None,
        }),
    );

    sync(mocks).await;

    assert_eq!(calls(&rows.inserted).len(), 1);
    assert_eq!(calls(&requests).len(), 1);
}
