//! The ledger's nightly check and daily figures, against the domain's in-memory reference.

use chrono::{DateTime, Utc};
use elife_domain::order::OpenId;
use elife_domain::points::memory::MemoryPoints;
use elife_domain::points::{Drift, EntryKind, PointsLedger, PostOutcome, Posting};
use elife_persistence::SeaOrmPointsLedger;
use elife_persistence::entities::{points_accounts, points_ledger};
use elife_persistence::truncate_timestamp;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::{minutes, posting, user};
use crate::common::TestDb;

/// More than the adapter reads per statement.
const MORE_THAN_A_BATCH: usize = 1005;

fn account_name(n: usize) -> String {
    format!("o-acct-{n:04}")
}

/// Moves stored balances without a ledger row: what the check is there to catch.
async fn tamper(test: &TestDb, users: &[&OpenId], by: i64) {
    let names: Vec<&str> = users.iter().map(|u| u.as_str()).collect();
    points_accounts::Entity::update_many()
        .col_expr(
            points_accounts::Column::Balance,
            Expr::col(points_accounts::Column::Balance).add(by),
        )
        .filter(points_accounts::Column::Openid.is_in(names))
        .exec(&test.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn drifted_accounts_are_found_across_batches_up_to_the_limit() {
    let test = TestDb::new().await;
    let ledger = SeaOrmPointsLedger::new(test.db.clone());
    let at = truncate_timestamp(minutes(0)).naive_utc();
    let accounts = (0..MORE_THAN_A_BATCH).map(|n| points_accounts::ActiveModel {
        openid: Set(account_name(n)),
        balance: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
    });
    points_accounts::Entity::insert_many(accounts)
        .exec_without_returning(&test.db)
        .await
        .unwrap();
    let with_ledger = user(&account_name(2));
    ledger
        .post(
            &posting(&with_ledger, EntryKind::Bonus, "b", 10, minutes(1)),
            None,
        )
        .await
        .unwrap();
    assert!(ledger.drifted(10).await.unwrap().is_empty());

    let drifting: Vec<OpenId> = [2, 3, 1001, 1004]
        .into_iter()
        .map(|n| user(&account_name(n)))
        .collect();
    tamper(&test, &drifting.iter().collect::<Vec<_>>(), 1).await;
    let expected: Vec<Drift> = drifting
        .iter()
        .map(|user| Drift {
            user: user.clone(),
            balance: if *user == with_ledger { 11 } else { 1 },
            ledger_sum: if *user == with_ledger { 10 } else { 0 },
        })
        .collect();
    assert_eq!(ledger.drifted(10).await.unwrap(), expected);
    assert_eq!(ledger.drifted(3).await.unwrap(), expected[..3]);
    assert!(ledger.drifted(0).await.unwrap().is_empty());
}

/// Postings around the UTC+8 midnights (t0 is 18:00 in China, so minute 360 is the next
/// day's midnight there), of every kind, with a repeat and a refusal.
fn day_postings() -> Vec<Posting> {
    let alice = user("o-alice");
    let bob = user("o-bob");
    vec![
        posting(
            &alice,
            EntryKind::PackagePurchase,
            "ORD-1",
            1000,
            minutes(0),
        ),
        posting(&alice, EntryKind::Bonus, "ORD-1", 100, minutes(0)),
        posting(
            &alice,
            EntryKind::PackagePurchase,
            "ORD-1",
            1000,
            minutes(5),
        ),
        posting(&alice, EntryKind::Spend, "mall-1", -300, minutes(359)),
        posting(&bob, EntryKind::Spend, "mall-2", -1, minutes(359)),
        posting(&bob, EntryKind::AdminAdjustment, "adj-1", 50, minutes(360)),
        posting(
            &alice,
            EntryKind::AdminAdjustment,
            "adj-2",
            -20,
            minutes(360),
        ),
        posting(
            &alice,
            EntryKind::RefundReversal,
            "ORD-1:500",
            -550,
            minutes(400),
        ),
        posting(
            &alice,
            EntryKind::RefundReversal,
            "ORD-1:500u",
            550,
            minutes(401),
        ),
        posting(
            &alice,
            EntryKind::RefundReversal,
            "ORD-1:1000",
            -700,
            minutes(500),
        ),
        posting(&bob, EntryKind::Expiry, "exp-1", -50, minutes(1799)),
        posting(&bob, EntryKind::Bonus, "late", 5, minutes(1800)),
    ]
}

#[tokio::test]
async fn daily_figures_and_outcomes_match_the_domain_by_utc_plus_8_day() {
    let test = TestDb::new().await;
    let ledger = SeaOrmPointsLedger::new(test.db.clone());
    let memory = MemoryPoints::new();
    let ids_aside = |outcome: PostOutcome| match outcome {
        PostOutcome::Posted(entry) => ("posted", entry.delta, entry.balance_after),
        PostOutcome::AlreadyPosted(entry) => ("already", entry.delta, entry.balance_after),
        PostOutcome::Insufficient { balance } => ("insufficient", 0, balance),
    };
    for posting in day_postings() {
        assert_eq!(
            ids_aside(ledger.post(&posting, None).await.unwrap()),
            ids_aside(memory.post(&posting, None).await.unwrap()),
            "{posting:?}"
        );
    }
    let ranges: [(DateTime<Utc>, DateTime<Utc>); 5] = [
        (minutes(-10_000), minutes(10_000)),
        (minutes(0), minutes(360)),
        (minutes(359), minutes(361)),
        (minutes(401), minutes(1800)),
        (minutes(2000), minutes(3000)),
    ];
    for (from, before) in ranges {
        let stored = ledger.daily(from, before).await.unwrap();
        assert_eq!(
            stored,
            memory.daily(from, before).await.unwrap(),
            "{from}..{before}"
        );
    }
    let all = ledger
        .daily(minutes(-10_000), minutes(10_000))
        .await
        .unwrap();
    let days: Vec<String> = all.iter().map(|d| d.day.unwrap().to_string()).collect();
    assert_eq!(days, ["2025-10-18", "2025-10-19", "2025-10-20"]);
    for name in ["o-alice", "o-bob"] {
        let stored = ledger
            .account(&user(name))
            .await
            .unwrap()
            .map(|a| a.balance);
        let expected = memory
            .account(&user(name))
            .await
            .unwrap()
            .map(|a| a.balance);
        assert_eq!(stored, expected, "{name}");
    }
    assert!(ledger.drifted(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn daily_figures_walk_more_rows_than_a_batch_sharing_one_timestamp() {
    let test = TestDb::new().await;
    let ledger = SeaOrmPointsLedger::new(test.db.clone());
    let row = |n: usize, minute: i64| points_ledger::ActiveModel {
        id: NotSet,
        openid: Set("o-many".to_owned()),
        kind: Set(EntryKind::Bonus.as_str().to_owned()),
        biz_type: Set("test".to_owned()),
        biz_id: Set(format!("many-{n}")),
        delta: Set(1),
        balance_after: Set(i64::try_from(n).unwrap() + 1),
        note: Set(String::new()),
        created_at: Set(truncate_timestamp(minutes(minute)).naive_utc()),
    };
    let rows = (0..MORE_THAN_A_BATCH)
        .map(|n| row(n, 10))
        .chain([row(MORE_THAN_A_BATCH, 9), row(MORE_THAN_A_BATCH + 1, 400)]);
    points_ledger::Entity::insert_many(rows)
        .exec_without_returning(&test.db)
        .await
        .unwrap();

    let days = ledger.daily(minutes(0), minutes(1000)).await.unwrap();
    let issued: Vec<(String, i64)> = days
        .iter()
        .map(|d| (d.day.unwrap().to_string(), d.issued))
        .collect();
    assert_eq!(
        issued,
        [
            ("2025-10-18".to_owned(), MORE_THAN_A_BATCH as i64 + 1),
            ("2025-10-19".to_owned(), 1)
        ]
    );
}
