use std::sync::Arc;

use chrono::{TimeDelta, TimeZone, Utc};
use elife_domain::money::{ExchangeRate, Fen, Mnt};
use elife_domain::order::{
    Actor, AnomalyKind, OpenId, OrderState, PaymentStatus, RechargeKind, RechargeStatus,
    Resolution, TopUpResult,
};
use elife_domain::ports::{
    CasOutcome, OrderFilter, OrderRepository, PageRequest, RepositoryError, WorkQueue,
};
use elife_domain::testing::{order_number, t0, unpaid_order};
use elife_persistence::SeaOrmOrderRepository;
use rust_decimal_macros::dec;

use crate::common::{TestDb, order_at, won};

fn repo(test: &TestDb) -> SeaOrmOrderRepository {
    SeaOrmOrderRepository::new(test.db.clone(), crate::common::keyring())
}

#[tokio::test]
async fn an_inserted_order_reads_back_identical_with_exact_money() {
    let test = TestDb::new().await;
    let orders = repo(&test);
    let mut order = unpaid_order();
    // Beyond 2^53: would change if it went through a float anywhere.
    order.price_fen = Fen::new(9_007_199_254_740_993);
    order.product.price = Mnt::new(9_007_199_254_740_995);
    order.exchange_rate = ExchangeRate::new(dec!(470.1234)).unwrap();
    order.product.kind = RechargeKind::Data;
    order.product.data = Some("10GB".to_owned());
    order.product.unit = None;
    order.created_at = Utc.timestamp_opt(1_760_781_600, 123_456_000).unwrap();
    orders.insert(&order).await.unwrap();

    let found = orders.find(&order.number).await.unwrap().expect("stored");
    assert_eq!(found, order);
    assert_eq!(found.exchange_rate.value().to_string(), "470.1234");
    assert_eq!(found.price_fen.value(), 9_007_199_254_740_993);
}

#[tokio::test]
async fn timestamps_are_kept_to_the_microsecond() {
    let test = TestDb::new().await;
    let orders = repo(&test);
    let mut order = unpaid_order();
    order.created_at = Utc.timestamp_opt(1_760_781_600, 123_456_789).unwrap();
    orders.insert(&order).await.unwrap();
    let found = orders.find(&order.number).await.unwrap().unwrap();
    assert_eq!(found.created_at.timestamp_subsec_nanos(), 123_456_000);
    assert_eq!(
        found.created_at,
        elife_persistence::truncate_timestamp(order.created_at)
    );
}

#[tokio::test]
async fn a_taken_order_number_is_a_duplicate_and_changes_nothing() {
    let test = TestDb::new().await;
    let orders = repo(&test);
    let order = unpaid_order();
    orders.insert(&order).await.unwrap();
    let mut other = order.clone();
    other.price_fen = Fen::new(1);
    let error = orders.insert(&other).await.unwrap_err();
    assert!(matches!(error, RepositoryError::Duplicate(_)), "{error:?}");
    assert_eq!(orders.find(&order.number).await.unwrap().unwrap(), order);
}

#[tokio::test]
async fn an_unknown_order_is_none() {
    let test = TestDb::new().await;
    assert_eq!(repo(&test).find(&order_number(404)).await.unwrap(), None);
}

#[tokio::test]
async fn the_whole_life_of_an_order_is_written_with_its_history() {
    let test = TestDb::new().await;
    let orders = repo(&test);
    let order = unpaid_order();
    orders.insert(&order).await.unwrap();

    let paid = won(&orders, order.mark_paid("4200000001", t0(), "callback")).await;
    let claimed = won(&orders, paid.claim_recharge(t0() + TimeDelta::seconds(1))).await;
    let confirming = won(
        &orders,
        claimed.record_top_up(
            &TopUpResult::Pending {
                seq: "SEQ-9".to_owned(),
            },
            t0() + TimeDelta::seconds(2),
        ),
    )
    .await;
    let receipt = serde_json::json!({"billId": "B1", "amount": 3000, "lottery": "AB12"});
    let done = won(
        &orders,
        confirming.record_top_up(
            &TopUpResult::Succeeded {
                seq: None,
                receipt: Some(receipt.clone()),
            },
            t0() + TimeDelta::seconds(3),
        ),
    )
    .await;

    let stored = orders.find(&order.number).await.unwrap().unwrap();
    assert_eq!(stored, done);
    assert_eq!(stored.version, 4);
    assert_eq!(stored.recharge_status, RechargeStatus::Success);
    assert_eq!(stored.seq_id.as_deref(), Some("SEQ-9"));
    assert_eq!(stored.provider_receipt, Some(receipt));
    assert_eq!(stored.transaction_id.as_deref(), Some("4200000001"));

    let events = orders.events(&order.number).await.unwrap();
    let steps: Vec<(OrderState, OrderState)> = events.iter().map(|e| (e.from, e.to)).collect();
    let state = |payment, recharge| OrderState { payment, recharge };
    assert_eq!(
        steps,
        vec![
            (
                state(PaymentStatus::Unpaid, RechargeStatus::NotStarted),
                state(PaymentStatus::Paid, RechargeStatus::Pending)
            ),
            (
                state(PaymentStatus::Paid, RechargeStatus::Pending),
                state(PaymentStatus::Paid, RechargeStatus::Submitting)
            ),
            (
                state(PaymentStatus::Paid, RechargeStatus::Submitting),
                state(PaymentStatus::Paid, RechargeStatus::Confirming)
            ),
            (
                state(PaymentStatus::Paid, RechargeStatus::Confirming),
                state(PaymentStatus::Paid, RechargeStatus::Success)
            ),
        ]
    );
    assert_eq!(events[0].reason, "callback");
    assert_eq!(events[0].actor, Actor::System);
    assert_eq!(events[3].at, t0() + TimeDelta::seconds(3));
    assert!(orders.events(&order_number(9)).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_admin_resolution_records_the_person_and_the_anomaly_stays_readable() {
    let test = TestDb::new().await;
    let orders = repo(&test);
    let order = unpaid_order();
    orders.insert(&order).await.unwrap();
    let paid = won(&orders, order.mark_paid("42", t0(), "paid")).await;
    let claimed = won(&orders, paid.claim_recharge(t0())).await;
    let unknown = won(
        &orders,
        claimed.record_top_up(
            &TopUpResult::Unknown {
                reason: "connection reset".to_owned(),
            },
            t0(),
        ),
    )
    .await;
    assert_eq!(
        orders.find(&order.number).await.unwrap().unwrap().anomaly,
        unknown.anomaly
    );
    won(
        &orders,
        unknown.resolve(
            Resolution::Succeeded,
            Actor::Admin("alice".to_owned()),
            "checked at Unitel",
            t0(),
        ),
    )
    .await;
    let events = orders.events(&order.number).await.unwrap();
    assert_eq!(
        events.last().unwrap().actor,
        Actor::Admin("alice".to_owned())
    );
    assert_eq!(
        orders
            .find(&order.number)
            .await
            .unwrap()
            .unwrap()
            .anomaly
            .unwrap()
            .kind,
        AnomalyKind::RechargeOutcomeUnknown
    );
}

#[tokio::test]
async fn a_stale_version_loses_and_writes_nothing() {
    let test = TestDb::new().await;
    let orders = repo(&test);
    let order = unpaid_order();
    orders.insert(&order).await.unwrap();
    let first = order.mark_paid("T1", t0(), "first").unwrap();
    let second = order.close("expired", t0()).unwrap();
    assert_eq!(orders.apply(&first).await.unwrap(), CasOutcome::Won);
    assert_eq!(orders.apply(&second).await.unwrap(), CasOutcome::Lost);
    // Replaying the winner loses too: its expected version is gone.
    assert_eq!(orders.apply(&first).await.unwrap(), CasOutcome::Lost);
    let stored = orders.find(&order.number).await.unwrap().unwrap();
    assert_eq!(stored, first.order);
    assert_eq!(orders.events(&order.number).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_wrong_expected_status_loses_even_with_the_right_version() {
    let test = TestDb::new().await;
    let orders = repo(&test);
    let order = unpaid_order();
    orders.insert(&order).await.unwrap();
    let paid = won(&orders, order.mark_paid("T1", t0(), "paid")).await;

    // Expected payment status differs.
    let mut wrong_payment = paid.claim_recharge(t0()).unwrap();
    wrong_payment.expected_state.payment = PaymentStatus::Unpaid;
    assert_eq!(
        orders.apply(&wrong_payment).await.unwrap(),
        CasOutcome::Lost
    );

    // Expected recharge status NULL while the row says pending.
    let mut wrong_null = paid.claim_recharge(t0()).unwrap();
    wrong_null.expected_state.recharge = RechargeStatus::NotStarted;
    assert_eq!(orders.apply(&wrong_null).await.unwrap(), CasOutcome::Lost);

    // Expected recharge status differs (non-NULL).
    let mut wrong_recharge = paid.claim_recharge(t0()).unwrap();
    wrong_recharge.expected_state.recharge = RechargeStatus::Failed;
    assert_eq!(
        orders.apply(&wrong_recharge).await.unwrap(),
        CasOutcome::Lost
    );

    assert_eq!(orders.find(&order.number).await.unwrap().unwrap(), paid);
    assert_eq!(orders.events(&order.number).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_transition_of_a_missing_order_loses() {
    let test = TestDb::new().await;
    let orders = repo(&test);
    let transition = unpaid_order().mark_paid("T1", t0(), "paid").unwrap();
    assert_eq!(orders.apply(&transition).await.unwrap(), CasOutcome::Lost);
    assert!(
        orders
            .events(&transition.order.number)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_transition_that_does_not_raise_the_version_by_one_is_refused() {
    let test = TestDb::new().await;
    let orders = repo(&test);
    let order = unpaid_order();
    orders.insert(&order).await.unwrap();
    let mut transition = order.mark_paid("T1", t0(), "paid").unwrap();
    transition.order.version = 7;
    assert!(matches!(
        orders.apply(&transition).await,
        Err(RepositoryError::Corrupt(_))
    ));
    assert_eq!(orders.find(&order.number).await.unwrap().unwrap(), order);
}

#[tokio::test]
async fn fifty_workers_racing_for_one_claim_yield_exactly_one_winner() {
    let test = TestDb::new().await;
    let orders = Arc::new(repo(&test));
    let order = unpaid_order();
    orders.insert(&order).await.unwrap();
    let paid = won(orders.as_ref(), order.mark_paid("T1", t0(), "paid")).await;

    let tasks: Vec<_> = (0..50)
        .map(|worker| {
            let orders = Arc::clone(&orders);
            let claim = paid
                .claim_recharge(t0() + TimeDelta::milliseconds(worker))
                .unwrap();
            tokio::spawn(async move { orders.apply(&claim).await })
        })
        .collect();
    let mut won_count = 0;
    for task in tasks {
        match task
            .await
            .unwrap()
            .expect("no storage error under contention")
        {
            CasOutcome::Won => won_count += 1,
            CasOutcome::Lost => {}
        }
    }
    assert_eq!(won_count, 1);
    let stored = orders.find(&order.number).await.unwrap().unwrap();
    assert_eq!(stored.recharge_status, RechargeStatus::Submitting);
    assert_eq!(stored.version, 2);
    let claims = orders
        .events(&order.number)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.to.recharge == RechargeStatus::Submitting)
        .count();
    assert_eq!(claims, 1);
}

#[tokio::test]
async fn a_customer_sees_only_their_orders_newest_first_in_pages() {
    let test = TestDb::new().await;
    let orders = repo(&test);
    for n in 0..25 {
        orders
            .insert(&order_at(n, "o-alice", i64::from(n)))
            .await
            .unwrap();
    }
    orders.insert(&order_at(100, "o-bob", 5)).await.unwrap();
    let alice = OpenId::parse("o-alice").unwrap();
    let all = OrderFilter::default();

    let first = orders
        .list_for_user(&alice, &all, PageRequest { page: 1, limit: 10 })
        .await
        .unwrap();
    assert_eq!(first.total, 25);
    assert_eq!(first.total_pages(), 3);
    assert_eq!(first.items.len(), 10);
    assert_eq!(first.items[0].number, order_number(24));
    assert_eq!(first.items[9].number, order_number(15));
    let last = orders
        .list_for_user(&alice, &all, PageRequest { page: 3, limit: 10 })
        .await
        .unwrap();
    let numbers: Vec<_> = last.items.iter().map(|o| o.number.clone()).collect();
    assert_eq!(numbers, (0..5).rev().map(order_number).collect::<Vec<_>>());
    let beyond = orders
        .list_for_user(&alice, &all, PageRequest { page: 4, limit: 10 })
        .await
        .unwrap();
    assert!(beyond.items.is_empty());
    assert_eq!(beyond.total, 25);
    let capped = orders
        .list_for_user(
            &alice,
            &all,
            PageRequest {
                page: 1,
                limit: 1000,
            },
        )
        .await
        .unwrap();
    assert_eq!(capped.limit, PageRequest::MAX_LIMIT);
    assert_eq!(capped.items.len(), 25);
    let bob = orders
        .list_for_user(
            &OpenId::parse("o-bob").unwrap(),
            &all,
            PageRequest { page: 1, limit: 10 },
        )
        .await
        .unwrap();
    assert_eq!(bob.total, 1);
    assert_eq!(bob.items[0].number, order_number(100));
}

#[tokio::test]
async fn the_order_lists_apply_every_filter() {
    let test = TestDb::new().await;
    let orders = repo(&test);
    for n in 0..6 {
        orders
            .insert(&order_at(n, "o-alice", i64::from(n) * 60))
            .await
            .unwrap();
    }
    // 1 and 2 paid (pending), 3 closed, 2 flagged.
    let one = orders.find(&order_number(1)).await.unwrap().unwrap();
    won(&orders, one.mark_paid("T1", t0(), "paid")).await;
    let two = orders.find(&order_number(2)).await.unwrap().unwrap();
    let two = won(&orders, two.mark_paid("T2", t0(), "paid")).await;
    won(
        &orders,
        Ok(two.flag_anomaly(AnomalyKind::AmountMismatch, "625 != 600", t0())),
    )
    .await;
    let three = orders.find(&order_number(3)).await.unwrap().unwrap();
    won(&orders, three.close("expired", t0())).await;
    let four = orders.find(&order_number(4)).await.unwrap().unwrap();
    won(
        &orders,
        Ok(four.flag_anomaly(AnomalyKind::PaymentAfterClose, "late", t0())),
    )
    .await;

    let alice = OpenId::parse("o-alice").unwrap();
    let page = PageRequest { page: 1, limit: 50 };
    let numbers = |filter: OrderFilter| {
        let orders = orders.clone();
        let alice = alice.clone();
        async move {
            let mine: Vec<u32> = orders
                .list_for_user(&alice, &filter, page)
                .await
                .unwrap()
                .items
                .iter()
                .map(|o| o.number.as_str()[16..].parse().unwrap())
                .collect();
            let all: Vec<u32> = orders
                .list_all(&filter, page)
                .await
                .unwrap()
                .items
                .iter()
                .map(|o| o.number.as_str()[16..].parse().unwrap())
                .collect();
            assert_eq!(mine, all, "list_all and list_for_user agree for one user");
            mine
        }
    };
    assert_eq!(
        numbers(OrderFilter {
            payment_status: Some(PaymentStatus::Paid),
            ..OrderFilter::default()
        })
        .await,
        vec![2, 1]
    );
    assert_eq!(
        numbers(OrderFilter {
            recharge_status: Some(RechargeStatus::NotStarted),
            ..OrderFilter::default()
        })
        .await,
        vec![5, 4, 3, 0]
    );
    assert_eq!(
        numbers(OrderFilter {
            recharge_status: Some(RechargeStatus::Pending),
            ..OrderFilter::default()
        })
        .await,
        vec![2, 1]
    );
    assert_eq!(
        numbers(OrderFilter {
            created_from: Some(t0() + TimeDelta::minutes(60)),
            created_before: Some(t0() + TimeDelta::minutes(180)),
            ..OrderFilter::default()
        })
        .await,
        vec![2, 1]
    );
    assert_eq!(
        numbers(OrderFilter {
            anomaly: Some(AnomalyKind::AmountMismatch),
            ..OrderFilter::default()
        })
        .await,
        vec![2]
    );
    assert_eq!(
        numbers(OrderFilter {
            only_anomalies: true,
            ..OrderFilter::default()
        })
        .await,
        vec![4, 2]
    );
    let everyone = orders
        .list_all(&OrderFilter::default(), page)
        .await
        .unwrap();
    assert_eq!(everyone.total, 6);
}

#[tokio::test]
async fn each_work_queue_returns_its_orders_by_number_before_the_cutoff() {
    let test = TestDb::new().await;
    let orders = repo(&test);
    let at = |minutes: i64| t0() + TimeDelta::minutes(minutes);
    let insert = |n: u32, minutes: i64| {
        let orders = orders.clone();
        async move {
            let order = order_at(n, "o-alice", minutes);
            orders.insert(&order).await.unwrap();
            order
        }
    };
    // Unpaid: 1 (t+0), 2 (t+10).
    insert(1, 0).await;
    insert(2, 10).await;
    // Paid, unclaimed: 3 paid t+5, 4 paid t+1.
    let o3 = insert(3, 0).await;
    won(&orders, o3.mark_paid("T3", at(5), "paid")).await;
    let o4 = insert(4, 0).await;
    won(&orders, o4.mark_paid("T4", at(1), "paid")).await;
    // Submitting since t+2.
    let o5 = insert(5, 0).await;
    let o5 = won(&orders, o5.mark_paid("T5", at(0), "paid")).await;
    won(&orders, o5.claim_recharge(at(2))).await;
    // Confirming, claimed t+3.
    let o6 = insert(6, 0).await;
    let o6 = won(&orders, o6.mark_paid("T6", at(0), "paid")).await;
    let o6 = won(&orders, o6.claim_recharge(at(3))).await;
    won(
        &orders,
        o6.record_top_up(
            &TopUpResult::Pending {
                seq: "S6".to_owned(),
            },
            at(3),
        ),
    )
    .await;
    // Failed, paid t+4; then 8 failed and refund requested at t+6.
    let o7 = insert(7, 0).await;
    let o7 = won(&orders, o7.mark_paid("T7", at(4), "paid")).await;
    let o7 = won(&orders, o7.claim_recharge(at(4))).await;
    won(
        &orders,
        o7.record_top_up(
            &TopUpResult::Failed {
                reason: "E".to_owned(),
            },
            at(4),
        ),
    )
    .await;
    let o8 = insert(8, 0).await;
    let o8 = won(&orders, o8.mark_paid("T8", at(4), "paid")).await;
    let o8 = won(&orders, o8.claim_recharge(at(4))).await;
    let o8 = won(
        &orders,
        o8.record_top_up(
            &TopUpResult::Failed {
                reason: "E".to_owned(),
            },
            at(4),
        ),
    )
    .await;
    won(&orders, o8.request_refund(Actor::System, "refund", at(6))).await;

    let queue = |queue: WorkQueue, cutoff_minutes: i64, limit: u64| {
        let orders = orders.clone();
        async move {
            orders
                .find_work(queue, at(cutoff_minutes), None, limit)
                .await
                .unwrap()
                .iter()
                .map(|o| o.number.as_str()[16..].parse::<u32>().unwrap())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(queue(WorkQueue::ExpiredUnpaid, 30, 10).await, vec![1, 2]);
    assert_eq!(queue(WorkQueue::ExpiredUnpaid, 10, 10).await, vec![1]);
    // By number (numbers start with the creation time), not by payment time.
    assert_eq!(queue(WorkQueue::PaidUnclaimed, 30, 10).await, vec![3, 4]);
    assert_eq!(queue(WorkQueue::PaidUnclaimed, 30, 1).await, vec![3]);
    assert_eq!(queue(WorkQueue::PaidUnclaimed, 5, 10).await, vec![4]);
    assert_eq!(queue(WorkQueue::StaleSubmissions, 30, 10).await, vec![5]);
    assert_eq!(
        queue(WorkQueue::StaleSubmissions, 2, 10).await,
        Vec::<u32>::new()
    );
    assert_eq!(queue(WorkQueue::Confirming, 30, 10).await, vec![6]);
    assert_eq!(queue(WorkQueue::FailedPaid, 30, 10).await, vec![7]);
    assert_eq!(queue(WorkQueue::Refunding, 30, 10).await, vec![8]);
    assert_eq!(queue(WorkQueue::Refunding, 6, 10).await, Vec::<u32>::new());
}

/// The jobs page through a queue with a keyset cursor: following it covers every candidate
/// exactly once, skips what is not a candidate, and wraps to the start after a short page.
#[tokio::test]
async fn a_work_queue_cursor_covers_every_candidate_once_and_wraps() {
    let test = TestDb::new().await;
    let orders = repo(&test);
    // Candidates (unpaid since t+0) interleaved with orders that are not: paid ones, and
    // unpaid ones newer than the cut-off.
    let mut candidates = Vec::new();
    for n in 1..=14 {
        let order = order_at(n, "o-alice", if n % 5 == 0 { 20 } else { 0 });
        orders.insert(&order).await.unwrap();
        if n % 3 == 0 {
            won(&orders, order.mark_paid(&format!("T{n}"), t0(), "paid")).await;
        } else if n % 5 != 0 {
            candidates.push(n);
        }
    }
    assert_eq!(candidates, vec![1, 2, 4, 7, 8, 11, 13, 14]);
    let cutoff = t0() + TimeDelta::minutes(10);
    let limit = 3;
    let page = |after: Option<elife_domain::order::OrderNumber>| {
        let orders = orders.clone();
        async move {
            orders
                .find_work(WorkQueue::ExpiredUnpaid, cutoff, after, limit)
                .await
                .unwrap()
        }
    };
    let index =
        |order: &elife_domain::order::Order| order.number.as_str()[16..].parse::<u32>().unwrap();

    // What a job does: the next run starts after the last candidate of a full page, and
    // from the start after a short one.
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let found = page(after.clone()).await;
        pages.push(found.iter().map(index).collect::<Vec<_>>());
        seen.extend(found.iter().map(index));
        if found.len() as u64 == limit {
            after = found.last().map(|order| order.number.clone());
        } else {
            break;
        }
    }
    assert_eq!(pages, vec![vec![1, 2, 4], vec![7, 8, 11], vec![13, 14]]);
    assert_eq!(seen, candidates, "every candidate exactly once, in order");

    // An exact multiple of the limit ends on an empty page, then starts over.
    let last = page(Some(order_number(14))).await;
    assert!(last.is_empty());
    assert_eq!(
        page(None).await.iter().map(index).collect::<Vec<_>>(),
        vec![1, 2, 4]
    );
    // A cursor that is not itself a candidate (paid since) still resumes after it.
    assert_eq!(
        page(Some(order_number(3)))
            .await
            .iter()
            .map(index)
            .collect::<Vec<_>>(),
        vec![4, 7, 8]
    );
}
