//! The SQL stock ledger against the rules of `elife_domain::catalog::stock`: many buyers of
//! a few units never oversell, opposite lock orders never reach the caller as a deadlock,
//! repeats answer the first outcome, and a release racing a deduct settles once.

use std::sync::Arc;

use elife_domain::catalog::{
    MovementKind, SkuId, StockLedger, StockLine, StockOutcome, StockRef, StockRefusal,
    StockService, check_stock,
};
use elife_domain::ports::{MockAlerts, SystemClock};
use elife_domain::testing::t0;
use elife_persistence::SeaOrmStockLedger;
use elife_persistence::catalog::entities::{products, skus};
use sea_orm::{ActiveValue::Set, EntityTrait};

use crate::common::TestDb;

fn r(raw: &str) -> StockRef {
    StockRef::parse(raw).expect("reference")
}

/// A product with `count` SKUs at zero stock, each then given `stock` units by an inbound.
async fn seed(test: &TestDb, ledger: &SeaOrmStockLedger, count: usize, stock: i64) -> Vec<SkuId> {
    let at = t0().naive_utc();
    let product = products::Entity::insert(products::ActiveModel {
        category_id: Set(1),
        name: Set("Tea".to_owned()),
        description: Set(String::new()),
        detail: Set(String::new()),
        images: Set("[]".to_owned()),
        status: Set("on_sale".to_owned()),
        sales: Set(0),
        version: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    })
    .exec(&test.db)
    .await
    .expect("product")
    .last_insert_id;
    let mut ids = Vec::new();
    for n in 0..count {
        let sku = skus::Entity::insert(skus::ActiveModel {
            product_id: Set(product),
            specs: Set("[]".to_owned()),
            price_fen: Set(100),
            original_price_fen: Set(100),
            available: Set(0),
            low_stock_threshold: Set(0),
            status: Set("on_sale".to_owned()),
            version: Set(0),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .exec(&test.db)
        .await
        .expect("sku")
        .last_insert_id;
        let sku = SkuId(sku);
        let outcome = ledger
            .inbound(&r(&format!("open-{n}")), sku, stock, "opening stock", t0())
            .await
            .expect("inbound");
        assert!(matches!(outcome, StockOutcome::Applied(_)), "{outcome:?}");
        ids.push(sku);
    }
    ids
}

async fn assert_invariant(ledger: &SeaOrmStockLedger, sku: SkuId) -> i64 {
    let level = ledger.levels(&[sku]).await.expect("levels");
    let available = level[0].available;
    let movements = ledger.movements(sku).await.expect("movements");
    check_stock(sku, &movements, available).expect("the ledger explains the stock");
    assert!(ledger.drifted(10).await.expect("drift check").is_empty());
    available
}

#[tokio::test]
async fn two_thousand_buyers_of_a_hundred_units_get_exactly_a_hundred() {
    let test = TestDb::new().await;
    let ledger = Arc::new(SeaOrmStockLedger::new(test.db.clone()));
    let sku = seed(&test, &ledger, 1, 100).await[0];
    let tasks: Vec<_> = (0..2000)
        .map(|n| {
            let ledger = Arc::clone(&ledger);
            tokio::spawn(async move {
                let lines = [StockLine::new(sku, 1)];
                ledger
                    .reserve(&r(&format!("order-{n}")), &lines, t0())
                    .await
            })
        })
        .collect();
    let (mut applied, mut refused) = (0, 0);
    for task in tasks {
        match task.await.expect("task").expect("no storage error") {
            StockOutcome::Applied(movements) => {
                assert!(movements[0].available_after >= 0);
                applied += 1;
            }
            StockOutcome::Refused(StockRefusal::Insufficient { available, .. }) => {
                assert_eq!(available, 0);
                refused += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((applied, refused), (100, 1900));
    assert_eq!(assert_invariant(&ledger, sku).await, 0);
}

#[tokio::test]
async fn opposite_lock_orders_never_fail_the_caller() {
    let test = TestDb::new().await;
    let ledger = Arc::new(SeaOrmStockLedger::new(test.db.clone()));
    let ids = seed(&test, &ledger, 2, 1000).await;
    let (a, b) = (ids[0], ids[1]);
    let mut alerts = MockAlerts::new();
    alerts.expect_send().returning(|_| Ok(()));
    let service = Arc::new(StockService::new(
        Arc::clone(&ledger),
        Arc::new(alerts),
        Arc::new(SystemClock),
    ));
    let tasks: Vec<_> = (0..200)
        .map(|n| {
            let service = Arc::clone(&service);
            tokio::spawn(async move {
                let lines = if n % 2 == 0 {
                    [StockLine::new(a, 1), StockLine::new(b, 2)]
                } else {
                    [StockLine::new(b, 2), StockLine::new(a, 1)]
                };
                let order = r(&format!("order-{n}"));
                let reserved = service.reserve(&order, &lines).await?;
                // Every other order gives its units back, in the same race.
                if n % 4 == 0 {
                    service.release(&order).await?;
                }
                Ok::<_, elife_domain::services::ServiceError>(reserved)
            })
        })
        .collect();
    for task in tasks {
        let outcome = task
            .await
            .expect("task")
            .expect("no error reaches the caller");
        assert!(matches!(outcome, StockOutcome::Applied(_)), "{outcome:?}");
    }
    // 200 reserved, 50 released.
    assert_eq!(assert_invariant(&ledger, a).await, 1000 - 150);
    assert_eq!(assert_invariant(&ledger, b).await, 1000 - 300);
}

#[tokio::test]
async fn repeats_answer_the_first_outcome() {
    let test = TestDb::new().await;
    let ledger = Arc::new(SeaOrmStockLedger::new(test.db.clone()));
    let ids = seed(&test, &ledger, 2, 10).await;
    let order = r("order-1");
    let lines = [StockLine::new(ids[0], 2), StockLine::new(ids[1], 3)];
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let ledger = Arc::clone(&ledger);
            let order = order.clone();
            tokio::spawn(async move { ledger.reserve(&order, &lines, t0()).await })
        })
        .collect();
    let mut first = None;
    let mut applied = 0;
    for task in tasks {
        match task.await.expect("task").expect("no storage error") {
            StockOutcome::Applied(movements) => {
                applied += 1;
                first = Some(movements);
            }
            StockOutcome::Repeated(movements) => assert_eq!(movements.len(), 2),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(applied, 1);
    let first = first.expect("one applied");
    let again = ledger.reserve(&order, &lines, t0()).await.expect("repeat");
    assert_eq!(again, StockOutcome::Repeated(first));
    let other_lines = [StockLine::new(ids[0], 1)];
    assert_eq!(
        ledger
            .reserve(&order, &other_lines, t0())
            .await
            .expect("differs"),
        StockOutcome::Refused(StockRefusal::DifferentLines)
    );
    let paid = ledger.deduct(&order, t0()).await.expect("deduct");
    assert!(matches!(paid, StockOutcome::Applied(_)));
    assert!(matches!(
        ledger.deduct(&order, t0()).await.expect("deduct again"),
        StockOutcome::Repeated(_)
    ));
    assert_eq!(
        ledger.release(&order, t0()).await.expect("release"),
        StockOutcome::Refused(StockRefusal::Deducted)
    );
    let opening = ledger
        .inbound(&r("open-0"), ids[0], 10, "again", t0())
        .await;
    assert!(matches!(
        opening.expect("inbound"),
        StockOutcome::Repeated(_)
    ));
    let back = [StockLine::new(ids[1], 3)];
    let restocked = ledger.restock(&r("as-1"), &order, &back, t0()).await;
    assert!(matches!(
        restocked.expect("restock"),
        StockOutcome::Applied(_)
    ));
    assert!(matches!(
        ledger
            .restock(&r("as-1"), &order, &back, t0())
            .await
            .expect("again"),
        StockOutcome::Repeated(_)
    ));
    assert!(matches!(
        ledger
            .restock(&r("as-2"), &order, &back, t0())
            .await
            .expect("more"),
        StockOutcome::Refused(StockRefusal::ExceedsSold { .. })
    ));
    assert_eq!(assert_invariant(&ledger, ids[0]).await, 8);
    assert_eq!(assert_invariant(&ledger, ids[1]).await, 10);
    let sales = products::Entity::find()
        .all(&test.db)
        .await
        .expect("product");
    assert_eq!(sales[0].sales, 5);
}

#[tokio::test]
async fn a_release_racing_a_deduct_settles_once() {
    let test = TestDb::new().await;
    let ledger = Arc::new(SeaOrmStockLedger::new(test.db.clone()));
    let ids = seed(&test, &ledger, 2, 1000).await;
    let lines = [StockLine::new(ids[0], 1), StockLine::new(ids[1], 1)];
    for n in 0..40 {
        let outcome = ledger
            .reserve(&r(&format!("order-{n}")), &lines, t0())
            .await;
        assert!(matches!(
            outcome.expect("reserve"),
            StockOutcome::Applied(_)
        ));
    }
    let tasks: Vec<_> = (0..40)
        .flat_map(|n| {
            let (release, deduct) = (Arc::clone(&ledger), Arc::clone(&ledger));
            let order = r(&format!("order-{n}"));
            let second = order.clone();
            [
                tokio::spawn(async move {
                    (MovementKind::Release, release.release(&order, t0()).await)
                }),
                tokio::spawn(
                    async move { (MovementKind::Deduct, deduct.deduct(&second, t0()).await) },
                ),
            ]
        })
        .collect();
    let (mut released, mut deducted) = (0, 0);
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("task"));
    }
    for pair in outcomes.chunks(2) {
        let applied: Vec<_> = pair
            .iter()
            .filter(|(_, outcome)| matches!(outcome, Ok(StockOutcome::Applied(_))))
            .collect();
        assert_eq!(applied.len(), 1, "{pair:?}");
        match applied[0].0 {
            MovementKind::Release => released += 1,
            _ => deducted += 1,
        }
        for (_, outcome) in pair {
            assert!(
                matches!(
                    outcome,
                    Ok(StockOutcome::Applied(_))
                        | Ok(StockOutcome::Refused(StockRefusal::Released))
                        | Ok(StockOutcome::Refused(StockRefusal::Deducted))
                ),
                "{outcome:?}"
            );
        }
    }
    for sku in ids {
        assert_eq!(assert_invariant(&ledger, sku).await, 1000 - deducted);
    }
    assert_eq!(released + deducted, 40);
    let sales = products::Entity::find()
        .all(&test.db)
        .await
        .expect("product");
    assert_eq!(sales[0].sales, 2 * deducted);
}
