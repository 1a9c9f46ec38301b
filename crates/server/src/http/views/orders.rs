//! The order as the mini-program reads it, one with its owner, and the customer's list.

use chrono::{DateTime, Utc};
use elife_domain::order::Order;
use elife_domain::ports::Page;
use serde::Serialize;
use utoipa::ToSchema;

use super::format::{decimal_string, js_time};
use super::paging::{Pagination, pagination};

/// The order row the mini-program reads (field names of the old backend).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    #[schema(example = "ORD1760754386127abcdefghijkl")]
    pub order_number: String,
    pub openid: String,
    #[schema(example = "88112233")]
    pub phone_number: String,
    #[schema(example = "Unitel")]
    pub product_operator: String,
    /// `voice`, `data` or `postpaid`.
    #[schema(example = "voice")]
    pub product_recharge_type: String,
    pub product_name: String,
    pub product_eng_name: String,
    #[schema(example = "SY3000")]
    pub product_code: String,
    /// MNT, a decimal string as the old backend sent it (`"3000"`).
    #[schema(example = "3000")]
    pub product_price_tg: String,
    /// CNY, a decimal string without trailing zeros as the old backend sent it (`"6.25"`).
    #[schema(example = "6.25")]
    pub product_price_rmb: String,
    /// CNY fen, exact (new).
    #[schema(example = 625)]
    pub product_price_fen: i64,
    /// MNT per CNY used for the price (new).
    #[schema(example = "480.0000")]
    pub exchange_rate: String,
    /// Units of talk time (a number, `null` for data and postpaid).
    pub product_unit: Option<i64>,
    pub product_data: Option<String>,
    pub product_days: Option<i32>,
    pub seq_id: Option<String>,
    /// `unpaid`, `paid`; new: `closed`, `refunding`, `refunded`, `refund_failed`.
    #[schema(example = "unpaid")]
    pub payment_status: String,
    /// `null` until paid, then `pending`, `success`, `failed`; new: `submitting`,
    /// `confirming`, `unknown` (the old `timeout`).
    #[schema(example = json!(null))]
    pub recharge_status: Option<String>,
    #[serde(with = "js_time")]
    #[schema(value_type = String, example = "2025-10-18T10:00:00.123Z")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "js_time::option::serialize")]
    #[schema(value_type = Option<String>)]
    pub paid_at: Option<DateTime<Utc>>,
    /// When the top-up was claimed for submission.
    #[serde(serialize_with = "js_time::option::serialize")]
    #[schema(value_type = Option<String>)]
    pub recharge_at: Option<DateTime<Utc>>,
    /// When the top-up was confirmed (new).
    #[serde(serialize_with = "js_time::option::serialize")]
    #[schema(value_type = Option<String>)]
    pub recharged_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "js_time::option::serialize")]
    #[schema(value_type = Option<String>)]
    pub closed_at: Option<DateTime<Utc>>,
}

impl From<&Order> for OrderView {
    fn from(order: &Order) -> Self {
        OrderView {
            order_number: order.number.to_string(),
            openid: order.openid.to_string(),
            phone_number: order.msisdn.to_string(),
            product_operator: order.product.operator.to_string(),
            product_recharge_type: order.product.kind.to_string(),
            product_name: order.product.name.clone(),
            product_eng_name: order.product.eng_name.clone(),
            product_code: order.product.code.clone(),
            product_price_tg: order.product.price.value().to_string(),
            product_price_rmb: decimal_string(order.price_fen.to_yuan()),
            product_price_fen: order.price_fen.value(),
            exchange_rate: order.exchange_rate.value().to_string(),
            product_unit: order.product.unit,
            product_data: order.product.data.clone(),
            product_days: order.product.days,
            seq_id: order.seq_id.clone(),
            payment_status: order.payment_status.as_str().to_owned(),
            recharge_status: order.recharge_status.as_db().map(str::to_owned),
            created_at: order.created_at,
            paid_at: order.paid_at,
            recharge_at: order.recharge_at,
            recharged_at: order.recharged_at,
            closed_at: order.closed_at,
        }
    }
}

/// The owner shown with one order, as the old backend's `GET /orders/:orderNumber` included it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderOwnerView {
    pub openid: String,
    pub appid: Option<String>,
    #[serde(with = "js_time")]
    #[schema(value_type = String, example = "2025-10-18T10:00:00.123Z")]
    pub created_at: DateTime<Utc>,
}

/// One order of the caller's: the row plus its `user`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderDetailView {
    #[serde(flatten)]
    pub order: OrderView,
    pub user: OrderOwnerView,
}

/// `{data:[order], pagination}` of `GET /orders/my`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderList {
    pub data: Vec<OrderView>,
    pub pagination: Pagination,
}

impl From<&Page<Order>> for OrderList {
    fn from(page: &Page<Order>) -> Self {
        OrderList {
            data: page.items.iter().map(OrderView::from).collect(),
            pagination: pagination(page),
        }
    }
}
