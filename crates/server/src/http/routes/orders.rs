//! The customer's orders.

use actix_web::{HttpResponse, get, post, web};
use elife_domain::msisdn::Msisdn;
use elife_domain::order::{PaymentStatus, RechargeStatus};
use elife_domain::ports::OrderFilter;
use elife_domain::services::CreateOrder;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::State;
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::identity::CurrentUser;
use crate::http::validation::{Problems, day_end, day_start, page_request};
use crate::http::views::{OrderDetailView, OrderList, OrderOwnerView, OrderView};
use crate::metrics_names;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrderBody {
    #[schema(example = "88112233")]
    pub phone_number: Option<String>,
    #[schema(example = "Unitel")]
    pub product_operator: Option<String>,
    /// `voice`, `data` or `postpaid` (the old field name `productRechargeType` is accepted).
    #[serde(alias = "productRechargeType")]
    #[schema(example = "voice")]
    pub recharge_type: Option<String>,
    /// Required for voice and data; the price comes from Unitel's list, never the client.
    #[schema(example = "SY3000")]
    pub product_code: Option<String>,
}

#[utoipa::path(
    tag = "orders",
    request_body = CreateOrderBody,
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 201, description = "the new unpaid order", body = Envelope<OrderView>),
        (status = 400, description = "invalid input, unknown product, nothing owed", body = ErrorEnvelope),
        (status = 401, description = "not called through WeChat", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable while identifying the caller or storing: retry", body = ErrorEnvelope),
        (status = 429, description = "more than 10 orders a minute", body = ErrorEnvelope),
        (status = 502, description = "Unitel unavailable", body = ErrorEnvelope),
    )
)]
#[post("/orders")]
pub async fn create_order(
    state: State,
    user: CurrentUser,
    body: web::Json<CreateOrderBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let mut problems = Problems::new();
    let phone_number = problems.required("phoneNumber", &body.phone_number);
    if let Some(phone) = &phone_number
        && let Err(error) = Msisdn::parse(phone)
    {
        problems.add(error.to_string());
    }
    let operator = problems.required("productOperator", &body.product_operator);
    let recharge_type = problems.required("rechargeType", &body.recharge_type);
    let ((phone_number, operator), recharge_type) =
        problems.into_value(phone_number.zip(operator).zip(recharge_type))?;
    let order = state
        .orders
        .prepare_order(CreateOrder {
            openid: user.openid,
            phone_number,
            operator,
            recharge_type,
            product_code: body.product_code,
        })
        .await?;
    // Counted only now: a refused order does not use up the caller's quota.
    state.limits.orders.check(order.openid.as_str())?;
    let order = state.orders.place_order(order).await?;
    metrics::counter!(metrics_names::ORDERS_CREATED, "kind" => order.product.kind.as_str())
        .increment(1);
    Ok(envelope::created(OrderView::from(&order)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct MyOrdersQuery {
    /// `unpaid`, `paid`, `closed`, `refunding`, `refunded`, `refund_failed`.
    pub payment_status: Option<String>,
    /// `pending`, `submitting`, `confirming`, `success`, `failed`, `unknown` (`timeout`).
    pub recharge_status: Option<String>,
    /// YYYY-MM-DD (China days), inclusive.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

/// Status filters and dates, shared with the admin list.
pub fn order_filter(
    problems: &mut Problems,
    payment_status: Option<&str>,
    recharge_status: Option<&str>,
    start_date: Option<&str>,
    end_date: Option<&str>,
) -> OrderFilter {
    let payment_status = problems.optional(payment_status, |raw| {
        raw.parse::<PaymentStatus>()
            .map_err(|_| format!("paymentStatus {raw:?} is not a payment status"))
    });
    let recharge_status = problems.optional(recharge_status, |raw| {
        RechargeStatus::from_db(Some(raw))
            .map_err(|_| format!("rechargeStatus {raw:?} is not a recharge status"))
    });
    OrderFilter {
        payment_status,
        recharge_status,
        created_from: day_start(problems, "startDate", start_date),
        created_before: day_end(problems, "endDate", end_date),
        anomaly: None,
        only_anomalies: false,
        msisdn: None,
        recharge_kind: None,
    }
}

#[utoipa::path(
    tag = "orders",
    params(MyOrdersQuery),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "the caller's orders, newest first", body = Envelope<OrderList>),
        (status = 400, description = "invalid filter", body = ErrorEnvelope),
        (status = 401, description = "not called through WeChat", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable while identifying the caller or storing: retry", body = ErrorEnvelope),
    )
)]
#[get("/orders/my")]
pub async fn my_orders(
    state: State,
    user: CurrentUser,
    query: web::Query<MyOrdersQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let filter = order_filter(
        &mut problems,
        query.payment_status.as_deref(),
        query.recharge_status.as_deref(),
        query.start_date.as_deref(),
        query.end_date.as_deref(),
    );
    let page = page_request(&mut problems, query.page.as_deref(), query.limit.as_deref());
    problems.into_result()?;
    let orders = state
        .orders
        .list_for_user(&user.openid, &filter, page)
        .await?;
    Ok(envelope::ok(OrderList::from(&orders)))
}

#[utoipa::path(
    tag = "orders",
    params(
        ("orderNumber" = String, Path, example = "ORD1760754386127abcdefghijkl"),
    ),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "the order and its owner", body = Envelope<OrderDetailView>),
        (status = 401, description = "not called through WeChat", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable while identifying the caller or storing: retry", body = ErrorEnvelope),
        (status = 404, description = "no such order of the caller's", body = ErrorEnvelope),
    )
)]
#[get("/orders/{orderNumber}")]
pub async fn order_detail(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let order = state.orders.find_for_user(&user.openid, &path).await?;
    let owner = state.accounts.shoppers.me(&user.openid).await?;
    Ok(envelope::ok(OrderDetailView {
        order: OrderView::from(&order),
        user: OrderOwnerView {
            openid: owner.openid.to_string(),
            appid: owner.appid,
            created_at: owner.created_at,
        },
    }))
}
