//! Admin figures (open to every user in the old backend; admin-only here).

use actix_web::{HttpResponse, get, web};
use elife_domain::ports::StatisticsQuery;
use elife_domain::services::Figures;
use serde::Deserialize;
use utoipa::IntoParams;

use super::State;
use crate::http::admin_auth::{Authorized, perm};
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::validation::{Problems, day_end, day_start};
use crate::http::views::{OrderStatsView, OverviewView, RevenueStatsView, UserStatsView};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// YYYY-MM-DD (China days), inclusive.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub appid: Option<String>,
}

async fn figures(state: &State, query: &StatsQuery) -> Result<Figures, ApiError> {
    let mut problems = Problems::new();
    let from = day_start(&mut problems, "startDate", query.start_date.as_deref());
    let before = day_end(&mut problems, "endDate", query.end_date.as_deref());
    problems.into_result()?;
    let query = StatisticsQuery {
        from,
        before,
        appid: query
            .appid
            .as_deref()
            .map(str::trim)
            .filter(|appid| !appid.is_empty())
            .map(str::to_owned),
    };
    Ok(state.statistics.figures(&query).await?)
}

#[utoipa::path(
    tag = "statistics",
    params(StatsQuery),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "overview: orders, users, revenue, success rate, delays, backlog", body = Envelope<OverviewView>),
        (status = 400, description = "invalid dates", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_statistics", body = ErrorEnvelope),
    )
)]
#[get("/statistics")]
pub async fn overview(
    state: State,
    _admin: Authorized<perm::ViewStatistics>,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let figures = figures(&state, &query).await?;
    Ok(envelope::ok(OverviewView::new(
        &figures.statistics,
        figures.taken_at,
    )))
}

#[utoipa::path(
    tag = "statistics",
    params(StatsQuery),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "user counts", body = Envelope<UserStatsView>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_statistics", body = ErrorEnvelope),
    )
)]
#[get("/statistics/users")]
pub async fn users(
    state: State,
    _admin: Authorized<perm::ViewStatistics>,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let stats = figures(&state, &query).await?.statistics;
    Ok(envelope::ok(UserStatsView {
        total_users: stats.total_users,
    }))
}

#[utoipa::path(
    tag = "statistics",
    params(StatsQuery),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "orders by status, operator and type; anomalies per day", body = Envelope<OrderStatsView>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_statistics", body = ErrorEnvelope),
    )
)]
#[get("/statistics/orders")]
pub async fn orders(
    state: State,
    _admin: Authorized<perm::ViewStatistics>,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let stats = figures(&state, &query).await?.statistics;
    Ok(envelope::ok(OrderStatsView::from(&stats)))
}

#[utoipa::path(
    tag = "statistics",
    params(StatsQuery),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "revenue, total and per day", body = Envelope<RevenueStatsView>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_statistics", body = ErrorEnvelope),
    )
)]
#[get("/statistics/revenue")]
pub async fn revenue(
    state: State,
    _admin: Authorized<perm::ViewStatistics>,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let stats = figures(&state, &query).await?.statistics;
    Ok(envelope::ok(RevenueStatsView::from(&stats)))
}
