use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::*;
use crate::catalog::{ProductId, SkuId};
use crate::money::Fen;
use crate::order::OpenId;
use crate::ports::RepositoryError;
use crate::services::ServiceError;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

fn buyer(name: &str) -> OpenId {
    OpenId::parse(name).unwrap()
}

fn paid(name: &str, amount: i64, paid_at: DateTime<Utc>) -> PaidOrder {
    PaidOrder {
        buyer: buyer(name),
        amount: Fen::new(amount),
        paid_at,
    }
}

fn sku(id: i64, product: Option<i64>, deducted: i64, restocked: i64) -> SkuUnits {
    SkuUnits {
        sku: SkuId(id),
        product: product.map(ProductId),
        product_name: product.map(|p| format!("product {p}")).unwrap_or_default(),
        deducted,
        restocked,
    }
}

/// China days 10 and 11 of November: [9th 16:00 UTC, 11th 16:00 UTC).
fn query(top: usize) -> MallStatisticsQuery {
    MallStatisticsQuery {
        from: at(9, 16),
        before: at(11, 16),
        top,
    }
}

fn repository() -> MockMallStatisticsRepository {
    let mut repository = MockMallStatisticsRepository::new();
    repository
        .expect_placed()
        .returning(|_, _| Ok(vec![at(9, 16), at(10, 15), at(10, 16), at(11, 15)]));
    repository.expect_paid().returning(|_, _| {
        Ok(vec![
            paid("buyer-a", 1_000, at(10, 1)),
            paid("buyer-a", 250, at(10, 17)),
            paid("buyer-b", 99, at(11, 15)),
        ])
    });
    repository.expect_refunded().returning(|_, _| {
        Ok(RefundTotal {
            count: 1,
            amount: Fen::new(300),
        })
    });
    repository.expect_units().returning(|_, _| {
        Ok(vec![
            sku(11, Some(1), 5, 1),
            sku(12, Some(1), 2, 0),
            sku(21, Some(2), 7, 0),
            sku(31, Some(3), 3, 3),
            sku(99, None, 100, 0),
        ])
    });
    repository.expect_viewers().returning(|_, _| Ok(3));
    repository
}

#[tokio::test]
async fn figures_add_up_from_the_rows() {
    let statistics = MallStatistics::new(Arc::new(repository()));
    let figures = statistics.figures(&query(2)).await.unwrap();

    assert_eq!(figures.orders_placed, 4);
    assert_eq!(figures.orders_paid, 3);
    assert_eq!(figures.paid_amount, Fen::new(1_349));
    assert_eq!(figures.refunds.amount, Fen::new(300));
    assert_eq!(figures.units_deducted, 117);
    assert_eq!(figures.units_restocked, 4);
    assert_eq!(figures.units_sold(), 113);
    // Product 1 sells 6 net over two SKUs, product 2 sells 7; product 3 sold nothing net.
    let top: Vec<(i64, i64)> = figures
        .top_products
        .iter()
        .map(|p| (p.product.value(), p.sold))
        .collect();
    assert_eq!(top, vec![(2, 7), (1, 6)]);
    assert_eq!(figures.top_products[1].name, "product 1");
    assert_eq!(figures.top_products[1].deducted, 7);
    assert_eq!(figures.top_products[1].restocked, 1);
    let skus: Vec<i64> = figures.top_skus.iter().map(|s| s.sku.value()).collect();
    assert_eq!(skus, vec![99, 21]);
    assert_eq!(figures.conversion.buyers, 2);
    assert_eq!(figures.conversion.viewers, 3);
    assert_eq!(figures.conversion.basis_points(), Some(6_666));
}

#[tokio::test]
async fn every_china_day_of_the_period_has_a_row() {
    let statistics = MallStatistics::new(Arc::new(repository()));
    let figures = statistics.figures(&query(10)).await.unwrap();
    assert_eq!(
        figures.days,
        vec![
            MallDay {
                day: date(10),
                orders_placed: 2,
                orders_paid: 1,
                paid_amount: Fen::new(1_000),
            },
            MallDay {
                day: date(11),
                orders_placed: 2,
                orders_paid: 2,
                paid_amount: Fen::new(349),
            },
        ]
    );
    assert_eq!(figures.top_products.len(), 3);
}

#[tokio::test]
async fn an_empty_period_has_zero_days_and_no_conversion() {
    let mut repository = MockMallStatisticsRepository::new();
    repository.expect_placed().returning(|_, _| Ok(vec![]));
    repository.expect_paid().returning(|_, _| Ok(vec![]));
    repository
        .expect_refunded()
        .returning(|_, _| Ok(RefundTotal::default()));
    repository.expect_units().returning(|_, _| Ok(vec![]));
    repository.expect_viewers().returning(|_, _| Ok(0));
    let statistics = MallStatistics::new(Arc::new(repository));
    let figures = statistics
        .figures(&MallStatisticsQuery {
            from: at(1, 16),
            before: at(4, 16),
            top: 5,
        })
        .await
        .unwrap();
    assert_eq!(figures.days.len(), 3);
    assert!(figures.days.iter().all(|day| day.orders_placed == 0));
    assert_eq!(figures.paid_amount, Fen::ZERO);
    assert_eq!(figures.conversion.basis_points(), None);
    assert!(figures.top_products.is_empty());
}

#[tokio::test]
async fn bad_periods_and_limits_are_refused_before_reading() {
    let statistics = MallStatistics::new(Arc::new(MockMallStatisticsRepository::new()));
    let cases = [
        (at(10, 0), at(10, 0), 5),
        (at(11, 0), at(10, 0), 5),
        (
            at(1, 0),
            at(1, 0) + chrono::TimeDelta::days(MAX_PERIOD_DAYS + 1),
            5,
        ),
        (at(10, 0), at(11, 0), 0),
        (at(10, 0), at(11, 0), MAX_TOP + 1),
    ];
    for (from, before, top) in cases {
        let result = statistics
            .figures(&MallStatisticsQuery { from, before, top })
            .await;
        assert!(
            matches!(result, Err(ServiceError::Validation(_))),
            "{from} {before} {top}: {result:?}"
        );
    }
}

#[tokio::test]
async fn a_storage_failure_is_unavailable() {
    let mut repository = MockMallStatisticsRepository::new();
    repository
        .expect_placed()
        .returning(|_, _| Err(RepositoryError::Unavailable("down".to_owned())));
    let statistics = MallStatistics::new(Arc::new(repository));
    let result = statistics.figures(&query(5)).await;
    assert!(matches!(result, Err(ServiceError::Unavailable(_))));
}

#[test]
fn conversion_rounds_down_in_basis_points() {
    let conversion = |buyers, viewers| Conversion { buyers, viewers }.basis_points();
    assert_eq!(conversion(1, 3), Some(3_333));
    assert_eq!(conversion(3, 3), Some(10_000));
    assert_eq!(conversion(4, 3), Some(13_333));
    assert_eq!(conversion(0, 7), Some(0));
    assert_eq!(conversion(u64::MAX, 1), Some(u64::MAX));
}

#[test]
fn china_days_start_at_sixteen_utc() {
    assert_eq!(china_day(at(9, 15)), date(9));
    assert_eq!(china_day(at(9, 16)), date(10));
}
