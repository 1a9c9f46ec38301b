//! The back office on the in-memory adapter: the tree's compare-and-set, publishing and
//! removal (deleted when nothing refers to a product, archived otherwise).

use std::sync::Arc;

use crate::catalog::memory::MemoryCatalog;
use crate::catalog::{
    CatalogAdmin, CategoryDraft, CategoryId, CategoryRepository, CategoryTree, ProductStatus,
    Removal, StockLine,
};
use crate::ports::CasOutcome;
use crate::services::ServiceError;
use crate::testing::t0;

use super::{FixedClock, product_draft, r, service, sku_draft};

type Admin = CatalogAdmin<MemoryCatalog, MemoryCatalog, FixedClock>;

fn admin(catalog: &MemoryCatalog) -> Admin {
    let shared = Arc::new(catalog.clone());
    CatalogAdmin::new(Arc::clone(&shared), shared, Arc::new(FixedClock))
}

async fn category(admin: &Admin, parent: Option<CategoryId>, name: &str) -> CategoryId {
    let draft = CategoryDraft {
        parent,
        name: name.to_owned(),
        sort_order: 0,
        enabled: true,
    };
    admin.create_category(draft).await.unwrap().id
}

#[tokio::test]
async fn two_moves_valid_alone_cannot_both_land_and_make_a_cycle() {
    let catalog = MemoryCatalog::new();
    let admin = admin(&catalog);
    let a = category(&admin, None, "A").await;
    let b = category(&admin, None, "B").await;

    // Both planned against the same tree: each is valid alone.
    let snapshot = catalog.snapshot().await.unwrap();
    let tree = CategoryTree::new(snapshot.categories).unwrap();
    let a_under_b = tree.plan_move(a, Some(b), t0()).unwrap();
    let b_under_a = tree.plan_move(b, Some(a), t0()).unwrap();
    let first = CategoryRepository::update(&catalog, snapshot.revision, &[a_under_b]).await;
    assert_eq!(first.unwrap(), CasOutcome::Won);
    let second = CategoryRepository::update(&catalog, snapshot.revision, &[b_under_a]).await;
    assert_eq!(second.unwrap(), CasOutcome::Lost, "the tree moved on");

    // The service re-reads the tree and refuses the cycle.
    let refused = admin.move_category(b, Some(a)).await;
    assert!(
        matches!(refused, Err(ServiceError::Validation(_))),
        "{refused:?}"
    );
    let tree = admin.tree().await.unwrap();
    assert_eq!(tree.get(a).unwrap().parent, Some(b));
    assert_eq!(tree.get(b).unwrap().parent, None);
}

#[tokio::test]
async fn the_admin_builds_orders_and_hides_categories() {
    let catalog = MemoryCatalog::new();
    let admin = admin(&catalog);
    let food = category(&admin, None, "食品").await;
    let tea = category(&admin, Some(food), "茶").await;
    let green = category(&admin, Some(tea), "绿茶").await;
    let refused = admin
        .create_category(CategoryDraft {
            parent: Some(green),
            name: "龙井".to_owned(),
            sort_order: 0,
            enabled: true,
        })
        .await;
    assert!(matches!(refused, Err(ServiceError::Validation(_))));
    let coffee = category(&admin, Some(food), "咖啡").await;
    admin.reorder(Some(food), &[coffee, tea]).await.unwrap();
    admin.rename(tea, "茶叶").await.unwrap();
    admin.enable(food, false).await.unwrap();
    let tree = admin.tree().await.unwrap();
    let children: Vec<CategoryId> = tree.children(Some(food)).iter().map(|c| c.id).collect();
    assert_eq!(children, vec![coffee, tea]);
    assert_eq!(tree.get(tea).unwrap().name, "茶叶");
    assert!(!tree.is_visible(green).unwrap());
    assert!(tree.visible().is_empty());
    let missing = admin.move_category(CategoryId(99), None).await;
    assert!(matches!(missing, Err(ServiceError::NotFound(_))));
}

#[tokio::test]
async fn publishing_needs_an_image_an_enabled_sku_and_a_visible_category() {
    let catalog = MemoryCatalog::new();
    let admin = admin(&catalog);
    let root = category(&admin, None, "家居").await;
    let mut draft = product_draft(root);
    draft.images.clear();
    let (product, _) = admin
        .create_product(draft, vec![sku_draft("红", 1990, 0)])
        .await
        .unwrap();
    assert_eq!(product.status, ProductStatus::Draft);
    assert!(matches!(
        admin.publish(product.id).await,
        Err(ServiceError::Validation(_))
    ));

    let (product, _) = admin
        .create_product(product_draft(root), vec![sku_draft("红", 1990, 0)])
        .await
        .unwrap();
    admin.enable(root, false).await.unwrap();
    assert!(matches!(
        admin.publish(product.id).await,
        Err(ServiceError::Validation(_))
    ));
    admin.enable(root, true).await.unwrap();
    let published = admin.publish(product.id).await.unwrap();
    assert_eq!(published.status, ProductStatus::OnSale);
    assert_eq!(published.version, product.version + 1);
    assert!(matches!(
        admin.publish(product.id).await,
        Err(ServiceError::Conflict(_))
    ));

    let bad = admin
        .create_product(
            product_draft(root),
            vec![sku_draft("红", 1990, 0), sku_draft("红", 990, 0)],
        )
        .await;
    assert!(matches!(bad, Err(ServiceError::Validation(_))), "{bad:?}");
    let nowhere = admin
        .create_product(product_draft(CategoryId(42)), vec![sku_draft("红", 1, 0)])
        .await;
    assert!(matches!(nowhere, Err(ServiceError::NotFound(_))));
}

#[tokio::test]
async fn a_product_is_deleted_only_when_nothing_refers_to_it() {
    let catalog = MemoryCatalog::new();
    let admin = admin(&catalog);
    let (stock, _) = service(&catalog);
    let root = category(&admin, None, "数码").await;
    let new = || admin.create_product(product_draft(root), vec![sku_draft("黑", 9900, 0)]);

    // Never stocked, never sold: deleted.
    let (untouched, _) = new().await.unwrap();
    assert_eq!(admin.remove(untouched.id).await.unwrap(), Removal::Deleted);
    assert!(matches!(
        admin.remove(untouched.id).await,
        Err(ServiceError::NotFound(_))
    ));

    // Stocked but never sold: the ledger refers to its SKU, so archived.
    let (stocked, skus) = new().await.unwrap();
    let sku = skus[0].id;
    stock.inbound(&r("adj-1"), sku, 5, "opening").await.unwrap();
    let Removal::Archived(archived) = admin.remove(stocked.id).await.unwrap() else {
        panic!("a stocked product is archived");
    };
    assert_eq!(archived.status, ProductStatus::Archived);

    // Sold: must come off sale first, then is archived, and stays archived.
    let (sold, skus) = new().await.unwrap();
    let sku = skus[0].id;
    stock.inbound(&r("adj-2"), sku, 5, "opening").await.unwrap();
    admin.publish(sold.id).await.unwrap();
    stock
        .reserve(&r("order-1"), &[StockLine::new(sku, 2)])
        .await
        .unwrap();
    stock.deduct(&r("order-1")).await.unwrap();
    assert!(matches!(
        admin.remove(sold.id).await,
        Err(ServiceError::Conflict(_))
    ));
    admin.unpublish(sold.id).await.unwrap();
    let Removal::Archived(archived) = admin.remove(sold.id).await.unwrap() else {
        panic!("a sold product is archived");
    };
    assert_eq!(
        (archived.status, archived.sales),
        (ProductStatus::Archived, 2)
    );
    assert!(matches!(
        admin.remove(sold.id).await.unwrap(),
        Removal::Archived(_)
    ));
    assert!(matches!(
        admin.publish(sold.id).await,
        Err(ServiceError::Conflict(_))
    ));
}

#[tokio::test]
async fn edits_are_compare_and_set_and_keep_a_product_on_sale_sellable() {
    let catalog = MemoryCatalog::new();
    let admin = admin(&catalog);
    let root = category(&admin, None, "茶").await;
    let (product, skus) = admin
        .create_product(
            product_draft(root),
            vec![sku_draft("红", 1990, 0), sku_draft("绿", 2990, 0)],
        )
        .await
        .unwrap();
    let product = admin.publish(product.id).await.unwrap();

    let mut renamed = product_draft(root);
    renamed.name = "大红袍".to_owned();
    let edited = admin
        .edit_product(product.id, product.version, &renamed)
        .await
        .unwrap();
    assert_eq!(edited.name, "大红袍");
    assert_eq!(edited.version, product.version + 1);
    let stale = admin
        .edit_product(product.id, product.version, &renamed)
        .await;
    assert!(matches!(stale, Err(ServiceError::Conflict(_))), "{stale:?}");
    let mut imageless = renamed.clone();
    imageless.images.clear();
    let unsellable = admin
        .edit_product(product.id, edited.version, &imageless)
        .await;
    assert!(
        matches!(unsellable, Err(ServiceError::Validation(_))),
        "{unsellable:?}"
    );

    let mut cheaper = sku_draft("红", 1790, 5);
    let sku = admin
        .edit_sku(skus[0].id, skus[0].version, &cheaper)
        .await
        .unwrap();
    assert_eq!((sku.price.value(), sku.low_stock_threshold), (1790, 5));
    cheaper.specs[0].value = "绿".to_owned();
    let clash = admin.edit_sku(skus[0].id, sku.version, &cheaper).await;
    assert!(
        matches!(clash, Err(ServiceError::Validation(_))),
        "same values as a sibling"
    );
    let mut off = sku_draft("红", 1790, 5);
    off.status = crate::catalog::SkuStatus::Disabled;
    admin.edit_sku(skus[0].id, sku.version, &off).await.unwrap();
    let mut last_off = sku_draft("绿", 2990, 0);
    last_off.status = crate::catalog::SkuStatus::Disabled;
    let none_left = admin.edit_sku(skus[1].id, skus[1].version, &last_off).await;
    assert!(
        matches!(none_left, Err(ServiceError::Validation(_))),
        "{none_left:?}"
    );
}
