//! The shopper's mall orders: the list, one order with its after-sales badge, cancelling an
//! unpaid one and confirming receipt. Another shopper's order reads as not found.

use std::str::FromStr;

use actix_web::{HttpResponse, get, post, web};
use elife_domain::trade::orders::MallOrderStatus;
use serde::Deserialize;
use utoipa::IntoParams;

use super::State;
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::identity::CurrentUser;
use crate::http::validation::{Problems, page_request};
use crate::http::views::{MallOrderList, MallOrderView};

pub fn mall_status(problems: &mut Problems, raw: Option<&str>) -> Option<MallOrderStatus> {
    problems.optional(raw, |raw| {
        MallOrderStatus::from_str(raw).map_err(|_| {
            let names: Vec<&str> = MallOrderStatus::ALL
                .iter()
                .map(|status| status.as_str())
                .collect();
            format!("status {raw:?} must be one of {}", names.join(", "))
        })
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyMallOrdersQuery {
    /// `unpaid`, `paid`, `shipped`, `completed`, `cancelled`.
    pub status: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

#[utoipa::path(
    tag = "mall",
    params(MyMallOrdersQuery),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "the caller's mall orders, newest first", body = Envelope<MallOrderList>),
        (status = 400, description = "invalid filter", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/mall/orders")]
pub async fn my_orders(
    state: State,
    user: CurrentUser,
    query: web::Query<MyMallOrdersQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let status = mall_status(&mut problems, query.status.as_deref());
    let page = page_request(&mut problems, query.page.as_deref(), query.limit.as_deref());
    problems.into_result()?;
    let orders = state
        .mall
        .orders
        .orders_for_buyer(&user.openid, status, page)
        .await?;
    Ok(envelope::ok(MallOrderList::new(&orders, |order| {
        MallOrderView::new(order, None)
    })))
}

#[utoipa::path(
    tag = "mall",
    params(("orderNo" = String, Path, example = "ORD1760754386127abcdefghijkl")),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "one of the caller's orders (售后中 while an after-sale is open)", body = Envelope<MallOrderView>),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such order of the caller's", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/mall/orders/{orderNo}")]
pub async fn my_order(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let order = state
        .mall
        .orders
        .order_for_buyer(&user.openid, &path)
        .await?;
    let (badge, _) = state
        .mall
        .after_sales
        .for_buyer_order(&user.openid, &path)
        .await?;
    Ok(envelope::ok(MallOrderView::new(&order, Some(badge))))
}

#[utoipa::path(
    tag = "mall",
    params(("orderNo" = String, Path, example = "ORD1760754386127abcdefghijkl")),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 201, description = "the order, cancelled (its payment closed at WeChat first; stock given back)", body = Envelope<MallOrderView>),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such order of the caller's", body = ErrorEnvelope),
        (status = 409, description = "not unpaid, or paid meanwhile, or WeChat not ready to close yet", body = ErrorEnvelope),
        (status = 502, description = "WeChat Pay unavailable: try again", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[post("/api/mall/orders/{orderNo}/cancel")]
pub async fn cancel_order(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let order = state
        .mall
        .orders
        .cancel_by_buyer(&user.openid, &path)
        .await?;
    Ok(envelope::created(MallOrderView::new(&order, None)))
}

#[utoipa::path(
    tag = "mall",
    params(("orderNo" = String, Path, example = "ORD1760754386127abcdefghijkl")),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 201, description = "the order, completed", body = Envelope<MallOrderView>),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such order of the caller's", body = ErrorEnvelope),
        (status = 409, description = "the order is not shipped", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[post("/api/mall/orders/{orderNo}/receive")]
pub async fn confirm_receipt(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let order = state
        .mall
        .orders
        .confirm_receipt(&user.openid, &path)
        .await?;
    Ok(envelope::created(MallOrderView::new(&order, None)))
}
