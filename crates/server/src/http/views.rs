//! What the API shows: the order row in the old backend's camelCase shape, lists, and the
//! admin views. Presentation only: amounts stay integers until they are displayed here.

use chrono::{DateTime, NaiveDate, Utc};
use elife_domain::money::Fen;
use elife_domain::order::{Order, OrderEvent};
use elife_domain::ports::{NotificationRecord, OrderStatistics, Page, StoredRate};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

/// A decimal written as a JSON number digit for digit (`6.25`, `480.0000`): the contract
/// wants numbers, and money never passes through floating point on its way out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecimalNumber(Decimal);

impl Serialize for DecimalNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = serde_json::value::RawValue::from_string(self.0.to_string())
            .map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// Yuan with two decimals, from integer fen; `productPriceFen` carries the amount too.
fn yuan(fen: Fen) -> DecimalNumber {
    DecimalNumber(fen.to_yuan())
}

/// A price as the old backend's JSON showed it: Prisma serialized its `Decimal` columns
/// with decimal.js `toJSON`, a string without trailing zeros (`"3000"`, `"6.25"`, `"6.3"`).
/// Old mini-program code reads these fields as strings, so they stay strings.
fn decimal_string(value: Decimal) -> String {
    value.normalize().to_string()
}

/// Timestamps as JavaScript's `toISOString()` wrote them: milliseconds and `Z`
/// (`2025-10-18T10:00:00.123Z`), the only form every mini-program runtime parses.
pub mod js_time {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::Serializer;

    pub fn format(at: &DateTime<Utc>) -> String {
        at.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format(at))
    }

    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::Serializer;

        pub fn serialize<S: Serializer>(
            at: &Option<DateTime<Utc>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => serializer.serialize_str(&super::format(at)),
                None => serializer.serialize_none(),
            }
        }
    }
}

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

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub page: u64,
    pub limit: u64,
    pub total: u64,
    pub total_pages: u64,
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

pub fn pagination<T>(page: &Page<T>) -> Pagination {
    Pagination {
        page: page.page,
        limit: page.limit,
        total: page.total,
        total_pages: page.total_pages(),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthView {
    #[schema(example = "ok")]
    pub status: &'static str,
    pub timestamp: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeRateView {
    #[schema(example = "MNT_TO_CNY")]
    pub currency: String,
    /// MNT per CNY.
    #[schema(value_type = f64, example = 480.0)]
    pub rate: DecimalNumber,
    #[serde(with = "js_time")]
    #[schema(value_type = String, example = "2025-10-18T10:00:00.123Z")]
    pub updated_at: DateTime<Utc>,
}

impl From<&StoredRate> for ExchangeRateView {
    fn from(rate: &StoredRate) -> Self {
        ExchangeRateView {
            currency: rate.pair.clone(),
            rate: DecimalNumber(rate.rate.value().normalize()),
            updated_at: rate.updated_at,
        }
    }
}

/// What `wx.requestPayment` needs, unchanged from WeChat.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentParamsView {
    pub app_id: String,
    pub time_stamp: String,
    pub nonce_str: String,
    pub package: String,
    pub sign_type: String,
    pub pay_sign: String,
}

/// The callback answer Cloud Hosting expects (not enveloped).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallbackAck {
    #[schema(example = 0)]
    pub errcode: i32,
    #[schema(example = "OK")]
    pub errmsg: String,
}

// ---- admin ----

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnomalyView {
    pub kind: String,
    pub details: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminOrderView {
    #[serde(flatten)]
    pub order: OrderView,
    pub transaction_id: Option<String>,
    pub anomaly: Option<AnomalyView>,
    #[schema(value_type = Option<Object>)]
    pub provider_receipt: Option<serde_json::Value>,
    pub version: i32,
}

impl From<&Order> for AdminOrderView {
    fn from(order: &Order) -> Self {
        AdminOrderView {
            order: OrderView::from(order),
            transaction_id: order.transaction_id.clone(),
            anomaly: order.anomaly.as_ref().map(|anomaly| AnomalyView {
                kind: anomaly.kind.to_string(),
                details: anomaly.details.clone(),
            }),
            provider_receipt: order.provider_receipt.clone(),
            version: order.version,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminOrderList {
    pub data: Vec<AdminOrderView>,
    pub pagination: Pagination,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderEventView {
    /// `payment/recharge` before.
    pub from: String,
    pub to: String,
    pub actor: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

impl From<&OrderEvent> for OrderEventView {
    fn from(event: &OrderEvent) -> Self {
        OrderEventView {
            from: event.from.to_string(),
            to: event.to.to_string(),
            actor: event.actor.to_string(),
            reason: event.reason.clone(),
            at: event.at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminOrderDetail {
    pub order: AdminOrderView,
    pub events: Vec<OrderEventView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundView {
    /// `refunded`, `in_progress` or `failed`.
    pub outcome: String,
    pub message: Option<String>,
    pub order: AdminOrderView,
}

/// The same fields as the domain's `NotificationRecord`, kept as its own type on purpose:
/// the HTTP shape is camelCase with kind and outcome as plain strings and needs a schema
/// for the OpenAPI document, while the domain record serializes snake_case enums.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationView {
    pub id: i64,
    pub channel: String,
    pub kind: String,
    pub order_number: Option<String>,
    pub transaction_id: Option<String>,
    pub outcome: String,
    pub error_message: Option<String>,
    pub processing_ms: Option<i64>,
    pub retry_count: i32,
    pub client_ip: Option<String>,
    pub raw_body: String,
    pub created_at: DateTime<Utc>,
}

impl From<&NotificationRecord> for NotificationView {
    fn from(record: &NotificationRecord) -> Self {
        NotificationView {
            id: record.id,
            channel: record.channel.clone(),
            kind: match record.kind {
                elife_domain::ports::NotificationKind::Payment => "payment",
                elife_domain::ports::NotificationKind::Refund => "refund",
            }
            .to_owned(),
            order_number: record.order_number.clone(),
            transaction_id: record.transaction_id.clone(),
            outcome: record.outcome.as_str().to_owned(),
            error_message: record.error_message.clone(),
            processing_ms: record.processing_ms,
            retry_count: record.retry_count,
            client_ip: record.client_ip.clone(),
            raw_body: record.raw_body.clone(),
            created_at: record.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationList {
    pub data: Vec<NotificationView>,
    pub pagination: Pagination,
}

// ---- statistics ----

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Count {
    pub key: String,
    pub count: u64,
}

fn counts(pairs: &[(String, u64)]) -> Vec<Count> {
    pairs
        .iter()
        .map(|(key, count)| Count {
            key: key.clone(),
            count: *count,
        })
        .collect()
}

fn count_of(pairs: &[(String, u64)], key: &str) -> u64 {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, count)| *count)
        .sum()
}

/// Successful top-ups among the settled ones (success, failed, unknown), in percent.
pub fn recharge_success_rate(stats: &OrderStatistics) -> Option<f64> {
    let success = count_of(&stats.by_recharge_status, "success");
    let settled = success
        + count_of(&stats.by_recharge_status, "failed")
        + count_of(&stats.by_recharge_status, "unknown")
        + count_of(&stats.by_recharge_status, "timeout");
    (settled > 0).then(|| (success as f64) * 100.0 / (settled as f64))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RechargeDelayView {
    pub avg_seconds: Option<i64>,
    pub max_seconds: Option<i64>,
    pub min_seconds: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverviewView {
    pub total_orders: u64,
    pub total_users: u64,
    pub paid_orders: u64,
    pub revenue_fen: i64,
    #[schema(value_type = f64)]
    pub revenue_rmb: DecimalNumber,
    pub revenue_mnt: i64,
    /// Percent of settled top-ups that succeeded.
    pub recharge_success_rate: Option<f64>,
    pub recharge_delay: RechargeDelayView,
    /// Paid orders whose top-up is not settled.
    pub pending_backlog: u64,
    pub oldest_pending_paid_at: Option<DateTime<Utc>>,
    pub oldest_pending_age_seconds: Option<i64>,
    pub anomalies: u64,
}

impl OverviewView {
    pub fn new(stats: &OrderStatistics, now: DateTime<Utc>) -> Self {
        OverviewView {
            total_orders: stats.total_orders,
            total_users: stats.total_users,
            paid_orders: stats
                .by_payment_status
                .iter()
                .filter(|(key, _)| key != "unpaid" && key != "closed")
                .map(|(_, count)| *count)
                .sum(),
            revenue_fen: stats.revenue_fen,
            revenue_rmb: yuan(Fen::new(stats.revenue_fen)),
            revenue_mnt: stats.revenue_mnt,
            recharge_success_rate: recharge_success_rate(stats),
            recharge_delay: RechargeDelayView {
                avg_seconds: stats.recharge_delay_avg_secs,
                max_seconds: stats.recharge_delay_max_secs,
                min_seconds: stats.recharge_delay_min_secs,
            },
            pending_backlog: stats.pending_backlog,
            oldest_pending_paid_at: stats.oldest_pending_paid_at,
            oldest_pending_age_seconds: stats
                .oldest_pending_paid_at
                .map(|at| (now - at).num_seconds()),
            anomalies: stats.anomalies_by_day.iter().map(|(_, _, n)| *n).sum(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserStatsView {
    pub total_users: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnomalyDayView {
    pub date: NaiveDate,
    pub kind: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderStatsView {
    pub total_orders: u64,
    pub by_payment_status: Vec<Count>,
    pub by_recharge_status: Vec<Count>,
    pub by_operator: Vec<Count>,
    pub by_recharge_type: Vec<Count>,
    pub recharge_success_rate: Option<f64>,
    pub anomalies_by_day: Vec<AnomalyDayView>,
}

impl From<&OrderStatistics> for OrderStatsView {
    fn from(stats: &OrderStatistics) -> Self {
        OrderStatsView {
            total_orders: stats.total_orders,
            by_payment_status: counts(&stats.by_payment_status),
            by_recharge_status: counts(&stats.by_recharge_status),
            by_operator: counts(&stats.by_operator),
            by_recharge_type: counts(&stats.by_recharge_kind),
            recharge_success_rate: recharge_success_rate(stats),
            anomalies_by_day: stats
                .anomalies_by_day
                .iter()
                .map(|(date, kind, count)| AnomalyDayView {
                    date: *date,
                    kind: kind.clone(),
                    count: *count,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevenueDayView {
    pub date: NaiveDate,
    pub revenue_fen: i64,
    #[schema(value_type = f64)]
    pub revenue_rmb: DecimalNumber,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevenueStatsView {
    pub total_revenue_fen: i64,
    #[schema(value_type = f64)]
    pub total_revenue_rmb: DecimalNumber,
    pub total_revenue_mnt: i64,
    pub by_day: Vec<RevenueDayView>,
}

impl From<&OrderStatistics> for RevenueStatsView {
    fn from(stats: &OrderStatistics) -> Self {
        RevenueStatsView {
            total_revenue_fen: stats.revenue_fen,
            total_revenue_rmb: yuan(Fen::new(stats.revenue_fen)),
            total_revenue_mnt: stats.revenue_mnt,
            by_day: stats
                .revenue_by_day
                .iter()
                .map(|(date, fen)| RevenueDayView {
                    date: *date,
                    revenue_fen: *fen,
                    revenue_rmb: yuan(Fen::new(*fen)),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_strings_like_prismas_decimals() {
        assert_eq!(decimal_string(Fen::new(625).to_yuan()), "6.25");
        assert_eq!(decimal_string(Fen::new(630).to_yuan()), "6.3");
        assert_eq!(decimal_string(Fen::new(600).to_yuan()), "6");
        assert_eq!(decimal_string(Fen::new(1).to_yuan()), "0.01");
        assert_eq!(decimal_string(Fen::new(0).to_yuan()), "0");
    }

    #[test]
    fn timestamps_are_written_like_to_iso_string() {
        let at = DateTime::parse_from_rfc3339("2025-10-18T10:00:00.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(js_time::format(&at), "2025-10-18T10:00:00.123Z");
        let whole = DateTime::parse_from_rfc3339("2025-10-18T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(js_time::format(&whole), "2025-10-18T10:00:00.000Z");
    }

    #[test]
    fn money_is_written_digit_for_digit() {
        let text = |value: DecimalNumber| serde_json::to_string(&value).unwrap();
        assert_eq!(text(yuan(Fen::new(625))), "6.25");
        assert_eq!(text(yuan(Fen::new(1042))), "10.42");
        assert_eq!(text(yuan(Fen::new(600))), "6.00");
        assert_eq!(
            text(yuan(Fen::new(123_456_789_012_345))),
            "1234567890123.45"
        );
        let parsed: serde_json::Value = serde_json::from_str(&text(yuan(Fen::new(1)))).unwrap();
        assert!(parsed.is_number());
    }
}
