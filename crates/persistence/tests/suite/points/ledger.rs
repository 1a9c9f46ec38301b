//! Postings: once per (kind, reference), never below zero, with their audit row or nothing.

use std::sync::Arc;

use elife_domain::accounts::audit::{AuditFilter, AuditLog};
use elife_domain::points::memory::MemoryPoints;
use elife_domain::points::{EntryKind, LedgerEntry, PointsLedger, PostOutcome, Reference};
use elife_domain::ports::PageRequest;
use elife_persistence::{SeaOrmAuditLog, SeaOrmPointsLedger};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{adjustment_audit, all_entries, minutes, posting, user};
use crate::common::TestDb;

async fn audit_rows(test: &TestDb) -> u64 {
    SeaOrmAuditLog::new(test.db.clone())
        .list(&AuditFilter::default(), PageRequest { page: 1, limit: 10 })
        .await
        .unwrap()
        .total
}

fn posted(outcome: PostOutcome) -> LedgerEntry {
    match outcome {
        PostOutcome::Posted(entry) => entry,
        other => panic!("expected Posted, got {other:?}"),
    }
}

#[tokio::test]
async fn a_hundred_concurrent_identical_postings_credit_once() {
    let test = TestDb::new().await;
    let ledger = Arc::new(SeaOrmPointsLedger::new(test.db.clone()));
    let buyer = user("o-buyer");
    // A package purchase for one order, delivered a hundred times at once.
    let purchase = posting(
        &buyer,
        EntryKind::PackagePurchase,
        "ORD1760754386127000000000001",
        500,
        minutes(1),
    );

    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let ledger = Arc::clone(&ledger);
            let purchase = purchase.clone();
            tokio::spawn(async move { ledger.post(&purchase, None).await })
        })
        .collect();
    let mut first = Vec::new();
    let mut repeats = Vec::new();
    for task in tasks {
        match task
            .await
            .unwrap()
            .expect("no storage error under contention")
        {
            PostOutcome::Posted(entry) => first.push(entry),
            PostOutcome::AlreadyPosted(entry) => repeats.push(entry),
            PostOutcome::Insufficient { balance } => panic!("a credit refused at {balance}"),
        }
    }
    assert_eq!(first.len(), 1, "exactly one posting wins");
    let entry = first.remove(0);
    assert_eq!((entry.delta, entry.balance_after), (500, 500));
    assert_eq!(repeats.len(), 99);
    assert!(repeats.iter().all(|repeat| *repeat == entry));

    assert_eq!(all_entries(ledger.as_ref(), &buyer).await, [entry]);
    assert_eq!(ledger.account(&buyer).await.unwrap().unwrap().balance, 500);
    assert!(ledger.drifted(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn two_hundred_concurrent_spends_and_credits_never_go_below_zero() {
    let test = TestDb::new().await;
    let ledger = Arc::new(SeaOrmPointsLedger::new(test.db.clone()));
    let holder = user("o-holder");
    let seed = rand::rng().random::<u64>();
    let mut rng = StdRng::seed_from_u64(seed);
    let deltas: Vec<i64> = (0..200)
        .map(|_| {
            if rng.random_bool(0.5) {
                rng.random_range(1..=100)
            } else {
                -rng.random_range(1..=250)
            }
        })
        .collect();
    let credits: i64 = deltas.iter().filter(|d| **d > 0).sum();
    let spends: i64 = -deltas.iter().filter(|d| **d < 0).sum::<i64>();
    // More is spent than credited: some spends must be refused, whatever the order.
    assert!(
        spends > credits,
        "seed {seed}: spends {spends}, credits {credits}"
    );

    let tasks: Vec<_> = deltas
        .iter()
        .enumerate()
        .map(|(n, delta)| {
            let ledger = Arc::clone(&ledger);
            let kind = if *delta > 0 {
                EntryKind::AdminAdjustment
            } else {
                EntryKind::Spend
            };
            let posting = posting(&holder, kind, &format!("op-{n}"), *delta, minutes(n as i64));
            tokio::spawn(async move { (posting.delta, ledger.post(&posting, None).await) })
        })
        .collect();
    let mut posted_sum = 0;
    let mut posted = 0;
    let mut refused = 0;
    for task in tasks {
        let (delta, outcome) = task.await.unwrap();
        match outcome.unwrap_or_else(|e| panic!("seed {seed}: storage error {e}")) {
            PostOutcome::Posted(entry) => {
                assert!(entry.balance_after >= 0, "seed {seed}: {entry:?}");
                posted_sum += delta;
                posted += 1;
            }
            PostOutcome::Insufficient { balance } => {
                assert!(delta < 0, "seed {seed}: a credit was refused");
                assert!(
                    balance >= 0 && balance + delta < 0,
                    "seed {seed}: refused {delta} at {balance}"
                );
                refused += 1;
            }
            PostOutcome::AlreadyPosted(entry) => {
                panic!("seed {seed}: distinct references, {entry:?}")
            }
        }
    }
    assert!(refused > 0, "seed {seed}");

    let entries = all_entries(ledger.as_ref(), &holder).await;
    assert_eq!(entries.len(), posted, "seed {seed}");
    // In id order, each entry continues the balance of the one before: the postings were
    // serialised by the account row.
    let mut running = 0;
    for entry in &entries {
        running += entry.delta;
        assert_eq!(entry.balance_after, running, "seed {seed}: {entry:?}");
        assert!(entry.balance_after >= 0, "seed {seed}: {entry:?}");
    }
    let balance = ledger.account(&holder).await.unwrap().unwrap().balance;
    assert_eq!(balance, posted_sum, "seed {seed}");
    assert_eq!(balance, running, "seed {seed}");
    assert_eq!(entries.last().map(|e| e.balance_after), Some(balance));
    assert!(ledger.drifted(10).await.unwrap().is_empty(), "seed {seed}");
}

#[tokio::test]
async fn a_refused_posting_writes_nothing_and_only_a_posted_adjustment_is_audited() {
    let test = TestDb::new().await;
    let ledger = SeaOrmPointsLedger::new(test.db.clone());
    let holder = user("o-holder");

    // No account yet: refused at zero, and the account is not even opened.
    let spend = posting(&holder, EntryKind::Spend, "mall-1", -10, minutes(1));
    assert_eq!(
        ledger.post(&spend, None).await.unwrap(),
        PostOutcome::Insufficient { balance: 0 }
    );
    let taking = posting(&holder, EntryKind::AdminAdjustment, "adj-0", -5, minutes(1));
    assert_eq!(
        ledger
            .post(&taking, Some(adjustment_audit(&holder, -5, minutes(1))))
            .await
            .unwrap(),
        PostOutcome::Insufficient { balance: 0 }
    );
    assert_eq!(ledger.account(&holder).await.unwrap(), None);
    assert!(all_entries(&ledger, &holder).await.is_empty());
    assert_eq!(audit_rows(&test).await, 0);

    // A posted adjustment and its audit row, together.
    let giving = posting(&holder, EntryKind::AdminAdjustment, "adj-1", 50, minutes(2));
    let audit = adjustment_audit(&holder, 50, minutes(2));
    let entry = posted(ledger.post(&giving, Some(audit.clone())).await.unwrap());
    assert_eq!((entry.delta, entry.balance_after), (50, 50));
    let audited = SeaOrmAuditLog::new(test.db.clone())
        .list(&AuditFilter::default(), PageRequest { page: 1, limit: 10 })
        .await
        .unwrap();
    assert_eq!(audited.total, 1);
    assert_eq!(audited.items[0].entry, audit);

    // Refused with the balance; neither the entry nor its audit row is written.
    let too_much = posting(
        &holder,
        EntryKind::AdminAdjustment,
        "adj-2",
        -80,
        minutes(3),
    );
    assert_eq!(
        ledger
            .post(&too_much, Some(adjustment_audit(&holder, -80, minutes(3))))
            .await
            .unwrap(),
        PostOutcome::Insufficient { balance: 50 }
    );
    // A repeat of the posted adjustment answers it and audits nothing more.
    assert_eq!(
        ledger
            .post(&giving, Some(adjustment_audit(&holder, 50, minutes(4))))
            .await
            .unwrap(),
        PostOutcome::AlreadyPosted(entry.clone())
    );
    // A posting without an audit row writes none.
    let spent = posted(
        ledger
            .post(
                &posting(&holder, EntryKind::Spend, "mall-2", -50, minutes(5)),
                None,
            )
            .await
            .unwrap(),
    );
    assert_eq!(spent.balance_after, 0);
    assert_eq!(audit_rows(&test).await, 1);
    assert_eq!(all_entries(&ledger, &holder).await, [entry, spent]);
    let account = ledger.account(&holder).await.unwrap().unwrap();
    assert_eq!((account.balance, account.updated_at), (0, minutes(5)));
}

#[tokio::test]
async fn a_reference_posts_once_per_kind_and_is_compared_exactly() {
    let test = TestDb::new().await;
    let ledger = SeaOrmPointsLedger::new(test.db.clone());
    let buyer = user("o-buyer");
    let order = "ORD1760754386127abcdefghijkl";
    let purchase = posting(&buyer, EntryKind::PackagePurchase, order, 100, minutes(1));
    let first = posted(ledger.post(&purchase, None).await.unwrap());

    // The same event again, even with another amount or for someone else: the first entry.
    let mut changed = purchase.clone();
    changed.delta = 999;
    changed.user = user("o-someone-else");
    assert_eq!(
        ledger.post(&changed, None).await.unwrap(),
        PostOutcome::AlreadyPosted(first.clone())
    );
    assert_eq!(ledger.account(&user("o-someone-else")).await.unwrap(), None);
    // The same reference under another kind is another event (the package's bonus).
    let bonus = posted(
        ledger
            .post(
                &posting(&buyer, EntryKind::Bonus, order, 20, minutes(1)),
                None,
            )
            .await
            .unwrap(),
    );
    assert_eq!(bonus.balance_after, 120);
    // References differing only by case or by their type are distinct events.
    let upper = posting(
        &buyer,
        EntryKind::PackagePurchase,
        "ORD1760754386127ABCDEFGHIJKL",
        1,
        minutes(2),
    );
    assert_eq!(
        posted(ledger.post(&upper, None).await.unwrap()).balance_after,
        121
    );
    let mut other_type = purchase.clone();
    other_type.reference = Reference::new("mall_order", order);
    assert_eq!(
        posted(ledger.post(&other_type, None).await.unwrap()).balance_after,
        221
    );
    // Openids differing only by case are two accounts.
    let shouting = user("O-BUYER");
    posted(
        ledger
            .post(
                &posting(&shouting, EntryKind::Bonus, "x", 7, minutes(3)),
                None,
            )
            .await
            .unwrap(),
    );
    assert_eq!(ledger.account(&buyer).await.unwrap().unwrap().balance, 221);
    assert_eq!(ledger.account(&shouting).await.unwrap().unwrap().balance, 7);
}

#[tokio::test]
async fn balances_at_the_edges_of_a_64_bit_integer_are_refused_like_the_domain_does() {
    let test = TestDb::new().await;
    let ledger = SeaOrmPointsLedger::new(test.db.clone());
    let memory = MemoryPoints::new();
    let holder = user("o-holder");
    let postings = [
        posting(
            &holder,
            EntryKind::AdminAdjustment,
            "1",
            i64::MAX - 1,
            minutes(1),
        ),
        // One more fits exactly, two would overflow.
        posting(&holder, EntryKind::AdminAdjustment, "2", 2, minutes(2)),
        posting(&holder, EntryKind::AdminAdjustment, "3", 1, minutes(3)),
        posting(&holder, EntryKind::Spend, "4", i64::MIN, minutes(4)),
        posting(&holder, EntryKind::Spend, "5", -i64::MAX, minutes(5)),
        posting(&holder, EntryKind::Spend, "6", -1, minutes(6)),
        // A zero posting is the domain's to refuse; the ledger records it.
        posting(&holder, EntryKind::AdminAdjustment, "7", 0, minutes(7)),
    ];
    for posting in &postings {
        let stored = ledger.post(posting, None).await.unwrap();
        let expected = memory.post(posting, None).await.unwrap();
        // Ids aside.
        let strip = |outcome: PostOutcome| match outcome {
            PostOutcome::Posted(entry) => ("posted", entry.delta, entry.balance_after),
            PostOutcome::AlreadyPosted(entry) => ("already", entry.delta, entry.balance_after),
            PostOutcome::Insufficient { balance } => ("insufficient", 0, balance),
        };
        assert_eq!(strip(stored), strip(expected), "{posting:?}");
    }
    assert_eq!(ledger.account(&holder).await.unwrap().unwrap().balance, 0);
}

#[tokio::test]
async fn entries_come_newest_first_a_page_at_a_time() {
    let test = TestDb::new().await;
    let ledger = SeaOrmPointsLedger::new(test.db.clone());
    let holder = user("o-holder");
    let other = user("o-other");
    for n in 0..5 {
        let credit = posting(&holder, EntryKind::Bonus, &format!("b-{n}"), 10, minutes(n));
        ledger.post(&credit, None).await.unwrap();
    }
    ledger
        .post(&posting(&other, EntryKind::Bonus, "o", 3, minutes(9)), None)
        .await
        .unwrap();

    let page = ledger
        .entries(&holder, PageRequest { page: 2, limit: 2 })
        .await
        .unwrap();
    assert_eq!((page.total, page.page, page.limit), (5, 2, 2));
    let balances: Vec<i64> = page.items.iter().map(|e| e.balance_after).collect();
    assert_eq!(balances, [30, 20]);
    let last = ledger
        .entries(&holder, PageRequest { page: 3, limit: 2 })
        .await
        .unwrap();
    assert_eq!(last.items.len(), 1);
    assert_eq!(last.items[0].reference, Reference::new("test", "b-0"));
    assert_eq!(last.items[0].created_at, minutes(0));
    assert_eq!(last.items[0].note, "bonus 10");
    assert!(
        ledger
            .entries(&user("o-nobody"), PageRequest { page: 1, limit: 10 })
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn new_accounts_racing_over_shared_references_answer_every_posting() {
    let test = TestDb::new().await;
    let ledger = Arc::new(SeaOrmPointsLedger::new(test.db.clone()));
    let seed = rand::rng().random::<u64>();
    let mut rng = StdRng::seed_from_u64(seed);
    // Ten accounts that do not exist yet, and few references: many postings of one event
    // race from different accounts, so transactions that opened an account roll back.
    let tasks: Vec<_> = (0..240)
        .map(|n| {
            let ledger = Arc::clone(&ledger);
            let holder = user(&format!("o-racer-{}", rng.random_range(0..10)));
            let delta = if rng.random_bool(0.7) {
                rng.random_range(1..=50)
            } else {
                -rng.random_range(1..=60)
            };
            let kind = if delta > 0 {
                EntryKind::Bonus
            } else {
                EntryKind::Spend
            };
            let reference = format!("shared-{}", rng.random_range(0..40));
            let posting = posting(&holder, kind, &reference, delta, minutes(n));
            tokio::spawn(async move { (posting.clone(), ledger.post(&posting, None).await) })
        })
        .collect();
    let mut winners = std::collections::HashMap::new();
    for task in tasks {
        let (posting, outcome) = task.await.unwrap();
        match outcome.unwrap_or_else(|e| panic!("seed {seed}: storage error {e}")) {
            PostOutcome::Posted(entry) => {
                let key = (entry.kind, entry.reference.clone());
                assert!(
                    winners.insert(key, entry).is_none(),
                    "seed {seed}: posted twice"
                );
            }
            PostOutcome::AlreadyPosted(entry) => {
                assert_eq!(
                    (entry.kind, &entry.reference),
                    (posting.kind, &posting.reference)
                );
            }
            PostOutcome::Insufficient { balance } => {
                assert!(balance >= 0 && balance + posting.delta < 0, "seed {seed}");
            }
        }
    }
    for n in 0..10 {
        let holder = user(&format!("o-racer-{n}"));
        let mut running = 0;
        for entry in all_entries(ledger.as_ref(), &holder).await {
            running += entry.delta;
            assert_eq!(entry.balance_after, running, "seed {seed}: {entry:?}");
            assert!(running >= 0, "seed {seed}");
        }
        let balance = ledger
            .account(&holder)
            .await
            .unwrap()
            .map_or(0, |a| a.balance);
        assert_eq!(balance, running, "seed {seed}");
    }
    assert!(ledger.drifted(20).await.unwrap().is_empty(), "seed {seed}");
}
