//! Favourites and browsing history: idempotent, bounded (also under concurrency), newest
//! first, a repeated view moved to the top, each shopper on their own.

use std::sync::Arc;

use elife_domain::catalog::ProductId;
use elife_domain::ports::PageRequest;
use elife_domain::shoppers::{Bounded, FavouriteRepository, HistoryRepository};
use elife_persistence::{SeaOrmFavouriteRepository, SeaOrmHistoryRepository};

use super::{at, buyer};
use crate::common::TestDb;

const ALL: PageRequest = PageRequest {
    page: 1,
    limit: 100,
};

#[tokio::test]
async fn favourites_are_idempotent_bounded_and_newest_first() {
    let test = TestDb::new().await;
    let repo = SeaOrmFavouriteRepository::new(test.db.clone());
    let (me, other) = (buyer("o-me"), buyer("o-other"));
    for n in 1..=3 {
        assert_eq!(
            repo.add(&me, ProductId(n), 3, at(n)).await.unwrap(),
            Bounded::Inserted(true)
        );
    }
    assert_eq!(
        repo.add(&me, ProductId(2), 3, at(9)).await.unwrap(),
        Bounded::Inserted(false)
    );
    assert_eq!(
        repo.add(&me, ProductId(4), 3, at(9)).await.unwrap(),
        Bounded::Full
    );
    assert_eq!(
        repo.add(&other, ProductId(4), 3, at(9)).await.unwrap(),
        Bounded::Inserted(true)
    );
    let page = repo
        .list(&me, PageRequest { page: 1, limit: 2 })
        .await
        .unwrap();
    assert_eq!(page.total, 3);
    let products: Vec<i64> = page.items.iter().map(|f| f.product.value()).collect();
    assert_eq!(products, [3, 2]);
    assert_eq!(page.items[0].added_at, at(3));
    assert!(repo.contains(&me, ProductId(1)).await.unwrap());
    assert!(!repo.contains(&me, ProductId(4)).await.unwrap());
    assert!(repo.remove(&me, ProductId(1)).await.unwrap());
    assert!(!repo.remove(&me, ProductId(1)).await.unwrap());
    // The freed place takes a new one.
    assert_eq!(
        repo.add(&me, ProductId(4), 3, at(10)).await.unwrap(),
        Bounded::Inserted(true)
    );
    assert_eq!(repo.list(&other, ALL).await.unwrap().total, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_favourites_stop_at_the_bound() {
    let test = TestDb::new().await;
    let repo = Arc::new(SeaOrmFavouriteRepository::new(test.db.clone()));
    let me = buyer("o-me");
    let tasks: Vec<_> = (1..=10)
        .map(|n| {
            let (repo, me) = (repo.clone(), me.clone());
            // Two tasks per product: idempotence under the race too.
            tokio::spawn(async move { repo.add(&me, ProductId((n + 1) / 2), 4, at(n)).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("add");
    }
    assert_eq!(repo.list(&me, ALL).await.unwrap().total, 4);
}

#[tokio::test]
async fn history_moves_repeats_to_the_top_and_trims_the_oldest() {
    let test = TestDb::new().await;
    let repo = SeaOrmHistoryRepository::new(test.db.clone());
    let (me, other) = (buyer("o-me"), buyer("o-other"));
    for n in 1..=3 {
        repo.record(&me, ProductId(n), 3, at(n)).await.unwrap();
    }
    repo.record(&me, ProductId(1), 3, at(4)).await.unwrap();
    let order = |page: elife_domain::ports::Page<elife_domain::shoppers::Viewed>| {
        page.items
            .iter()
            .map(|v| v.product.value())
            .collect::<Vec<_>>()
    };
    assert_eq!(order(repo.list(&me, ALL).await.unwrap()), [1, 3, 2]);
    repo.record(&me, ProductId(5), 3, at(5)).await.unwrap();
    assert_eq!(order(repo.list(&me, ALL).await.unwrap()), [5, 1, 3]);
    repo.record(&other, ProductId(2), 3, at(6)).await.unwrap();
    assert_eq!(repo.clear(&me).await.unwrap(), 3);
    assert_eq!(repo.list(&me, ALL).await.unwrap().total, 0);
    assert_eq!(order(repo.list(&other, ALL).await.unwrap()), [2]);
    // Cleared places are free again.
    for n in 10..14 {
        repo.record(&me, ProductId(n), 3, at(n)).await.unwrap();
    }
    assert_eq!(order(repo.list(&me, ALL).await.unwrap()), [13, 12, 11]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_views_keep_the_history_bounded() {
    let test = TestDb::new().await;
    let repo = Arc::new(SeaOrmHistoryRepository::new(test.db.clone()));
    let me = buyer("o-me");
    let tasks: Vec<_> = (1..=12)
        .map(|n| {
            let (repo, me) = (repo.clone(), me.clone());
            tokio::spawn(async move { repo.record(&me, ProductId(n % 8), 5, at(n)).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("record");
    }
    let page = repo.list(&me, ALL).await.unwrap();
    assert_eq!(page.total, 5);
    let mut products: Vec<i64> = page.items.iter().map(|v| v.product.value()).collect();
    products.sort_unstable();
    products.dedup();
    assert_eq!(products.len(), 5, "one row per product");
}
