//! The shopper's after-sales: apply about one item of a paid order (refund only, or return
//! and refund), see them, ship the goods back, withdraw. Refunds go through the payments
//! core when the merchant decides.

use std::str::FromStr;

use actix_web::{HttpResponse, get, post, web};
use elife_domain::money::Fen;
use elife_domain::trade::after_sales::{AfterSaleKind, Application};
use serde::Deserialize;
use utoipa::ToSchema;

use super::State;
use super::points::PageQuery;
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::identity::CurrentUser;
use crate::http::validation::{Problems, page_only};
use crate::http::views::{AfterSaleList, AfterSaleView, OrderAfterSalesView};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplyBody {
    /// The item's line in the order (1-based).
    #[schema(example = 1)]
    pub line: Option<u32>,
    /// `refund_only` or `return_and_refund`.
    #[schema(example = "refund_only")]
    pub kind: Option<String>,
    #[schema(example = "尺码不合适")]
    pub reason: Option<String>,
    /// At most what was paid for the item, less what its earlier after-sales took.
    #[schema(example = 1990)]
    pub amount_fen: Option<i64>,
    /// Units sent back (return and refund only).
    pub quantity: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShipBackBody {
    #[schema(example = "shunfeng")]
    pub carrier: Option<String>,
    #[schema(example = "SF1234567890")]
    pub tracking_no: Option<String>,
}

#[utoipa::path(
    tag = "mall",
    request_body = ApplyBody,
    params(("orderNo" = String, Path, example = "ORD1760754386127abcdefghijkl")),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 201, description = "the application, waiting for the merchant", body = Envelope<AfterSaleView>),
        (status = 400, description = "invalid input, or an amount above what the item may still get back", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such order of the caller's", body = ErrorEnvelope),
        (status = 409, description = "the order is not paid, or the item has an after-sale open", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[post("/api/mall/orders/{orderNo}/after-sales")]
pub async fn apply(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Json<ApplyBody>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    if body.line.is_none() {
        problems.add("line should not be empty");
    }
    let kind = problems.optional(body.kind.as_deref(), |raw| {
        AfterSaleKind::from_str(raw)
            .map_err(|_| format!("kind {raw:?} must be refund_only or return_and_refund"))
    });
    if body.kind.is_none() {
        problems.add("kind should not be empty");
    }
    let reason = problems.required("reason", &body.reason);
    if body.amount_fen.is_none() {
        problems.add("amountFen should not be empty");
    }
    let (((line, kind), reason), amount) =
        problems.into_value(body.line.zip(kind).zip(reason).zip(body.amount_fen))?;
    let application = Application {
        line,
        kind,
        reason,
        amount: Fen::new(amount),
        quantity: body.quantity.unwrap_or(0),
    };
    let after_sale = state
        .mall
        .after_sales
        .apply(&user.openid, &path, &application)
        .await?;
    Ok(envelope::created(AfterSaleView::from(&after_sale)))
}

#[utoipa::path(
    tag = "mall",
    params(("orderNo" = String, Path, example = "ORD1760754386127abcdefghijkl")),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "the order's label and its after-sales", body = Envelope<OrderAfterSalesView>),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such order of the caller's", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/mall/orders/{orderNo}/after-sales")]
pub async fn order_after_sales(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (badge, after_sales) = state
        .mall
        .after_sales
        .for_buyer_order(&user.openid, &path)
        .await?;
    Ok(envelope::ok(OrderAfterSalesView {
        status_label: badge.label_zh().to_owned(),
        after_sales: after_sales.iter().map(AfterSaleView::from).collect(),
    }))
}

#[utoipa::path(
    tag = "mall",
    params(PageQuery),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "the caller's after-sales, newest first", body = Envelope<AfterSaleList>),
        (status = 400, description = "invalid page", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/mall/after-sales")]
pub async fn my_after_sales(
    state: State,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_only(query.page.as_deref(), query.limit.as_deref())?;
    let after_sales = state.mall.after_sales.for_buyer(&user.openid, page).await?;
    Ok(envelope::ok(AfterSaleList::from(&after_sales)))
}

#[utoipa::path(
    tag = "mall",
    params(("id" = String, Path, example = "ORD1760754386127abcdefghijkl-1-1")),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "one of the caller's after-sales", body = Envelope<AfterSaleView>),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such after-sale of the caller's", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/mall/after-sales/{id}")]
pub async fn my_after_sale(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let after_sale = state
        .mall
        .after_sales
        .after_sale_for_buyer(&user.openid, &path)
        .await?;
    Ok(envelope::ok(AfterSaleView::from(&after_sale)))
}

#[utoipa::path(
    tag = "mall",
    request_body = ShipBackBody,
    params(("id" = String, Path, example = "ORD1760754386127abcdefghijkl-1-1")),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 201, description = "the after-sale, returning", body = Envelope<AfterSaleView>),
        (status = 400, description = "carrier or tracking number missing", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such after-sale of the caller's", body = ErrorEnvelope),
        (status = 409, description = "not an approved return", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[post("/api/mall/after-sales/{id}/ship-back")]
pub async fn ship_back(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Json<ShipBackBody>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let carrier = problems.required("carrier", &body.carrier);
    let tracking_no = problems.required("trackingNo", &body.tracking_no);
    let (carrier, tracking_no) = problems.into_value(carrier.zip(tracking_no))?;
    let after_sale = state
        .mall
        .after_sales
        .ship_back(&user.openid, &path, &carrier, &tracking_no)
        .await?;
    Ok(envelope::created(AfterSaleView::from(&after_sale)))
}

#[utoipa::path(
    tag = "mall",
    params(("id" = String, Path, example = "ORD1760754386127abcdefghijkl-1-1")),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 201, description = "the after-sale, withdrawn", body = Envelope<AfterSaleView>),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such after-sale of the caller's", body = ErrorEnvelope),
        (status = 409, description = "too late to withdraw", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[post("/api/mall/after-sales/{id}/cancel")]
pub async fn cancel(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let after_sale = state.mall.after_sales.cancel(&user.openid, &path).await?;
    Ok(envelope::created(AfterSaleView::from(&after_sale)))
}
