//! Admin endpoints on orders: the list by state and anomaly, one order with its history
//! (phone number masked unless revealed), manual resolution, refunds and payment sync.

use std::str::FromStr;

use actix_web::{HttpResponse, get, post, web};
use elife_domain::accounts::permissions::Permission;
use elife_domain::order::{AnomalyKind, Order, OrderNumber, RechargeKind, Resolution};
use elife_domain::payments::RefundOutcome;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::State;
use super::orders::order_filter;
use crate::http::admin_auth::{Authorized, perm};
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::validation::{Problems, page_request, required_field};
use crate::http::views::{
    AdminOrderDetail, AdminOrderList, AdminOrderView, OrderEventView, RefundView, pagination,
};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AdminOrdersQuery {
    pub payment_status: Option<String>,
    pub recharge_status: Option<String>,
    /// One anomaly kind, e.g. `amount_mismatch`, `recharge_outcome_unknown`.
    pub anomaly: Option<String>,
    /// `true`: only orders with an anomaly.
    pub only_anomalies: Option<bool>,
    /// `voice`, `data` or `postpaid`.
    pub kind: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

fn order_number(raw: &str) -> Result<OrderNumber, ApiError> {
    OrderNumber::parse(raw).map_err(|_| ApiError::not_found(format!("order {raw} not found")))
}

/// The order as stored now, or a 404.
async fn stored_order(state: &State, number: &OrderNumber) -> Result<Order, ApiError> {
    Ok(state.order_queries.find(number).await?)
}

/// An order as admins see it: the customer's phone number masked (`8811****`).
pub fn masked_view(order: &Order) -> AdminOrderView {
    let mut view = AdminOrderView::from(order);
    view.order.phone_number = order.msisdn.masked();
    view
}

#[utoipa::path(
    tag = "admin",
    params(AdminOrdersQuery),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "orders, newest first; phone numbers masked", body = Envelope<AdminOrderList>),
        (status = 400, description = "invalid filter", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_orders", body = ErrorEnvelope),
    )
)]
#[get("/admin/orders")]
pub async fn list_orders(
    state: State,
    _admin: Authorized<perm::ViewOrders>,
    query: web::Query<AdminOrdersQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let mut filter = order_filter(
        &mut problems,
        query.payment_status.as_deref(),
        query.recharge_status.as_deref(),
        query.start_date.as_deref(),
        query.end_date.as_deref(),
    );
    filter.anomaly = problems.optional(query.anomaly.as_deref(), AnomalyKind::from_str);
    filter.only_anomalies = query.only_anomalies.unwrap_or(false);
    filter.recharge_kind = problems.optional(query.kind.as_deref(), |raw| {
        raw.parse::<RechargeKind>()
            .map_err(|_| format!("kind {raw:?} is not voice, data or postpaid"))
    });
    let page = page_request(&mut problems, query.page.as_deref(), query.limit.as_deref());
    problems.into_result()?;
    let orders = state.order_queries.list_all(&filter, page).await?;
    Ok(envelope::ok(AdminOrderList {
        data: orders.items.iter().map(masked_view).collect(),
        pagination: pagination(&orders),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderDetailQuery {
    /// `true`: show the full phone number (needs `reveal_phone_numbers`; audited).
    pub reveal: Option<bool>,
}

#[utoipa::path(
    tag = "admin",
    params(("orderNumber" = String, Path), OrderDetailQuery),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "the order and its history; the phone number masked unless revealed", body = Envelope<AdminOrderDetail>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_orders (or reveal_phone_numbers for ?reveal=true)", body = ErrorEnvelope),
        (status = 404, description = "no such order", body = ErrorEnvelope),
    )
)]
#[get("/admin/orders/{orderNumber}")]
pub async fn order_detail(
    state: State,
    admin: Authorized<perm::ViewOrders>,
    path: web::Path<String>,
    query: web::Query<OrderDetailQuery>,
) -> Result<HttpResponse, ApiError> {
    let reveal = query.reveal.unwrap_or(false);
    if reveal && !admin.admin.may(Permission::RevealPhoneNumbers) {
        return Err(ApiError::forbidden(format!(
            "forbidden: role {} lacks the permission {} that ?reveal=true requires",
            admin.admin.actor.role,
            Permission::RevealPhoneNumbers
        )));
    }
    let number = order_number(&path)?;
    let history = state.order_queries.history(&number).await?;
    let view = if reveal {
        // Recorded before it is shown: no reveal goes unaudited.
        state
            .back_office
            .audit_trail
            .record_phone_reveal(&admin.act(), &number)
            .await?;
        AdminOrderView::from(&history.order)
    } else {
        masked_view(&history.order)
    };
    Ok(envelope::ok(AdminOrderDetail {
        order: view,
        events: history.events.iter().map(OrderEventView::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResolveBody {
    /// `succeeded` (the number was topped up) or `failed` (it was not).
    #[schema(example = "succeeded")]
    pub resolution: Option<String>,
    /// Why, e.g. what Unitel said on the phone.
    #[schema(example = "confirmed with Unitel support, ticket 1234")]
    pub reason: Option<String>,
}

pub fn parse_resolution(raw: &str) -> Option<Resolution> {
    raw.parse().ok()
}

#[utoipa::path(
    tag = "admin",
    params(("orderNumber" = String, Path)),
    request_body = ResolveBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "the resolved order (audited)", body = Envelope<AdminOrderView>),
        (status = 400, description = "invalid input", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks resolve_top_ups", body = ErrorEnvelope),
        (status = 404, description = "no such order", body = ErrorEnvelope),
        (status = 409, description = "the top-up is not unknown or failed", body = ErrorEnvelope),
    )
)]
#[post("/admin/orders/{orderNumber}/resolve")]
pub async fn resolve(
    state: State,
    admin: Authorized<perm::ResolveTopUps>,
    path: web::Path<String>,
    body: web::Json<ResolveBody>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let resolution = problems
        .required("resolution", &body.resolution)
        .and_then(|raw| {
            let parsed = parse_resolution(&raw);
            if parsed.is_none() {
                problems.add("resolution must be succeeded or failed");
            }
            parsed
        });
    let reason = problems.required("reason", &body.reason);
    let (resolution, reason) = problems.into_value(resolution.zip(reason))?;
    let number = order_number(&path)?;
    let order = state
        .recharge
        .resolve_by_admin(&number, resolution, &admin.act(), &reason)
        .await?;
    Ok(envelope::created(masked_view(&order)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefundBody {
    #[schema(example = "top-up failed, customer asked for the money back")]
    pub reason: Option<String>,
}

#[utoipa::path(
    tag = "admin",
    params(("orderNumber" = String, Path)),
    request_body = RefundBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "refund requested (audited); its outcome so far", body = Envelope<RefundView>),
        (status = 400, description = "invalid input", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks refund_orders", body = ErrorEnvelope),
        (status = 404, description = "no such order", body = ErrorEnvelope),
        (status = 409, description = "the order cannot be refunded now", body = ErrorEnvelope),
    )
)]
#[post("/admin/orders/{orderNumber}/refund")]
pub async fn refund(
    state: State,
    admin: Authorized<perm::RefundOrders>,
    path: web::Path<String>,
    body: web::Json<RefundBody>,
) -> Result<HttpResponse, ApiError> {
    let reason = required_field("reason", &body.reason)?;
    let number = order_number(&path)?;
    let outcome = state
        .payments
        .top_ups
        .refund_by_admin(&number, &admin.act(), &reason)
        .await?;
    let order = stored_order(&state, &number).await?;
    let (label, message) = match outcome {
        RefundOutcome::Refunded => ("refunded", None),
        RefundOutcome::InProgress => ("in_progress", None),
        RefundOutcome::Failed(message) => ("failed", Some(message)),
    };
    Ok(envelope::created(RefundView {
        outcome: label.to_owned(),
        message,
        order: masked_view(&order),
    }))
}

#[utoipa::path(
    tag = "admin",
    params(("orderNumber" = String, Path)),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "asked WeChat (audited); a payment found is recorded as by a callback", body = Envelope<AdminOrderView>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks sync_payments", body = ErrorEnvelope),
        (status = 404, description = "no such order", body = ErrorEnvelope),
        (status = 502, description = "WeChat Pay unavailable", body = ErrorEnvelope),
    )
)]
#[post("/admin/orders/{orderNumber}/sync-payment")]
pub async fn sync_payment(
    state: State,
    admin: Authorized<perm::SyncPayments>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let number = order_number(&path)?;
    // A number that names no order is not asked about (nor audited).
    stored_order(&state, &number).await?;
    // A payment found is recorded, and the top-up started, by the use case.
    state
        .payments
        .top_ups
        .sync_payment(&number, &admin.act())
        .await?;
    let order = stored_order(&state, &number).await?;
    Ok(envelope::created(masked_view(&order)))
}
