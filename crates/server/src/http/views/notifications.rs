//! The payment callbacks' log as the back office reads it.

use chrono::{DateTime, Utc};
use elife_domain::ports::NotificationRecord;
use serde::Serialize;
use utoipa::ToSchema;

use super::paging::Pagination;

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
            kind: record.kind.as_str().to_owned(),
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
