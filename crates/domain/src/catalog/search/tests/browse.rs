//! The shopper's shelf: a category subtree's products on sale, and product pages.

use crate::catalog::status::SkuStatus;
use crate::money::Fen;
use crate::services::ServiceError;

use super::{Shop, page, sku};

#[tokio::test]
async fn a_category_lists_its_subtree_on_sale_newest_first() {
    let shop = Shop::new();
    let clothes = shop.category(None, "服装").await;
    let women = shop.category(Some(clothes), "女装").await;
    let shoes = shop.category(None, "鞋靴").await;
    let dress = shop.on_sale(women, "连衣裙", "", &[29900]).await;
    let shirt = shop.on_sale(clothes, "衬衫", "", &[9900]).await;
    let sneakers = shop.on_sale(shoes, "运动鞋", "", &[39900]).await;
    let _draft = shop.draft(clothes, "草稿", "", &[100]).await;
    shop.set(dress, 0, 1);
    shop.set(shirt, 0, 2);

    let listed = shop.shelf.list(Some(clothes), page(1, 10)).await.unwrap();
    let ids: Vec<_> = listed.items.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![dress, shirt]);
    assert_eq!(listed.total, 2);
    assert_eq!(listed.items[1].price, Fen::new(9900));

    let leaf = shop.shelf.list(Some(women), page(1, 10)).await.unwrap();
    assert_eq!(leaf.items.len(), 1);
    let everything = shop.shelf.list(None, page(1, 10)).await.unwrap();
    assert_eq!(everything.total, 3);
    let second = shop.shelf.list(None, page(2, 2)).await.unwrap();
    assert_eq!(
        second.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![shirt]
    );
    assert!(!second.items.iter().any(|c| c.id == sneakers));
}

#[tokio::test]
async fn a_hidden_category_is_not_found_and_hides_its_products() {
    let shop = Shop::new();
    let clothes = shop.category(None, "服装").await;
    let women = shop.category(Some(clothes), "女装").await;
    shop.on_sale(women, "连衣裙", "", &[29900]).await;
    shop.on_sale(clothes, "衬衫", "", &[9900]).await;
    shop.admin.enable(women, false).await.unwrap();

    let listed = shop.shelf.list(Some(clothes), page(1, 10)).await.unwrap();
    assert_eq!(listed.total, 1, "the disabled child's products are hidden");
    for hidden in [women, crate::catalog::CategoryId(999)] {
        let refused = shop.shelf.list(Some(hidden), page(1, 10)).await;
        assert!(
            matches!(refused, Err(ServiceError::NotFound(_))),
            "{refused:?}"
        );
    }
    let visible = shop.shelf.categories().await.unwrap();
    assert_eq!(
        visible.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![clothes]
    );
    for bad in [page(0, 10), page(1, 0), page(1, 101)] {
        let refused = shop.shelf.list(None, bad).await;
        assert!(
            matches!(refused, Err(ServiceError::Validation(_))),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn a_product_page_shows_enabled_skus_of_a_product_on_sale_only() {
    let shop = Shop::new();
    let root = shop.category(None, "服装").await;
    let draft = crate::catalog::ProductDraft {
        category: root,
        name: "T恤".to_owned(),
        description: String::new(),
        detail: "<p>纯棉</p>".to_owned(),
        images: vec!["https://img.example.com/t.jpg".to_owned()],
    };
    let skus = vec![
        sku("白", 5900, SkuStatus::Enabled),
        sku("黑", 5900, SkuStatus::Disabled),
    ];
    let (product, _) = shop.admin.create_product(draft, skus).await.unwrap();
    let refused = shop.shelf.detail(product.id).await;
    assert!(
        matches!(refused, Err(ServiceError::NotFound(_))),
        "a draft: {refused:?}"
    );

    shop.admin.publish(product.id).await.unwrap();
    let detail = shop.shelf.detail(product.id).await.unwrap();
    assert_eq!(detail.product.detail, "<p>纯棉</p>");
    assert_eq!(detail.skus.len(), 1);
    assert_eq!(detail.skus[0].specs[0].value, "白");

    shop.admin.unpublish(product.id).await.unwrap();
    let refused = shop.shelf.detail(product.id).await;
    assert!(
        matches!(refused, Err(ServiceError::NotFound(_))),
        "off sale: {refused:?}"
    );
    let missing = shop.shelf.detail(crate::catalog::ProductId(404)).await;
    assert!(
        matches!(missing, Err(ServiceError::NotFound(_))),
        "{missing:?}"
    );
}
