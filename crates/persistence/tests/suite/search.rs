//! Search on each database: the hot terms (a first search racing another counts once
//! each, exactly) and the shopper's listings of the catalog.

use chrono::TimeDelta;
use elife_domain::catalog::search::SearchTerms;
use elife_domain::catalog::{
    CategoryId, ProductAction, ProductDraft, ProductId, ProductRepository, SkuDraft, SkuStatus,
    SpecValue,
};
use elife_domain::money::Fen;
use elife_domain::ports::{CasOutcome, PageRequest};
use elife_domain::testing::t0;
use elife_persistence::{SeaOrmProductRepository, SeaOrmSearchTerms};

use crate::common::TestDb;

fn minutes(n: i64) -> chrono::DateTime<chrono::Utc> {
    t0() + TimeDelta::minutes(n)
}

#[tokio::test]
async fn hot_terms_are_ordered_by_count_then_recency_and_bounded_by_time() {
    let test = TestDb::new().await;
    let terms = SeaOrmSearchTerms::new(test.db.clone());
    for (term, at) in [
        ("连衣裙", 1),
        ("运动鞋", 2),
        ("连衣裙", 3),
        ("iphone 15", 4),
        ("运动鞋", 5),
        ("保温杯", 6),
    ] {
        terms.record(term, minutes(at)).await.expect("record");
    }
    let hot = terms.hot(10, None).await.expect("hot");
    let listed: Vec<(&str, i64)> = hot.iter().map(|t| (t.term.as_str(), t.count)).collect();
    assert_eq!(
        listed,
        vec![
            ("运动鞋", 2),
            ("连衣裙", 2),
            ("保温杯", 1),
            ("iphone 15", 1)
        ]
    );
    assert_eq!(hot[0].last_searched_at, minutes(5));
    assert_eq!(terms.hot(1, None).await.expect("hot").len(), 1);

    let recent = terms.hot(10, Some(minutes(4))).await.expect("recent");
    let listed: Vec<&str> = recent.iter().map(|t| t.term.as_str()).collect();
    assert_eq!(listed, vec!["运动鞋", "保温杯", "iphone 15"]);
    assert!(
        terms
            .hot(10, Some(minutes(7)))
            .await
            .expect("none")
            .is_empty()
    );
}

#[tokio::test]
async fn a_late_record_never_moves_the_last_search_back() {
    let test = TestDb::new().await;
    let terms = SeaOrmSearchTerms::new(test.db.clone());
    terms.record("茶叶", minutes(10)).await.expect("record");
    terms.record("茶叶", minutes(5)).await.expect("late record");
    let hot = terms.hot(10, None).await.expect("hot");
    assert_eq!((hot[0].count, hot[0].last_searched_at), (2, minutes(10)));
}

#[tokio::test]
async fn terms_differing_only_in_bytes_stay_distinct() {
    let test = TestDb::new().await;
    let terms = SeaOrmSearchTerms::new(test.db.clone());
    // MySQL's default collation would make these one key. (Trailing spaces still compare
    // equal under MariaDB's binary collation; normalised terms never have any.)
    for term in ["cafe", "café", "Cafe"] {
        terms.record(term, minutes(1)).await.expect("record");
    }
    assert_eq!(terms.hot(10, None).await.expect("hot").len(), 3);
}

#[tokio::test]
async fn concurrent_searches_of_a_new_term_count_exactly() {
    let test = TestDb::new().await;
    let terms = SeaOrmSearchTerms::new(test.db.clone());
    const SEARCHES: i64 = 24;
    let racers: Vec<_> = (0..SEARCHES)
        .map(|n| {
            let terms = terms.clone();
            let term = if n % 2 == 0 {
                "红色连衣裙"
            } else {
                "男士运动鞋"
            };
            tokio::spawn(async move { terms.record(term, minutes(n)).await })
        })
        .collect();
    for racer in racers {
        racer.await.expect("join").expect("record");
    }
    let hot = terms.hot(10, None).await.expect("hot");
    let counts: Vec<(&str, i64)> = hot.iter().map(|t| (t.term.as_str(), t.count)).collect();
    assert_eq!(
        counts,
        vec![("男士运动鞋", SEARCHES / 2), ("红色连衣裙", SEARCHES / 2)]
    );
}

fn sku(value: &str, price: i64) -> SkuDraft {
    SkuDraft {
        specs: vec![SpecValue {
            name: "规格".to_owned(),
            value: value.to_owned(),
        }],
        price: Fen::new(price),
        original_price: Fen::new(price + 100),
        low_stock_threshold: 0,
        status: SkuStatus::Enabled,
    }
}

/// A product in `category` created at `minute`, published when `on_sale`.
async fn product(
    repo: &SeaOrmProductRepository,
    category: i64,
    minute: i64,
    on_sale: bool,
) -> ProductId {
    let draft = ProductDraft {
        category: CategoryId(category),
        name: format!("商品{minute}"),
        description: String::new(),
        detail: String::new(),
        images: vec!["https://img/1.jpg".to_owned()],
    };
    let (product, _) = repo
        .insert(
            &draft,
            &[sku("小", 1000 + minute), sku("大", 2000)],
            minutes(minute),
        )
        .await
        .expect("insert");
    if on_sale {
        let publish = product
            .transition(ProductAction::Publish, minutes(minute))
            .expect("publish");
        assert_eq!(repo.apply(&publish).await.expect("cas"), CasOutcome::Won);
    }
    product.id
}

#[tokio::test]
async fn the_shelf_lists_products_on_sale_in_the_categories_newest_first() {
    let test = TestDb::new().await;
    let repo = SeaOrmProductRepository::new(test.db.clone());
    let a = product(&repo, 1, 1, true).await;
    let b = product(&repo, 2, 2, true).await;
    let _draft = product(&repo, 1, 3, false).await;
    let c = product(&repo, 1, 4, true).await;
    let _elsewhere = product(&repo, 9, 5, true).await;

    let page = |page: u64, limit: u64| PageRequest { page, limit };
    let listed = repo
        .list_on_sale(&[CategoryId(1), CategoryId(2)], page(1, 2))
        .await
        .expect("list");
    let ids: Vec<ProductId> = listed.items.iter().map(|p| p.id).collect();
    assert_eq!(ids, vec![c, b]);
    assert_eq!((listed.total, listed.page, listed.limit), (3, 1, 2));
    let second = repo
        .list_on_sale(&[CategoryId(1), CategoryId(2)], page(2, 2))
        .await
        .expect("second page");
    assert_eq!(
        second.items.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![a]
    );
    let none = repo.list_on_sale(&[], page(1, 10)).await.expect("empty");
    assert_eq!((none.total, none.items.len()), (0, 0));
}

#[tokio::test]
async fn the_whole_shelf_is_read_in_id_order_and_hits_load_in_one_call() {
    let test = TestDb::new().await;
    let repo = SeaOrmProductRepository::new(test.db.clone());
    let a = product(&repo, 1, 1, true).await;
    let _draft = product(&repo, 1, 2, false).await;
    let b = product(&repo, 2, 3, true).await;
    let c = product(&repo, 3, 4, true).await;

    let first = repo.on_sale_after(ProductId(0), 2).await.expect("first");
    assert_eq!(first.iter().map(|p| p.id).collect::<Vec<_>>(), vec![a, b]);
    let rest = repo.on_sale_after(b, 2).await.expect("rest");
    assert_eq!(rest.iter().map(|p| p.id).collect::<Vec<_>>(), vec![c]);
    assert!(repo.on_sale_after(c, 2).await.expect("end").is_empty());

    let mut found: Vec<ProductId> = repo
        .find_many(&[c, a, ProductId(404)])
        .await
        .expect("find many")
        .iter()
        .map(|p| p.id)
        .collect();
    found.sort();
    assert_eq!(found, vec![a, c]);
    assert!(repo.find_many(&[]).await.expect("none").is_empty());

    let skus = repo.skus_of_products(&[c, a]).await.expect("skus");
    assert_eq!(skus.len(), 4);
    assert!(skus.windows(2).all(|pair| pair[0].id < pair[1].id));
    assert_eq!(skus[0].product, a);
    assert!(repo.skus_of_products(&[]).await.expect("none").is_empty());
}
