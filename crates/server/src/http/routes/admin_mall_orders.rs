//! Mall orders in the back office: the list with filters, one order with its after-sales,
//! shipping, and cancelling an unpaid order. Receivers' phone numbers are masked.
//!
//! Cancelling needs `fulfil_mall_orders`, not `refund_orders`: only an unpaid order can be
//! cancelled, and only once WeChat closed its payment, so no money is given back by this
//! act (a payment landing meanwhile pays the order instead, or is refunded automatically by
//! the order's own rules, never by the person's choice).

use actix_web::{HttpResponse, get, post, web};
use elife_domain::accounts::audit::AuditAction;
use elife_domain::trade::orders::MallOrderFilter;
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::State;
use super::admin_mall::{audit, mall_order_number};
use super::mall_orders::mall_status;
use crate::http::admin_auth::{Authorized, perm};
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::validation::{Problems, day_end, day_start, page_request};
use crate::http::views::{AdminMallOrderDetail, AfterSaleView, MallOrderList, MallOrderView};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AdminMallOrdersQuery {
    /// `unpaid`, `paid`, `shipped`, `completed`, `cancelled`.
    pub status: Option<String>,
    /// One order by its number.
    pub order_no: Option<String>,
    /// YYYY-MM-DD (China days) of creation, inclusive.
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

#[utoipa::path(
    tag = "admin-mall",
    params(AdminMallOrdersQuery),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "mall orders, newest first; phone numbers masked", body = Envelope<MallOrderList>),
        (status = 400, description = "invalid filter", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_mall", body = ErrorEnvelope),
    )
)]
#[get("/admin/mall/orders")]
pub async fn list_mall_orders(
    state: State,
    _admin: Authorized<perm::ViewMall>,
    query: web::Query<AdminMallOrdersQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let filter = MallOrderFilter {
        buyer: None,
        status: mall_status(&mut problems, query.status.as_deref()),
        order_no: problems.optional(query.order_no.as_deref(), |raw| {
            mall_order_number(raw).map_err(|_| format!("orderNo {raw:?} is not an order number"))
        }),
        created_from: day_start(&mut problems, "from", query.from.as_deref()),
        created_to: day_end(&mut problems, "to", query.to.as_deref()),
    };
    let page = page_request(&mut problems, query.page.as_deref(), query.limit.as_deref());
    problems.into_result()?;
    let orders = state.mall.orders.orders(filter, page).await?;
    Ok(envelope::ok(MallOrderList::new(
        &orders,
        MallOrderView::masked,
    )))
}

#[utoipa::path(
    tag = "admin-mall",
    params(("orderNo" = String, Path, example = "ORD1760754386127abcdefghijkl")),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "the order (phone masked; 售后中 while an after-sale is open) and its after-sales", body = Envelope<AdminMallOrderDetail>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_mall", body = ErrorEnvelope),
        (status = 404, description = "no such order", body = ErrorEnvelope),
    )
)]
#[get("/admin/mall/orders/{orderNo}")]
pub async fn mall_order_detail(
    state: State,
    _admin: Authorized<perm::ViewMall>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(envelope::ok(detail(&state, &path).await?))
}

async fn detail(state: &State, raw: &str) -> Result<AdminMallOrderDetail, ApiError> {
    let number = mall_order_number(raw)?;
    let order = state.mall.orders.order(&number).await?;
    // The order's own buyer: the after-sales service reads them by buyer and order.
    let (badge, after_sales) = state
        .mall
        .after_sales
        .for_buyer_order(&order.buyer, number.as_str())
        .await?;
    let mut view = MallOrderView::masked(&order);
    view.status_label = badge.label_zh().to_owned();
    Ok(AdminMallOrderDetail {
        order: view,
        after_sales: after_sales.iter().map(AfterSaleView::from).collect(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShipBody {
    /// The logistics company's code.
    #[schema(example = "shunfeng")]
    pub carrier_code: Option<String>,
    #[schema(example = "SF1234567890")]
    pub tracking_no: Option<String>,
}

#[utoipa::path(
    tag = "admin-mall",
    params(("orderNo" = String, Path, example = "ORD1760754386127abcdefghijkl")),
    request_body = ShipBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "the order, shipped (audited); receipt confirmed automatically after the configured days", body = Envelope<AdminMallOrderDetail>),
        (status = 400, description = "carrier or tracking number missing, or not an enabled logistics company's code", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks fulfil_mall_orders", body = ErrorEnvelope),
        (status = 404, description = "no such order", body = ErrorEnvelope),
        (status = 409, description = "not paid, shipped already, or an after-sale is open", body = ErrorEnvelope),
    )
)]
#[post("/admin/mall/orders/{orderNo}/ship")]
pub async fn ship_mall_order(
    state: State,
    admin: Authorized<perm::FulfilMallOrders>,
    path: web::Path<String>,
    body: web::Json<ShipBody>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let carrier = problems.required("carrierCode", &body.carrier_code);
    let tracking_no = problems.required("trackingNo", &body.tracking_no);
    let (carrier, tracking_no) = problems.into_value(carrier.zip(tracking_no))?;
    let number = mall_order_number(&path)?;
    let order = state
        .mall
        .delivery
        .ship(&state.mall.orders, &number, &carrier, &tracking_no)
        .await?;
    audit(
        &state,
        &admin.act(),
        AuditAction::MallOrderShip,
        number.as_str(),
        None,
        json!({
            "status": order.status.as_str(),
            "carrier": carrier,
            "trackingNo": tracking_no,
        }),
    )
    .await;
    Ok(envelope::created(detail(&state, &path).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MallCancelBody {
    #[schema(example = "the customer asked by phone")]
    pub reason: Option<String>,
}

#[utoipa::path(
    tag = "admin-mall",
    params(("orderNo" = String, Path, example = "ORD1760754386127abcdefghijkl")),
    request_body = MallCancelBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "the unpaid order, cancelled after WeChat closed its payment; its stock given back (audited)", body = Envelope<AdminMallOrderDetail>),
        (status = 400, description = "no reason", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks fulfil_mall_orders", body = ErrorEnvelope),
        (status = 404, description = "no such order", body = ErrorEnvelope),
        (status = 409, description = "not unpaid, paid meanwhile, or WeChat not ready to close yet", body = ErrorEnvelope),
        (status = 502, description = "WeChat Pay unavailable: try again", body = ErrorEnvelope),
    )
)]
#[post("/admin/mall/orders/{orderNo}/cancel")]
pub async fn cancel_mall_order(
    state: State,
    admin: Authorized<perm::FulfilMallOrders>,
    path: web::Path<String>,
    body: web::Json<MallCancelBody>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let reason = problems.required("reason", &body.reason);
    let reason = problems.into_value(reason)?;
    let number = mall_order_number(&path)?;
    let order = state.mall.orders.cancel_by_admin(&number).await?;
    audit(
        &state,
        &admin.act(),
        AuditAction::MallOrderCancel,
        number.as_str(),
        Some(&reason),
        json!({ "status": order.status.as_str() }),
    )
    .await;
    Ok(envelope::created(detail(&state, &path).await?))
}
