//! Products and SKUs on each database: they round-trip, change only by compare-and-set,
//! never touch `available` or `sales`, and are deleted only while nothing refers to them.

use chrono::TimeDelta;
use elife_domain::catalog::{
    CategoryId, ProductAction, ProductDraft, ProductRepository, SkuChange, SkuDraft, SkuStatus,
    SpecValue, StockLedger, StockOutcome, StockRef,
};
use elife_domain::money::Fen;
use elife_domain::ports::CasOutcome;
use elife_domain::testing::t0;
use elife_persistence::{SeaOrmProductRepository, SeaOrmStockLedger};

use crate::common::TestDb;

fn draft() -> ProductDraft {
    ProductDraft {
        category: CategoryId(3),
        name: " 茶叶 ".to_owned(),
        description: "Green tea".to_owned(),
        detail: "<p>detail</p>".to_owned(),
        images: vec![
            "https://img/1.jpg".to_owned(),
            "https://img/2.jpg".to_owned(),
        ],
    }
}

fn sku(value: &str, price: i64) -> SkuDraft {
    SkuDraft {
        specs: vec![SpecValue {
            name: "规格".to_owned(),
            value: value.to_owned(),
        }],
        price: Fen::new(price),
        original_price: Fen::new(price + 100),
        low_stock_threshold: 5,
        status: SkuStatus::Enabled,
    }
}

#[tokio::test]
async fn products_round_trip_and_change_by_compare_and_set() {
    let test = TestDb::new().await;
    let repo = SeaOrmProductRepository::new(test.db.clone());
    let (product, skus) = repo
        .insert(&draft(), &[sku("250g", 3900), sku("500g", 6900)], t0())
        .await
        .expect("insert");
    assert_eq!(product.name, "茶叶");
    assert_eq!(product.version, 1);
    assert_eq!(skus.len(), 2);
    assert!(
        skus.iter()
            .all(|s| s.available == 0 && s.product == product.id)
    );
    assert_eq!(
        repo.find(product.id).await.expect("find"),
        Some(product.clone())
    );
    assert_eq!(repo.skus(product.id).await.expect("skus"), skus);
    assert_eq!(
        repo.find_sku(skus[1].id).await.expect("sku"),
        Some(skus[1].clone())
    );

    let publish = product
        .transition(ProductAction::Publish, t0() + TimeDelta::minutes(1))
        .expect("publish");
    assert_eq!(repo.apply(&publish).await.expect("cas"), CasOutcome::Won);
    assert_eq!(repo.apply(&publish).await.expect("stale"), CasOutcome::Lost);
    assert_eq!(
        repo.find(product.id).await.expect("find"),
        Some(publish.product.clone())
    );

    // Stock moved by the ledger survives a SKU edit made from a stale copy.
    let ledger = SeaOrmStockLedger::new(test.db.clone());
    let reference = StockRef::parse("adj-1").expect("reference");
    let moved = ledger
        .inbound(&reference, skus[0].id, 40, "opening", t0())
        .await
        .expect("inbound");
    assert!(matches!(moved, StockOutcome::Applied(_)));
    let mut edited = skus[0].clone();
    edited.price = Fen::new(3500);
    edited.version += 1;
    let change = SkuChange {
        sku: edited.clone(),
        expected_version: skus[0].version,
    };
    assert_eq!(
        repo.update_sku(&change).await.expect("cas"),
        CasOutcome::Won
    );
    assert_eq!(
        repo.update_sku(&change).await.expect("stale"),
        CasOutcome::Lost
    );
    let stored = repo
        .find_sku(skus[0].id)
        .await
        .expect("sku")
        .expect("exists");
    assert_eq!((stored.price, stored.available), (Fen::new(3500), 40));

    // A SKU with movements keeps its product; a fresh product goes.
    assert!(!repo.delete_unreferenced(product.id).await.expect("delete"));
    let (fresh, fresh_skus) = repo
        .insert(&draft(), &[sku("1kg", 9900)], t0())
        .await
        .expect("insert");
    assert!(repo.delete_unreferenced(fresh.id).await.expect("delete"));
    assert_eq!(repo.find(fresh.id).await.expect("find"), None);
    assert_eq!(repo.find_sku(fresh_skus[0].id).await.expect("sku"), None);
    assert!(!repo.delete_unreferenced(fresh.id).await.expect("gone"));
}
