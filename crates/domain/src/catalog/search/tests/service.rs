//! The search service: normalising and counting terms, reading hits back from the catalog,
//! rebuilding and refreshing the index, and its failure branches.

use std::sync::Arc;

use chrono::Duration;

use crate::catalog::ProductRepository;
use crate::catalog::ids::ProductId;
use crate::catalog::memory::MemoryCatalog;
use crate::catalog::tests::FixedClock;
use crate::money::Fen;
use crate::ports::RepositoryError;
use crate::services::ServiceError;
use crate::testing::t0;

use super::super::memory::{MemoryProductSearch, MemorySearchTerms};
use super::super::{
    CatalogSearch, MockProductSearch, MockSearchTerms, ProductSearch, REBUILD_BATCH,
    SearchIndexError, SearchQuery, SearchSort, SearchTerms,
};
use super::{Shop, page, query, sorted};

async fn dresses_and_shoes(shop: &Shop) -> (ProductId, ProductId) {
    let clothes = shop.category(None, "服装").await;
    let women = shop.category(Some(clothes), "女装").await;
    let shoes = shop.category(None, "鞋靴").await;
    let dress = shop
        .on_sale(women, "红色连衣裙", "夏季 雪纺", &[29900, 35900])
        .await;
    let sneakers = shop
        .on_sale(shoes, "男士运动鞋", "透气 跑步", &[39900])
        .await;
    (dress, sneakers)
}

fn ids(page: &crate::ports::Page<super::super::ProductCard>) -> Vec<ProductId> {
    page.items.iter().map(|card| card.id).collect()
}

#[tokio::test]
async fn rebuild_indexes_what_is_on_sale_and_search_returns_cards_in_hit_order() {
    let shop = Shop::new();
    let (dress, sneakers) = dresses_and_shoes(&shop).await;
    let clothes = shop.catalog.catalog().categories[0].id;
    let draft = shop.draft(clothes, "连衣裙草稿", "", &[100]).await;
    assert_eq!(shop.search.rebuild().await.unwrap(), 2);
    let indexed: Vec<ProductId> = shop
        .index
        .documents()
        .iter()
        .map(|d| d.product_id)
        .collect();
    assert_eq!(indexed, vec![dress, sneakers]);
    assert!(!indexed.contains(&draft));

    let found = shop.search.search(query(" 连衣裙 ")).await.unwrap();
    assert_eq!(ids(&found), vec![dress]);
    assert_eq!(found.items[0].price, Fen::new(29900));
    assert_eq!((found.total, found.page, found.limit), (1, 1, 20));

    let parent = SearchQuery {
        category: Some(clothes),
        ..SearchQuery::browse()
    };
    assert_eq!(ids(&shop.search.search(parent).await.unwrap()), vec![dress]);

    shop.set(dress, 1, 1);
    shop.set(sneakers, 5, 3);
    shop.search.rebuild().await.unwrap();
    let by_sales = shop.search.search(sorted(SearchSort::Sales)).await.unwrap();
    assert_eq!(ids(&by_sales), vec![sneakers, dress]);
    let cheapest = shop
        .search
        .search(sorted(SearchSort::PriceAsc))
        .await
        .unwrap();
    assert_eq!(ids(&cheapest), vec![dress, sneakers]);
    let newest = shop
        .search
        .search(sorted(SearchSort::Newest))
        .await
        .unwrap();
    assert_eq!(ids(&newest), vec![dress, sneakers]);
}

#[tokio::test]
async fn rebuild_reads_the_shelf_in_batches() {
    let shop = Shop::new();
    let root = shop.category(None, "杂货").await;
    let template = shop.on_sale(root, "杯子", "", &[100]).await;
    let count = REBUILD_BATCH as usize * 2 + 1;
    {
        let mut catalog = shop.catalog.catalog();
        let product = catalog.products[0].clone();
        let sku = catalog.skus[0].clone();
        for n in 1..count as i64 {
            let id = ProductId(template.value() + n);
            catalog.products.push(crate::catalog::Product {
                id,
                ..product.clone()
            });
            catalog.skus.push(crate::catalog::Sku {
                id: crate::catalog::SkuId(sku.id.value() + n),
                product: id,
                ..sku.clone()
            });
        }
    }
    assert_eq!(shop.search.rebuild().await.unwrap(), count);
    // Exactly a multiple of the batch: the last, empty read ends the walk.
    shop.catalog.catalog().products.pop();
    assert_eq!(shop.search.rebuild().await.unwrap(), count - 1);
}

#[tokio::test]
async fn a_product_off_sale_since_it_was_indexed_is_not_shown() {
    let shop = Shop::new();
    let (dress, sneakers) = dresses_and_shoes(&shop).await;
    shop.search.rebuild().await.unwrap();
    shop.admin.unpublish(dress).await.unwrap();

    let all = shop.search.search(SearchQuery::browse()).await.unwrap();
    assert_eq!(ids(&all), vec![sneakers]);
    assert_eq!(all.total, 2, "the index counted it a moment ago");

    shop.search.refresh(dress).await.unwrap();
    assert_eq!(shop.index.documents().len(), 1);
    shop.admin.publish(dress).await.unwrap();
    shop.search.refresh(dress).await.unwrap();
    assert_eq!(shop.index.documents().len(), 2);
}

#[tokio::test]
async fn refresh_follows_edits_and_forgets_deleted_products() {
    let shop = Shop::new();
    let (dress, _) = dresses_and_shoes(&shop).await;
    let root = shop.catalog.catalog().categories[0].id;
    let draft = shop.draft(root, "围巾", "", &[5000]).await;
    shop.search.refresh(draft).await.unwrap();
    assert_eq!(shop.index.documents().len(), 0, "a draft is not indexed");

    shop.search.refresh(dress).await.unwrap();
    shop.catalog
        .catalog()
        .products
        .iter_mut()
        .find(|p| p.id == dress)
        .unwrap()
        .name = "蓝色长裙".to_owned();
    shop.search.refresh(dress).await.unwrap();
    assert_eq!(shop.index.documents()[0].name, "蓝色长裙");

    shop.admin.unpublish(dress).await.unwrap();
    assert!(
        ProductRepository::delete_unreferenced(&shop.catalog, dress)
            .await
            .unwrap()
    );
    shop.search.refresh(dress).await.unwrap();
    assert!(shop.index.documents().is_empty());
}

#[tokio::test]
async fn the_first_page_of_a_text_search_counts_the_normalised_term() {
    let shop = Shop::new();
    dresses_and_shoes(&shop).await;
    shop.search.rebuild().await.unwrap();
    shop.search.search(query("  连衣裙 ")).await.unwrap();
    shop.search.search(query("连衣裙")).await.unwrap();
    shop.search.search(query("ＳＨＯＥＳ")).await.unwrap();
    let second_page = SearchQuery {
        page: page(2, 20),
        ..query("连衣裙")
    };
    shop.search.search(second_page).await.unwrap();
    shop.search.search(query("   ")).await.unwrap();

    let hot = shop.search.hot_terms(10).await.unwrap();
    let counted: Vec<(&str, i64)> = hot.iter().map(|t| (t.term.as_str(), t.count)).collect();
    assert_eq!(counted, vec![("连衣裙", 2), ("shoes", 1)]);
    assert_eq!(shop.terms.hot(10, None).await.unwrap().len(), 2);
}

#[tokio::test]
async fn hot_terms_look_back_a_window_and_bound_the_limit() {
    let mut terms = MockSearchTerms::new();
    terms
        .expect_hot()
        .withf(|limit, since| *limit == 5 && *since == Some(t0() - Duration::days(30)))
        .times(1)
        .returning(|_, _| Ok(Vec::new()));
    let search = service(Arc::new(MockProductSearch::new()), Arc::new(terms));
    assert!(search.hot_terms(5).await.unwrap().is_empty());
    for limit in [0, 51] {
        let refused = search.hot_terms(limit).await;
        assert!(
            matches!(refused, Err(ServiceError::Validation(_))),
            "{refused:?}"
        );
    }
}

fn service(index: Arc<dyn ProductSearch>, terms: Arc<dyn SearchTerms>) -> CatalogSearch {
    let catalog = Arc::new(MemoryCatalog::new());
    CatalogSearch::new(index, terms, catalog.clone(), catalog, Arc::new(FixedClock))
}

#[tokio::test]
async fn an_invalid_query_reaches_neither_the_index_nor_the_terms() {
    // Mocks without expectations: any call panics.
    let search = service(
        Arc::new(MockProductSearch::new()),
        Arc::new(MockSearchTerms::new()),
    );
    let too_long = query(&"裙".repeat(51));
    let inverted = SearchQuery {
        price_min: Some(Fen::new(2)),
        price_max: Some(Fen::new(1)),
        ..query("裙")
    };
    for bad in [too_long, inverted] {
        let refused = search.search(bad).await;
        assert!(
            matches!(refused, Err(ServiceError::Validation(_))),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn a_failing_index_is_unavailable_and_failing_terms_do_not_fail_the_search() {
    let mut index = MockProductSearch::new();
    index
        .expect_search()
        .returning(|_| Err(SearchIndexError::new("segment lost")));
    index
        .expect_replace_all()
        .returning(|_| Err(SearchIndexError::new("out of memory")));
    let terms = Arc::new(MemorySearchTerms::new());
    let search = service(Arc::new(index), terms.clone());
    let failed = search.search(query("裙")).await;
    assert!(
        matches!(failed, Err(ServiceError::Unavailable(_))),
        "{failed:?}"
    );
    let failed = search.rebuild().await;
    assert!(
        matches!(failed, Err(ServiceError::Unavailable(_))),
        "{failed:?}"
    );

    let mut broken_terms = MockSearchTerms::new();
    broken_terms
        .expect_record()
        .times(1)
        .returning(|_, _| Err(RepositoryError::Unavailable("down".to_owned())));
    let search = service(Arc::new(MemoryProductSearch::new()), Arc::new(broken_terms));
    let found = search.search(query("裙")).await.unwrap();
    assert_eq!(found.total, 0);
}

#[tokio::test]
async fn price_filters_apply_to_the_price_shown() {
    let shop = Shop::new();
    let (dress, sneakers) = dresses_and_shoes(&shop).await;
    shop.search.rebuild().await.unwrap();
    let between = |min: i64, max: i64| SearchQuery {
        price_min: Some(Fen::new(min)),
        price_max: Some(Fen::new(max)),
        ..SearchQuery::browse()
    };
    // The dress shows 299.00 (its dearer SKU is 359.00).
    assert_eq!(
        ids(&shop.search.search(between(29900, 29900)).await.unwrap()),
        vec![dress]
    );
    assert!(
        shop.search
            .search(between(30000, 36000))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let mut both = ids(&shop.search.search(between(0, 40000)).await.unwrap());
    both.sort();
    assert_eq!(both, vec![dress, sneakers]);
}
