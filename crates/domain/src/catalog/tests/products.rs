//! Products and SKUs: the status machine, validation, removal plans, and the adapter's
//! compare-and-set that never writes sales or stock.

use std::str::FromStr;

use crate::catalog::memory::MemoryCatalog;
use crate::catalog::product::{plan_removal, publish_problems, sku_set_problems};
use crate::catalog::{
    CategoryId, ProductAction, ProductRepository, ProductStatus, RemovalPlan, SkuChange, SkuStatus,
    SpecValue, StockLedger, StockOutcome,
};
use crate::money::Fen;
use crate::ports::CasOutcome;
use crate::testing::t0;

use super::{product_draft, r, sku_draft, stocked};

#[test]
fn the_status_machine_allows_exactly_its_arrows() {
    use ProductAction::{Archive, Publish, Unpublish};
    use ProductStatus::{Archived, Draft, OffSale, OnSale};
    let allowed = [
        (Draft, Publish, OnSale),
        (Draft, Archive, Archived),
        (OnSale, Unpublish, OffSale),
        (OffSale, Publish, OnSale),
        (OffSale, Archive, Archived),
    ];
    for from in ProductStatus::ALL {
        for action in ProductAction::ALL {
            let expected = allowed
                .iter()
                .find(|(f, a, _)| *f == from && *a == action)
                .map(|(_, _, to)| *to);
            assert_eq!(from.apply(action).ok(), expected, "{from} {action}");
        }
    }
    assert!(OnSale.sellable());
    assert!(!OffSale.sellable() && !Draft.sellable() && !Archived.sellable());
}

#[test]
fn statuses_have_stored_names() {
    for status in ProductStatus::ALL {
        assert_eq!(ProductStatus::from_str(status.as_str()), Ok(status));
        let json = serde_json::to_string(&status).unwrap();
        assert_eq!(json, format!("\"{}\"", status.as_str()));
    }
    for status in SkuStatus::ALL {
        assert_eq!(SkuStatus::from_str(&status.to_string()), Ok(status));
    }
    for action in ProductAction::ALL {
        assert_eq!(ProductAction::from_str(action.as_str()), Ok(action));
    }
    assert_eq!(ProductStatus::OnSale.as_str(), "on_sale");
    assert!(ProductStatus::from_str("OnSale").is_err());
    assert!(SkuStatus::from_str("").is_err());
}

#[test]
fn sku_prices_are_positive_and_at_most_the_original_price() {
    let good = sku_draft("红", 1990, 5);
    assert!(good.problems().is_empty());
    let mut free = good.clone();
    free.price = Fen::ZERO;
    assert!(!free.problems().is_empty());
    let mut dearer = good.clone();
    dearer.original_price = Fen::new(1989);
    assert_eq!(dearer.problems().len(), 1);
    let mut same = good.clone();
    same.original_price = same.price;
    assert!(same.problems().is_empty(), "no discount is fine");
    let mut negative = good.clone();
    negative.low_stock_threshold = -1;
    assert!(!negative.problems().is_empty());
    let mut twice = good.clone();
    twice.specs.push(SpecValue {
        name: " 颜色".to_owned(),
        value: "蓝".to_owned(),
    });
    assert!(!twice.problems().is_empty());
}

#[test]
fn a_products_skus_share_spec_names_and_differ_in_values() {
    let red = sku_draft("红", 1990, 0);
    let blue = sku_draft("蓝", 1990, 0);
    assert!(sku_set_problems(&[red.clone(), blue.clone()]).is_empty());
    assert!(!sku_set_problems(&[]).is_empty());
    assert!(!sku_set_problems(&[red.clone(), red.clone()]).is_empty());
    let mut sized = blue.clone();
    sized.specs[0].name = "尺寸".to_owned();
    assert!(!sku_set_problems(&[red, sized]).is_empty());
}

#[test]
fn product_drafts_are_bounded_and_images_are_https() {
    let good = product_draft(CategoryId(1));
    assert!(good.problems().is_empty());
    let mut bad = good.clone();
    bad.name = " ".to_owned();
    bad.images = vec!["http://img.example.com/a.jpg".to_owned(); 10];
    assert_eq!(bad.problems().len(), 3);
}

#[tokio::test]
async fn removal_deletes_the_unsold_and_archives_the_sold() {
    let catalog = MemoryCatalog::new();
    let (product, skus) = catalog
        .insert(
            &product_draft(CategoryId(1)),
            &[sku_draft("红", 1990, 0)],
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(plan_removal(&product, t0()), Ok(RemovalPlan::Delete));
    let on_sale = product
        .transition(ProductAction::Publish, t0())
        .unwrap()
        .product;
    assert!(plan_removal(&on_sale, t0()).is_err(), "off sale first");
    let mut sold = on_sale
        .transition(ProductAction::Unpublish, t0())
        .unwrap()
        .product;
    sold.sales = 3;
    let Ok(RemovalPlan::Archive(change)) = plan_removal(&sold, t0()) else {
        panic!("a product with sales is archived");
    };
    assert_eq!(change.product.status, ProductStatus::Archived);
    assert_eq!(change.expected_status, ProductStatus::OffSale);
    assert_eq!(
        plan_removal(&change.product, t0()),
        Ok(RemovalPlan::AlreadyArchived)
    );
    assert!(publish_problems(&product, &skus, true).is_empty());
    assert_eq!(publish_problems(&product, &[], false).len(), 2);
}

#[tokio::test]
async fn edits_are_compare_and_set_and_never_touch_sales_or_stock() {
    let catalog = MemoryCatalog::new();
    let sku = stocked(&catalog, &[10]).await[0];
    let stored = catalog.find_sku(sku).await.unwrap().unwrap();
    assert_eq!(stored.available, 10);
    let product = catalog.find(stored.product).await.unwrap().unwrap();

    let mut renamed = product_draft(CategoryId(2));
    renamed.name = "新名字".to_owned();
    let mut change = product.edited(&renamed, t0()).unwrap();
    change.product.sales = 999;
    assert_eq!(catalog.apply(&change).await.unwrap(), CasOutcome::Won);
    assert_eq!(
        catalog.apply(&change).await.unwrap(),
        CasOutcome::Lost,
        "stale"
    );
    let after = catalog.find(product.id).await.unwrap().unwrap();
    assert_eq!((after.name.as_str(), after.sales), ("新名字", 0));
    assert_eq!(after.category, CategoryId(2));

    let mut repriced = stored.clone();
    repriced.price = Fen::new(990);
    repriced.available = 1_000_000;
    repriced.version += 1;
    let change = SkuChange {
        sku: repriced,
        expected_version: stored.version,
    };
    assert_eq!(catalog.update_sku(&change).await.unwrap(), CasOutcome::Won);
    assert_eq!(catalog.update_sku(&change).await.unwrap(), CasOutcome::Lost);
    let now = catalog.find_sku(sku).await.unwrap().unwrap();
    assert_eq!((now.price, now.available), (Fen::new(990), 10));

    let taken = catalog
        .inbound(&r("adj-x"), sku, -3, "damaged", t0())
        .await
        .unwrap();
    assert!(matches!(taken, StockOutcome::Applied(_)));
    assert_eq!(catalog.find_sku(sku).await.unwrap().unwrap().available, 7);
    let archived = after.transition(ProductAction::Archive, t0());
    assert!(archived.is_ok(), "a draft may be archived");
    let frozen = archived.unwrap().product;
    assert!(frozen.edited(&renamed, t0()).is_err(), "archived is final");
}
