//! Reviews against in-memory orders and reviews with the real rules.

use std::sync::Arc;

use crate::catalog::ProductId;
use crate::order::OpenId;
use crate::ports::{Clock, PageRequest};
use crate::services::ServiceError;
use crate::trade::orders::MallOrder;
use crate::trade::orders::tests::support::{Trade, buyer, stranger};

use super::memory::MemoryReviews;
use super::{
    ANONYMOUS_NAME, MAX_IMAGES, ReviewCounts, ReviewFilter, ReviewId, ReviewInput, ReviewService,
    ReviewStats, ReviewView,
};

struct World {
    trade: Trade,
    reviews: MemoryReviews,
    service: ReviewService,
}

impl World {
    fn new() -> World {
        let trade = Trade::new();
        let reviews = MemoryReviews::new();
        let service = ReviewService::new(
            Arc::new(reviews.clone()),
            Arc::new(trade.orders.clone()),
            Arc::new(trade.clock.clone()),
        );
        World {
            trade,
            reviews,
            service,
        }
    }

    async fn completed(&self, n: u32) -> MallOrder {
        let order = self.trade.shipped(n).await;
        self.trade
            .service
            .confirm_receipt(&buyer(), order.order_no.as_str())
            .await
            .unwrap()
    }
}

fn input(rating: u8) -> ReviewInput {
    ReviewInput {
        rating,
        text: "很好用".to_owned(),
        images: vec!["https://img.example/a.jpg".to_owned()],
        anonymous: false,
        reviewer_name: "张三".to_owned(),
    }
}

fn page(page: u64) -> PageRequest {
    PageRequest { page, limit: 10 }
}

#[tokio::test]
async fn the_buyer_of_a_completed_order_reviews_each_item_once() {
    let world = World::new();
    let order = world.completed(1).await;
    let review = world
        .service
        .review(&buyer(), order.order_no.as_str(), 1, input(5))
        .await
        .unwrap();
    assert_eq!(review.product_id, ProductId(1));
    assert_eq!(review.spec, "颜色: 红");
    assert_eq!(review.reply, None);

    let again = world
        .service
        .review(&buyer(), order.order_no.as_str(), 1, input(4))
        .await;
    assert!(matches!(again, Err(ServiceError::Conflict(_))), "{again:?}");
    // The other line is a separate item.
    world
        .service
        .review(&buyer(), order.order_no.as_str(), 2, input(3))
        .await
        .unwrap();
    assert_eq!(world.reviews.state().reviews.len(), 2);
}

#[tokio::test]
async fn someone_elses_order_a_missing_line_or_a_bad_number_read_as_not_found() {
    let world = World::new();
    let order = world.completed(1).await;
    let no = order.order_no.as_str();
    for (user, number, line) in [
        (stranger(), no, 1),
        (buyer(), no, 9),
        (buyer(), "not-a-number", 1),
        (buyer(), "ORD1760754386127000000000099", 1),
    ] {
        let result = world.service.review(&user, number, line, input(5)).await;
        assert!(
            matches!(result, Err(ServiceError::NotFound(_))),
            "{result:?}"
        );
    }
    assert!(world.reviews.state().reviews.is_empty());
}

#[tokio::test]
async fn orders_not_completed_cannot_be_reviewed() {
    let world = World::new();
    let unpaid = world.trade.place(1).await;
    let paid = world.trade.paid(2).await;
    let shipped = world.trade.shipped(3).await;
    let cancelled = world.trade.place(4).await;
    world
        .trade
        .service
        .cancel_by_buyer(&buyer(), cancelled.order_no.as_str())
        .await
        .unwrap();
    for order in [unpaid, paid, shipped, cancelled] {
        let result = world
            .service
            .review(&buyer(), order.order_no.as_str(), 1, input(5))
            .await;
        assert!(
            matches!(result, Err(ServiceError::Conflict(_))),
            "{result:?}"
        );
    }
}

#[tokio::test]
async fn input_is_checked() {
    let world = World::new();
    let order = world.completed(1).await;
    let no = order.order_no.as_str();
    let long = "好".repeat(501);
    let cases = [
        ReviewInput {
            rating: 0,
            ..input(5)
        },
        ReviewInput {
            rating: 6,
            ..input(5)
        },
        ReviewInput {
            text: long,
            ..input(5)
        },
        ReviewInput {
            images: vec!["http://img.example/a.jpg".to_owned()],
            ..input(5)
        },
        ReviewInput {
            images: vec!["https:///a.jpg".to_owned()],
            ..input(5)
        },
        ReviewInput {
            images: vec!["https://img.example/a b.jpg".to_owned()],
            ..input(5)
        },
        ReviewInput {
            images: vec!["https://img.example/a.jpg".to_owned(); MAX_IMAGES + 1],
            ..input(5)
        },
    ];
    for case in cases {
        let result = world.service.review(&buyer(), no, 1, case).await;
        assert!(
            matches!(result, Err(ServiceError::Validation(_))),
            "{result:?}"
        );
    }
    // 500 characters and 9 images are fine.
    let fine = ReviewInput {
        text: "好".repeat(500),
        images: vec!["https://img.example/a.jpg".to_owned(); MAX_IMAGES],
        ..input(5)
    };
    world.service.review(&buyer(), no, 1, fine).await.unwrap();
}

#[tokio::test]
async fn concurrent_reviews_of_one_item_store_exactly_one() {
    let world = Arc::new(World::new());
    let order = world.completed(1).await;
    let mut tasks = Vec::new();
    for rating in 1..=5u8 {
        let world = world.clone();
        let no = order.order_no.to_string();
        tasks.push(tokio::spawn(async move {
            world.service.review(&buyer(), &no, 1, input(rating)).await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => won += 1,
            Err(ServiceError::Conflict(_)) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(world.reviews.state().reviews.len(), 1);
}

#[tokio::test]
async fn the_merchant_replies_once() {
    let world = World::new();
    let order = world.completed(1).await;
    let review = world
        .service
        .review(&buyer(), order.order_no.as_str(), 1, input(2))
        .await
        .unwrap();
    let empty = world.service.reply(review.id, "  ").await;
    assert!(
        matches!(empty, Err(ServiceError::Validation(_))),
        "{empty:?}"
    );
    let replied = world
        .service
        .reply(review.id, "抱歉，已联系您")
        .await
        .unwrap();
    let reply = replied.reply.clone().unwrap();
    assert_eq!(reply.text, "抱歉，已联系您");
    assert_eq!(reply.at, world.trade.clock.now());
    let second = world.service.reply(review.id, "再说一次").await;
    assert!(
        matches!(second, Err(ServiceError::Conflict(_))),
        "{second:?}"
    );
    assert_eq!(
        world.service.review_by_id(review.id).await.unwrap().reply,
        Some(reply)
    );
    let missing = world.service.reply(ReviewId(999), "hi").await;
    assert!(
        matches!(missing, Err(ServiceError::NotFound(_))),
        "{missing:?}"
    );
}

#[tokio::test]
async fn listing_is_newest_first_filtered_and_masks_the_anonymous() {
    let world = World::new();
    let first = world.completed(1).await;
    let second = world.completed(2).await;
    world
        .service
        .review(&buyer(), first.order_no.as_str(), 1, input(5))
        .await
        .unwrap();
    world.trade.clock.advance(chrono::Duration::minutes(1));
    let anonymous = ReviewInput {
        anonymous: true,
        images: Vec::new(),
        ..input(3)
    };
    world
        .service
        .review(&buyer(), second.order_no.as_str(), 1, anonymous)
        .await
        .unwrap();

    let all = world
        .service
        .product_reviews(ProductId(1), ReviewFilter::All, page(1))
        .await
        .unwrap();
    assert_eq!(all.total, 2);
    let ratings: Vec<u8> = all.items.iter().map(|v| v.rating).collect();
    assert_eq!(ratings, [3, 5]);
    assert_eq!(all.items[0].reviewer, "张**");
    assert_eq!(all.items[1].reviewer, "张三");
    let json = serde_json::to_string(&all.items).unwrap();
    assert!(!json.contains(buyer().as_str()), "{json}");

    let with_images = world
        .service
        .product_reviews(ProductId(1), ReviewFilter::WithImages, page(1))
        .await
        .unwrap();
    assert_eq!(with_images.total, 1);
    assert_eq!(with_images.items[0].rating, 5);

    let merchant = world.service.merchant_reviews(page(1)).await.unwrap();
    assert_eq!(merchant.total, 2);
    let mine = world.service.my_reviews(&buyer(), page(1)).await.unwrap();
    assert_eq!(mine.total, 2);
    let theirs = world
        .service
        .my_reviews(&stranger(), page(1))
        .await
        .unwrap();
    assert_eq!(theirs.total, 0);
    let beyond = world
        .service
        .product_reviews(ProductId(1), ReviewFilter::All, page(2))
        .await
        .unwrap();
    assert!(beyond.items.is_empty());
}

#[test]
fn a_nameless_reviewer_shows_as_anonymous() {
    let review = super::Review {
        id: ReviewId(1),
        product_id: ProductId(1),
        sku_id: crate::catalog::SkuId(1),
        order_no: crate::testing::order_number(1),
        line: 1,
        buyer: OpenId::parse("o-someone-0000001").unwrap(),
        reviewer_name: String::new(),
        rating: super::Rating::new(4).unwrap(),
        text: String::new(),
        images: Vec::new(),
        anonymous: false,
        spec: String::new(),
        reply: None,
        created_at: crate::testing::t0(),
    };
    assert_eq!(ReviewView::from(&review).reviewer, ANONYMOUS_NAME);
    assert!(!format!("{review:?}").contains("o-someone-0000001"));
}

#[test]
fn statistics_are_integer_hundredths_rounded_half_up() {
    let stats = ReviewStats::from_counts(ReviewCounts {
        per_star: [0, 0, 1, 0, 2],
        with_images: 1,
    });
    // (3 + 5 + 5) / 3 = 4.333…
    assert_eq!(stats.count, 3);
    assert_eq!(stats.average_hundredths, 433);
    assert_eq!(stats.positive_percent, 67);
    let half = ReviewStats::from_counts(ReviewCounts {
        per_star: [0, 0, 0, 1, 0],
        with_images: 0,
    });
    assert_eq!(half.average_hundredths, 400);
    // 4.005 rounds up: 200 reviews, 199 × 4 + 1 × 5 = 801 → 4.005.
    let up = ReviewStats::from_counts(ReviewCounts {
        per_star: [0, 0, 0, 199, 1],
        with_images: 0,
    });
    assert_eq!(up.average_hundredths, 401);
    assert_eq!(
        ReviewStats::from_counts(ReviewCounts::default()),
        ReviewStats::default()
    );
}

#[tokio::test]
async fn stats_come_from_the_reviews() {
    let world = World::new();
    for (n, rating) in [(1, 5u8), (2, 4), (3, 1)] {
        let order = world.completed(n).await;
        world
            .service
            .review(&buyer(), order.order_no.as_str(), 1, input(rating))
            .await
            .unwrap();
    }
    let stats = world.service.stats(ProductId(1)).await.unwrap();
    assert_eq!(stats.count, 3);
    assert_eq!(stats.per_star, [1, 0, 0, 1, 1]);
    assert_eq!(stats.with_images, 3);
    assert_eq!(stats.average_hundredths, 333);
    let none = world.service.stats(ProductId(7)).await.unwrap();
    assert_eq!(none.count, 0);
}

#[tokio::test]
async fn storage_outages_surface_as_unavailable() {
    let world = World::new();
    let order = world.completed(1).await;
    world.reviews.state().fail_next = 1;
    let result = world
        .service
        .review(&buyer(), order.order_no.as_str(), 1, input(5))
        .await;
    assert!(
        matches!(result, Err(ServiceError::Unavailable(_))),
        "{result:?}"
    );
}
