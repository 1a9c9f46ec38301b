//! Admin endpoints: orders by state and anomaly, history, manual resolution, refunds,
//! the exchange rate and the callback log.

use std::str::FromStr;

use actix_web::{HttpResponse, get, post, put, web};
use elife_domain::money::ExchangeRate;
use elife_domain::order::{Actor, AnomalyKind, Order, OrderNumber, Resolution};
use elife_domain::ports::{NotificationOutcome, PageRequest};
use elife_domain::services::{RefundOutcome, ServiceError};
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::State;
use super::orders::order_filter;
use crate::http::admin_auth::Admin;
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::validation::{Problems, page_request, required_field};
use crate::http::views::{
    AdminOrderDetail, AdminOrderList, AdminOrderView, Count, ExchangeRateView, NotificationList,
    NotificationView, OrderEventView, RefundView, pagination,
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
    state
        .ports
        .orders
        .find(number)
        .await
        .map_err(ServiceError::from)?
        .ok_or_else(|| ApiError::not_found(format!("order {number} not found")))
}

#[utoipa::path(
    tag = "admin",
    params(AdminOrdersQuery),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "orders, newest first", body = Envelope<AdminOrderList>),
        (status = 400, description = "invalid filter", body = ErrorEnvelope),
        (status = 401, description = "admin token missing or wrong", body = ErrorEnvelope),
    )
)]
#[get("/admin/orders")]
pub async fn list_orders(
    state: State,
    _admin: Admin,
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
    let page = page_request(&mut problems, query.page.as_deref(), query.limit.as_deref());
    problems.into_result()?;
    let orders = state
        .ports
        .orders
        .list_all(&filter, page)
        .await
        .map_err(ServiceError::from)?;
    Ok(envelope::ok(AdminOrderList {
        data: orders.items.iter().map(AdminOrderView::from).collect(),
        pagination: pagination(&orders),
    }))
}

#[utoipa::path(
    tag = "admin",
    params(("orderNumber" = String, Path)),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "the order and its history", body = Envelope<AdminOrderDetail>),
        (status = 401, description = "admin token missing or wrong", body = ErrorEnvelope),
        (status = 404, description = "no such order", body = ErrorEnvelope),
    )
)]
#[get("/admin/orders/{orderNumber}")]
pub async fn order_detail(
    state: State,
    _admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let number = order_number(&path)?;
    let order = stored_order(&state, &number).await?;
    let events = state
        .ports
        .orders
        .events(&number)
        .await
        .map_err(ServiceError::from)?;
    Ok(envelope::ok(AdminOrderDetail {
        order: AdminOrderView::from(&order),
        events: events.iter().map(OrderEventView::from).collect(),
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
    match raw.trim().to_ascii_lowercase().as_str() {
        "succeeded" | "success" => Some(Resolution::Succeeded),
        "failed" | "failure" => Some(Resolution::Failed),
        _ => None,
    }
}

#[utoipa::path(
    tag = "admin",
    params(("orderNumber" = String, Path)),
    request_body = ResolveBody,
    security(("admin_token" = [])),
    responses(
        (status = 201, description = "the resolved order", body = Envelope<AdminOrderView>),
        (status = 400, description = "invalid input", body = ErrorEnvelope),
        (status = 401, description = "admin token missing or wrong", body = ErrorEnvelope),
        (status = 404, description = "no such order", body = ErrorEnvelope),
        (status = 409, description = "the top-up is not unknown or failed", body = ErrorEnvelope),
    )
)]
#[post("/admin/orders/{orderNumber}/resolve")]
pub async fn resolve(
    state: State,
    admin: Admin,
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
        .resolve(&number, resolution, Actor::Admin(admin.name), &reason)
        .await?;
    Ok(envelope::created(AdminOrderView::from(&order)))
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
    security(("admin_token" = [])),
    responses(
        (status = 201, description = "refund requested; its outcome so far", body = Envelope<RefundView>),
        (status = 400, description = "invalid input", body = ErrorEnvelope),
        (status = 401, description = "admin token missing or wrong", body = ErrorEnvelope),
        (status = 404, description = "no such order", body = ErrorEnvelope),
        (status = 409, description = "the order cannot be refunded now", body = ErrorEnvelope),
    )
)]
#[post("/admin/orders/{orderNumber}/refund")]
pub async fn refund(
    state: State,
    admin: Admin,
    path: web::Path<String>,
    body: web::Json<RefundBody>,
) -> Result<HttpResponse, ApiError> {
    let reason = required_field("reason", &body.reason)?;
    let number = order_number(&path)?;
    let outcome = state
        .refunds
        .refund_by_admin(&number, &admin.name, &reason)
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
        order: AdminOrderView::from(&order),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ExchangeRateBody {
    /// MNT per CNY, as a number or a decimal string (`480.5`).
    #[schema(value_type = String, example = "480.5")]
    pub rate: Option<serde_json::Value>,
}

#[utoipa::path(
    tag = "admin",
    request_body = ExchangeRateBody,
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "the new active rate", body = Envelope<ExchangeRateView>),
        (status = 400, description = "not a positive decimal with at most 4 decimals below 1000000", body = ErrorEnvelope),
        (status = 401, description = "admin token missing or wrong", body = ErrorEnvelope),
    )
)]
#[put("/admin/exchange-rate")]
pub async fn set_exchange_rate(
    state: State,
    _admin: Admin,
    body: web::Json<ExchangeRateBody>,
) -> Result<HttpResponse, ApiError> {
    // Read the literal digits: a JSON number never passes through f64 here.
    let text = match &body.rate {
        Some(serde_json::Value::Number(number)) => number.to_string(),
        Some(serde_json::Value::String(text)) => text.trim().to_owned(),
        Some(_) | None => String::new(),
    };
    let value = Decimal::from_str(&text)
        .map_err(|_| ApiError::bad_request("rate must be a positive decimal number"))?;
    let rate =
        ExchangeRate::new(value).map_err(|error| ApiError::bad_request(error.to_string()))?;
    let stored = state
        .ports
        .rates
        .set(ExchangeRate::MNT_TO_CNY, rate, state.ports.clock.now())
        .await
        .map_err(ServiceError::from)?;
    tracing::info!(rate = %stored.rate.value(), "exchange rate updated");
    Ok(envelope::ok(ExchangeRateView::from(&stored)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// `received`, `processed`, `duplicate`, `rejected`, `error`.
    pub outcome: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

const OUTCOMES: [NotificationOutcome; 5] = [
    NotificationOutcome::Received,
    NotificationOutcome::Processed,
    NotificationOutcome::Duplicate,
    NotificationOutcome::Rejected,
    NotificationOutcome::Error,
];

fn parse_outcome(raw: &str) -> Option<NotificationOutcome> {
    OUTCOMES.into_iter().find(|outcome| outcome.as_str() == raw)
}

#[utoipa::path(
    tag = "admin",
    params(NotificationsQuery),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "payment callbacks as received, newest first", body = Envelope<NotificationList>),
        (status = 400, description = "invalid filter", body = ErrorEnvelope),
        (status = 401, description = "admin token missing or wrong", body = ErrorEnvelope),
    )
)]
#[get("/admin/notifications")]
pub async fn notifications(
    state: State,
    _admin: Admin,
    query: web::Query<NotificationsQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let outcome = problems.optional(query.outcome.as_deref(), |raw| {
        parse_outcome(raw).ok_or_else(|| format!("outcome {raw:?} is not a callback outcome"))
    });
    let page = page_request(&mut problems, query.page.as_deref(), query.limit.as_deref());
    problems.into_result()?;
    let records = state
        .ports
        .notifications
        .list(outcome, page)
        .await
        .map_err(ServiceError::from)?;
    Ok(envelope::ok(NotificationList {
        data: records.items.iter().map(NotificationView::from).collect(),
        pagination: pagination(&records),
    }))
}

#[utoipa::path(
    tag = "admin",
    params(("orderNumber" = String, Path)),
    security(("admin_token" = [])),
    responses(
        (status = 201, description = "asked WeChat; a payment found is recorded as by a callback", body = Envelope<AdminOrderView>),
        (status = 401, description = "admin token missing or wrong", body = ErrorEnvelope),
        (status = 404, description = "no such order", body = ErrorEnvelope),
        (status = 502, description = "WeChat Pay unavailable", body = ErrorEnvelope),
    )
)]
#[post("/admin/orders/{orderNumber}/sync-payment")]
pub async fn sync_payment(
    state: State,
    _admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let number = order_number(&path)?;
    let handled = state.payments.sync_with_gateway(&number).await?;
    if let Some(handled) = handled
        && let Some(paid) = handled.dispatch
    {
        super::callback::start_recharge(&state, paid);
    }
    let order = stored_order(&state, &number).await?;
    Ok(envelope::created(AdminOrderView::from(&order)))
}

#[utoipa::path(
    tag = "admin",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "payment callbacks by outcome", body = Envelope<Vec<Count>>),
        (status = 401, description = "admin token missing or wrong", body = ErrorEnvelope),
    )
)]
#[get("/admin/notifications/stats")]
pub async fn notification_stats(state: State, _admin: Admin) -> Result<HttpResponse, ApiError> {
    let mut counts = Vec::with_capacity(OUTCOMES.len());
    for outcome in OUTCOMES {
        let page = state
            .ports
            .notifications
            .list(Some(outcome), PageRequest { page: 1, limit: 1 })
            .await
            .map_err(ServiceError::from)?;
        counts.push(Count {
            key: outcome.as_str().to_owned(),
            count: page.total,
        });
    }
    Ok(envelope::ok(counts))
}
