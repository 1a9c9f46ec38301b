//! The shopper's cart: add (merged into an existing line), change a quantity, select for
//! checkout, remove. The price is the checkout quote's business, not the cart's.

use actix_web::{HttpResponse, delete, get, post, put, web};
use elife_domain::catalog::SkuId;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::State;
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::identity::CurrentUser;
use crate::http::validation::Problems;
use crate::http::views::CartLineView;

fn sku_id(raw: &str) -> Result<SkuId, ApiError> {
    raw.trim()
        .parse::<i64>()
        .map(SkuId)
        .map_err(|_| ApiError::not_found(format!("SKU {raw} is not in the cart")))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartAddBody {
    #[schema(example = 12)]
    pub sku_id: Option<i64>,
    /// 1 when absent.
    #[schema(example = 1)]
    pub quantity: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartLineBody {
    pub quantity: Option<i64>,
    pub selected: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartSelectBody {
    pub selected: Option<bool>,
}

#[utoipa::path(
    tag = "mall",
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "the caller's cart lines, newest first", body = Envelope<Vec<CartLineView>>),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/mall/cart")]
pub async fn cart(state: State, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let lines = state.mall.cart.list(&user.openid).await?;
    Ok(envelope::ok(
        lines.iter().map(CartLineView::from).collect::<Vec<_>>(),
    ))
}

#[utoipa::path(
    tag = "mall",
    request_body = CartAddBody,
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 201, description = "the line as it is now (merged and capped)", body = Envelope<CartLineView>),
        (status = 400, description = "invalid SKU or quantity", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "the SKU is not for sale", body = ErrorEnvelope),
        (status = 409, description = "the cart is full", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[post("/api/mall/cart/items")]
pub async fn add_to_cart(
    state: State,
    user: CurrentUser,
    body: web::Json<CartAddBody>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    if body.sku_id.is_none() {
        problems.add("skuId should not be empty");
    }
    let sku = problems.into_value(body.sku_id)?;
    let line = state
        .mall
        .cart
        .add(&user.openid, SkuId(sku), body.quantity.unwrap_or(1))
        .await?;
    Ok(envelope::created(CartLineView::from(&line)))
}

#[utoipa::path(
    tag = "mall",
    request_body = CartLineBody,
    params(("skuId" = i64, Path)),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "the cart after the change", body = Envelope<Vec<CartLineView>>),
        (status = 400, description = "nothing to change, or an invalid quantity", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "the SKU is not in the cart", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[put("/api/mall/cart/items/{skuId}")]
pub async fn change_line(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Json<CartLineBody>,
) -> Result<HttpResponse, ApiError> {
    let sku = sku_id(&path)?;
    if body.quantity.is_none() && body.selected.is_none() {
        return Err(ApiError::bad_request(
            "send quantity, selected or both to change a line",
        ));
    }
    if let Some(quantity) = body.quantity {
        state
            .mall
            .cart
            .set_quantity(&user.openid, sku, quantity)
            .await?;
    }
    if let Some(selected) = body.selected {
        state.mall.cart.select(&user.openid, sku, selected).await?;
    }
    let lines = state.mall.cart.list(&user.openid).await?;
    Ok(envelope::ok(
        lines.iter().map(CartLineView::from).collect::<Vec<_>>(),
    ))
}

#[utoipa::path(
    tag = "mall",
    request_body = CartSelectBody,
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "every line selected (or not)", body = Envelope<Vec<CartLineView>>),
        (status = 400, description = "selected missing", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[post("/api/mall/cart/select")]
pub async fn select_all(
    state: State,
    user: CurrentUser,
    body: web::Json<CartSelectBody>,
) -> Result<HttpResponse, ApiError> {
    let Some(selected) = body.selected else {
        return Err(ApiError::bad_request("selected should not be empty"));
    };
    state.mall.cart.select_all(&user.openid, selected).await?;
    let lines = state.mall.cart.list(&user.openid).await?;
    Ok(envelope::ok(
        lines.iter().map(CartLineView::from).collect::<Vec<_>>(),
    ))
}

#[utoipa::path(
    tag = "mall",
    params(("skuId" = i64, Path)),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "the line removed (removing twice is fine)", body = Envelope<Object>),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[delete("/api/mall/cart/items/{skuId}")]
pub async fn remove_line(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sku = sku_id(&path)?;
    let removed = state.mall.cart.remove(&user.openid, &[sku]).await?;
    Ok(envelope::ok(json!({ "removed": removed })))
}
