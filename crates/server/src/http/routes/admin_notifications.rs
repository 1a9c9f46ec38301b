//! Admin view of the payment callback log: the callbacks as received (filtered), their
//! counts by outcome, and their figures per China day.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use elife_domain::ports::{
    NotificationDay, NotificationStatistics, NotificationStatsQuery, OutcomeCounts, ProcessingTimes,
};
use elife_domain::services::{NotificationSearch, ServiceError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::State;
use crate::http::admin_auth::{Authorized, perm};
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::validation::{Problems, day_end, day_start, page_request};
use crate::http::views::{Count, NotificationList, NotificationView, pagination};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// The channel the callback came in on: `wechat_cloud`, `wechat_v3`.
    pub channel: Option<String>,
    /// `payment` or `refund`.
    pub kind: Option<String>,
    /// The outcome: `received`, `processed`, `duplicate`, `rejected`, `unconfirmed`, `error`.
    pub verdict: Option<String>,
    /// The same as `verdict` (its older name).
    pub outcome: Option<String>,
    /// The order number the callback named, exactly.
    pub order: Option<String>,
    /// First received on or after this China day: `YYYY-MM-DD`, or an ISO-8601 date-time
    /// (the China day it falls on).
    pub from: Option<String>,
    /// First received on or before this China day (inclusive), as `from`.
    pub to: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

/// `verdict`, or its older name `outcome`; both only if they agree.
fn verdict(problems: &mut Problems, query: &NotificationsQuery) -> Option<String> {
    let given = |raw: &Option<String>| {
        raw.as_deref()
            .map(str::trim)
            .filter(|raw| !raw.is_empty())
            .map(str::to_owned)
    };
    match (given(&query.verdict), given(&query.outcome)) {
        (Some(verdict), Some(outcome)) if verdict != outcome => {
            problems.add("verdict and outcome name different outcomes: give one");
            None
        }
        (verdict, outcome) => verdict.or(outcome),
    }
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
    let outcome = verdict(&mut problems, &query);
    let received_from = day_start(&mut problems, "from", query.from.as_deref());
    let received_before = day_end(&mut problems, "to", query.to.as_deref());
    let page = page_request(&mut problems, query.page.as_deref(), query.limit.as_deref());
    problems.into_result()?;
    let search = NotificationSearch {
        channel: query.channel.clone(),
        kind: query.kind.clone(),
        outcome,
        order_number: query.order.clone(),
        received_from,
        received_before,
    };
    let records = state.notification_log.list(&search, page).await?;
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
    let counts = state.notification_log.counts_by_outcome().await?;
    Ok(envelope::ok(
        counts
            .into_iter()
            .map(|(outcome, count)| Count {
                key: outcome.as_str().to_owned(),
                count,
            })
            .collect::<Vec<_>>(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationStatisticsQuery {
    /// First China day counted: `YYYY-MM-DD`, or an ISO-8601 date-time (the China day it
    /// falls on). Required.
    pub from: Option<String>,
    /// Last China day counted (inclusive), as `from`; at most 93 days after it. Required.
    pub to: Option<String>,
    /// Only this channel: `wechat_cloud`, `wechat_v3`.
    pub channel: Option<String>,
}

#[utoipa::path(
    tag = "admin",
    params(NotificationStatisticsQuery),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "payment callbacks per China day by outcome, with average processing times; each callback once, under its current outcome", body = Envelope<NotificationStatisticsView>),
        (status = 400, description = "missing or invalid period or channel", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_orders", body = ErrorEnvelope),
    )
)]
#[get("/admin/notifications/statistics")]
pub async fn notification_statistics(
    state: State,
    _admin: Authorized<perm::ViewOrders>,
    query: web::Query<NotificationStatisticsQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let from = problems
        .required("from", &query.from)
        .and_then(|raw| day_start(&mut problems, "from", Some(&raw)));
    let before = problems
        .required("to", &query.to)
        .and_then(|raw| day_end(&mut problems, "to", Some(&raw)));
    let (from, before) = problems.into_value(from.zip(before))?;
    let query = NotificationStatsQuery {
        from,
        before,
        channel: query.channel.clone(),
    };
    let stats = state.notification_log.statistics(&query).await?;
    Ok(envelope::ok(NotificationStatisticsView::new(
        &query, &stats,
    )))
}

/// Callbacks by outcome.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutcomeCountsView {
    pub received: u64,
    pub processed: u64,
    pub duplicate: u64,
    pub rejected: u64,
    pub unconfirmed: u64,
    pub error: u64,
    pub total: u64,
}

impl From<&OutcomeCounts> for OutcomeCountsView {
    fn from(counts: &OutcomeCounts) -> Self {
        OutcomeCountsView {
            received: counts.received,
            processed: counts.processed,
            duplicate: counts.duplicate,
            rejected: counts.rejected,
            unconfirmed: counts.unconfirmed,
            error: counts.error,
            total: counts.total(),
        }
    }
}

/// Processing times of the callbacks that have one (a callback still `received` has none).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingView {
    pub timed: u64,
    /// Whole milliseconds, rounded down; null when nothing was timed.
    pub average_ms: Option<i64>,
}

impl From<&ProcessingTimes> for ProcessingView {
    fn from(times: &ProcessingTimes) -> Self {
        ProcessingView {
            timed: times.timed,
            average_ms: times.average_ms(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationDayView {
    /// The China (UTC+8) calendar day.
    pub date: NaiveDate,
    pub outcomes: OutcomeCountsView,
    pub processing: ProcessingView,
}

impl From<&NotificationDay> for NotificationDayView {
    fn from(day: &NotificationDay) -> Self {
        NotificationDayView {
            date: day.day,
            outcomes: OutcomeCountsView::from(&day.outcomes),
            processing: ProcessingView::from(&day.processing),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationStatisticsView {
    /// The period counted: first received at or after `from`, before `before`.
    pub from: DateTime<Utc>,
    pub before: DateTime<Utc>,
    pub channel: Option<String>,
    /// Every day of the period, oldest first, days without callbacks included.
    pub days: Vec<NotificationDayView>,
    pub outcomes: OutcomeCountsView,
    pub processing: ProcessingView,
}

impl NotificationStatisticsView {
    fn new(query: &NotificationStatsQuery, stats: &NotificationStatistics) -> Self {
        NotificationStatisticsView {
            from: query.from,
            before: query.before,
            channel: query
                .channel
                .as_deref()
                .map(str::trim)
                .filter(|channel| !channel.is_empty())
                .map(str::to_owned),
            days: stats.days.iter().map(NotificationDayView::from).collect(),
            outcomes: OutcomeCountsView::from(&stats.outcomes),
            processing: ProcessingView::from(&stats.processing),
        }
    }
}

#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "the notification's id in the log")),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "processed again (asking WeChat about the payment or refund it named), audited; a notification decided already is returned as it is", body = Envelope<NotificationView>),
        (status = 400, description = "invalid id", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks sync_payments", body = ErrorEnvelope),
        (status = 404, description = "no such notification", body = ErrorEnvelope),
        (status = 409, description = "rejected for good, or names no order of ours", body = ErrorEnvelope),
        (status = 502, description = "WeChat Pay unavailable: try again", body = ErrorEnvelope),
    )
)]
#[post("/admin/notifications/{id}/retry")]
pub async fn retry_notification(
    state: State,
    admin: Authorized<perm::SyncPayments>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            ServiceError::Validation(format!(
                "notification id must be a positive whole number, not {:?}",
                path.as_str()
            ))
        })?;
    let payments = &state.payments;
    let record = payments
        .collection
        .retry_notification(id, &payments.refunds, &admin.act())
        .await?;
    Ok(envelope::ok(NotificationView::from(&record)))
}
