//! The mall's figures for the back office over a period of China days: orders, money,
//! units sold from the stock ledger, top sellers and conversion.

use actix_web::{HttpResponse, get, web};
use chrono::Days;
use chrono_tz::Asia::Shanghai;
use elife_domain::trade::statistics::{MAX_TOP, MallStatisticsQuery};
use serde::Deserialize;
use utoipa::IntoParams;

use super::State;
use crate::http::admin_auth::{Authorized, perm};
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::validation::{Problems, china_day, china_midnight};
use crate::http::views::MallStatisticsView;

/// Days the figures cover when the query names no start.
const DEFAULT_DAYS: u64 = 30;
/// Top products and SKUs listed when the query names no number.
const DEFAULT_TOP: usize = 10;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MallStatisticsParams {
    /// YYYY-MM-DD (China day), inclusive; 29 days before `to` when absent.
    pub from: Option<String>,
    /// YYYY-MM-DD (China day), inclusive; today when absent.
    pub to: Option<String>,
    /// How many top products and SKUs, 1 to 50; 10 when absent.
    pub top: Option<String>,
}

#[utoipa::path(
    tag = "admin-mall",
    params(MallStatisticsParams),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "orders placed and paid, money paid and refunded, units sold (stock ledger deductions net of after-sale restocks), top products and SKUs, a series per China day and the view-to-purchase conversion", body = Envelope<MallStatisticsView>),
        (status = 400, description = "invalid dates or top, `from` after `to`, or a period of more than 93 days", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_mall", body = ErrorEnvelope),
    )
)]
#[get("/admin/mall/statistics")]
pub async fn mall_statistics(
    state: State,
    _admin: Authorized<perm::ViewMall>,
    query: web::Query<MallStatisticsParams>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let from = china_day(&mut problems, "from", query.from.as_deref());
    let to = china_day(&mut problems, "to", query.to.as_deref());
    let top = problems.optional(query.top.as_deref(), |raw| {
        raw.parse::<usize>()
            .ok()
            .filter(|top| (1..=MAX_TOP).contains(top))
            .ok_or_else(|| format!("top must be a whole number from 1 to {MAX_TOP}"))
    });
    problems.into_result()?;
    let today = state
        .ports
        .clock
        .now()
        .with_timezone(&Shanghai)
        .date_naive();
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| {
        to.checked_sub_days(Days::new(DEFAULT_DAYS - 1))
            .unwrap_or(to)
    });
    let before = to
        .checked_add_days(Days::new(1))
        .ok_or_else(|| ApiError::bad_request("to is out of range"))?;
    let figures = state
        .mall
        .statistics
        .figures(&MallStatisticsQuery {
            from: china_midnight(from)?,
            before: china_midnight(before)?,
            top: top.unwrap_or(DEFAULT_TOP),
        })
        .await?;
    Ok(envelope::ok(MallStatisticsView::new(from, to, &figures)))
}
