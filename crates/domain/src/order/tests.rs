use super::*;
use crate::testing::{after, paid_order, submitting_order, t0, unpaid_order};

#[test]
fn marking_paid_queues_the_top_up_and_bumps_the_version() {
    let order = unpaid_order();
    let transition = order.mark_paid("42000", t0(), "callback").unwrap();
    assert_eq!(transition.expected_version, 0);
    assert_eq!(
        transition.expected_state,
        OrderState {
            payment: PaymentStatus::Unpaid,
            recharge: RechargeStatus::NotStarted
        }
    );
    assert_eq!(transition.order.version, 1);
    assert_eq!(transition.order.payment_status, PaymentStatus::Paid);
    assert_eq!(transition.order.recharge_status, RechargeStatus::Pending);
    assert_eq!(transition.order.transaction_id.as_deref(), Some("42000"));
    assert_eq!(transition.event.to, transition.order.state());
    assert_eq!(transition.event.actor, Actor::System);
}

#[test]
fn cannot_pay_twice_or_pay_a_closed_order() {
    assert!(paid_order().mark_paid("other", t0(), "again").is_err());
    let closed = after(unpaid_order().close("expired", t0()));
    assert_eq!(closed.closed_at, Some(t0()));
    assert!(closed.mark_paid("late", t0(), "late").is_err());
}

#[test]
fn claim_requires_a_paid_pending_order() {
    assert!(unpaid_order().claim_recharge(t0()).is_err());
    let submitting = submitting_order();
    assert_eq!(submitting.recharge_status, RechargeStatus::Submitting);
    assert_eq!(submitting.recharge_at, Some(t0()));
    assert!(
        submitting.claim_recharge(t0()).is_err(),
        "a second claim must be refused"
    );
    let refunding = after(
        after(paid_order().resolve_or_fail_for_test()).request_refund(Actor::System, "auto", t0()),
    );
    assert!(refunding.claim_recharge(t0()).is_err());
}

impl Order {
    /// Test helper: claim, then the provider fails.
    fn resolve_or_fail_for_test(&self) -> Result<Transition, OrderError> {
        let claimed = self.claim_recharge(t0())?.order;
        claimed.record_top_up(&TopUpResult::Failed { reason: "E".into() }, t0())
    }
}

#[test]
fn provider_answers_map_to_recharge_states() {
    let order = submitting_order();
    let success = after(order.record_top_up(
        &TopUpResult::Succeeded {
            seq: Some("1".into()),
            receipt: Some(serde_json::json!({"billId": "x"})),
        },
        t0(),
    ));
    assert_eq!(success.recharge_status, RechargeStatus::Success);
    assert_eq!(success.seq_id.as_deref(), Some("1"));
    assert!(success.provider_receipt.is_some());
    assert_eq!(success.recharged_at, Some(t0()));

    let pending = after(order.record_top_up(&TopUpResult::Pending { seq: "9".into() }, t0()));
    assert_eq!(pending.recharge_status, RechargeStatus::Confirming);
    assert_eq!(pending.seq_id.as_deref(), Some("9"));

    let failed = after(order.record_top_up(
        &TopUpResult::Failed {
            reason: "no".into(),
        },
        t0(),
    ));
    assert_eq!(failed.recharge_status, RechargeStatus::Failed);

    let unknown = after(order.record_top_up(
        &TopUpResult::Unknown {
            reason: "timeout".into(),
        },
        t0(),
    ));
    assert_eq!(unknown.recharge_status, RechargeStatus::Unknown);
    assert_eq!(
        unknown.anomaly.map(|a| a.kind),
        Some(AnomalyKind::RechargeOutcomeUnknown)
    );
}

#[test]
fn refunds_need_a_definitive_failure_or_a_person() {
    let success = after(submitting_order().record_top_up(
        &TopUpResult::Succeeded {
            seq: None,
            receipt: None,
        },
        t0(),
    ));
    assert!(matches!(
        success.request_refund(Actor::System, "auto", t0()),
        Err(OrderError::RefundNotAllowed { .. })
    ));
    assert!(
        success
            .request_refund(Actor::Admin("ops".into()), "complaint", t0())
            .is_ok()
    );
    assert!(
        submitting_order()
            .request_refund(Actor::Admin("ops".into()), "x", t0())
            .is_err()
    );

    let failed = after(paid_order().resolve_or_fail_for_test());
    let refunding = after(failed.request_refund(Actor::System, "auto", t0()));
    assert_eq!(refunding.payment_status, PaymentStatus::Refunding);
    let refunded = after(refunding.finish_refund(true, "ok", t0()));
    assert_eq!(refunded.payment_status, PaymentStatus::Refunded);
    let refund_failed = after(refunding.finish_refund(false, "NOTENOUGH", t0()));
    assert_eq!(refund_failed.payment_status, PaymentStatus::RefundFailed);
    assert_eq!(
        refund_failed.anomaly.map(|a| a.kind),
        Some(AnomalyKind::RefundRejected)
    );
}

#[test]
fn people_resolve_unknown_outcomes_but_not_refunded_ones_to_success() {
    let unknown = after(submitting_order().record_top_up(
        &TopUpResult::Unknown {
            reason: "reset".into(),
        },
        t0(),
    ));
    let admin = Actor::Admin("ops".into());
    let resolved = unknown
        .resolve(
            Resolution::Succeeded,
            admin.clone(),
            "checked with Unitel",
            t0(),
        )
        .unwrap();
    assert_eq!(resolved.order.recharge_status, RechargeStatus::Success);
    assert_eq!(resolved.event.actor, admin);
    assert_eq!(resolved.event.reason, "checked with Unitel");

    let refunding = after(unknown.request_refund(admin.clone(), "refund", t0()));
    assert!(matches!(
        refunding.resolve(Resolution::Succeeded, admin.clone(), "x", t0()),
        Err(OrderError::ResolutionNotAllowed { .. })
    ));
    assert!(
        paid_order()
            .resolve(Resolution::Failed, admin, "x", t0())
            .is_err()
    );
}

#[test]
fn anomalies_change_no_status() {
    let order = paid_order();
    let flagged = order.flag_anomaly(AnomalyKind::AmountMismatch, "1 != 625", t0());
    assert_eq!(flagged.order.state(), order.state());
    assert_eq!(flagged.order.version, order.version + 1);
    assert_eq!(
        flagged.order.anomaly.as_ref().map(|a| a.kind),
        Some(AnomalyKind::AmountMismatch)
    );
}

#[test]
fn actor_round_trips() {
    for actor in [Actor::System, Actor::Admin("alice".into())] {
        assert_eq!(Actor::from_stored(&actor.as_stored()), actor);
    }
}
