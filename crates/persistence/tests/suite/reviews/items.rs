//! [`SeaOrmReviewRepository`] against the database of the run.

use std::sync::Arc;

use chrono::TimeDelta;
use elife_domain::catalog::reviews::{
    NewReview, Rating, Reply, ReviewFilter, ReviewId, ReviewRepository, ReviewStats,
};
use elife_domain::catalog::{ProductId, SkuId};
use elife_domain::order::OpenId;
use elife_domain::ports::{CasOutcome, PageRequest, RepositoryError};
use elife_domain::testing::{order_number, t0};
use elife_persistence::{SeaOrmReviewRepository, truncate_timestamp};

use crate::common::TestDb;

fn buyer(n: u32) -> OpenId {
    OpenId::parse(&format!("o-review-buyer-{n:04}")).unwrap()
}

fn new_review(order: u32, line: u32, product: i64, stars: u8, images: usize) -> NewReview {
    NewReview {
        product_id: ProductId(product),
        sku_id: SkuId(product * 10),
        order_no: order_number(order),
        line,
        buyer: buyer(order % 3),
        reviewer_name: "张三".to_owned(),
        rating: Rating::new(stars).unwrap(),
        text: "质量很好，物流很快 👍".to_owned(),
        images: (0..images)
            .map(|i| format!("https://img.example/{order}/{i}.jpg"))
            .collect(),
        anonymous: order.is_multiple_of(2),
        spec: "颜色: 红; 尺码: XL".to_owned(),
        created_at: t0() + TimeDelta::minutes(i64::from(order)),
    }
}

fn page(page: u64, limit: u64) -> PageRequest {
    PageRequest { page, limit }
}

#[tokio::test]
async fn a_review_round_trips() {
    let test = TestDb::new().await;
    let repo = SeaOrmReviewRepository::new(test.db.clone());
    let new = new_review(1, 2, 7, 4, 3);
    let stored = repo.insert(&new).await.unwrap();
    let found = repo.find(stored.id).await.unwrap().unwrap();
    assert_eq!(found, stored);
    assert_eq!(found.images.len(), 3);
    assert_eq!(found.text, new.text);
    assert_eq!(found.buyer, new.buyer);
    assert_eq!(found.created_at, truncate_timestamp(new.created_at));
    assert_eq!(
        repo.find(ReviewId(stored.id.value() + 100)).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn concurrent_reviews_of_one_item_store_one() {
    let test = TestDb::new().await;
    let repo = Arc::new(SeaOrmReviewRepository::new(test.db.clone()));
    let mut tasks = Vec::new();
    for stars in [1u8, 2, 3, 4, 5, 5, 4, 3] {
        let repo = repo.clone();
        tasks.push(tokio::spawn(async move {
            repo.insert(&new_review(1, 1, 7, stars, 0)).await
        }));
    }
    let mut stored = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => stored += 1,
            Err(RepositoryError::Duplicate(_)) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(stored, 1);
    let all = repo.all(page(1, 10)).await.unwrap();
    assert_eq!(all.total, 1);
    // Another line of the same order is another item.
    repo.insert(&new_review(1, 2, 7, 5, 0)).await.unwrap();
}

#[tokio::test]
async fn the_reply_is_written_once() {
    let test = TestDb::new().await;
    let repo = Arc::new(SeaOrmReviewRepository::new(test.db.clone()));
    let review = repo.insert(&new_review(1, 1, 7, 2, 0)).await.unwrap();
    let mut tasks = Vec::new();
    for n in 0..6 {
        let repo = repo.clone();
        tasks.push(tokio::spawn(async move {
            let reply = Reply {
                text: format!("回复 {n}"),
                at: t0() + TimeDelta::hours(n),
            };
            (repo.reply(review.id, &reply).await.unwrap(), reply)
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        let (outcome, reply) = task.await.unwrap();
        if outcome == CasOutcome::Won {
            winners.push(reply);
        }
    }
    assert_eq!(winners.len(), 1);
    let found = repo.find(review.id).await.unwrap().unwrap();
    assert_eq!(
        found.reply.as_ref().map(|r| &r.text),
        Some(&winners[0].text)
    );
    assert_eq!(found.reply.unwrap().at, truncate_timestamp(winners[0].at));
    let missing = Reply {
        text: "x".to_owned(),
        at: t0(),
    };
    assert_eq!(
        repo.reply(ReviewId(review.id.value() + 100), &missing)
            .await
            .unwrap(),
        CasOutcome::Lost
    );
}

#[tokio::test]
async fn lists_are_newest_first_and_statistics_add_up() {
    let test = TestDb::new().await;
    let repo = SeaOrmReviewRepository::new(test.db.clone());
    // Product 7: orders 1..=6 with stars 5,5,4,3,1,5 and images on the odd orders.
    for (order, stars) in (1u32..=6).zip([5u8, 5, 4, 3, 1, 5]) {
        let images = if order.is_multiple_of(2) { 0 } else { 2 };
        repo.insert(&new_review(order, 1, 7, stars, images))
            .await
            .unwrap();
    }
    // Another product, which must not count.
    repo.insert(&new_review(20, 1, 8, 1, 1)).await.unwrap();

    let first = repo
        .for_product(ProductId(7), ReviewFilter::All, page(1, 4))
        .await
        .unwrap();
    assert_eq!(first.total, 6);
    let orders: Vec<String> = first.items.iter().map(|r| r.order_no.to_string()).collect();
    let expected: Vec<String> = [6, 5, 4, 3].map(|n| order_number(n).to_string()).into();
    assert_eq!(orders, expected);
    let second = repo
        .for_product(ProductId(7), ReviewFilter::All, page(2, 4))
        .await
        .unwrap();
    assert_eq!(second.items.len(), 2);

    let with_images = repo
        .for_product(ProductId(7), ReviewFilter::WithImages, page(1, 10))
        .await
        .unwrap();
    assert_eq!(with_images.total, 3);
    assert!(with_images.items.iter().all(|r| !r.images.is_empty()));

    let mine = repo.for_buyer(&buyer(0), page(1, 10)).await.unwrap();
    // Orders 3 and 6 of product 7 (buyer 0 = order % 3 == 0).
    assert_eq!(mine.total, 2);
    assert!(mine.items.iter().all(|r| r.buyer == buyer(0)));
    assert_eq!(repo.all(page(1, 100)).await.unwrap().total, 7);

    let counts = repo.counts(ProductId(7)).await.unwrap();
    assert_eq!(counts.per_star, [1, 0, 1, 1, 3]);
    assert_eq!(counts.with_images, 3);
    let stats = ReviewStats::from_counts(counts);
    // (5 + 5 + 4 + 3 + 1 + 5) / 6 = 3.833…
    assert_eq!(stats.average_hundredths, 383);
    assert_eq!(stats.count, 6);
    let none = repo.counts(ProductId(99)).await.unwrap();
    assert_eq!(none, Default::default());
}
