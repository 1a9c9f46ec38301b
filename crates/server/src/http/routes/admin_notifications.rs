//! Admin view of the payment callback log: the callbacks as received, and counts by outcome.

use actix_web::{HttpResponse, get, web};
use elife_domain::ports::{NotificationOutcome, PageRequest};
use elife_domain::services::ServiceError;
use serde::Deserialize;
use utoipa::IntoParams;

use super::State;
use crate::http::admin_auth::{Authorized, perm};
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::validation::{Problems, page_request};
use crate::http::views::{Count, NotificationList, NotificationView, pagination};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// `received`, `processed`, `duplicate`, `rejected`, `unconfirmed`, `error`.
    pub outcome: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

fn parse_outcome(raw: &str) -> Option<NotificationOutcome> {
    raw.parse().ok()
}

#[utoipa::path(
    tag = "admin",
    params(NotificationsQuery),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "payment callbacks as received, newest first", body = Envelope<NotificationList>),
        (status = 400, description = "invalid filter", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_orders", body = ErrorEnvelope),
    )
)]
#[get("/admin/notifications")]
pub async fn notifications(
    state: State,
    _admin: Authorized<perm::ViewOrders>,
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
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "payment callbacks by outcome", body = Envelope<Vec<Count>>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_orders", body = ErrorEnvelope),
    )
)]
#[get("/admin/notifications/stats")]
pub async fn notification_stats(
    state: State,
    _admin: Authorized<perm::ViewOrders>,
) -> Result<HttpResponse, ApiError> {
    let mut counts = Vec::with_capacity(NotificationOutcome::ALL.len());
    for outcome in NotificationOutcome::ALL {
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
