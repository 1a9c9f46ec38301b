//! The order's transition table, pair by pair, at the status level and on the aggregate.

use chrono::Duration;

use super::support::{RECEIPT_DAYS, buyer, draft, payment};
use crate::money::Fen;
use crate::testing::{order_number, t0};
use crate::trade::orders::{
    CancelReason, Decision, MallOrder, MallOrderDraft, MallOrderStatus, OrderError, OrderEvent,
    OrderEventKind, OrderTransitionError, ReceiptBy, TradeEvent, Verdict,
};

use MallOrderStatus as S;
use OrderEventKind as E;

/// Everything allowed; every other (status, event) pair is refused.
const ALLOWED: [(S, E, Verdict); 8] = [
    (S::Unpaid, E::Paid, Verdict::To(S::Paid)),
    (S::Unpaid, E::Cancel, Verdict::To(S::Cancelled)),
    (S::Paid, E::Paid, Verdict::AlreadyPaid),
    (S::Paid, E::Ship, Verdict::To(S::Shipped)),
    (S::Shipped, E::Paid, Verdict::AlreadyPaid),
    (S::Shipped, E::ConfirmReceipt, Verdict::To(S::Completed)),
    (S::Completed, E::Paid, Verdict::AlreadyPaid),
    (S::Cancelled, E::Paid, Verdict::LatePayment),
];

fn allowed(status: S, event: E) -> Option<Verdict> {
    ALLOWED
        .iter()
        .find(|(s, e, _)| *s == status && *e == event)
        .map(|(_, _, verdict)| *verdict)
}

/// Fails to compile when a status is added, until it is placed in `ALL` here too.
fn position(status: S) -> usize {
    match status {
        S::Unpaid => 0,
        S::Paid => 1,
        S::Shipped => 2,
        S::Completed => 3,
        S::Cancelled => 4,
    }
}

#[test]
fn all_lists_every_status_and_event_once() {
    for (index, status) in S::ALL.into_iter().enumerate() {
        assert_eq!(position(status), index);
    }
    for (index, event) in E::ALL.into_iter().enumerate() {
        let expected = match event {
            E::Paid => 0,
            E::Cancel => 1,
            E::Ship => 2,
            E::ConfirmReceipt => 3,
        };
        assert_eq!(expected, index);
    }
}

#[test]
fn every_status_event_pair_is_allowed_or_refused_as_the_table_says() {
    for status in S::ALL {
        for event in E::ALL {
            let expected = allowed(status, event).ok_or(OrderTransitionError {
                from: status,
                event,
            });
            assert_eq!(status.on(event), expected, "{status} on {event}");
        }
    }
}

#[test]
fn names_read_back_and_match_serde() {
    for status in S::ALL {
        assert_eq!(status.as_str().parse::<S>(), Ok(status));
        let json = serde_json::to_string(&status).unwrap();
        assert_eq!(json, format!("\"{}\"", status.as_str()));
    }
    for event in E::ALL {
        assert_eq!(event.as_str().parse::<E>(), Ok(event));
    }
    for reason in CancelReason::ALL {
        assert_eq!(reason.as_str().parse::<CancelReason>(), Ok(reason));
    }
    for by in ReceiptBy::ALL {
        assert_eq!(by.as_str().parse::<ReceiptBy>(), Ok(by));
    }
    assert!("Paid".parse::<S>().is_err());
    assert_eq!(S::Shipped.label_zh(), "待收货");
}

fn write(order: &MallOrder, event: &OrderEvent) -> crate::trade::orders::MallOrderTransition {
    write_at(order, event, t0() + Duration::hours(1))
}

fn write_at(
    order: &MallOrder,
    event: &OrderEvent,
    now: chrono::DateTime<chrono::Utc>,
) -> crate::trade::orders::MallOrderTransition {
    match order.decide(event, now) {
        Ok(Decision::Write(transition)) => *transition,
        other => panic!("{event:?} on {}: {other:?}", order.status),
    }
}

/// Past every deadline, so that timed steps are due.
fn late() -> chrono::DateTime<chrono::Utc> {
    t0() + Duration::days(RECEIPT_DAYS + 30)
}

/// Shipping an hour after t0, receipt automatic `RECEIPT_DAYS` later.
fn ship() -> OrderEvent {
    ship_until(t0() + Duration::days(RECEIPT_DAYS))
}

fn ship_until(auto_confirm_at: chrono::DateTime<chrono::Utc>) -> OrderEvent {
    OrderEvent::Ship {
        carrier: "顺丰".to_owned(),
        tracking_no: "SF1".to_owned(),
        auto_confirm_at,
    }
}

/// An order in `status`, reached through the machine itself.
fn order_in(status: S) -> MallOrder {
    let placed = MallOrder::place(draft(1, t0()), t0()).unwrap();
    let paid = || write(&placed, &OrderEvent::Paid(payment(&placed, "tx-1"))).order;
    match status {
        S::Unpaid => placed,
        S::Paid => paid(),
        S::Shipped => write(&paid(), &ship()).order,
        S::Completed => {
            let shipped = write(&paid(), &ship()).order;
            write(&shipped, &OrderEvent::ConfirmReceipt(ReceiptBy::Buyer)).order
        }
        S::Cancelled => write(&placed, &OrderEvent::Cancel(CancelReason::Timeout)).order,
    }
}

fn sample(event: E, transaction: &str) -> OrderEvent {
    let placed = MallOrder::place(draft(1, t0()), t0()).unwrap();
    match event {
        E::Paid => OrderEvent::Paid(payment(&placed, transaction)),
        E::Cancel => OrderEvent::Cancel(CancelReason::Buyer),
        E::Ship => ship_until(late() + Duration::days(RECEIPT_DAYS)),
        E::ConfirmReceipt => OrderEvent::ConfirmReceipt(ReceiptBy::Automatic),
    }
}

#[test]
fn the_aggregate_follows_the_table_with_a_compare_and_set_and_its_events() {
    for status in S::ALL {
        let order = order_in(status);
        assert_eq!(order.status, status);
        for kind in E::ALL {
            let event = sample(kind, "tx-other");
            let decided = order.decide(&event, late());
            let Some(verdict) = allowed(status, kind) else {
                assert!(
                    matches!(decided, Err(OrderError::Transition(_))),
                    "{status} on {kind}: {decided:?}"
                );
                continue;
            };
            let Ok(Decision::Write(transition)) = decided else {
                panic!("{status} on {kind}: {decided:?}");
            };
            assert_eq!(transition.expected_status, status);
            assert_eq!(transition.expected_version, order.version);
            assert_eq!(transition.order.version, order.version + 1);
            let kinds: Vec<&str> = transition
                .events
                .iter()
                .map(|event| match event {
                    TradeEvent::StockDeduct { .. } => "deduct",
                    TradeEvent::StockRelease { .. } => "release",
                    TradeEvent::RefundPayment(_) => "refund",
                })
                .collect();
            match verdict {
                Verdict::To(next) => {
                    assert_eq!(transition.order.status, next);
                    let expected: &[&str] = match kind {
                        E::Paid => &["deduct"],
                        E::Cancel => &["release"],
                        E::Ship | E::ConfirmReceipt => &[],
                    };
                    assert_eq!(kinds, expected, "{status} on {kind}");
                }
                // Kept only to give back: the status stays, the money is refunded.
                Verdict::LatePayment | Verdict::AlreadyPaid => {
                    assert_eq!(transition.order.status, status);
                    assert_eq!(kinds, ["refund"]);
                    assert_eq!(
                        transition.order.decide(&event, late()),
                        Ok(Decision::AlreadyRecorded),
                        "the same payment again changes nothing"
                    );
                }
            }
        }
    }
}

#[test]
fn a_payment_after_cancellation_never_revives_the_order() {
    let cancelled = order_in(S::Cancelled);
    let late_payment = payment(&cancelled, "tx-late");
    let transition = write(&cancelled, &OrderEvent::Paid(late_payment.clone()));
    assert_eq!(transition.order.status, S::Cancelled);
    assert_eq!(transition.order.payment, None);
    assert_eq!(
        transition.order.returned_payments,
        vec![late_payment.clone()]
    );
    let late = transition.late_payment().expect("a refund");
    assert_eq!(late.amount(), Fen::new(2300));
    assert_eq!(late.payment.pay_order, cancelled.pay_order);
    assert!(
        !transition
            .events
            .iter()
            .any(|event| matches!(event, TradeEvent::StockDeduct { .. })),
        "no stock is sold for a cancelled order"
    );
}

#[test]
fn the_payment_that_paid_the_order_delivered_again_is_already_recorded() {
    let paid = order_in(S::Paid);
    let again = OrderEvent::Paid(payment(&paid, "tx-1"));
    assert_eq!(paid.decide(&again, late()), Ok(Decision::AlreadyRecorded));
}

#[test]
fn a_payment_for_another_amount_or_pay_order_is_refused() {
    let placed = order_in(S::Unpaid);
    let mut wrong_amount = payment(&placed, "tx");
    wrong_amount.amount = Fen::new(1);
    let mut wrong_pay_order = payment(&placed, "tx");
    wrong_pay_order.pay_order = order_number(99);
    for wrong in [wrong_amount, wrong_pay_order] {
        assert!(matches!(
            placed.decide(&OrderEvent::Paid(wrong), late()),
            Err(OrderError::PaymentMismatch(_))
        ));
    }
}

#[test]
fn timed_steps_wait_for_their_time() {
    let placed = order_in(S::Unpaid);
    let timeout = OrderEvent::Cancel(CancelReason::Timeout);
    assert!(matches!(
        placed.decide(&timeout, t0()),
        Err(OrderError::NotDue(_))
    ));
    assert!(placed.decide(&timeout, placed.pay_deadline).is_ok());
    // The buyer may cancel at any time before paying.
    assert!(
        placed
            .decide(&OrderEvent::Cancel(CancelReason::Buyer), t0())
            .is_ok()
    );

    let shipped = order_in(S::Shipped);
    let automatic = OrderEvent::ConfirmReceipt(ReceiptBy::Automatic);
    let due = shipped.auto_confirm_at.unwrap();
    assert!(matches!(
        shipped.decide(&automatic, due - Duration::seconds(1)),
        Err(OrderError::NotDue(_))
    ));
    assert!(shipped.decide(&automatic, due).is_ok());
    assert!(
        shipped
            .decide(&OrderEvent::ConfirmReceipt(ReceiptBy::Buyer), t0())
            .is_ok()
    );
}

#[test]
fn shipping_needs_a_carrier_and_a_tracking_number() {
    let paid = order_in(S::Paid);
    let event = OrderEvent::Ship {
        carrier: " ".to_owned(),
        tracking_no: "SF1".to_owned(),
        auto_confirm_at: late() + Duration::days(1),
    };
    assert!(matches!(
        paid.decide(&event, late()),
        Err(OrderError::Invalid(_))
    ));
}

#[test]
fn placing_checks_that_the_quote_adds_up() {
    let now = t0();
    assert!(MallOrder::place(draft(1, now), now).is_ok());
    let broken: [fn(&mut MallOrderDraft); 10] = [
        |d| d.items.clear(),
        |d| d.items[0].quantity = 0,
        |d| d.items[0].pay_price = Fen::new(1799),
        |d| d.totals.freight = Fen::new(101),
        |d| d.totals.goods = Fen::new(2400),
        |d| d.items[1].unit_price = Fen::new(-1),
        |d| d.items[0].unit_price = Fen::new(i64::MAX),
        |d| d.pay_deadline = t0(),
        |d| d.address.receiver = String::new(),
        |d| {
            d.items[0].pay_price = Fen::ZERO;
            d.items[1].pay_price = Fen::ZERO;
            d.totals.discount = Fen::new(2600);
            d.totals.pay = Fen::ZERO;
        },
    ];
    for (index, breaking) in broken.iter().enumerate() {
        let mut bad = draft(1, now);
        breaking(&mut bad);
        assert!(
            matches!(MallOrder::place(bad, now), Err(OrderError::Invalid(_))),
            "case {index} accepted"
        );
    }
}

#[test]
fn an_order_is_numbered_snapshotted_and_logs_no_personal_data() {
    let order = MallOrder::place(draft(1, t0()), t0()).unwrap();
    assert_eq!(order.buyer, buyer());
    assert_eq!(
        order.items.iter().map(|i| i.line).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(order.status, S::Unpaid);
    let printed = format!("{order:?}");
    for secret in ["13812345678", "科技园路1号", "张三"] {
        assert!(!printed.contains(secret), "{secret} in {printed}");
    }
    let pay = order.pay_order_draft("商城订单");
    assert_eq!(pay.kind, crate::payments::GoodsKind::Mall);
    assert_eq!(pay.merchant_order_no, order.order_no.to_string());
    assert_eq!(pay.amount, order.totals.pay);
    assert_eq!(pay.time_expire, order.pay_deadline);
}
