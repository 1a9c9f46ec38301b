//! Cart lines: merged and capped, bounded in number (also under concurrency), selected,
//! removed, each shopper on their own.

use std::sync::Arc;

use elife_domain::cart::{CartAdd, CartItem, CartLimits, CartRepository};
use elife_domain::catalog::{ProductId, SkuId};
use elife_persistence::SeaOrmCartRepository;

use super::{at, buyer};
use crate::common::TestDb;

const LIMITS: CartLimits = CartLimits {
    max_lines: 3,
    max_quantity: 10,
};

fn added(outcome: CartAdd) -> CartItem {
    match outcome {
        CartAdd::Added(item) => item,
        CartAdd::Full => panic!("cart unexpectedly full"),
    }
}

#[tokio::test]
async fn lines_merge_cap_and_stop_at_the_bound() {
    let test = TestDb::new().await;
    let repo = SeaOrmCartRepository::new(test.db.clone());
    let (me, other) = (buyer("o-me"), buyer("o-other"));
    let first = added(
        repo.add(&me, SkuId(1), ProductId(7), 4, LIMITS, at(1))
            .await
            .unwrap(),
    );
    assert_eq!((first.quantity, first.selected), (4, true));
    assert_eq!(first.added_at, at(1));
    assert_eq!(
        repo.set_selected(&me, Some(SkuId(1)), false, at(2))
            .await
            .unwrap(),
        1
    );
    let merged = added(
        repo.add(&me, SkuId(1), ProductId(7), 5, LIMITS, at(3))
            .await
            .unwrap(),
    );
    assert_eq!((merged.quantity, merged.selected), (9, true));
    let capped = added(
        repo.add(&me, SkuId(1), ProductId(7), 5, LIMITS, at(4))
            .await
            .unwrap(),
    );
    assert_eq!(capped.quantity, 10);
    assert_eq!(repo.list(&me).await.unwrap(), std::slice::from_ref(&capped));

    added(
        repo.add(&me, SkuId(2), ProductId(7), 1, LIMITS, at(5))
            .await
            .unwrap(),
    );
    added(
        repo.add(&me, SkuId(3), ProductId(8), 1, LIMITS, at(6))
            .await
            .unwrap(),
    );
    assert_eq!(
        repo.add(&me, SkuId(4), ProductId(8), 1, LIMITS, at(7))
            .await
            .unwrap(),
        CartAdd::Full
    );
    added(
        repo.add(&other, SkuId(4), ProductId(8), 1, LIMITS, at(7))
            .await
            .unwrap(),
    );
    let skus: Vec<i64> = repo
        .list(&me)
        .await
        .unwrap()
        .iter()
        .map(|i| i.sku_id.value())
        .collect();
    assert_eq!(skus, [3, 2, 1]);

    let set = repo
        .set_quantity(&me, SkuId(2), 6, at(8))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(set.quantity, 6);
    assert_eq!(
        repo.set_quantity(&other, SkuId(2), 6, at(8)).await.unwrap(),
        None
    );
    assert_eq!(repo.set_selected(&me, None, false, at(9)).await.unwrap(), 3);
    assert!(repo.list(&me).await.unwrap().iter().all(|i| !i.selected));
    assert!(repo.list(&other).await.unwrap()[0].selected);

    assert_eq!(
        repo.remove(&me, &[SkuId(1), SkuId(2), SkuId(99)])
            .await
            .unwrap(),
        2
    );
    assert_eq!(repo.remove(&me, &[]).await.unwrap(), 0);
    // The places freed take new lines.
    added(
        repo.add(&me, SkuId(4), ProductId(8), 1, LIMITS, at(10))
            .await
            .unwrap(),
    );
    added(
        repo.add(&me, SkuId(5), ProductId(8), 1, LIMITS, at(11))
            .await
            .unwrap(),
    );
    assert_eq!(repo.list(&me).await.unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_adds_of_one_sku_merge_every_unit() {
    let test = TestDb::new().await;
    let repo = Arc::new(SeaOrmCartRepository::new(test.db.clone()));
    let me = buyer("o-me");
    let limits = CartLimits {
        max_lines: 3,
        max_quantity: 100,
    };
    let tasks: Vec<_> = (0..8)
        .map(|n| {
            let (repo, me) = (repo.clone(), me.clone());
            tokio::spawn(async move {
                repo.add(&me, SkuId(1), ProductId(7), 2, limits, at(n))
                    .await
            })
        })
        .collect();
    for task in tasks {
        added(task.await.unwrap().expect("add"));
    }
    let lines = repo.list(&me).await.unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].quantity, 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_new_lines_stop_at_the_bound() {
    let test = TestDb::new().await;
    let repo = Arc::new(SeaOrmCartRepository::new(test.db.clone()));
    let me = buyer("o-me");
    let tasks: Vec<_> = (1..=8)
        .map(|n| {
            let (repo, me) = (repo.clone(), me.clone());
            tokio::spawn(async move {
                repo.add(&me, SkuId(n), ProductId(7), 1, LIMITS, at(n))
                    .await
            })
        })
        .collect();
    let mut full = 0;
    for task in tasks {
        if task.await.unwrap().expect("add") == CartAdd::Full {
            full += 1;
        }
    }
    assert_eq!(full, 5);
    assert_eq!(repo.list(&me).await.unwrap().len(), 3);
}
