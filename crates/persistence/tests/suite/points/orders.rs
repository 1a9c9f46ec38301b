//! Points orders: stored once, changed by compare-and-set, listed and summed like the
//! domain's in-memory reference.

use chrono::{DateTime, Utc};
use elife_domain::money::Fen;
use elife_domain::points::memory::MemoryPoints;
use elife_domain::points::{
    Package, PointsOrder, PointsOrderFilter, PointsOrderRepository, PointsOrderStatus,
};
use elife_domain::ports::{CasOutcome, PageRequest, RepositoryError};
use elife_domain::testing::order_number;
use elife_persistence::SeaOrmPointsOrderRepository;

use super::{minutes, user};
use crate::common::TestDb;

/// Order `n` of `o-buyer` for `package`, created at minute `created`.
pub(crate) fn pending_order(n: u32, package: &Package, created: i64) -> PointsOrder {
    PointsOrder {
        order_no: order_number(n),
        user: user("o-buyer"),
        package_id: package.id,
        package_name: package.name.clone(),
        amount: package.amount,
        points: package.points,
        bonus_points: package.bonus_points,
        status: PointsOrderStatus::Pending,
        transaction_id: None,
        paid_at: None,
        refunded: Fen::new(0),
        created_at: minutes(created),
        updated_at: minutes(created),
        version: 0,
    }
}

fn package(id: i64, amount: i64) -> Package {
    Package {
        id,
        name: format!("Package {id}"),
        description: String::new(),
        amount: Fen::new(amount),
        points: 100 * id,
        bonus_points: 10,
        active: true,
        sort_order: 0,
        created_at: minutes(0),
        updated_at: minutes(0),
    }
}

/// Order `n` in `status`, paid at minute `paid` when money was received.
fn order_in(
    n: u32,
    buyer: &str,
    package_id: i64,
    status: PointsOrderStatus,
    created: i64,
    paid: Option<i64>,
) -> PointsOrder {
    let mut order = pending_order(n, &package(package_id, 1_000 * package_id), created);
    order.user = user(buyer);
    order.status = status;
    if let Some(paid) = paid {
        order.transaction_id = Some(format!("42000{n:05}"));
        order.paid_at = Some(minutes(paid));
    }
    if status == PointsOrderStatus::PartlyRefunded {
        order.refunded = Fen::new(300);
    }
    order
}

#[tokio::test]
async fn a_points_order_is_stored_exactly_and_only_once() {
    let test = TestDb::new().await;
    let orders = SeaOrmPointsOrderRepository::new(test.db.clone());
    let order = pending_order(1, &package(7, 9_900), 3);
    orders.insert(&order).await.unwrap();
    assert_eq!(
        orders.find(&order.order_no).await.unwrap(),
        Some(order.clone())
    );
    assert_eq!(orders.find(&order_number(404)).await.unwrap(), None);

    let mut again = order.clone();
    again.package_name = "another".to_owned();
    assert!(matches!(
        orders.insert(&again).await,
        Err(RepositoryError::Duplicate(_))
    ));
    assert_eq!(orders.find(&order.order_no).await.unwrap(), Some(order));
}

#[tokio::test]
async fn a_change_wins_only_from_the_expected_status_and_version() {
    let test = TestDb::new().await;
    let orders = SeaOrmPointsOrderRepository::new(test.db.clone());
    let order = pending_order(1, &package(7, 9_900), 0);
    orders.insert(&order).await.unwrap();

    let paid = order.changed(minutes(2), |next| {
        next.status = PointsOrderStatus::Paid;
        next.transaction_id = Some("4200000001".to_owned());
        next.paid_at = Some(minutes(1));
    });
    assert_eq!(orders.apply(&paid).await.unwrap(), CasOutcome::Won);
    assert_eq!(
        orders.find(&order.order_no).await.unwrap(),
        Some(paid.order.clone())
    );
    // Decided on the old row: the row moved on.
    let closed = order.changed(minutes(3), |next| {
        next.status = PointsOrderStatus::Closed;
    });
    assert_eq!(orders.apply(&paid).await.unwrap(), CasOutcome::Lost);
    assert_eq!(orders.apply(&closed).await.unwrap(), CasOutcome::Lost);
    // The right version with the wrong status.
    let mut wrong_status = paid.order.changed(minutes(4), |next| {
        next.status = PointsOrderStatus::Refunded;
    });
    wrong_status.expected_status = PointsOrderStatus::Pending;
    assert_eq!(orders.apply(&wrong_status).await.unwrap(), CasOutcome::Lost);
    // An order that is not there.
    let stranger = pending_order(9, &package(7, 9_900), 0).changed(minutes(4), |next| {
        next.status = PointsOrderStatus::Closed;
    });
    assert_eq!(orders.apply(&stranger).await.unwrap(), CasOutcome::Lost);
    assert_eq!(orders.find(&order_number(9)).await.unwrap(), None);

    let refunded = paid.order.changed(minutes(5), |next| {
        next.status = PointsOrderStatus::PartlyRefunded;
        next.refunded = Fen::new(4_950);
    });
    assert_eq!(orders.apply(&refunded).await.unwrap(), CasOutcome::Won);
    let stored = orders.find(&order.order_no).await.unwrap().unwrap();
    assert_eq!(stored, refunded.order);
    assert_eq!(stored.version, 2);
}

/// Orders of two buyers and three packages in every status, inserted in creation order
/// (order number breaking the one tie), with payments around the UTC+8 midnights (t0 is
/// 18:00 in China: minute 360 is the next day's midnight there).
fn sample() -> Vec<PointsOrder> {
    use PointsOrderStatus::{Closed, Paid, PartlyRefunded, Pending, Refunded};
    vec![
        order_in(1, "o-ann", 1, Paid, 0, Some(1)),
        order_in(2, "o-ann", 2, Pending, 10, None),
        order_in(3, "o-ben", 1, Closed, 20, None),
        order_in(4, "o-ben", 2, PartlyRefunded, 30, Some(359)),
        order_in(5, "o-ann", 3, Refunded, 40, Some(360)),
        order_in(6, "o-ann", 1, Paid, 50, Some(360)),
        order_in(7, "o-ben", 3, Paid, 50, Some(1800)),
        // Paid (a late payment) and then closed: the money is not the order's.
        order_in(8, "o-ben", 1, Closed, 60, Some(61)),
        order_in(9, "o-ann", 2, Paid, 70, Some(2000)),
    ]
}

#[tokio::test]
async fn orders_are_listed_newest_first_by_every_filter_like_the_domain() {
    let test = TestDb::new().await;
    let orders = SeaOrmPointsOrderRepository::new(test.db.clone());
    let memory = MemoryPoints::new();
    for order in sample() {
        orders.insert(&order).await.unwrap();
        memory.insert(&order).await.unwrap();
    }
    let filters = [
        PointsOrderFilter::default(),
        PointsOrderFilter {
            user: Some(user("o-ann")),
            ..PointsOrderFilter::default()
        },
        PointsOrderFilter {
            status: Some(PointsOrderStatus::Paid),
            ..PointsOrderFilter::default()
        },
        PointsOrderFilter {
            package_id: Some(1),
            ..PointsOrderFilter::default()
        },
        PointsOrderFilter {
            created_from: Some(minutes(20)),
            created_before: Some(minutes(50)),
            ..PointsOrderFilter::default()
        },
        PointsOrderFilter {
            user: Some(user("o-ben")),
            status: Some(PointsOrderStatus::Closed),
            package_id: Some(1),
            created_from: Some(minutes(0)),
            created_before: Some(minutes(61)),
        },
        PointsOrderFilter {
            user: Some(user("o-nobody")),
            ..PointsOrderFilter::default()
        },
    ];
    for filter in &filters {
        for (page, limit) in [(1, 100), (1, 2), (2, 2), (3, 4), (9, 2)] {
            let request = PageRequest { page, limit };
            let stored = orders.list(filter, request).await.unwrap();
            let expected = memory.list(filter, request).await.unwrap();
            assert_eq!(stored, expected, "{filter:?} page {page} of {limit}");
        }
    }
    let everything = orders
        .list(
            &PointsOrderFilter::default(),
            PageRequest { page: 1, limit: 3 },
        )
        .await
        .unwrap();
    assert_eq!(everything.total, 9);
    let numbers: Vec<_> = everything
        .items
        .iter()
        .map(|o| o.order_no.clone())
        .collect();
    assert_eq!(numbers, [order_number(9), order_number(8), order_number(7)]);
}

#[tokio::test]
async fn sales_are_counted_by_the_utc_plus_8_day_of_payment_like_the_domain() {
    let test = TestDb::new().await;
    let orders = SeaOrmPointsOrderRepository::new(test.db.clone());
    let memory = MemoryPoints::new();
    for order in sample() {
        orders.insert(&order).await.unwrap();
        memory.insert(&order).await.unwrap();
    }
    let ranges: [(DateTime<Utc>, DateTime<Utc>); 5] = [
        (minutes(-10_000), minutes(10_000)),
        (minutes(1), minutes(360)),
        (minutes(359), minutes(361)),
        (minutes(361), minutes(2000)),
        (minutes(3000), minutes(4000)),
    ];
    for (from, before) in ranges {
        assert_eq!(
            orders.sales(from, before).await.unwrap(),
            memory.sales(from, before).await.unwrap(),
            "{from}..{before}"
        );
    }
    let all = orders
        .sales(minutes(-10_000), minutes(10_000))
        .await
        .unwrap();
    let days: Vec<(String, u64, i64)> = all
        .iter()
        .map(|d| (d.day.unwrap().to_string(), d.orders, d.revenue.value()))
        .collect();
    assert_eq!(
        days,
        [
            // 1 (1 000) and 4 (2 000, partly refunded: sold all the same).
            ("2025-10-18".to_owned(), 2, 3_000),
            // 5 (3 000, refunded) and 6 (1 000) at midnight.
            ("2025-10-19".to_owned(), 2, 4_000),
            // 7 (3 000) at minute 1800, 9 (2 000) at 2000: the same day in China.
            ("2025-10-20".to_owned(), 2, 5_000),
        ]
    );
}
