//! `GET /admin/audit`: who changed what, newest first, with filters.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use elife_domain::accounts::audit::{AuditAction, AuditFilter, AuditRecord, AuditTargetType};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::State;
use crate::http::admin_auth::{Authorized, perm};
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::validation::{Problems, page_request};
use crate::http::views::{Pagination, pagination};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The actor's username (`break-glass` and `cli` included).
    pub actor: Option<String>,
    /// e.g. `order.refund`, `exchange_rate.change`, `admin.update`, `order.reveal_phone`.
    pub action: Option<String>,
    /// `order`, `exchange_rate` or `admin`.
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// RFC 3339, inclusive.
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    pub to: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditActorView {
    /// None for `break-glass` and `cli`.
    pub id: Option<i64>,
    pub username: String,
    pub role: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntryView {
    pub id: i64,
    pub actor: AuditActorView,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub reason: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<&AuditRecord> for AuditEntryView {
    fn from(record: &AuditRecord) -> Self {
        let entry = &record.entry;
        AuditEntryView {
            id: record.id,
            actor: AuditActorView {
                id: entry.actor.admin_id.map(|id| id.0),
                username: entry.actor.username.clone(),
                role: entry.actor.role.as_str().to_owned(),
            },
            action: entry.action.as_str().to_owned(),
            target_type: entry.target_type.as_str().to_owned(),
            target_id: entry.target_id.clone(),
            reason: entry.reason.clone(),
            before: entry.before.clone(),
            after: entry.after.clone(),
            request_id: entry.request_id.clone(),
            at: entry.at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditList {
    pub data: Vec<AuditEntryView>,
    pub pagination: Pagination,
}

fn instant(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| format!("{raw:?} is not an RFC 3339 time such as 2026-11-30T08:00:00Z"))
}

#[utoipa::path(
    tag = "admin",
    params(AuditQuery),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "audit rows, newest first", body = Envelope<AuditList>),
        (status = 400, description = "invalid filter", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_audit", body = ErrorEnvelope),
    )
)]
#[get("/admin/audit")]
pub async fn list_audit(
    state: State,
    admin: Authorized<perm::ViewAudit>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let text = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    let filter = AuditFilter {
        actor: text(&query.actor),
        action: problems.optional(query.action.as_deref(), |raw| {
            raw.parse::<AuditAction>()
                .map_err(|error| error.to_string())
        }),
        target_type: problems.optional(query.target_type.as_deref(), |raw| {
            raw.parse::<AuditTargetType>()
                .map_err(|error| error.to_string())
        }),
        target_id: text(&query.target_id),
        from: problems.optional(query.from.as_deref(), instant),
        before: problems.optional(query.to.as_deref(), instant),
    };
    let page = page_request(&mut problems, query.page.as_deref(), query.limit.as_deref());
    problems.into_result()?;
    let records = state
        .back_office
        .audit_trail
        .list(&admin.act(), &filter, page)
        .await?;
    Ok(envelope::ok(AuditList {
        data: records.items.iter().map(AuditEntryView::from).collect(),
        pagination: pagination(&records),
    }))
}
