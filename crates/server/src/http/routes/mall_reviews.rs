//! Reviews and parcels for shoppers: reviewing an item of a completed order (once), a
//! product's reviews and their figures, the caller's own reviews, and tracking the parcel
//! of the caller's order.

use actix_web::{HttpResponse, get, post, web};
use elife_domain::catalog::ProductId;
use elife_domain::catalog::reviews::{ReviewFilter, ReviewInput};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::State;
use super::points::PageQuery;
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::identity::CurrentUser;
use crate::http::validation::page_only;
use crate::http::views::{ParcelView, ReviewList, ReviewStatsView, ReviewView};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewBody {
    /// 1 to 5 stars.
    #[schema(example = 5)]
    pub rating: Option<u8>,
    #[schema(example = "很好喝")]
    pub text: Option<String>,
    /// Up to 9 https URLs.
    #[serde(default)]
    pub images: Vec<String>,
    /// Shown as the first character of the name followed by `**`.
    #[serde(default)]
    pub anonymous: bool,
    /// The name shown with the review; empty: 匿名用户.
    pub nickname: Option<String>,
}

#[utoipa::path(
    tag = "mall",
    request_body = ReviewBody,
    params(
        ("orderNo" = String, Path, example = "ORD1760754386127abcdefghijkl"),
        ("line" = u32, Path, example = 1),
    ),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 201, description = "the review, as shoppers read it", body = Envelope<ReviewView>),
        (status = 400, description = "invalid rating, text or images", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such order of the caller's, or no such line", body = ErrorEnvelope),
        (status = 409, description = "the order is not completed, or the item is reviewed already", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[post("/api/mall/orders/{orderNo}/items/{line}/review")]
pub async fn review(
    state: State,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    body: web::Json<ReviewBody>,
) -> Result<HttpResponse, ApiError> {
    let (order_no, line) = path.into_inner();
    let line = line
        .trim()
        .parse::<u32>()
        .map_err(|_| ApiError::not_found(format!("order {order_no} has no line {line}")))?;
    let Some(rating) = body.rating else {
        return Err(ApiError::bad_request("rating should not be empty"));
    };
    let input = ReviewInput {
        rating,
        text: body.text.clone().unwrap_or_default(),
        images: body.images.clone(),
        anonymous: body.anonymous,
        reviewer_name: body.nickname.clone().unwrap_or_default(),
    };
    let review = state
        .mall
        .reviews
        .review(&user.openid, &order_no, line, input)
        .await?;
    Ok(envelope::created(ReviewView::from(&review)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ProductReviewsQuery {
    /// `true`: only reviews with images (有图).
    pub with_images: Option<bool>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

fn product_id(raw: &str) -> Result<ProductId, ApiError> {
    raw.trim()
        .parse::<i64>()
        .map(ProductId)
        .map_err(|_| ApiError::not_found(format!("product {raw} not found")))
}

#[utoipa::path(
    tag = "mall",
    params(("id" = i64, Path), ProductReviewsQuery),
    responses(
        (status = 200, description = "the product's reviews, newest first; no reviewer's openid, anonymous names masked", body = Envelope<ReviewList>),
        (status = 400, description = "invalid page", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/mall/products/{id}/reviews")]
pub async fn product_reviews(
    state: State,
    path: web::Path<String>,
    query: web::Query<ProductReviewsQuery>,
) -> Result<HttpResponse, ApiError> {
    let product = product_id(&path)?;
    let page = page_only(query.page.as_deref(), query.limit.as_deref())?;
    let filter = if query.with_images.unwrap_or(false) {
        ReviewFilter::WithImages
    } else {
        ReviewFilter::All
    };
    let reviews = state
        .mall
        .reviews
        .product_reviews(product, filter, page)
        .await?;
    Ok(envelope::ok(ReviewList::from(&reviews)))
}

#[utoipa::path(
    tag = "mall",
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "how many reviews, the average in hundredths of a star, per star, with images, share of 4 and 5 stars", body = Envelope<ReviewStatsView>),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/mall/products/{id}/reviews/stats")]
pub async fn review_stats(state: State, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let stats = state.mall.reviews.stats(product_id(&path)?).await?;
    Ok(envelope::ok(ReviewStatsView::from(&stats)))
}

#[utoipa::path(
    tag = "mall",
    params(PageQuery),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "the caller's reviews, newest first", body = Envelope<ReviewList>),
        (status = 400, description = "invalid page", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/mall/reviews/mine")]
pub async fn my_reviews(
    state: State,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_only(query.page.as_deref(), query.limit.as_deref())?;
    let reviews = state.mall.reviews.my_reviews(&user.openid, page).await?;
    Ok(envelope::ok(ReviewList::of_reviews(&reviews)))
}

#[utoipa::path(
    tag = "mall",
    params(("orderNo" = String, Path, example = "ORD1760754386127abcdefghijkl")),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "the parcel's state and its events, newest first (empty until the carrier has a record)", body = Envelope<ParcelView>),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such order of the caller's", body = ErrorEnvelope),
        (status = 409, description = "the order is not shipped", body = ErrorEnvelope),
        (status = 502, description = "the tracking service refused or answered nonsense", body = ErrorEnvelope),
        (status = 503, description = "the tracking service is unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/mall/orders/{orderNo}/tracking")]
pub async fn tracking(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let parcel = state
        .mall
        .delivery
        .track_for_buyer(&user.openid, &path)
        .await?;
    Ok(envelope::ok(ParcelView::from(&parcel)))
}
