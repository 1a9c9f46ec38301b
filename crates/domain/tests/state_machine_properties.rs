//! Random histories of one order behind a compare-and-set store, as the use cases drive it:
//! duplicate and reordered payment confirmations, expiry, claims by parallel workers whose
//! steps interleave, crashes, stale sweeps, provider answers (also late ones),
//! confirmations, people's resolutions and refunds. Readers may act on a stale copy, as a
//! slow worker does; the store then refuses their write.
//!
//! Whatever happens: at most one top-up reaches the provider, a claim is won again only
//! after a "not sent" answer (the request provably never left) was stored, money taken is
//! never forgotten, terminal states stay terminal and every won write bumps the version.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use rust_decimal::Decimal;

use elife_domain::money::{ExchangeRate, Fen, Mnt};
use elife_domain::msisdn::{Msisdn, Operator};
use elife_domain::order::{
    Actor, AnomalyKind, OpenId, Order, OrderNumber, PaymentStatus, ProductSnapshot, RechargeKind,
    RechargeStatus, Resolution, TopUpResult, Transition,
};

const WORKERS: usize = 3;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 10, 18, 10, 0, 0).unwrap()
}

fn new_order() -> Order {
    Order::new(
        OrderNumber::parse("ORD1760754386127abcdefghijkl").unwrap(),
        OpenId::parse("o-test-openid").unwrap(),
        Msisdn::parse("88112233").unwrap(),
        ProductSnapshot {
            operator: Operator::Unitel,
            kind: RechargeKind::Voice,
            code: "SY3000".to_owned(),
            name: "3000".to_owned(),
            eng_name: "3000 unit".to_owned(),
            price: Mnt::new(3000),
            unit: Some(3000),
            data: None,
            days: Some(30),
        },
        ExchangeRate::new(Decimal::new(480, 0)).unwrap(),
        Fen::new(625),
        t0(),
    )
}

#[derive(Debug, Clone, Copy)]
enum Answer {
    Succeeded,
    Pending,
    Failed,
    Unknown,
    /// No connection could be opened: the request never reached the provider.
    NotSent,
}

impl Answer {
    fn result(self) -> TopUpResult {
        match self {
            Answer::Succeeded => TopUpResult::Succeeded {
                seq: Some("SEQ-1".to_owned()),
                receipt: None,
            },
            Answer::Pending => TopUpResult::Pending {
                seq: "SEQ-1".to_owned(),
            },
            Answer::Failed => TopUpResult::Failed {
                reason: "E1: refused".to_owned(),
            },
            Answer::Unknown => TopUpResult::Unknown {
                reason: "read timeout".to_owned(),
            },
            Answer::NotSent => TopUpResult::NotSent {
                reason: "connection refused".to_owned(),
            },
        }
    }
}

/// `stale` is how many versions behind the copy the actor works on (0: the latest).
#[derive(Debug, Clone)]
enum Event {
    /// A payment confirmation (callback, retried, reordered, forged, or a second payment).
    Payment {
        transaction: u8,
        amount_ok: bool,
        stale: usize,
    },
    /// The expiry job; the gateway says paid (by that transaction) or not.
    Expire {
        paid_at_gateway: Option<u8>,
        stale: usize,
    },
    /// A worker claims the top-up (dispatch after the callback, or the unclaimed sweep).
    Claim {
        worker: usize,
        stale: usize,
    },
    /// A worker that won its claim calls the provider.
    Send {
        worker: usize,
        answer: Answer,
    },
    /// A worker records the provider's answer (possibly long after).
    Record {
        worker: usize,
    },
    /// A worker dies: whatever it claimed or heard is never recorded.
    Crash {
        worker: usize,
    },
    SweepStale {
        stale: usize,
    },
    Confirm {
        succeeded: bool,
        stale: usize,
    },
    Resolve {
        succeeded: bool,
        by_person: bool,
        stale: usize,
    },
    Refund {
        by_person: bool,
        stale: usize,
    },
    FinishRefund {
        succeeded: bool,
        stale: usize,
    },
}

#[derive(Debug, Clone)]
enum Worker {
    Idle,
    /// Won the claim; holds the order as the claim wrote it.
    Claimed(Order),
    /// Sent, and heard this answer.
    Answered(Order, TopUpResult),
    Crashed,
}

fn actor(by_person: bool) -> Actor {
    if by_person {
        Actor::Admin("alice".to_owned())
    } else {
        Actor::System
    }
}

/// One order in a store that writes only on a matching state and version.
struct World {
    /// Every stored version, oldest first; the last is the row.
    history: Vec<Order>,
    workers: Vec<Worker>,
    claims_won: usize,
    /// Requests that may have reached the provider (every answer but "not sent").
    top_ups_sent: usize,
    /// "Not sent" answers stored: each allows one more claim.
    requeued: usize,
    /// Set while a "not sent" answer is being stored: the only licence to make a submitted
    /// order sendable again.
    storing_not_sent: bool,
    now: DateTime<Utc>,
}

impl World {
    fn new() -> Self {
        World {
            history: vec![new_order()],
            workers: vec![Worker::Idle; WORKERS],
            claims_won: 0,
            top_ups_sent: 0,
            requeued: 0,
            storing_not_sent: false,
            now: t0(),
        }
    }

    fn current(&self) -> &Order {
        self.history.last().unwrap()
    }

    fn copy(&self, stale: usize) -> Order {
        let index = self.history.len().saturating_sub(1 + stale);
        self.history[index].clone()
    }

    /// The compare-and-set; every won write is checked against the invariants.
    fn apply(&mut self, transition: Transition) -> bool {
        let stored = self.current();
        if stored.state() != transition.expected_state
            || stored.version != transition.expected_version
        {
            return false;
        }
        check_write(stored, &transition, self.storing_not_sent);
        self.history.push(transition.order);
        true
    }

    fn apply_if_allowed<E>(&mut self, transition: Result<Transition, E>) -> bool {
        match transition {
            Ok(transition) => self.apply(transition),
            Err(_) => false,
        }
    }

    /// `PaymentService::record_payment` after the checks passed (or the anomaly it flags).
    fn confirm_payment(&mut self, order: &Order, transaction: &str, amount_ok: bool) {
        let now = self.now;
        if !amount_ok {
            self.apply(order.flag_anomaly(AnomalyKind::AmountMismatch, "wrong amount", now));
            return;
        }
        match order.payment_status {
            PaymentStatus::Unpaid => {
                self.apply_if_allowed(order.mark_paid(transaction, now, "paid"));
            }
            PaymentStatus::Paid
            | PaymentStatus::Refunding
            | PaymentStatus::Refunded
            | PaymentStatus::RefundFailed => {
                if order.transaction_id.as_deref() != Some(transaction) {
                    self.apply(order.flag_anomaly(AnomalyKind::DuplicatePayment, transaction, now));
                }
            }
            PaymentStatus::Closed => {
                self.apply(order.flag_anomaly(AnomalyKind::PaymentAfterClose, transaction, now));
            }
        }
    }

    /// `RechargeService::record`: store the answer on the freshest order (an anomaly flag
    /// may have moved the version); if the sweep made the order unknown meanwhile, a
    /// definitive late answer resolves it; any other state keeps what it has.
    fn record_answer(&mut self, claimed: &Order, result: &TopUpResult) {
        let now = self.now;
        let mut current = claimed.clone();
        for _ in 0..5 {
            let transition = match (current.recharge_status, result) {
                (RechargeStatus::Submitting, _) => current.record_top_up(result, now),
                (RechargeStatus::Unknown, TopUpResult::Succeeded { .. }) => {
                    current.resolve(Resolution::Succeeded, Actor::System, "late answer", now)
                }
                (RechargeStatus::Unknown, TopUpResult::Failed { .. }) => {
                    current.resolve(Resolution::Failed, Actor::System, "late answer", now)
                }
                _ => return,
            };
            // A late success after a person started a refund is refused (and must be
            // looked at by a person); the store keeps what it has.
            let Ok(transition) = transition else { return };
            if self.apply(transition) {
                return;
            }
            current = self.current().clone();
        }
        panic!("a single writer cannot lose five times in a row");
    }

    fn step(&mut self, event: &Event) {
        self.now += Duration::minutes(1);
        let now = self.now;
        match *event {
            Event::Payment {
                transaction,
                amount_ok,
                stale,
            } => {
                let order = self.copy(stale);
                self.confirm_payment(&order, &format!("42000{transaction}"), amount_ok);
            }
            Event::Expire {
                paid_at_gateway,
                stale,
            } => {
                let order = self.copy(stale);
                if order.payment_status != PaymentStatus::Unpaid {
                    return;
                }
                match paid_at_gateway {
                    Some(transaction) => {
                        self.confirm_payment(&order, &format!("42000{transaction}"), true)
                    }
                    None => {
                        self.apply_if_allowed(order.close("expired unpaid", now));
                    }
                }
            }
            Event::Claim { worker, stale } => {
                if !matches!(self.workers[worker], Worker::Idle) {
                    return;
                }
                let order = self.copy(stale);
                if let Ok(claim) = order.claim_recharge(now) {
                    let claimed = claim.order.clone();
                    if self.apply(claim) {
                        self.claims_won += 1;
                        self.workers[worker] = Worker::Claimed(claimed);
                    }
                }
            }
            Event::Send { worker, answer } => {
                if let Worker::Claimed(claimed) = &self.workers[worker] {
                    assert_eq!(claimed.payment_status, PaymentStatus::Paid);
                    assert_eq!(claimed.recharge_status, RechargeStatus::Submitting);
                    if !matches!(answer, Answer::NotSent) {
                        self.top_ups_sent += 1;
                    }
                    self.workers[worker] = Worker::Answered(claimed.clone(), answer.result());
                }
            }
            Event::Record { worker } => {
                if let Worker::Answered(claimed, result) = self.workers[worker].clone() {
                    self.storing_not_sent = matches!(result, TopUpResult::NotSent { .. });
                    let before = self.current().recharge_status;
                    self.record_answer(&claimed, &result);
                    if self.storing_not_sent
                        && before == RechargeStatus::Submitting
                        && self.current().recharge_status == RechargeStatus::Pending
                    {
                        self.requeued += 1;
                    }
                    self.storing_not_sent = false;
                    self.workers[worker] = Worker::Idle;
                    // The answer is never dropped: whoever else wrote meanwhile.
                    assert_ne!(
                        self.current().recharge_status,
                        RechargeStatus::Submitting,
                        "answer {result:?} was not stored"
                    );
                }
            }
            Event::Crash { worker } => {
                if matches!(
                    self.workers[worker],
                    Worker::Claimed(_) | Worker::Answered(..)
                ) {
                    self.workers[worker] = Worker::Crashed;
                }
            }
            Event::SweepStale { stale } => {
                let order = self.copy(stale);
                if order.recharge_status == RechargeStatus::Submitting {
                    let unknown = TopUpResult::Unknown {
                        reason: "no answer recorded".to_owned(),
                    };
                    self.apply_if_allowed(order.record_top_up(&unknown, now));
                }
            }
            Event::Confirm { succeeded, stale } => {
                let order = self.copy(stale);
                if order.recharge_status == RechargeStatus::Confirming {
                    let answer = if succeeded {
                        Answer::Succeeded
                    } else {
                        Answer::Failed
                    };
                    self.apply_if_allowed(order.record_top_up(&answer.result(), now));
                }
            }
            Event::Resolve {
                succeeded,
                by_person,
                stale,
            } => {
                let order = self.copy(stale);
                let resolution = if succeeded {
                    Resolution::Succeeded
                } else {
                    Resolution::Failed
                };
                self.apply_if_allowed(order.resolve(resolution, actor(by_person), "checked", now));
            }
            Event::Refund { by_person, stale } => {
                let order = self.copy(stale);
                self.apply_if_allowed(order.request_refund(actor(by_person), "refund", now));
            }
            Event::FinishRefund { succeeded, stale } => {
                let order = self.copy(stale);
                self.apply_if_allowed(order.finish_refund(succeeded, "gateway answered", now));
            }
        }
        assert!(
            self.claims_won <= 1 + self.requeued,
            "claimed {} times, {} requeued",
            self.claims_won,
            self.requeued
        );
        assert!(self.top_ups_sent <= 1, "sent {} top-ups", self.top_ups_sent);
        assert!(self.top_ups_sent <= self.claims_won);
    }
}

/// What must hold for every write the store accepts.
fn check_write(before: &Order, transition: &Transition, storing_not_sent: bool) {
    let after = &transition.order;
    let (from, to) = (before.state(), after.state());
    let context = format!("{from} -> {to} ({})", transition.event.reason);

    assert_eq!(
        after.version,
        before.version + 1,
        "version must grow: {context}"
    );
    assert_eq!(transition.event.from, from, "{context}");
    assert_eq!(transition.event.to, to, "{context}");
    assert_eq!(after.number, before.number);
    assert_eq!(after.price_fen, before.price_fen, "the price never changes");

    // Money taken is never forgotten.
    if from.payment.money_received() {
        assert!(to.payment.money_received(), "paid order lost: {context}");
    }
    if let Some(transaction) = &before.transaction_id {
        assert_eq!(
            after.transaction_id.as_ref(),
            Some(transaction),
            "the paying transaction never changes: {context}"
        );
    }
    // Terminal states stay terminal.
    if from.payment.is_terminal() {
        assert_eq!(
            from.payment, to.payment,
            "terminal payment moved: {context}"
        );
    }
    if from.recharge == RechargeStatus::Success {
        assert_eq!(to.recharge, RechargeStatus::Success, "{context}");
    }
    // Once possibly sent, never sendable again.
    // Once possibly sent, never sendable again — unless it provably never left.
    if from.recharge.was_submitted() && !to.recharge.was_submitted() {
        assert!(storing_not_sent, "resendable again: {context}");
        assert_eq!(
            (from.recharge, to.recharge),
            (RechargeStatus::Submitting, RechargeStatus::Pending),
            "{context}"
        );
    }
    if to.recharge == RechargeStatus::Submitting && from.recharge != RechargeStatus::Submitting {
        assert_eq!(from.recharge, RechargeStatus::Pending, "{context}");
        assert_eq!(
            from.payment,
            PaymentStatus::Paid,
            "claimed unpaid: {context}"
        );
    }
    // Topped up only while paid; closed orders are never topped up.
    if to.recharge == RechargeStatus::Success && from.recharge != RechargeStatus::Success {
        assert_eq!(to.payment, PaymentStatus::Paid, "{context}");
    }
    if to.payment == PaymentStatus::Closed {
        assert_eq!(to.recharge, RechargeStatus::NotStarted, "{context}");
    }
    // Automatic refunds only after a definitive failure.
    if to.payment == PaymentStatus::Refunding && from.payment != PaymentStatus::Refunding {
        assert!(
            from.recharge == RechargeStatus::Failed || transition.event.actor.is_person(),
            "refund without a definitive failure: {context}"
        );
        assert!(
            !matches!(
                from.recharge,
                RechargeStatus::Submitting | RechargeStatus::Confirming
            ),
            "refund while a top-up is in flight: {context}"
        );
    }
}

impl Event {
    /// Decodes one random number into an event. Generating plain numbers keeps the 10,000
    /// cases fast in debug builds (proptest's composed strategies cost ~1 ms a history)
    /// and still shrinks towards short, simple histories.
    fn decode(seed: u32) -> Event {
        // Weights: how often each kind of event happens.
        const KINDS: [(u32, u8); 11] = [
            (4, 0),  // payment
            (1, 1),  // expire
            (4, 2),  // claim
            (3, 3),  // send
            (3, 4),  // record
            (1, 5),  // crash
            (1, 6),  // stale sweep
            (1, 7),  // confirm
            (1, 8),  // resolve
            (1, 9),  // refund
            (1, 10), // finish refund
        ];
        let total: u32 = KINDS.iter().map(|(weight, _)| weight).sum();
        let mut pick = seed % total;
        let mut rest = seed / total;
        let mut take = |n: u32| {
            let value = rest % n;
            rest /= n;
            value
        };
        let kind = KINDS
            .iter()
            .find_map(|&(weight, kind)| {
                if pick < weight {
                    Some(kind)
                } else {
                    pick -= weight;
                    None
                }
            })
            .unwrap_or(0);
        // Mostly the latest copy; sometimes one read 1 to 3 writes ago.
        let stale = match take(8) {
            0 => 1,
            1 => 2,
            2 => 3,
            _ => 0,
        };
        let worker = take(WORKERS as u32) as usize;
        let flag = take(2) == 1;
        let by_person = take(2) == 1;
        match kind {
            0 => Event::Payment {
                transaction: take(3) as u8,
                amount_ok: take(10) != 0,
                stale,
            },
            1 => Event::Expire {
                paid_at_gateway: flag.then(|| take(3) as u8),
                stale,
            },
            2 => Event::Claim { worker, stale },
            3 => Event::Send {
                worker,
                answer: match take(5) {
                    0 => Answer::Succeeded,
                    1 => Answer::Pending,
                    2 => Answer::Failed,
                    3 => Answer::NotSent,
                    _ => Answer::Unknown,
                },
            },
            4 => Event::Record { worker },
            5 => Event::Crash { worker },
            6 => Event::SweepStale { stale },
            7 => Event::Confirm {
                succeeded: flag,
                stale,
            },
            8 => Event::Resolve {
                succeeded: flag,
                by_person,
                stale,
            },
            9 => Event::Refund { by_person, stale },
            _ => Event::FinishRefund {
                succeeded: flag,
                stale,
            },
        }
    }
}

fn histories() -> impl Strategy<Value = Vec<Event>> {
    prop::collection::vec(any::<u32>(), 1..60)
        .prop_map(|seeds| seeds.into_iter().map(Event::decode).collect())
}

proptest! {
    #![proptest_config(ProptestConfig {
        // Failing histories are kept next to this file and replayed first.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::with_cases(10_000)
    })]

    #[test]
    fn one_order_survives_any_history(events in histories()) {
        let mut world = World::new();
        let mut ever_paid = false;
        for event in &events {
            world.step(event);
            ever_paid |= world.current().payment_status.money_received();
            // A paid order is never lost, whatever came after.
            if ever_paid {
                prop_assert!(world.current().payment_status.money_received());
            }
        }
        let versions: Vec<i32> = world.history.iter().map(|order| order.version).collect();
        prop_assert!(versions.windows(2).all(|pair| pair[1] == pair[0] + 1));
        if !ever_paid {
            prop_assert_eq!(world.top_ups_sent, 0, "sent without payment");
        }
    }
}

/// A provider outage: the first claim's request never left, so the order is queued again
/// and the next claim sends it — once.
#[test]
fn a_request_that_never_left_is_sent_by_the_next_claim_only() {
    let mut world = World::new();
    world.step(&Event::Payment {
        transaction: 1,
        amount_ok: true,
        stale: 0,
    });
    world.step(&Event::Claim {
        worker: 0,
        stale: 0,
    });
    world.step(&Event::Send {
        worker: 0,
        answer: Answer::NotSent,
    });
    world.step(&Event::Record { worker: 0 });
    assert_eq!(world.current().recharge_status, RechargeStatus::Pending);
    assert_eq!(
        (world.claims_won, world.top_ups_sent, world.requeued),
        (1, 0, 1)
    );
    for worker in 0..WORKERS {
        world.step(&Event::Claim { worker, stale: 0 });
    }
    assert_eq!(world.claims_won, 2);
    world.step(&Event::Send {
        worker: 0,
        answer: Answer::Succeeded,
    });
    world.step(&Event::Record { worker: 0 });
    assert_eq!(world.current().recharge_status, RechargeStatus::Success);
    assert_eq!(world.top_ups_sent, 1);
}

/// The scenario the property exists for, spelled out: two workers race for the claim, the
/// winner dies after sending, the sweep marks it unknown, and nothing sends again.
#[test]
fn a_crash_after_sending_is_never_sent_again() {
    let mut world = World::new();
    world.step(&Event::Payment {
        transaction: 1,
        amount_ok: true,
        stale: 0,
    });
    // Both read the paid order; the second acts on what it read before the first wrote.
    world.step(&Event::Claim {
        worker: 0,
        stale: 0,
    });
    world.step(&Event::Claim {
        worker: 1,
        stale: 1,
    });
    assert_eq!(world.claims_won, 1);
    world.step(&Event::Send {
        worker: 0,
        answer: Answer::Succeeded,
    });
    world.step(&Event::Crash { worker: 0 });
    world.step(&Event::SweepStale { stale: 0 });
    assert_eq!(world.current().recharge_status, RechargeStatus::Unknown);
    for worker in 0..WORKERS {
        world.step(&Event::Claim { worker, stale: 0 });
        world.step(&Event::Send {
            worker,
            answer: Answer::Succeeded,
        });
    }
    assert_eq!(world.top_ups_sent, 1);
    // The same payment confirmed again changes nothing.
    let before = world.history.len();
    world.step(&Event::Payment {
        transaction: 1,
        amount_ok: true,
        stale: 0,
    });
    assert_eq!(world.history.len(), before);
}

/// A late answer after the sweep settles the unknown order.
#[test]
fn a_late_answer_resolves_the_swept_order() {
    let mut world = World::new();
    world.step(&Event::Payment {
        transaction: 1,
        amount_ok: true,
        stale: 0,
    });
    world.step(&Event::Claim {
        worker: 2,
        stale: 0,
    });
    world.step(&Event::Send {
        worker: 2,
        answer: Answer::Succeeded,
    });
    world.step(&Event::SweepStale { stale: 0 });
    world.step(&Event::Record { worker: 2 });
    let order = world.current();
    assert_eq!(order.recharge_status, RechargeStatus::Success);
    assert_eq!(order.payment_status, PaymentStatus::Paid);
}

/// The generator must reach the interesting corners, or the property proves little.
#[test]
fn random_histories_reach_every_state() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::HashSet;

    let mut runner = TestRunner::deterministic();
    let histories = histories();
    let mut payment_seen = HashSet::new();
    let mut recharge_seen = HashSet::new();
    let mut sent = 0;
    let mut requeued = 0;
    let mut lost_writes = 0;
    for _ in 0..2_000 {
        let events = histories.new_tree(&mut runner).unwrap().current();
        let mut world = World::new();
        for event in &events {
            let before = world.history.len();
            world.step(event);
            lost_writes += usize::from(world.history.len() == before);
            payment_seen.insert(world.current().payment_status);
            recharge_seen.insert(world.current().recharge_status);
        }
        sent += world.top_ups_sent;
        requeued += world.requeued;
    }
    for status in PaymentStatus::ALL {
        assert!(payment_seen.contains(&status), "never reached {status}");
    }
    for status in RechargeStatus::ALL {
        assert!(recharge_seen.contains(&status), "never reached {status}");
    }
    assert!(sent > 200, "only {sent} top-ups sent in 2000 histories");
    assert!(lost_writes > 0);
    assert!(
        requeued > 20,
        "only {requeued} requeued top-ups in 2000 histories"
    );
}
