//! `RechargeService`: one submission per order, whatever happens.

use super::*;
use crate::money::Mnt;
use crate::order::{
    Actor, AnomalyKind, OrderNumber, PaymentStatus, RechargeKind, RechargeStatus, Resolution,
    TopUpResult,
};
use crate::ports::{
    AlertLevel, ProviderError, TopUpAccepted, TopUpError, TopUpRequest, TransactionCheck, WorkQueue,
};
use crate::services::{DispatchOutcome, RechargeService, ServiceError, SweepReport};
use crate::testing::{
    MSISDN, confirming_order, failed_order, order_number, paid_order, refunding_order,
    submitting_order, success_order, unknown_order, unpaid_order,
};

fn number() -> OrderNumber {
    paid_order().number
}

fn service(mocks: Mocks) -> RechargeService {
    RechargeService::new(mocks.ports())
}

/// The provider answers the one top-up with `answer`; the request is kept.
fn top_up_answers(
    mocks: &mut Mocks,
    answer: Result<TopUpAccepted, TopUpError>,
) -> Calls<TopUpRequest> {
    let (requests, answering) = recording(answer);
    mocks.provider.expect_top_up().times(1).returning(answering);
    requests
}

fn succeeded() -> TopUpAccepted {
    TopUpAccepted::Succeeded {
        seq: Some("SEQ-9".to_owned()),
        sv_id: Some("SV-1".to_owned()),
        receipt: Some(serde_json::json!({"billId": "B1"})),
    }
}

fn rejected() -> TopUpError {
    TopUpError::Rejected {
        code: "E12".to_owned(),
        message: "card not allowed".to_owned(),
    }
}

/// The claimed order, as the repository holds it after the claim was won.
fn claimed() -> Order {
    let mut order = paid_order().claim_recharge(now()).unwrap().order;
    order.recharge_at = Some(now());
    order
}

// --- dispatch ------------------------------------------------------------------------

#[tokio::test]
async fn dispatching_the_order_just_paid_claims_it_without_reading_it_back() {
    let mut mocks = Mocks::default();
    mocks.orders.expect_find().never();
    let writes = mocks.applies(&[CasOutcome::Won, CasOutcome::Won]);
    let requests = top_up_answers(&mut mocks, Ok(succeeded()));
    mocks.no_alerts();

    let outcome = service(mocks).dispatch_order(paid_order()).await.unwrap();

    assert_eq!(outcome, DispatchOutcome::Submitted(RechargeStatus::Success));
    let written = calls(&writes);
    assert_eq!(written[0].expected_version, paid_order().version);
    assert_eq!(written[0].order.recharge_status, RechargeStatus::Submitting);
    assert_eq!(calls(&requests).len(), 1);
}

#[tokio::test]
async fn dispatching_a_stale_order_reads_it_once_and_still_claims_it_once() {
    // An anomaly flag moved the version after the callback wrote the order: the claim on
    // the held order loses, the fresh order is claimed, the top-up sent once.
    let mut mocks = Mocks::default();
    let flagged = paid_order()
        .flag_anomaly(AnomalyKind::DuplicatePayment, "again", now())
        .order;
    mocks.finds(vec![Some(flagged.clone())]);
    let writes = mocks.applies(&[CasOutcome::Lost, CasOutcome::Won, CasOutcome::Won]);
    let requests = top_up_answers(&mut mocks, Ok(succeeded()));
    mocks.no_alerts();

    let outcome = service(mocks).dispatch_order(paid_order()).await.unwrap();

    assert_eq!(outcome, DispatchOutcome::Submitted(RechargeStatus::Success));
    let written = calls(&writes);
    assert_eq!(written[0].expected_version, paid_order().version);
    assert_eq!(written[1].expected_version, flagged.version);
    assert_eq!(written[1].order.recharge_status, RechargeStatus::Submitting);
    assert_eq!(calls(&requests).len(), 1);
}

#[tokio::test]
async fn dispatching_an_order_claimed_elsewhere_meanwhile_sends_nothing() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(submitting_order())]);
    mocks.applies(&[CasOutcome::Lost]);
    mocks.provider.expect_top_up().never();

    let outcome = service(mocks).dispatch_order(paid_order()).await.unwrap();
    assert_eq!(
        outcome,
        DispatchOutcome::NotDispatchable(RechargeStatus::Submitting)
    );

    // Lost twice (the fresh order changed again): left for the job, nothing sent.
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(paid_order())]);
    mocks.applies(&[CasOutcome::Lost, CasOutcome::Lost]);
    mocks.provider.expect_top_up().never();
    let outcome = service(mocks).dispatch_order(paid_order()).await.unwrap();
    assert_eq!(outcome, DispatchOutcome::AlreadyClaimed);
}

#[tokio::test]
async fn dispatch_claims_then_sends_once_and_records_success() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(paid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won, CasOutcome::Won]);
    let requests = top_up_answers(&mut mocks, Ok(succeeded()));
    mocks.no_alerts();

    let outcome = service(mocks).dispatch(&number()).await.unwrap();

    assert_eq!(outcome, DispatchOutcome::Submitted(RechargeStatus::Success));
    let written = calls(&writes);
    let claim = &written[0];
    assert_eq!(claim.expected_state, paid_order().state());
    assert_eq!(claim.expected_version, paid_order().version);
    assert_eq!(claim.order.recharge_status, RechargeStatus::Submitting);
    assert_eq!(claim.order.recharge_at, Some(now()));
    let answer = &written[1];
    assert_eq!(answer.expected_version, claim.order.version);
    assert_eq!(answer.expected_state, claim.order.state());
    assert_eq!(answer.order.recharge_status, RechargeStatus::Success);
    assert_eq!(answer.order.seq_id.as_deref(), Some("SEQ-9"));
    assert_eq!(
        answer.order.provider_receipt,
        Some(serde_json::json!({"billId": "B1"}))
    );
    assert_eq!(answer.order.recharged_at, Some(now()));

    let request = calls(&requests).remove(0);
    assert_eq!(request.journal_id, number());
    assert_eq!(request.msisdn.as_str(), MSISDN);
    assert_eq!(request.kind, RechargeKind::Voice);
    assert_eq!(request.product_code, "SY3000");
    assert_eq!(request.amount, Mnt::new(3000));
}

#[tokio::test]
async fn an_accepted_top_up_is_confirmed_later_by_its_seq() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(paid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won, CasOutcome::Won]);
    top_up_answers(
        &mut mocks,
        Ok(TopUpAccepted::Pending {
            seq: "SEQ-77".to_owned(),
        }),
    );
    mocks.no_alerts();

    let outcome = service(mocks).dispatch(&number()).await.unwrap();

    assert_eq!(
        outcome,
        DispatchOutcome::Submitted(RechargeStatus::Confirming)
    );
    let answer = calls(&writes).remove(1);
    assert_eq!(answer.order.recharge_status, RechargeStatus::Confirming);
    assert_eq!(answer.order.seq_id.as_deref(), Some("SEQ-77"));
    assert_eq!(answer.order.recharged_at, None);
}

#[tokio::test]
async fn a_refused_top_up_is_failed_with_a_warning() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(paid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won, CasOutcome::Won]);
    top_up_answers(&mut mocks, Err(rejected()));
    let alerts = mocks.alerts();

    let outcome = service(mocks).dispatch(&number()).await.unwrap();

    assert_eq!(outcome, DispatchOutcome::Submitted(RechargeStatus::Failed));
    let answer = calls(&writes).remove(1);
    assert_eq!(answer.order.recharge_status, RechargeStatus::Failed);
    assert_eq!(answer.order.payment_status, PaymentStatus::Paid);
    assert!(
        answer.event.reason.contains("E12"),
        "{}",
        answer.event.reason
    );
    let alert = only_alert(&alerts);
    assert_eq!(alert.level, AlertLevel::Warning);
    assert!(alert.body.contains("card not allowed"));
}

#[tokio::test]
async fn an_unknown_outcome_is_recorded_as_unknown_never_resent_and_alerted() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(paid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won, CasOutcome::Won]);
    top_up_answers(
        &mut mocks,
        Err(TopUpError::OutcomeUnknown("read timeout".to_owned())),
    );
    let alerts = mocks.alerts();

    let outcome = service(mocks).dispatch(&number()).await.unwrap();

    assert_eq!(outcome, DispatchOutcome::Submitted(RechargeStatus::Unknown));
    let answer = calls(&writes).remove(1);
    assert_eq!(answer.order.recharge_status, RechargeStatus::Unknown);
    let anomaly = answer.order.anomaly.unwrap();
    assert_eq!(anomaly.kind, AnomalyKind::RechargeOutcomeUnknown);
    assert!(anomaly.details.contains("read timeout"));
    assert_critical(&only_alert(&alerts), "not re-sent");
}

#[tokio::test]
async fn a_top_up_that_never_left_is_queued_again_without_an_alert() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(paid_order())]);
    let writes = mocks.applies(&[CasOutcome::Won, CasOutcome::Won]);
    top_up_answers(
        &mut mocks,
        Err(TopUpError::NotSent("connection refused".to_owned())),
    );
    mocks.no_alerts();

    let outcome = service(mocks).dispatch(&number()).await.unwrap();

    assert_eq!(outcome, DispatchOutcome::Submitted(RechargeStatus::Pending));
    let answer = calls(&writes).remove(1);
    assert_eq!(answer.expected_state.recharge, RechargeStatus::Submitting);
    assert_eq!(answer.order.recharge_status, RechargeStatus::Pending);
    assert_eq!(answer.order.recharge_at, None);
    assert!(answer.order.anomaly.is_none());
    assert!(answer.event.reason.contains("connection refused"));
    // Queued again: the next claim may send it.
    assert!(answer.order.claim_recharge(now()).is_ok());
}

#[tokio::test]
async fn a_not_sent_answer_on_a_swept_order_leaves_it_unknown() {
    let swept = claimed()
        .record_top_up(
            &TopUpResult::Unknown {
                reason: "stale".to_owned(),
            },
            now(),
        )
        .unwrap()
        .order;
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(paid_order()), Some(swept)]);
    mocks.applies(&[CasOutcome::Won, CasOutcome::Lost]);
    top_up_answers(
        &mut mocks,
        Err(TopUpError::NotSent("connection refused".to_owned())),
    );
    mocks.no_alerts();

    let outcome = service(mocks).dispatch(&number()).await.unwrap();
    assert_eq!(outcome, DispatchOutcome::Submitted(RechargeStatus::Unknown));
}

#[tokio::test]
async fn a_lost_claim_sends_nothing() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(paid_order())]);
    let writes = mocks.applies(&[CasOutcome::Lost]);
    mocks.provider.expect_top_up().times(0);
    mocks.no_alerts();

    let outcome = service(mocks).dispatch(&number()).await.unwrap();

    assert_eq!(outcome, DispatchOutcome::AlreadyClaimed);
    assert_eq!(calls(&writes).len(), 1, "only the claim was attempted");
}

#[tokio::test]
async fn orders_that_are_not_paid_and_pending_are_not_dispatched() {
    for order in [
        unpaid_order(),
        submitting_order(),
        confirming_order("SEQ-1"),
        success_order(),
        failed_order(),
        unknown_order(),
        refunding_order(),
    ] {
        let mut mocks = Mocks::default();
        mocks.finds(vec![Some(order.clone())]);
        mocks.applies_nothing();
        mocks.provider.expect_top_up().times(0);

        let outcome = service(mocks).dispatch(&number()).await.unwrap();

        assert_eq!(
            outcome,
            DispatchOutcome::NotDispatchable(order.recharge_status),
            "{}",
            order.state()
        );
    }
}

#[tokio::test]
async fn dispatching_a_missing_order_is_not_found() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![None]);
    mocks.provider.expect_top_up().times(0);
    let error = service(mocks).dispatch(&number()).await.unwrap_err();
    assert!(matches!(error, ServiceError::NotFound(_)), "{error:?}");
}

#[tokio::test]
async fn storage_errors_before_the_claim_send_nothing() {
    let mut mocks = Mocks::default();
    mocks
        .orders
        .expect_find()
        .returning(|_| Err(storage_down()));
    mocks.provider.expect_top_up().times(0);
    let error = service(mocks).dispatch(&number()).await.unwrap_err();
    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");

    // The claim itself cannot be written: it was not won, so nothing is sent.
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(paid_order())]);
    mocks
        .orders
        .expect_apply()
        .times(1)
        .returning(|_| Err(storage_down()));
    mocks.provider.expect_top_up().times(0);
    let error = service(mocks).dispatch(&number()).await.unwrap_err();
    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn an_answer_that_cannot_be_stored_is_an_error_and_is_not_resent() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(paid_order())]);
    let answers = Mutex::new(VecDeque::from([Ok(CasOutcome::Won), Err(storage_down())]));
    mocks
        .orders
        .expect_apply()
        .times(2)
        .returning(move |_| answers.lock().unwrap().pop_front().unwrap());
    top_up_answers(&mut mocks, Ok(succeeded()));
    mocks.no_alerts();

    let error = service(mocks).dispatch(&number()).await.unwrap_err();

    // The order stays `submitting`; the stale sweep makes it `unknown`.
    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn a_late_answer_after_the_sweep_resolves_the_unknown_order() {
    for (answer, resolved) in [
        (Ok(succeeded()), RechargeStatus::Success),
        (Err(rejected()), RechargeStatus::Failed),
    ] {
        let swept = claimed()
            .record_top_up(
                &TopUpResult::Unknown {
                    reason: "stale".to_owned(),
                },
                now(),
            )
            .unwrap()
            .order;
        let mut mocks = Mocks::default();
        mocks.finds(vec![Some(paid_order()), Some(swept.clone())]);
        let writes = mocks.applies(&[CasOutcome::Won, CasOutcome::Lost, CasOutcome::Won]);
        top_up_answers(&mut mocks, answer);
        mocks.no_alerts();

        let outcome = service(mocks).dispatch(&number()).await.unwrap();

        assert_eq!(outcome, DispatchOutcome::Submitted(resolved));
        let late = calls(&writes).remove(2);
        assert_eq!(late.expected_version, swept.version);
        assert_eq!(late.expected_state, swept.state());
        assert_eq!(late.order.recharge_status, resolved);
        assert_eq!(late.event.actor, Actor::System);
        assert!(late.event.reason.contains("late provider answer"));
    }
}

#[tokio::test]
async fn a_late_answer_that_loses_again_to_a_person_reports_their_decision() {
    let swept = unknown_order();
    let decided = swept
        .resolve(
            Resolution::Failed,
            Actor::Admin("alice".to_owned()),
            "refund",
            now(),
        )
        .unwrap()
        .order;
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(paid_order()), Some(swept), Some(decided)]);
    mocks.applies(&[CasOutcome::Won, CasOutcome::Lost, CasOutcome::Lost]);
    top_up_answers(&mut mocks, Ok(succeeded()));

    let outcome = service(mocks).dispatch(&number()).await.unwrap();
    assert_eq!(outcome, DispatchOutcome::Submitted(RechargeStatus::Failed));
}

#[tokio::test]
async fn a_late_answer_for_an_order_already_decided_changes_nothing() {
    // A person resolved it first: their decision stands.
    let mut resolved = unknown_order()
        .resolve(
            Resolution::Succeeded,
            Actor::Admin("alice".to_owned()),
            "checked with Unitel",
            now(),
        )
        .unwrap()
        .order;
    resolved.anomaly = None;
    for answer in [Err(rejected()), Ok(succeeded())] {
        let mut mocks = Mocks::default();
        mocks.finds(vec![Some(paid_order()), Some(resolved.clone())]);
        let writes = mocks.applies(&[CasOutcome::Won, CasOutcome::Lost]);
        top_up_answers(&mut mocks, answer);

        let outcome = service(mocks).dispatch(&number()).await.unwrap();

        assert_eq!(outcome, DispatchOutcome::Submitted(RechargeStatus::Success));
        assert_eq!(calls(&writes).len(), 2);
    }
}

#[tokio::test]
async fn a_late_pending_answer_leaves_the_unknown_order_for_a_person() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(paid_order()), Some(unknown_order())]);
    let writes = mocks.applies(&[CasOutcome::Won, CasOutcome::Lost]);
    top_up_answers(
        &mut mocks,
        Ok(TopUpAccepted::Pending {
            seq: "SEQ-5".to_owned(),
        }),
    );

    let outcome = service(mocks).dispatch(&number()).await.unwrap();

    assert_eq!(outcome, DispatchOutcome::Submitted(RechargeStatus::Unknown));
    assert_eq!(calls(&writes).len(), 2);
}

#[tokio::test]
async fn a_vanished_order_after_a_lost_answer_is_not_found() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(paid_order()), None]);
    mocks.applies(&[CasOutcome::Won, CasOutcome::Lost]);
    top_up_answers(&mut mocks, Ok(succeeded()));
    let error = service(mocks).dispatch(&number()).await.unwrap_err();
    assert!(matches!(error, ServiceError::NotFound(_)), "{error:?}");
}

#[tokio::test]
async fn an_answer_lost_to_an_anomaly_flag_is_recorded_on_the_fresh_order() {
    // While the top-up is on the wire, a forged or duplicate callback flags an anomaly:
    // version moves, statuses do not. The provider's answer must still be stored.
    let flagged = claimed().flag_anomaly(
        AnomalyKind::DuplicatePayment,
        "4200000999 paid again",
        now(),
    );
    let flagged = flagged.order;
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(paid_order()), Some(flagged.clone())]);
    let writes = mocks.applies(&[CasOutcome::Won, CasOutcome::Lost, CasOutcome::Won]);
    top_up_answers(&mut mocks, Ok(succeeded()));

    let outcome = service(mocks).dispatch(&number()).await.unwrap();

    assert_eq!(outcome, DispatchOutcome::Submitted(RechargeStatus::Success));
    let retried = calls(&writes).remove(2);
    assert_eq!(retried.expected_version, flagged.version);
    assert_eq!(retried.order.recharge_status, RechargeStatus::Success);
}

#[tokio::test]
async fn an_answer_that_keeps_losing_is_an_error_not_a_guess() {
    let flagged = claimed()
        .flag_anomaly(AnomalyKind::AmountMismatch, "forged", now())
        .order;
    let mut mocks = Mocks::default();
    let mut reads = vec![Some(paid_order())];
    reads.extend(std::iter::repeat_n(Some(flagged), 5));
    mocks.finds(reads);
    let mut outcomes = vec![CasOutcome::Won];
    outcomes.extend([CasOutcome::Lost; 5]);
    let writes = mocks.applies(&outcomes);
    top_up_answers(&mut mocks, Ok(succeeded()));

    let error = service(mocks).dispatch(&number()).await.unwrap_err();

    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
    // Every attempt wrote the same answer; nothing was sent again.
    for write in calls(&writes).iter().skip(1) {
        assert_eq!(write.order.recharge_status, RechargeStatus::Success);
    }
}

#[tokio::test]
async fn an_alert_that_cannot_be_delivered_does_not_undo_the_outcome() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(paid_order())]);
    mocks.applies(&[CasOutcome::Won, CasOutcome::Won]);
    top_up_answers(
        &mut mocks,
        Err(TopUpError::OutcomeUnknown("reset by peer".to_owned())),
    );
    mocks
        .alerts
        .expect_send()
        .times(1)
        .returning(|_| Err(crate::ports::AlertError("webhook down".to_owned())));

    let outcome = service(mocks).dispatch(&number()).await.unwrap();
    assert_eq!(outcome, DispatchOutcome::Submitted(RechargeStatus::Unknown));
}

// --- dispatch_unclaimed --------------------------------------------------------------

#[tokio::test]
async fn paid_orders_never_claimed_are_dispatched_by_the_sweep() {
    let mut other = paid_order();
    other.number = order_number(2);
    let mut mocks = Mocks::default();
    let queue = vec![paid_order(), other.clone()];
    mocks
        .orders
        .expect_find_work()
        .withf(|queue, cutoff, after, limit| {
            after.is_none()
                && *queue == WorkQueue::PaidUnclaimed
                && *cutoff == now() - Duration::minutes(2)
                && *limit == 20
        })
        .times(1)
        .returning(move |_, _, _, _| Ok(queue.clone()));
    let first = paid_order();
    mocks
        .orders
        .expect_find()
        .times(2)
        .returning(move |number| {
            Ok(Some(if *number == other.number {
                other.clone()
            } else {
                first.clone()
            }))
        });
    // The first is claimed and sent; another worker claimed the second first.
    mocks
        .orders
        .expect_apply()
        .times(3)
        .returning(|transition| {
            Ok(if transition.order.number == order_number(2) {
                CasOutcome::Lost
            } else {
                CasOutcome::Won
            })
        });
    let requests = top_up_answers(&mut mocks, Ok(succeeded()));

    let report = service(mocks)
        .dispatch_unclaimed(Duration::minutes(2), None, 20)
        .await
        .unwrap();

    assert_eq!(
        report,
        SweepReport {
            examined: 2,
            changed: 1,
            next: None
        }
    );
    assert_eq!(calls(&requests).len(), 1);
    assert_eq!(calls(&requests)[0].journal_id, number());
}

#[tokio::test]
async fn the_unclaimed_sweep_survives_a_failing_order_and_reports_storage_errors() {
    let mut mocks = Mocks::default();
    mocks
        .orders
        .expect_find_work()
        .returning(|_, _, _, _| Ok(vec![paid_order()]));
    mocks
        .orders
        .expect_find()
        .returning(|_| Err(storage_down()));
    mocks.provider.expect_top_up().times(0);
    let report = service(mocks)
        .dispatch_unclaimed(Duration::minutes(2), None, 20)
        .await
        .unwrap();
    assert_eq!(
        report,
        SweepReport {
            examined: 1,
            changed: 0,
            next: None
        }
    );

    let mut mocks = Mocks::default();
    mocks
        .orders
        .expect_find_work()
        .returning(|_, _, _, _| Err(storage_down()));
    let error = service(mocks)
        .dispatch_unclaimed(Duration::minutes(2), None, 20)
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
}

// --- sweep_stale_submissions ---------------------------------------------------------

fn stale_queue(mocks: &mut Mocks, orders: Vec<Order>) {
    mocks
        .orders
        .expect_find_work()
        .withf(|queue, cutoff, after, limit| {
            after.is_none()
                && *queue == WorkQueue::StaleSubmissions
                && *cutoff == now() - Duration::minutes(10)
                && *limit == 100
        })
        .times(1)
        .returning(move |_, _, _, _| Ok(orders.clone()));
}

#[tokio::test]
async fn a_stale_claim_becomes_unknown_without_asking_or_sending_anything() {
    let mut mocks = Mocks::default();
    stale_queue(&mut mocks, vec![submitting_order()]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    mocks.provider.expect_top_up().times(0);
    mocks.provider.expect_check_transaction().times(0);
    let alerts = mocks.alerts();

    let report = service(mocks)
        .sweep_stale_submissions(Duration::minutes(10), None, 100)
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
    let write = only_write(&writes);
    assert_eq!(write.expected_state, submitting_order().state());
    assert_eq!(write.order.recharge_status, RechargeStatus::Unknown);
    let anomaly = write.order.anomaly.unwrap();
    assert_eq!(anomaly.kind, AnomalyKind::RechargeOutcomeUnknown);
    assert!(anomaly.details.contains("no answer was recorded"));
    assert_critical(&only_alert(&alerts), "not re-sent");
}

#[tokio::test]
async fn a_stale_claim_answered_meanwhile_is_left_as_answered() {
    let mut mocks = Mocks::default();
    stale_queue(&mut mocks, vec![submitting_order()]);
    mocks.applies(&[CasOutcome::Lost]);
    mocks.provider.expect_top_up().times(0);
    mocks.no_alerts();

    let report = service(mocks)
        .sweep_stale_submissions(Duration::minutes(10), None, 100)
        .await
        .unwrap();
    assert_eq!(
        report,
        SweepReport {
            examined: 1,
            changed: 0,
            next: None
        }
    );
}

#[tokio::test]
async fn the_stale_sweep_reports_storage_errors() {
    let mut mocks = Mocks::default();
    stale_queue(&mut mocks, vec![submitting_order()]);
    mocks
        .orders
        .expect_apply()
        .returning(|_| Err(storage_down()));
    mocks.provider.expect_top_up().times(0);
    let error = service(mocks)
        .sweep_stale_submissions(Duration::minutes(10), None, 100)
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
}

// --- confirm_pending -----------------------------------------------------------------

fn confirming_queue(mocks: &mut Mocks, orders: Vec<Order>) {
    mocks
        .orders
        .expect_find_work()
        .withf(|queue, cutoff, after, limit| {
            after.is_none()
                && *queue == WorkQueue::Confirming
                && *cutoff == now() - Duration::minutes(1)
                && *limit == 30
        })
        .times(1)
        .returning(move |_, _, _, _| Ok(orders.clone()));
}

fn check_answers(mocks: &mut Mocks, answer: Result<TransactionCheck, ProviderError>) {
    mocks
        .provider
        .expect_check_transaction()
        .withf(|seq| seq == "SEQ-1")
        .times(1)
        .returning(move |_| answer.clone());
}

async fn confirm(mocks: Mocks) -> SweepReport {
    service(mocks)
        .confirm_pending(Duration::minutes(1), None, 30)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_confirmed_seq_is_a_success_with_its_receipt() {
    let mut mocks = Mocks::default();
    confirming_queue(&mut mocks, vec![confirming_order("SEQ-1")]);
    check_answers(
        &mut mocks,
        Ok(TransactionCheck::Succeeded {
            receipt: Some(serde_json::json!({"vat": 1})),
        }),
    );
    let writes = mocks.applies(&[CasOutcome::Won]);
    mocks.provider.expect_top_up().times(0);
    mocks.no_alerts();

    assert_eq!(
        confirm(mocks).await,
        SweepReport {
            examined: 1,
            changed: 1,
            next: None
        }
    );
    let write = only_write(&writes);
    assert_eq!(write.expected_state, confirming_order("SEQ-1").state());
    assert_eq!(write.order.recharge_status, RechargeStatus::Success);
    assert_eq!(write.order.seq_id.as_deref(), Some("SEQ-1"));
    assert_eq!(
        write.order.provider_receipt,
        Some(serde_json::json!({"vat": 1}))
    );
}

#[tokio::test]
async fn a_failed_seq_is_a_failure_with_a_warning() {
    let mut mocks = Mocks::default();
    confirming_queue(&mut mocks, vec![confirming_order("SEQ-1")]);
    check_answers(
        &mut mocks,
        Ok(TransactionCheck::Failed {
            code: "E9".to_owned(),
            message: "expired".to_owned(),
        }),
    );
    let writes = mocks.applies(&[CasOutcome::Won]);
    let alerts = mocks.alerts();

    assert_eq!(
        confirm(mocks).await,
        SweepReport {
            examined: 1,
            changed: 1,
            next: None
        }
    );
    assert_eq!(
        only_write(&writes).order.recharge_status,
        RechargeStatus::Failed
    );
    assert_eq!(only_alert(&alerts).level, AlertLevel::Warning);
}

#[tokio::test]
async fn a_seq_still_pending_or_unanswered_is_left_for_the_next_run() {
    for answer in [
        Ok(TransactionCheck::StillPending),
        Err(ProviderError::Unavailable("timeout".to_owned())),
        Err(ProviderError::InvalidResponse("<html>".to_owned())),
    ] {
        let mut mocks = Mocks::default();
        confirming_queue(&mut mocks, vec![confirming_order("SEQ-1")]);
        check_answers(&mut mocks, answer);
        mocks.applies_nothing();
        mocks.no_alerts();
        assert_eq!(
            confirm(mocks).await,
            SweepReport {
                examined: 1,
                changed: 0,
                next: None
            }
        );
    }
}

#[tokio::test]
async fn a_confirming_order_without_a_seq_is_skipped_without_a_call() {
    let mut broken = confirming_order("SEQ-1");
    broken.seq_id = None;
    let mut mocks = Mocks::default();
    confirming_queue(&mut mocks, vec![broken]);
    mocks.provider.expect_check_transaction().times(0);
    mocks.applies_nothing();
    assert_eq!(
        confirm(mocks).await,
        SweepReport {
            examined: 1,
            changed: 0,
            next: None
        }
    );
}

#[tokio::test]
async fn a_confirmation_lost_to_another_writer_is_not_counted() {
    let mut mocks = Mocks::default();
    confirming_queue(&mut mocks, vec![confirming_order("SEQ-1")]);
    check_answers(
        &mut mocks,
        Ok(TransactionCheck::Succeeded { receipt: None }),
    );
    mocks.applies(&[CasOutcome::Lost]);
    mocks.no_alerts();
    assert_eq!(
        confirm(mocks).await,
        SweepReport {
            examined: 1,
            changed: 0,
            next: None
        }
    );
}

#[tokio::test]
async fn a_full_page_hands_its_last_number_to_the_next_run_and_a_short_one_starts_over() {
    let cursor = OrderNumber::parse("ORD0000000000001AAAAAAAAAAAA").unwrap();
    let mut mocks = Mocks::default();
    let expected = cursor.clone();
    mocks
        .orders
        .expect_find_work()
        .withf(move |queue, _, after, limit| {
            *queue == WorkQueue::Confirming && after.as_ref() == Some(&expected) && *limit == 1
        })
        .times(1)
        .returning(|_, _, _, _| Ok(vec![confirming_order("SEQ-1")]));
    check_answers(&mut mocks, Ok(TransactionCheck::StillPending));
    mocks.applies_nothing();
    let full = service(mocks)
        .confirm_pending(Duration::minutes(1), Some(cursor.clone()), 1)
        .await
        .unwrap();
    assert_eq!(full.examined, 1);
    assert_eq!(full.next, Some(confirming_order("SEQ-1").number));

    let mut mocks = Mocks::default();
    mocks
        .orders
        .expect_find_work()
        .times(1)
        .returning(|_, _, _, _| Ok(vec![confirming_order("SEQ-1")]));
    check_answers(&mut mocks, Ok(TransactionCheck::StillPending));
    mocks.applies_nothing();
    let short = service(mocks)
        .confirm_pending(Duration::minutes(1), Some(cursor), 2)
        .await
        .unwrap();
    assert_eq!(short.examined, 1);
    assert_eq!(
        short.next, None,
        "the end of the queue: the next run starts over"
    );
}

// --- resolve -------------------------------------------------------------------------

#[tokio::test]
async fn a_person_resolves_an_unknown_top_up_and_is_recorded() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(unknown_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    mocks.provider.expect_top_up().times(0);

    let order = service(mocks)
        .resolve(
            &number(),
            Resolution::Succeeded,
            Actor::Admin("alice".to_owned()),
            "Unitel confirmed journal id",
        )
        .await
        .unwrap();

    assert_eq!(order.recharge_status, RechargeStatus::Success);
    assert_eq!(order.recharged_at, Some(now()));
    let write = only_write(&writes);
    assert_eq!(write.expected_state, unknown_order().state());
    assert_eq!(write.event.actor, Actor::Admin("alice".to_owned()));
    assert_eq!(write.event.reason, "Unitel confirmed journal id");
    assert_eq!(write.event.from.recharge, RechargeStatus::Unknown);
    assert_eq!(write.event.to.recharge, RechargeStatus::Success);
}

#[tokio::test]
async fn an_admin_resolution_is_audited_with_the_change() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(unknown_order())]);
    let writes = mocks.applies(&[CasOutcome::Won]);
    service(mocks)
        .resolve_by_admin(
            &number(),
            Resolution::Failed,
            &admin_act("carol"),
            "Unitel has no record",
        )
        .await
        .unwrap();
    let write = only_write(&writes);
    assert_eq!(write.event.actor, Actor::Admin("carol".to_owned()));
    let audit = write.audit.expect("audited with the change");
    assert_eq!(
        audit.action,
        crate::accounts::audit::AuditAction::OrderResolve
    );
    assert_eq!(audit.target_id, number().as_str());
    assert_eq!(audit.before.unwrap()["rechargeStatus"], "unknown");
    assert_eq!(audit.after.unwrap()["rechargeStatus"], "failed");
    assert_eq!(audit.reason.as_deref(), Some("Unitel has no record"));
}

#[tokio::test]
async fn a_person_can_declare_an_unknown_top_up_failed_or_a_failed_one_succeeded() {
    for (order, resolution, expected) in [
        (unknown_order(), Resolution::Failed, RechargeStatus::Failed),
        (
            failed_order(),
            Resolution::Succeeded,
            RechargeStatus::Success,
        ),
    ] {
        let mut mocks = Mocks::default();
        mocks.finds(vec![Some(order)]);
        mocks.applies(&[CasOutcome::Won]);
        let resolved = service(mocks)
            .resolve(
                &number(),
                resolution,
                Actor::Admin("bob".to_owned()),
                "checked",
            )
            .await
            .unwrap();
        assert_eq!(resolved.recharge_status, expected);
    }
}

#[tokio::test]
async fn a_resolution_needs_a_reason() {
    for reason in ["", "   "] {
        let mut mocks = Mocks::default();
        mocks.orders.expect_find().never();
        mocks.applies_nothing();
        let error = service(mocks)
            .resolve(
                &number(),
                Resolution::Succeeded,
                Actor::Admin("alice".to_owned()),
                reason,
            )
            .await
            .unwrap_err();
        assert!(matches!(error, ServiceError::Validation(_)), "{error:?}");
    }
}

#[tokio::test]
async fn only_unknown_or_failed_top_ups_can_be_resolved() {
    for order in [
        paid_order(),
        submitting_order(),
        confirming_order("SEQ-1"),
        success_order(),
        unpaid_order(),
    ] {
        let mut mocks = Mocks::default();
        mocks.finds(vec![Some(order.clone())]);
        mocks.applies_nothing();
        let error = service(mocks)
            .resolve(
                &number(),
                Resolution::Succeeded,
                Actor::Admin("alice".to_owned()),
                "sure",
            )
            .await
            .unwrap_err();
        assert!(
            matches!(error, ServiceError::Conflict(_)),
            "{}: {error:?}",
            order.state()
        );
    }
    // A refunded-in-progress order cannot be declared topped up.
    let mut refunding = refunding_order();
    refunding.recharge_status = RechargeStatus::Unknown;
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(refunding)]);
    mocks.applies_nothing();
    let error = service(mocks)
        .resolve(
            &number(),
            Resolution::Succeeded,
            Actor::Admin("alice".to_owned()),
            "sure",
        )
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::Conflict(_)), "{error:?}");
}

#[tokio::test]
async fn resolving_a_missing_or_concurrently_changed_order_fails_cleanly() {
    let mut mocks = Mocks::default();
    mocks.finds(vec![None]);
    let error = service(mocks)
        .resolve(
            &number(),
            Resolution::Failed,
            Actor::System,
            "reconciliation",
        )
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::NotFound(_)), "{error:?}");

    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(unknown_order())]);
    mocks.applies(&[CasOutcome::Lost]);
    let error = service(mocks)
        .resolve(
            &number(),
            Resolution::Failed,
            Actor::System,
            "reconciliation",
        )
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::Conflict(_)), "{error:?}");
}

#[tokio::test]
async fn a_late_success_after_a_refund_was_started_alerts_a_person() {
    let refunding = unknown_order()
        .request_refund(Actor::Admin("alice".to_owned()), "customer asked", now())
        .unwrap()
        .order;
    let mut mocks = Mocks::default();
    mocks.finds(vec![Some(paid_order()), Some(refunding)]);
    mocks.applies(&[CasOutcome::Won, CasOutcome::Lost]);
    top_up_answers(&mut mocks, Ok(succeeded()));
    let alerts = mocks.alerts();

    let _ = service(mocks).dispatch(&number()).await;

    assert_critical(&only_alert(&alerts), "refund");
}
