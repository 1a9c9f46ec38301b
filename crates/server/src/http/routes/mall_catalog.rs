//! Browsing the mall: the category tree, searching and listing products (an in-process
//! index with a Chinese tokenizer), a product page, the hot search terms. Open to anyone;
//! a logged-in shopper's product views go to their history.

use std::str::FromStr;

use actix_web::{HttpResponse, get, web};
use elife_domain::catalog::search::{SearchQuery, SearchSort};
use elife_domain::catalog::{CategoryId, ProductId};
use elife_domain::money::Fen;
use serde::Deserialize;
use utoipa::IntoParams;

use super::State;
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::identity::MaybeUser;
use crate::http::validation::{Problems, page_request};
use crate::http::views::{CategoryView, HotTermView, ProductCardList, ProductPageView};

#[utoipa::path(
    tag = "mall",
    responses(
        (status = 200, description = "the categories shoppers can see, parents before children, by sort order", body = Envelope<Vec<CategoryView>>),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/mall/categories")]
pub async fn categories(state: State) -> Result<HttpResponse, ApiError> {
    let categories = state.mall.shelf.categories().await?;
    Ok(envelope::ok(
        categories
            .iter()
            .map(CategoryView::from)
            .collect::<Vec<_>>(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ProductsQuery {
    /// Words to search (Chinese is segmented); absent: browse.
    pub q: Option<String>,
    /// This category and everything under it.
    pub category_id: Option<String>,
    /// Inclusive bounds on the shown price, in fen.
    pub min_price: Option<String>,
    pub max_price: Option<String>,
    /// `relevance` (default), `sales`, `price_asc`, `price_desc`, `newest`.
    pub sort: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

fn number(problems: &mut Problems, name: &str, raw: Option<&str>) -> Option<i64> {
    problems.optional(raw, |raw| {
        raw.trim()
            .parse::<i64>()
            .map_err(|_| format!("{name} must be an integer"))
    })
}

#[utoipa::path(
    tag = "mall",
    params(ProductsQuery),
    responses(
        (status = 200, description = "products on sale matching the query, in the order asked", body = Envelope<ProductCardList>),
        (status = 400, description = "invalid filter (every problem listed)", body = ErrorEnvelope),
        (status = 503, description = "storage or index unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/mall/products")]
pub async fn products(
    state: State,
    query: web::Query<ProductsQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let category = number(&mut problems, "categoryId", query.category_id.as_deref());
    let price_min = number(&mut problems, "minPrice", query.min_price.as_deref());
    let price_max = number(&mut problems, "maxPrice", query.max_price.as_deref());
    let sort = problems.optional(query.sort.as_deref(), |raw| {
        SearchSort::from_str(raw).map_err(|_| {
            let names: Vec<&str> = SearchSort::ALL.iter().map(|sort| sort.as_str()).collect();
            format!("sort {raw:?} must be one of {}", names.join(", "))
        })
    });
    let page = page_request(&mut problems, query.page.as_deref(), query.limit.as_deref());
    let search = SearchQuery {
        text: query.q.clone().unwrap_or_default(),
        category: category.map(CategoryId),
        price_min: price_min.map(Fen::new),
        price_max: price_max.map(Fen::new),
        sort: sort.unwrap_or(SearchSort::Relevance),
        page,
    };
    for problem in search.problems() {
        problems.add(problem);
    }
    problems.into_result()?;
    let found = state.mall.search.search(search).await?;
    Ok(envelope::ok(ProductCardList::from(&found)))
}

#[utoipa::path(
    tag = "mall",
    params(("id" = i64, Path, example = 1)),
    responses(
        (status = 200, description = "a product on sale with its enabled SKUs and their stock", body = Envelope<ProductPageView>),
        (status = 404, description = "no such product on sale", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/mall/products/{id}")]
pub async fn product(
    state: State,
    viewer: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path
        .trim()
        .parse::<i64>()
        .map(ProductId)
        .map_err(|_| ApiError::not_found(format!("product {path} not found")))?;
    let detail = state.mall.shelf.detail(id).await?;
    let mut favourite = false;
    if let Some(user) = viewer.0 {
        // The page is shown even if the history or favourites cannot be read now.
        if let Err(error) = state.mall.history.record(&user.openid, id).await {
            tracing::warn!(%error, product = %id, "product view not recorded");
        }
        favourite = state
            .mall
            .favourites
            .is_favourite(&user.openid, id)
            .await
            .unwrap_or(false);
    }
    Ok(envelope::ok(ProductPageView::new(&detail, favourite)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HotQuery {
    /// 1 to 50, default 10.
    pub limit: Option<String>,
}

#[utoipa::path(
    tag = "mall",
    params(HotQuery),
    responses(
        (status = 200, description = "the most searched terms of the last 30 days", body = Envelope<Vec<HotTermView>>),
        (status = 400, description = "invalid limit", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/mall/search/hot")]
pub async fn hot_terms(
    state: State,
    query: web::Query<HotQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let limit = problems
        .optional(query.limit.as_deref(), |raw| {
            raw.trim()
                .parse::<u64>()
                .ok()
                .filter(|limit| (1..=50).contains(limit))
                .ok_or_else(|| "limit must be 1 to 50".to_owned())
        })
        .unwrap_or(10);
    problems.into_result()?;
    let terms = state.mall.search.hot_terms(limit).await?;
    Ok(envelope::ok(
        terms.iter().map(HotTermView::from).collect::<Vec<_>>(),
    ))
}
