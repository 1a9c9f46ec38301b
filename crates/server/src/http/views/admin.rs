//! Orders as the back office sees them: with payment details, anomaly and history.

use chrono::{DateTime, Utc};
use elife_domain::order::{Order, OrderEvent};
use serde::Serialize;
use utoipa::ToSchema;

use super::orders::OrderView;
use super::paging::Pagination;

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
