//! The cart's rules through the service, the in-memory cart and the in-memory catalog.

use std::sync::Arc;

use super::memory::MemoryCart;
use super::*;
use crate::catalog::memory::MemoryCatalog;
use crate::catalog::{
    CategoryId, ProductAction, ProductDraft, ProductRepository, SkuChange, SkuDraft, SkuId,
    SkuStatus, SpecValue,
};
use crate::money::Fen;
use crate::order::OpenId;
use crate::ports::CasOutcome;
use crate::services::ServiceError;
use crate::shoppers::tests::TickingClock;
use crate::testing::t0;

fn buyer(name: &str) -> OpenId {
    OpenId::parse(name).unwrap()
}

fn sku_draft(value: &str) -> SkuDraft {
    SkuDraft {
        specs: vec![SpecValue {
            name: "规格".to_owned(),
            value: value.to_owned(),
        }],
        price: Fen::new(100),
        original_price: Fen::new(100),
        low_stock_threshold: 0,
        status: SkuStatus::Enabled,
    }
}

/// A catalog with `skus` enabled SKUs of one product on sale, and another in draft.
async fn catalog(skus: usize) -> (Arc<MemoryCatalog>, Vec<SkuId>, SkuId) {
    let catalog = Arc::new(MemoryCatalog::new());
    let draft = ProductDraft {
        category: CategoryId(1),
        name: "茶".to_owned(),
        description: String::new(),
        detail: String::new(),
        images: vec!["https://img/1.jpg".to_owned()],
    };
    let drafts: Vec<SkuDraft> = (0..skus).map(|n| sku_draft(&format!("v{n}"))).collect();
    let (product, created) = catalog.insert(&draft, &drafts, t0()).await.unwrap();
    let publish = product.transition(ProductAction::Publish, t0()).unwrap();
    assert_eq!(catalog.apply(&publish).await.unwrap(), CasOutcome::Won);
    let (_, hidden) = catalog
        .insert(&draft, &[sku_draft("x")], t0())
        .await
        .unwrap();
    (
        catalog,
        created.iter().map(|s| s.id).collect(),
        hidden[0].id,
    )
}

async fn service(skus: usize) -> (CartService, Vec<SkuId>, SkuId, Arc<MemoryCatalog>) {
    let (catalog, ids, hidden) = catalog(skus).await;
    let cart = CartService::new(
        Arc::new(MemoryCart::new()),
        catalog.clone(),
        Arc::new(TickingClock::default()),
    );
    (cart, ids, hidden, catalog)
}

#[tokio::test]
async fn adding_a_sku_twice_merges_and_caps_the_quantity() {
    let (cart, skus, _, _) = service(1).await;
    let me = buyer("o-me");
    assert_eq!(cart.add(&me, skus[0], 2).await.unwrap().quantity, 2);
    cart.select(&me, skus[0], false).await.unwrap();
    let merged = cart.add(&me, skus[0], 3).await.unwrap();
    assert_eq!(merged.quantity, 5);
    assert!(merged.selected, "adding again selects the line");
    let capped = cart
        .add(&me, skus[0], i64::from(MAX_LINE_QUANTITY))
        .await
        .unwrap();
    assert_eq!(capped.quantity, MAX_LINE_QUANTITY);
    assert_eq!(cart.list(&me).await.unwrap().len(), 1);
}

#[tokio::test]
async fn quantities_out_of_range_are_refused() {
    let (cart, skus, _, _) = service(1).await;
    let me = buyer("o-me");
    for quantity in [0, -1, i64::from(MAX_LINE_QUANTITY) + 1, i64::MAX] {
        assert!(matches!(
            cart.add(&me, skus[0], quantity).await,
            Err(ServiceError::Validation(_))
        ));
    }
    cart.add(&me, skus[0], 1).await.unwrap();
    assert!(matches!(
        cart.set_quantity(&me, skus[0], 0).await,
        Err(ServiceError::Validation(m)) if m.contains("remove")
    ));
    assert_eq!(
        cart.set_quantity(&me, skus[0], 7).await.unwrap().quantity,
        7
    );
    assert!(matches!(
        cart.set_quantity(&buyer("o-other"), skus[0], 7).await,
        Err(ServiceError::NotFound(_))
    ));
}

#[tokio::test]
async fn only_skus_for_sale_can_be_added() {
    let (cart, skus, hidden, catalog) = service(1).await;
    let me = buyer("o-me");
    for sku in [hidden, SkuId(9_999)] {
        assert!(matches!(
            cart.add(&me, sku, 1).await,
            Err(ServiceError::NotFound(_))
        ));
    }
    let sku = catalog.find_sku(skus[0]).await.unwrap().unwrap();
    let mut disabled = sku.clone();
    disabled.status = SkuStatus::Disabled;
    disabled.version += 1;
    let change = SkuChange {
        sku: disabled,
        expected_version: sku.version,
    };
    assert_eq!(catalog.update_sku(&change).await.unwrap(), CasOutcome::Won);
    assert!(matches!(
        cart.add(&me, skus[0], 1).await,
        Err(ServiceError::NotFound(_))
    ));
}

#[tokio::test]
async fn a_cart_holds_at_most_max_lines() {
    let (cart, skus, _, _) = service(MAX_LINES + 1).await;
    let me = buyer("o-me");
    for sku in &skus[..MAX_LINES] {
        cart.add(&me, *sku, 1).await.unwrap();
    }
    assert!(matches!(
        cart.add(&me, skus[MAX_LINES], 1).await,
        Err(ServiceError::Conflict(_))
    ));
    // An existing line still takes more.
    assert_eq!(cart.add(&me, skus[0], 1).await.unwrap().quantity, 2);
    cart.add(&buyer("o-other"), skus[MAX_LINES], 1)
        .await
        .unwrap();
}

#[tokio::test]
async fn selection_and_removal() {
    let (cart, skus, _, _) = service(3).await;
    let me = buyer("o-me");
    for sku in &skus {
        cart.add(&me, *sku, 1).await.unwrap();
    }
    cart.add(&buyer("o-other"), skus[0], 1).await.unwrap();
    let listed: Vec<SkuId> = cart
        .list(&me)
        .await
        .unwrap()
        .iter()
        .map(|i| i.sku_id)
        .collect();
    assert_eq!(listed, [skus[2], skus[1], skus[0]]);
    cart.select_all(&me, false).await.unwrap();
    assert!(cart.selected(&me).await.unwrap().is_empty());
    cart.select(&me, skus[1], true).await.unwrap();
    let selected = cart.selected(&me).await.unwrap();
    assert_eq!(selected.len(), 1);
    assert_eq!(selected[0].sku_id, skus[1]);
    assert!(matches!(
        cart.select(&me, SkuId(12_345), true).await,
        Err(ServiceError::NotFound(_))
    ));
    assert_eq!(cart.remove_purchased(&me, &[skus[1]]).await.unwrap(), 1);
    assert_eq!(cart.remove(&me, &[skus[0], skus[1]]).await.unwrap(), 1);
    assert_eq!(cart.list(&me).await.unwrap().len(), 1);
    assert_eq!(cart.list(&buyer("o-other")).await.unwrap().len(), 1);
    let too_many = vec![skus[0]; MAX_LINES + 1];
    assert!(matches!(
        cart.remove(&me, &too_many).await,
        Err(ServiceError::Validation(_))
    ));
}
