//! The pure rules: normalising, checking a query, what is indexed, what a card shows.

use chrono::Utc;

use crate::catalog::category::{Category, CategoryTree};
use crate::catalog::ids::{CategoryId, ProductId, SkuId};
use crate::catalog::product::{Product, Sku};
use crate::catalog::status::{ProductStatus, SkuStatus};
use crate::money::Fen;
use crate::testing::t0;

use super::super::{
    MAX_PAGE, MAX_TEXT_CHARS, ProductCard, SearchDocument, SearchQuery, SearchSort, normalize_term,
};
use super::page;

#[test]
fn normalising_makes_full_width_and_case_and_spacing_one_term() {
    assert_eq!(normalize_term("  ＩＰｈｏｎｅ　15 "), "iphone 15");
    assert_eq!(normalize_term("红色\t\n连衣裙"), "红色 连衣裙");
    assert_eq!(normalize_term("ＡＢＣ！"), "abc!");
    assert_eq!(normalize_term(" \u{3000} "), "");
}

#[test]
fn a_query_lists_every_problem_at_once() {
    assert!(SearchQuery::browse().problems().is_empty());
    let fine = SearchQuery {
        text: "字".repeat(MAX_TEXT_CHARS),
        price_min: Some(Fen::new(100)),
        price_max: Some(Fen::new(100)),
        page: page(MAX_PAGE, 100),
        ..SearchQuery::browse()
    };
    assert!(fine.problems().is_empty(), "{:?}", fine.problems());

    let bad = SearchQuery {
        text: "字".repeat(MAX_TEXT_CHARS + 1),
        price_min: Some(Fen::new(200)),
        price_max: Some(Fen::new(100)),
        page: page(0, 0),
        ..SearchQuery::browse()
    };
    assert_eq!(bad.problems().len(), 4, "{:?}", bad.problems());
    let negative = SearchQuery {
        price_min: Some(Fen::new(-1)),
        page: page(MAX_PAGE + 1, 101),
        ..SearchQuery::browse()
    };
    assert_eq!(negative.problems().len(), 3, "{:?}", negative.problems());
}

#[test]
fn sorts_round_trip_through_their_names() {
    for sort in SearchSort::ALL {
        assert_eq!(sort.as_str().parse::<SearchSort>().unwrap(), sort);
    }
    assert!("cheapest".parse::<SearchSort>().is_err());
}

fn category(id: i64, parent: Option<i64>, enabled: bool) -> Category {
    Category {
        id: CategoryId(id),
        parent: parent.map(CategoryId),
        name: format!("c{id}"),
        sort_order: 0,
        enabled,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn product(status: ProductStatus, category: i64) -> Product {
    Product {
        id: ProductId(7),
        category: CategoryId(category),
        name: "红色连衣裙".to_owned(),
        description: "夏季新款".to_owned(),
        detail: String::new(),
        images: vec!["https://img.example.com/a.jpg".to_owned()],
        status,
        sales: 12,
        version: 3,
        created_at: t0(),
        updated_at: Utc::now(),
    }
}

fn sku(id: i64, price: i64, status: SkuStatus) -> Sku {
    Sku {
        id: SkuId(id),
        product: ProductId(7),
        specs: Vec::new(),
        price: Fen::new(price),
        original_price: Fen::new(price + 500),
        available: 3,
        low_stock_threshold: 0,
        status,
        version: 1,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn tree() -> CategoryTree {
    CategoryTree::new(vec![
        category(1, None, true),
        category(2, Some(1), true),
        category(3, Some(2), true),
        category(4, None, false),
        category(5, Some(4), true),
    ])
    .unwrap()
}

#[test]
fn a_document_carries_the_category_path_and_the_enabled_skus_price_range() {
    let skus = [
        sku(1, 3000, SkuStatus::Enabled),
        sku(2, 100, SkuStatus::Disabled),
        sku(3, 9000, SkuStatus::Enabled),
    ];
    let document =
        SearchDocument::for_product(&product(ProductStatus::OnSale, 3), &skus, &tree()).unwrap();
    assert_eq!(
        document.category_path,
        vec![CategoryId(1), CategoryId(2), CategoryId(3)]
    );
    assert_eq!(document.category_id, CategoryId(3));
    assert_eq!(
        (document.min_price, document.max_price),
        (Fen::new(3000), Fen::new(9000))
    );
    assert_eq!((document.sales, document.created_at), (12, t0()));
}

#[test]
fn only_what_shoppers_may_find_is_indexed() {
    let skus = [sku(1, 3000, SkuStatus::Enabled)];
    for status in ProductStatus::ALL {
        let indexed = SearchDocument::for_product(&product(status, 3), &skus, &tree()).is_some();
        assert_eq!(indexed, status == ProductStatus::OnSale, "{status}");
    }
    let on_sale = product(ProductStatus::OnSale, 3);
    let disabled = [sku(1, 3000, SkuStatus::Disabled)];
    assert!(SearchDocument::for_product(&on_sale, &disabled, &tree()).is_none());
    assert!(SearchDocument::for_product(&on_sale, &[], &tree()).is_none());
    // Hidden by a disabled parent, or in a category that is gone.
    let hidden = product(ProductStatus::OnSale, 5);
    assert!(SearchDocument::for_product(&hidden, &skus, &tree()).is_none());
    let orphan = product(ProductStatus::OnSale, 99);
    assert!(SearchDocument::for_product(&orphan, &skus, &tree()).is_none());
}

#[test]
fn a_card_shows_the_cheapest_enabled_sku() {
    let skus = [
        sku(1, 3000, SkuStatus::Enabled),
        sku(2, 100, SkuStatus::Disabled),
        sku(3, 2000, SkuStatus::Enabled),
    ];
    let card = ProductCard::of(&product(ProductStatus::OnSale, 3), &skus).unwrap();
    assert_eq!(
        (card.price, card.original_price),
        (Fen::new(2000), Fen::new(2500))
    );
    assert_eq!(card.image.as_deref(), Some("https://img.example.com/a.jpg"));
    assert!(ProductCard::of(&product(ProductStatus::OffSale, 3), &skus).is_none());
    assert!(ProductCard::of(&product(ProductStatus::OnSale, 3), &skus[1..2]).is_none());
}
