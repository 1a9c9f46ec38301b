//! The points shop for the mini-program (the seed's `/api/payment/*` paths): packages,
//! buying one, the buyer's points orders and their cancellation; and the caller's points
//! account and ledger.

use std::str::FromStr;

use actix_web::{HttpResponse, get, post, web};
use elife_domain::points::{PayMethod, PaymentStart, PointsOrderFilter, PointsOrderStatus};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::State;
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::identity::CurrentUser;
use crate::http::validation::{Problems, page_request};
use crate::http::views::{
    LedgerList, PackageView, PointsAccountView, PointsOrderList, PointsOrderView,
    PointsPurchaseView,
};

/// A package id from the path; one that is not a number names no package.
pub fn package_id(raw: &str) -> Result<i64, ApiError> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| ApiError::not_found(format!("package {raw} not found")))
}

/// A points order status filter.
pub fn status_filter(problems: &mut Problems, raw: Option<&str>) -> Option<PointsOrderStatus> {
    problems.optional(raw, |raw| {
        PointsOrderStatus::from_str(raw).map_err(|_| {
            let names: Vec<&str> = PointsOrderStatus::ALL
                .iter()
                .map(|status| status.as_str())
                .collect();
            format!("status {raw:?} must be one of {}", names.join(", "))
        })
    })
}

#[utoipa::path(
    tag = "points",
    responses(
        (status = 200, description = "the packages on sale, by sort order", body = Envelope<Vec<PackageView>>),
        (status = 429, description = "too many requests from this address", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/payment/packages")]
pub async fn package_list(state: State) -> Result<HttpResponse, ApiError> {
    let packages = state.points.shop.packages().await?;
    Ok(envelope::ok(
        packages.iter().map(PackageView::from).collect::<Vec<_>>(),
    ))
}

#[utoipa::path(
    tag = "points",
    params(("id" = i64, Path, example = 1)),
    responses(
        (status = 200, description = "a package on sale", body = Envelope<PackageView>),
        (status = 404, description = "no such package on sale", body = ErrorEnvelope),
        (status = 429, description = "too many requests from this address", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/payment/packages/{id}")]
pub async fn package_detail(
    state: State,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let package = state.points.shop.package(package_id(&path)?).await?;
    Ok(envelope::ok(PackageView::from(&package)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatePointsOrderBody {
    #[schema(example = 1)]
    pub package_id: Option<i64>,
    /// `jsapi` (default: `wx.requestPayment` in the mini-program) or `native` (a QR code;
    /// needs the WeChat Pay API v3 channel).
    #[schema(example = "jsapi")]
    pub channel: Option<String>,
}

fn pay_method(problems: &mut Problems, raw: Option<&str>) -> PayMethod {
    problems
        .optional(raw, |raw| match raw {
            "jsapi" => Ok(PayMethod::Jsapi),
            "native" => Ok(PayMethod::Native),
            other => Err(format!("channel {other:?} must be jsapi or native")),
        })
        .unwrap_or(PayMethod::Jsapi)
}

#[utoipa::path(
    tag = "points",
    request_body = CreatePointsOrderBody,
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 201, description = "the new points order and what the client needs to pay it", body = Envelope<PointsPurchaseView>),
        (status = 400, description = "invalid input", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such package on sale", body = ErrorEnvelope),
        (status = 429, description = "too many payments a minute", body = ErrorEnvelope),
        (status = 502, description = "WeChat Pay unavailable or refused (e.g. native without the API v3 channel)", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[post("/api/payment/orders")]
pub async fn create_points_order(
    state: State,
    user: CurrentUser,
    body: web::Json<CreatePointsOrderBody>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    if body.package_id.is_none() {
        problems.add("packageId should not be empty");
    }
    let method = pay_method(&mut problems, body.channel.as_deref());
    let package_id = problems.into_value(body.package_id)?;
    state.limits.payments.check(user.openid.as_str())?;
    let (order, start) = state
        .points
        .shop
        .buy(&user.openid, package_id, method, &user.client_ip)
        .await?;
    let (channel, payment) = match start {
        PaymentStart::Jsapi(params) => ("jsapi", params.0),
        PaymentStart::Native { code_url } => ("native", json!({ "codeUrl": code_url })),
    };
    Ok(envelope::created(PointsPurchaseView {
        order: PointsOrderView::from(&order),
        channel: channel.to_owned(),
        payment,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyPointsOrdersQuery {
    /// `pending`, `paid`, `closed`, `partly_refunded`, `refunded`.
    pub status: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

#[utoipa::path(
    tag = "points",
    params(MyPointsOrdersQuery),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "the caller's points orders, newest first", body = Envelope<PointsOrderList>),
        (status = 400, description = "invalid filter", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/payment/orders")]
pub async fn my_points_orders(
    state: State,
    user: CurrentUser,
    query: web::Query<MyPointsOrdersQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let status = status_filter(&mut problems, query.status.as_deref());
    let page = page_request(&mut problems, query.page.as_deref(), query.limit.as_deref());
    problems.into_result()?;
    let filter = PointsOrderFilter {
        user: Some(user.openid),
        status,
        ..PointsOrderFilter::default()
    };
    let orders = state.points.shop.orders(&filter, page).await?;
    Ok(envelope::ok(PointsOrderList::from(&orders)))
}

#[utoipa::path(
    tag = "points",
    params(("orderNo" = String, Path, example = "ORD1760754386127abcdefghijkl")),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "one of the caller's points orders", body = Envelope<PointsOrderView>),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such order of the caller's", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/payment/orders/{orderNo}")]
pub async fn my_points_order(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let order = state.points.shop.order_of(&user.openid, &path).await?;
    Ok(envelope::ok(PointsOrderView::from(&order)))
}

#[utoipa::path(
    tag = "points",
    params(("orderNo" = String, Path, example = "ORD1760754386127abcdefghijkl")),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 201, description = "the order, closed (its payment closed at WeChat first)", body = Envelope<PointsOrderView>),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such order of the caller's", body = ErrorEnvelope),
        (status = 409, description = "the order is not unpaid, or was paid meanwhile", body = ErrorEnvelope),
        (status = 502, description = "WeChat Pay unavailable: try again", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[post("/api/payment/orders/{orderNo}/cancel")]
pub async fn cancel_points_order(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let order = state.points.shop.cancel(&user.openid, &path).await?;
    Ok(envelope::created(PointsOrderView::from(&order)))
}

#[utoipa::path(
    tag = "points",
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "the caller's points balance (0 before any points moved)", body = Envelope<PointsAccountView>),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/points/account")]
pub async fn my_account(state: State, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let account = state.points.service.account(&user.openid).await?;
    Ok(envelope::ok(PointsAccountView::from(&account)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub page: Option<String>,
    pub limit: Option<String>,
}

#[utoipa::path(
    tag = "points",
    params(PageQuery),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "the caller's points entries, newest first", body = Envelope<LedgerList>),
        (status = 400, description = "invalid page", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/points/ledger")]
pub async fn my_ledger(
    state: State,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let page = page_request(&mut problems, query.page.as_deref(), query.limit.as_deref());
    problems.into_result()?;
    let entries = state.points.service.entries(&user.openid, page).await?;
    Ok(envelope::ok(LedgerList::from(&entries)))
}
