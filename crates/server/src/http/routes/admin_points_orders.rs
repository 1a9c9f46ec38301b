//! The back office on points orders and accounts: the orders with filters, one order with
//! its payment, a refund (the points it granted taken back in proportion first), a user's
//! account and ledger, and a person's adjustment.

use actix_web::{HttpResponse, get, post, web};
use elife_domain::money::Fen;
use elife_domain::order::{OpenId, OrderNumber};
use elife_domain::payments::RefundOutcome;
use elife_domain::points::PointsOrderFilter;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::State;
use super::points::{PageQuery, status_filter};
use crate::http::admin_auth::{Authorized, perm};
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::validation::{Problems, day_end, day_start, page_request, required_field};
use crate::http::views::{
    AdminPointsAccountView, AdminPointsOrderDetail, AdminPointsOrderList, AdminPointsOrderView,
    LedgerEntryView, LedgerList, PointsAccountView, PointsAdjustmentView, PointsPaymentView,
    PointsRefundView,
};

fn order_number(raw: &str) -> Result<OrderNumber, ApiError> {
    OrderNumber::parse(raw).map_err(|_| ApiError::not_found(format!("order {raw} not found")))
}

fn openid(raw: &str) -> Result<OpenId, ApiError> {
    OpenId::parse(raw).map_err(|error| ApiError::bad_request(error.to_string()))
}

/// The pay order of a points order, as the core keeps it.
async fn payment(
    state: &State,
    number: &OrderNumber,
) -> Result<Option<PointsPaymentView>, ApiError> {
    let pay_order = state.payments.collection.find(number).await?;
    Ok(pay_order.as_ref().map(PointsPaymentView::from))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AdminPointsOrdersQuery {
    /// `pending`, `paid`, `closed`, `partly_refunded`, `refunded`.
    pub status: Option<String>,
    pub package_id: Option<String>,
    /// The buyer's openid.
    pub openid: Option<String>,
    /// YYYY-MM-DD (China days) of creation, inclusive.
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

#[utoipa::path(
    tag = "admin-points",
    params(AdminPointsOrdersQuery),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "points orders, newest first", body = Envelope<AdminPointsOrderList>),
        (status = 400, description = "invalid filter", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_points", body = ErrorEnvelope),
    )
)]
#[get("/admin/points/orders")]
pub async fn list_points_orders(
    state: State,
    _admin: Authorized<perm::ViewPoints>,
    query: web::Query<AdminPointsOrdersQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let filter = PointsOrderFilter {
        status: status_filter(&mut problems, query.status.as_deref()),
        package_id: problems.optional(query.package_id.as_deref(), |raw| {
            raw.parse::<i64>()
                .map_err(|_| format!("packageId {raw:?} must be a number"))
        }),
        user: problems.optional(query.openid.as_deref(), |raw| {
            OpenId::parse(raw).map_err(|error| error.to_string())
        }),
        created_from: day_start(&mut problems, "from", query.from.as_deref()),
        created_before: day_end(&mut problems, "to", query.to.as_deref()),
    };
    let page = page_request(&mut problems, query.page.as_deref(), query.limit.as_deref());
    problems.into_result()?;
    let orders = state.points.shop.orders(&filter, page).await?;
    Ok(envelope::ok(AdminPointsOrderList::from(&orders)))
}

#[utoipa::path(
    tag = "admin-points",
    params(("orderNo" = String, Path)),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "the points order and its payment", body = Envelope<AdminPointsOrderDetail>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_points", body = ErrorEnvelope),
        (status = 404, description = "no such points order", body = ErrorEnvelope),
    )
)]
#[get("/admin/points/orders/{orderNo}")]
pub async fn points_order_detail(
    state: State,
    _admin: Authorized<perm::ViewPoints>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let number = order_number(&path)?;
    let order = state.points.shop.order(&number).await?;
    Ok(envelope::ok(AdminPointsOrderDetail {
        order: AdminPointsOrderView::from(&order),
        payment: payment(&state, &number).await?,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PointsRefundBody {
    /// Fen to give back; all that remains when absent.
    #[schema(example = 500)]
    pub amount_fen: Option<i64>,
    #[schema(example = "the customer asked for part of the money back")]
    pub reason: Option<String>,
}

#[utoipa::path(
    tag = "admin-points",
    params(("orderNo" = String, Path)),
    request_body = PointsRefundBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "refund requested (audited), its points taken back in proportion; its outcome so far", body = Envelope<PointsRefundView>),
        (status = 400, description = "no reason, or an amount beyond what remains", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks refund_orders", body = ErrorEnvelope),
        (status = 404, description = "no such points order", body = ErrorEnvelope),
        (status = 409, description = "the order is not paid, or the user no longer has the points this refund would take back: nothing was refunded", body = ErrorEnvelope),
    )
)]
#[post("/admin/points/orders/{orderNo}/refund")]
pub async fn refund_points_order(
    state: State,
    admin: Authorized<perm::RefundOrders>,
    path: web::Path<String>,
    body: web::Json<PointsRefundBody>,
) -> Result<HttpResponse, ApiError> {
    let reason = required_field("reason", &body.reason)?;
    let number = order_number(&path)?;
    let outcome = state
        .points
        .shop
        .refund(
            &number,
            body.amount_fen.map(Fen::new),
            &reason,
            &admin.act(),
        )
        .await?;
    let (label, message) = match outcome {
        RefundOutcome::Refunded => ("refunded", None),
        RefundOutcome::InProgress => ("in_progress", None),
        RefundOutcome::Failed(message) => ("failed", Some(message)),
    };
    let order = state.points.shop.order(&number).await?;
    Ok(envelope::created(PointsRefundView {
        outcome: label.to_owned(),
        message,
        order: AdminPointsOrderView::from(&order),
        payment: payment(&state, &number).await?,
    }))
}

#[utoipa::path(
    tag = "admin-points",
    params(("openid" = String, Path), PageQuery),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "the user's points balance and a page of its ledger, newest first", body = Envelope<AdminPointsAccountView>),
        (status = 400, description = "invalid page", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_points", body = ErrorEnvelope),
    )
)]
#[get("/admin/points/accounts/{openid}")]
pub async fn user_account(
    state: State,
    _admin: Authorized<perm::ViewPoints>,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let page = page_request(&mut problems, query.page.as_deref(), query.limit.as_deref());
    problems.into_result()?;
    let user = openid(&path)?;
    let account = state.points.service.account(&user).await?;
    let entries = state.points.service.entries(&user, page).await?;
    Ok(envelope::ok(AdminPointsAccountView {
        account: PointsAccountView::from(&account),
        ledger: LedgerList::from(&entries),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AdjustmentBody {
    /// Points to add (positive) or take (negative); a balance never goes below zero.
    #[schema(example = -50)]
    pub delta: Option<i64>,
    #[schema(example = "compensation for ticket 1234")]
    pub reason: Option<String>,
}

#[utoipa::path(
    tag = "admin-points",
    params(("openid" = String, Path)),
    request_body = AdjustmentBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "the adjustment posted (audited) and the balance it left", body = Envelope<PointsAdjustmentView>),
        (status = 400, description = "no reason, or a delta of zero", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_points", body = ErrorEnvelope),
        (status = 409, description = "the balance would go negative: nothing changed", body = ErrorEnvelope),
    )
)]
#[post("/admin/points/accounts/{openid}/adjust")]
pub async fn adjust_points(
    state: State,
    admin: Authorized<perm::ManagePoints>,
    path: web::Path<String>,
    body: web::Json<AdjustmentBody>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    if body.delta.is_none() {
        problems.add("delta should not be empty");
    }
    let reason = problems.required("reason", &body.reason);
    let (delta, reason) = problems.into_value(body.delta.zip(reason))?;
    let user = openid(&path)?;
    let entry = state
        .points
        .service
        .adjust(&user, delta, &reason, &admin.act())
        .await?;
    let account = state.points.service.account(&user).await?;
    Ok(envelope::created(PointsAdjustmentView {
        entry: LedgerEntryView::from(&entry),
        account: PointsAccountView::from(&account),
    }))
}
