//! The stock use cases on the in-memory ledger: all-or-nothing reservations, settlements,
//! restocks, adjustments, idempotent repeats, low-stock warnings, retries and the nightly
//! check.

use std::sync::Arc;

use crate::catalog::memory::MemoryCatalog;
use crate::catalog::stock::MockStockLedger;
use crate::catalog::{
    MovementKind, ProductRepository, SkuChange, SkuId, StockLedger, StockLine, StockOutcome,
    StockRefusal, StockService,
};
use crate::ports::{AlertLevel, RepositoryError};
use crate::services::ServiceError;

use super::{FixedClock, RecordedAlerts, assert_invariant, r, service, stocked};

fn line(sku: SkuId, quantity: i64) -> StockLine {
    StockLine::new(sku, quantity)
}

fn applied(outcome: &StockOutcome) -> usize {
    match outcome {
        StockOutcome::Applied(movements) => movements.len(),
        other => panic!("expected applied, got {other:?}"),
    }
}

#[tokio::test]
async fn a_reservation_takes_every_line_or_none() {
    let catalog = MemoryCatalog::new();
    let (stock, _) = service(&catalog);
    let skus = stocked(&catalog, &[10, 3]).await;
    let (a, b) = (skus[0], skus[1]);

    let refused = stock
        .reserve(&r("o-1"), &[line(a, 5), line(b, 4)])
        .await
        .unwrap();
    assert_eq!(
        refused,
        StockOutcome::Refused(StockRefusal::Insufficient {
            sku: b,
            available: 3,
            wanted: 4
        })
    );
    assert_eq!(
        catalog.available(a),
        Some(10),
        "the first line was rolled back"
    );
    assert!(catalog.order_movements(&r("o-1")).await.unwrap().is_empty());

    let ok = stock
        .reserve(&r("o-1"), &[line(b, 3), line(a, 5)])
        .await
        .unwrap();
    assert_eq!(applied(&ok), 2);
    let movements = ok.movements().unwrap();
    assert_eq!(
        (movements[0].sku, movements[1].sku),
        (a, b),
        "ascending SKUs"
    );
    assert_eq!(
        (catalog.available(a), catalog.available(b)),
        (Some(5), Some(0))
    );

    let unknown = stock
        .reserve(&r("o-2"), &[line(a, 1), line(SkuId(999), 1)])
        .await
        .unwrap();
    assert_eq!(
        unknown,
        StockOutcome::Refused(StockRefusal::UnknownSku { sku: SkuId(999) })
    );
    assert_eq!(catalog.available(a), Some(5));
    assert_invariant(&catalog).await;
}

#[tokio::test]
async fn repeats_answer_the_first_outcome_and_move_nothing() {
    let catalog = MemoryCatalog::new();
    let (stock, _) = service(&catalog);
    let sku = stocked(&catalog, &[10]).await[0];
    let order = r("o-1");

    let first = stock.reserve(&order, &[line(sku, 4)]).await.unwrap();
    let again = stock
        .reserve(&order, &[line(sku, 2), line(sku, 2)])
        .await
        .unwrap();
    assert_eq!(
        again,
        StockOutcome::Repeated(first.movements().unwrap().to_vec())
    );
    let other = stock.reserve(&order, &[line(sku, 5)]).await.unwrap();
    assert_eq!(other, StockOutcome::Refused(StockRefusal::DifferentLines));
    assert_eq!(catalog.available(sku), Some(6));

    let paid = stock.deduct(&order).await.unwrap();
    assert_eq!(applied(&paid), 1);
    assert!(matches!(
        stock.deduct(&order).await.unwrap(),
        StockOutcome::Repeated(_)
    ));
    let product = catalog.find_sku(sku).await.unwrap().unwrap().product;
    let sales = catalog.find(product).await.unwrap().unwrap().sales;
    assert_eq!(sales, 4, "counted once");
    assert_eq!(
        catalog.available(sku),
        Some(6),
        "deduct leaves available alone"
    );

    let back = stock
        .restock(&r("as-1"), &order, &[line(sku, 1)])
        .await
        .unwrap();
    assert_eq!(applied(&back), 1);
    assert!(matches!(
        stock
            .restock(&r("as-1"), &order, &[line(sku, 1)])
            .await
            .unwrap(),
        StockOutcome::Repeated(_)
    ));
    assert!(matches!(
        stock
            .restock(&r("as-2"), &order, &[line(sku, 4)])
            .await
            .unwrap(),
        StockOutcome::Refused(StockRefusal::ExceedsSold { .. })
    ));
    assert_eq!(catalog.available(sku), Some(7));
    assert_invariant(&catalog).await;
}

#[tokio::test]
async fn a_cancelled_order_returns_its_stock_once_and_cannot_be_paid() {
    let catalog = MemoryCatalog::new();
    let (stock, _) = service(&catalog);
    let skus = stocked(&catalog, &[5, 5]).await;
    let order = r("o-9");
    stock
        .reserve(&order, &[line(skus[0], 2), line(skus[1], 1)])
        .await
        .unwrap();
    assert_eq!(applied(&stock.release(&order).await.unwrap()), 2);
    assert!(matches!(
        stock.release(&order).await.unwrap(),
        StockOutcome::Repeated(_)
    ));
    assert_eq!(
        stock.deduct(&order).await.unwrap(),
        StockOutcome::Refused(StockRefusal::Released)
    );
    assert_eq!(
        (catalog.available(skus[0]), catalog.available(skus[1])),
        (Some(5), Some(5))
    );
    assert_eq!(
        stock.release(&r("never")).await.unwrap(),
        StockOutcome::Refused(StockRefusal::NotReserved)
    );

    let paid = r("o-10");
    stock.reserve(&paid, &[line(skus[0], 1)]).await.unwrap();
    stock.deduct(&paid).await.unwrap();
    assert_eq!(
        stock.release(&paid).await.unwrap(),
        StockOutcome::Refused(StockRefusal::Deducted)
    );
    let kinds: Vec<MovementKind> = catalog
        .order_movements(&paid)
        .await
        .unwrap()
        .iter()
        .map(|m| m.kind)
        .collect();
    assert_eq!(kinds, vec![MovementKind::Reserve, MovementKind::Deduct]);
    assert_invariant(&catalog).await;
}

#[tokio::test]
async fn adjustments_need_a_reason_and_cannot_go_below_zero() {
    let catalog = MemoryCatalog::new();
    let (stock, _) = service(&catalog);
    let sku = stocked(&catalog, &[0]).await[0];
    let no_reason = stock.inbound(&r("adj-1"), sku, 5, "  ").await;
    assert!(matches!(no_reason, Err(ServiceError::Validation(_))));
    let zero = stock.inbound(&r("adj-1"), sku, 0, "count").await;
    assert!(matches!(zero, Err(ServiceError::Validation(_))));
    assert_eq!(
        applied(&stock.inbound(&r("adj-1"), sku, 5, "count").await.unwrap()),
        1
    );
    assert!(matches!(
        stock.inbound(&r("adj-1"), sku, 5, "count").await.unwrap(),
        StockOutcome::Repeated(_)
    ));
    assert!(matches!(
        stock.inbound(&r("adj-2"), sku, -6, "broken").await.unwrap(),
        StockOutcome::Refused(StockRefusal::Insufficient { available: 5, .. })
    ));
    assert_eq!(
        applied(&stock.inbound(&r("adj-3"), sku, -5, "broken").await.unwrap()),
        1
    );
    assert_eq!(catalog.available(sku), Some(0));
    let bad = stock.reserve(&r("o"), &[line(sku, 0)]).await;
    assert!(matches!(bad, Err(ServiceError::Validation(_))));
    assert!(matches!(
        stock.reserve(&r("o"), &[]).await,
        Err(ServiceError::Validation(_))
    ));
    assert_invariant(&catalog).await;
}

#[tokio::test]
async fn a_low_stock_warning_goes_out_once_per_crossing() {
    let catalog = MemoryCatalog::new();
    let (stock, alerts) = service(&catalog);
    let sku = stocked(&catalog, &[10]).await[0];
    let stored = catalog.find_sku(sku).await.unwrap().unwrap();
    let mut with_threshold = stored.clone();
    with_threshold.low_stock_threshold = 5;
    with_threshold.version += 1;
    let change = SkuChange {
        sku: with_threshold,
        expected_version: stored.version,
    };
    catalog.update_sku(&change).await.unwrap();

    stock.reserve(&r("o-1"), &[line(sku, 4)]).await.unwrap();
    assert!(alerts.sent().is_empty(), "6 left");
    stock.reserve(&r("o-2"), &[line(sku, 1)]).await.unwrap();
    let sent = alerts.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].level, AlertLevel::Warning);
    assert!(
        sent[0].body.contains(&format!("SKU {sku}: 5 left")),
        "{}",
        sent[0].body
    );
    stock.reserve(&r("o-3"), &[line(sku, 1)]).await.unwrap();
    stock.reserve(&r("o-2"), &[line(sku, 1)]).await.unwrap();
    assert_eq!(
        alerts.sent().len(),
        1,
        "already low; a repeat moves nothing"
    );

    stock
        .inbound(&r("adj-1"), sku, 10, "restock")
        .await
        .unwrap();
    *alerts.down.lock().unwrap() = true;
    let outcome = stock.inbound(&r("adj-2"), sku, -9, "count").await.unwrap();
    assert_eq!(applied(&outcome), 1, "an undelivered warning is not fatal");
    *alerts.down.lock().unwrap() = false;
    assert_eq!(alerts.sent().len(), 1);
}

#[tokio::test]
async fn unavailable_storage_is_retried_because_movements_are_idempotent() {
    let mut ledger = MockStockLedger::new();
    let mut calls = 0;
    ledger.expect_release().times(2).returning(move |_, _| {
        calls += 1;
        if calls == 1 {
            Err(RepositoryError::Unavailable("deadlock victim".to_owned()))
        } else {
            Ok(StockOutcome::Repeated(Vec::new()))
        }
    });
    ledger
        .expect_deduct()
        .times(3)
        .returning(|_, _| Err(RepositoryError::Unavailable("down".to_owned())));
    ledger
        .expect_reserve()
        .times(1)
        .returning(|_, _, _| Err(RepositoryError::Corrupt("bad row".to_owned())));
    let stock = StockService::new(
        Arc::new(ledger),
        Arc::new(RecordedAlerts::default()),
        Arc::new(FixedClock),
    );
    let order = r("o-1");
    assert!(stock.release(&order).await.is_ok());
    assert!(matches!(
        stock.deduct(&order).await,
        Err(ServiceError::Unavailable(_))
    ));
    let sku = SkuId(1);
    assert!(matches!(
        stock.reserve(&order, &[line(sku, 1)]).await,
        Err(ServiceError::Unavailable(_))
    ));
}

#[tokio::test]
async fn the_nightly_check_names_drifted_skus_in_a_critical_alert() {
    let catalog = MemoryCatalog::new();
    let (stock, alerts) = service(&catalog);
    let skus = stocked(&catalog, &[10, 4]).await;
    stock.reserve(&r("o-1"), &[line(skus[0], 3)]).await.unwrap();
    assert!(stock.check_ledger().await.unwrap().is_empty());
    assert!(alerts.sent().is_empty());

    catalog.tamper(skus[1], 40);
    let drifted = stock.check_ledger().await.unwrap();
    assert_eq!(drifted.len(), 1);
    assert_eq!(
        (drifted[0].sku, drifted[0].available, drifted[0].ledger_sum),
        (skus[1], 40, 4)
    );
    let sent = alerts.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].level, AlertLevel::Critical);
    assert!(sent[0].body.contains(&format!("SKU {}", skus[1])));
    let levels = stock.levels(&[skus[1], skus[0], SkuId(77)]).await.unwrap();
    let available: Vec<i64> = levels.iter().map(|l| l.available).collect();
    assert_eq!(available, vec![7, 40]);
}
