//! The tantivy index through the search port: Chinese words, filters, every sort, paging,
//! and writes seen by the very next search.

use chrono::{DateTime, Duration, TimeZone, Utc};
use elife_domain::catalog::search::{
    ProductSearch, SearchDocument, SearchQuery, SearchResults, SearchSort,
};
use elife_domain::catalog::{CategoryId, ProductId};
use elife_domain::money::Fen;
use elife_domain::ports::PageRequest;
use elife_search::TantivyProductSearch;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap()
}

/// Categories: 1 服装 > 2 女装 > 3 裙装; 4 鞋靴.
fn doc(
    id: i64,
    name: &str,
    path: &[i64],
    prices: (i64, i64),
    sales: i64,
    age_days: i64,
) -> SearchDocument {
    SearchDocument {
        product_id: ProductId(id),
        name: name.to_owned(),
        description: String::new(),
        category_id: CategoryId(*path.last().unwrap()),
        category_path: path.iter().copied().map(CategoryId).collect(),
        min_price: Fen::new(prices.0),
        max_price: Fen::new(prices.1),
        sales,
        created_at: t0() - Duration::days(age_days),
    }
}

fn shelf() -> Vec<SearchDocument> {
    vec![
        doc(1, "红色连衣裙", &[1, 2, 3], (29900, 35900), 10, 5),
        doc(2, "男士运动鞋", &[4], (39900, 39900), 50, 1),
        doc(3, "女士真丝衬衫", &[1, 2], (19900, 25900), 10, 3),
        SearchDocument {
            description: "适合夏季穿的碎花连衣裙".to_owned(),
            ..doc(4, "雪纺长裙", &[1, 2, 3], (15900, 15900), 0, 2)
        },
        doc(5, "iPhone 手机壳", &[1], (2900, 4900), 200, 9),
    ]
}

async fn index() -> TantivyProductSearch {
    let index = TantivyProductSearch::new().unwrap();
    index.replace_all(shelf()).await.unwrap();
    index
}

fn text(text: &str) -> SearchQuery {
    SearchQuery {
        text: text.to_owned(),
        ..SearchQuery::browse()
    }
}

fn sorted(sort: SearchSort) -> SearchQuery {
    SearchQuery {
        sort,
        ..SearchQuery::browse()
    }
}

fn ids(results: &SearchResults) -> Vec<i64> {
    results
        .hits
        .iter()
        .map(|hit| hit.product_id.value())
        .collect()
}

async fn found(index: &TantivyProductSearch, query: SearchQuery) -> Vec<i64> {
    ids(&index.search(&query).await.unwrap())
}

#[tokio::test]
async fn chinese_words_find_the_products_that_contain_them() {
    let index = index().await;
    assert_eq!(found(&index, text("运动")).await, vec![2]);
    assert_eq!(found(&index, text("运动鞋")).await, vec![2]);
    assert_eq!(found(&index, text("衬衫")).await, vec![3]);
    assert_eq!(
        found(&index, text("iphone")).await,
        vec![5],
        "case-insensitive"
    );
    assert!(found(&index, text("电脑")).await.is_empty());
    assert!(
        found(&index, text("！？")).await.is_empty(),
        "no word, no hit"
    );
}

#[tokio::test]
async fn every_word_must_match_and_a_name_match_ranks_first() {
    let index = index().await;
    // 1 has it in its name, 4 only in its description.
    let dresses = index.search(&text("连衣裙")).await.unwrap();
    assert_eq!(ids(&dresses), vec![1, 4]);
    assert_eq!(dresses.total, 2);
    assert!(dresses.hits[0].score > dresses.hits[1].score);
    assert_eq!(found(&index, text("红色连衣裙")).await, vec![1]);
    assert_eq!(found(&index, text("红色 连衣裙")).await, vec![1]);
    assert!(found(&index, text("红色 运动鞋")).await.is_empty());
}

#[tokio::test]
async fn a_parent_category_matches_its_whole_subtree() {
    let index = index().await;
    let in_category = |id: i64| SearchQuery {
        category: Some(CategoryId(id)),
        sort: SearchSort::Newest,
        ..SearchQuery::browse()
    };
    assert_eq!(found(&index, in_category(1)).await, vec![4, 3, 1, 5]);
    assert_eq!(found(&index, in_category(2)).await, vec![4, 3, 1]);
    assert_eq!(found(&index, in_category(3)).await, vec![4, 1]);
    assert_eq!(found(&index, in_category(4)).await, vec![2]);
    assert!(found(&index, in_category(99)).await.is_empty());
    let dresses_in_shoes = SearchQuery {
        category: Some(CategoryId(4)),
        ..text("连衣裙")
    };
    assert!(found(&index, dresses_in_shoes).await.is_empty());
}

#[tokio::test]
async fn the_price_range_bounds_the_price_shown_inclusively() {
    let index = index().await;
    let priced = |min: Option<i64>, max: Option<i64>| SearchQuery {
        price_min: min.map(Fen::new),
        price_max: max.map(Fen::new),
        sort: SearchSort::PriceAsc,
        ..SearchQuery::browse()
    };
    assert_eq!(
        found(&index, priced(Some(15900), Some(29900))).await,
        vec![4, 3, 1]
    );
    assert_eq!(found(&index, priced(Some(30000), None)).await, vec![2]);
    assert_eq!(found(&index, priced(None, Some(2900))).await, vec![5]);
    // 1's dearer SKU costs 359.00, but it shows 299.00.
    assert!(
        found(&index, priced(Some(30000), Some(36000)))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn each_sort_orders_with_stable_tie_breaks() {
    let index = index().await;
    // Relevance without text: every score equal, so sales, then the newer id.
    assert_eq!(
        found(&index, sorted(SearchSort::Relevance)).await,
        vec![5, 2, 3, 1, 4]
    );
    // Sales ties (1 and 3 sold 10) go to the more recently created.
    assert_eq!(
        found(&index, sorted(SearchSort::Sales)).await,
        vec![5, 2, 3, 1, 4]
    );
    assert_eq!(
        found(&index, sorted(SearchSort::PriceAsc)).await,
        vec![5, 4, 3, 1, 2]
    );
    assert_eq!(
        found(&index, sorted(SearchSort::PriceDesc)).await,
        vec![2, 1, 3, 4, 5]
    );
    assert_eq!(
        found(&index, sorted(SearchSort::Newest)).await,
        vec![2, 4, 3, 1, 5]
    );
    let cheap_dresses = SearchQuery {
        sort: SearchSort::PriceAsc,
        ..text("连衣裙")
    };
    assert_eq!(found(&index, cheap_dresses).await, vec![4, 1]);
}

#[tokio::test]
async fn pages_split_the_same_order_and_count_every_match() {
    let index = index().await;
    let page = |page: u64| SearchQuery {
        page: PageRequest { page, limit: 2 },
        ..sorted(SearchSort::PriceAsc)
    };
    let mut all = Vec::new();
    for number in 1..=3 {
        let results = index.search(&page(number)).await.unwrap();
        assert_eq!(results.total, 5);
        all.extend(ids(&results));
    }
    assert_eq!(all, vec![5, 4, 3, 1, 2]);
    let beyond = index.search(&page(4)).await.unwrap();
    assert_eq!((beyond.total, beyond.hits.len()), (5, 0));
}

#[tokio::test]
async fn an_upsert_replaces_and_a_remove_removes_at_once() {
    let index = index().await;
    index
        .upsert(doc(1, "蓝色牛仔裤", &[1, 2], (9900, 9900), 10, 5))
        .await
        .unwrap();
    assert_eq!(found(&index, text("连衣裙")).await, vec![4]);
    assert_eq!(found(&index, text("牛仔裤")).await, vec![1]);
    assert_eq!(index.search(&SearchQuery::browse()).await.unwrap().total, 5);

    index
        .upsert(doc(6, "儿童运动鞋", &[4], (9900, 9900), 0, 0))
        .await
        .unwrap();
    assert_eq!(found(&index, text("运动鞋")).await.len(), 2);

    index.remove(ProductId(2)).await.unwrap();
    assert_eq!(found(&index, text("运动鞋")).await, vec![6]);
    index.remove(ProductId(404)).await.unwrap();
    assert_eq!(index.search(&SearchQuery::browse()).await.unwrap().total, 5);
}

#[tokio::test]
async fn replace_all_swaps_the_whole_index() {
    let index = index().await;
    index
        .replace_all(vec![doc(9, "保温杯", &[1], (4900, 4900), 0, 0)])
        .await
        .unwrap();
    assert_eq!(found(&index, SearchQuery::browse()).await, vec![9]);
    index.replace_all(Vec::new()).await.unwrap();
    assert_eq!(index.search(&SearchQuery::browse()).await.unwrap().total, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_upserts_of_one_product_leave_one_entry() {
    let index = TantivyProductSearch::new().unwrap();
    let writers: Vec<_> = (0..16)
        .map(|n| {
            let index = index.clone();
            tokio::spawn(async move {
                index
                    .upsert(doc(1, &format!("连衣裙{n}号"), &[1], (100, 100), n, 0))
                    .await
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap().unwrap();
    }
    let results = index.search(&text("连衣裙")).await.unwrap();
    assert_eq!((results.total, ids(&results)), (1, vec![1]));
}
