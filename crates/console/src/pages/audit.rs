//! The audit log: who changed what, newest first, with the filters of `GET /admin/audit`
//! (days are China days here, as everywhere in the console).

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Days, NaiveDate};
use elife_domain::accounts::audit::{AuditAction, AuditFilter, AuditRecord, AuditTargetType};
use elife_domain::accounts::permissions::Permission;
use elife_domain::ports::PageRequest;
use elife_domain::privacy::{mask_openid, scrub_phone_numbers};
use serde::Deserialize;

use crate::error::ConsoleError;
use crate::format;
use crate::layout::{Chrome, Section};
use crate::services::Console;
use crate::session::Operator;

/// Rows per page.
const PAGE_SIZE: u64 = 20;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit", web::get().to(list));
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AuditQuery {
    actor: String,
    action: String,
    target_type: String,
    target_id: String,
    /// China day, inclusive.
    from: String,
    /// China day, inclusive.
    to: String,
    page: String,
}

impl AuditQuery {
    /// The filters as a query string, without the page.
    fn filters(&self) -> String {
        format::query(&[
            ("actor", self.actor.trim()),
            ("action", self.action.trim()),
            ("target_type", self.target_type.trim()),
            ("target_id", self.target_id.trim()),
            ("from", self.from.trim()),
            ("to", self.to.trim()),
        ])
    }
}

struct Choice {
    value: &'static str,
    selected: bool,
}

struct Row {
    id: i64,
    at: String,
    actor: String,
    role: String,
    action: String,
    target_type: String,
    target_id: String,
    reason: String,
    request_id: String,
    before: Option<String>,
    after: Option<String>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    query: AuditQuery,
    actions: Vec<Choice>,
    target_types: Vec<Choice>,
    rows: Vec<Row>,
    total: u64,
    page: u64,
    pages: u64,
    previous: Option<String>,
    next: Option<String>,
}

/// A `YYYY-MM-DD` China day; `problems` notes a malformed one.
pub(super) fn day(problems: &mut Vec<String>, name: &str, raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let parsed = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok();
    if parsed.is_none() {
        problems.push(format!("{name} must be a date YYYY-MM-DD"));
    }
    parsed
}

/// An optional name (`exchange_rate.change`, `admin`); `problems` notes an unknown one.
pub(super) fn named<T>(problems: &mut Vec<String>, raw: &str) -> Option<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    raw.parse::<T>()
        .map_err(|error| problems.push(error.to_string()))
        .ok()
}

/// A page number of at least 1; 1 when absent.
pub(super) fn page_number(problems: &mut Vec<String>, raw: &str) -> u64 {
    match raw.trim() {
        "" => 1,
        raw => match raw.parse::<u64>() {
            Ok(page) if page >= 1 => page.min(1_000_000),
            _ => {
                problems.push("page must be an integer of at least 1".to_owned());
                1
            }
        },
    }
}

/// The filters of the query, each checked as the API checks it; every problem at once.
fn filter(query: &AuditQuery) -> Result<(AuditFilter, u64), ConsoleError> {
    let mut problems = Vec::new();
    let text = |raw: &str| Some(raw.trim().to_owned()).filter(|raw| !raw.is_empty());
    let action = named::<AuditAction>(&mut problems, &query.action);
    let target_type = named::<AuditTargetType>(&mut problems, &query.target_type);
    let from = day(&mut problems, "from", &query.from);
    let to = day(&mut problems, "to", &query.to);
    let page = page_number(&mut problems, &query.page);
    if !problems.is_empty() {
        return Err(ConsoleError::Invalid(problems.join(", ")));
    }
    let filter = AuditFilter {
        actor: text(&query.actor),
        action,
        target_type,
        target_id: text(&query.target_id),
        from: from.and_then(format::china_midnight),
        before: to
            .and_then(|to| to.checked_add_days(Days::new(1)))
            .and_then(format::china_midnight),
    };
    Ok((filter, page))
}

/// Before/after as indented JSON; free text in it may repeat a phone number.
fn pretty(value: Option<&serde_json::Value>) -> Option<String> {
    value.map(|value| scrub_phone_numbers(&serde_json::to_string_pretty(value).unwrap_or_default()))
}

fn row(record: &AuditRecord) -> Row {
    let entry = &record.entry;
    // A points account is named by the user's openid, which the console never shows whole.
    let target_id = match entry.target_type {
        AuditTargetType::PointsAccount => mask_openid(&entry.target_id),
        _ => entry.target_id.clone(),
    };
    Row {
        id: record.id,
        at: format::china_time(entry.at),
        actor: entry.actor.username.clone(),
        role: entry.actor.role.to_string(),
        action: entry.action.as_str().to_owned(),
        target_type: entry.target_type.as_str().to_owned(),
        target_id,
        reason: entry
            .reason
            .as_deref()
            .map(scrub_phone_numbers)
            .unwrap_or_default(),
        request_id: entry.request_id.clone().unwrap_or_default(),
        before: pretty(entry.before.as_ref()),
        after: pretty(entry.after.as_ref()),
    }
}

/// The link to another page of the same filters.
fn page_link(filters: &str, page: u64) -> String {
    let page = page.to_string();
    let pairs = format::query(&[("page", page.as_str())]);
    if filters.is_empty() {
        format!("/console/audit?{pairs}")
    } else {
        format!("/console/audit?{filters}&{pairs}")
    }
}

async fn list(
    console: web::Data<Console>,
    operator: Operator,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ConsoleError> {
    operator.require(Permission::ViewAudit)?;
    let query = query.into_inner();
    let (filter, page) = filter(&query)?;
    let records = console
        .services
        .audit_trail
        .list(
            &operator.act(),
            &filter,
            PageRequest {
                page,
                limit: PAGE_SIZE,
            },
        )
        .await?;
    let pages = records.total_pages();
    let filters = query.filters();
    let choices = |values: Vec<&'static str>, current: &str| {
        values
            .into_iter()
            .map(|value| Choice {
                value,
                selected: value == current.trim(),
            })
            .collect()
    };
    let page_view = AuditPage {
        chrome: Chrome::new(&operator, Section::Audit),
        actions: choices(
            AuditAction::ALL.iter().map(|a| a.as_str()).collect(),
            &query.action,
        ),
        target_types: choices(
            AuditTargetType::ALL.iter().map(|t| t.as_str()).collect(),
            &query.target_type,
        ),
        rows: records.items.iter().map(row).collect(),
        total: records.total,
        page,
        pages,
        previous: (page > 1).then(|| page_link(&filters, page - 1)),
        next: (page < pages).then(|| page_link(&filters, page + 1)),
        query,
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page_view.render()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> AuditQuery {
        let mut query = AuditQuery::default();
        for (name, value) in pairs {
            let value = (*value).to_owned();
            match *name {
                "actor" => query.actor = value,
                "action" => query.action = value,
                "target_type" => query.target_type = value,
                "from" => query.from = value,
                "to" => query.to = value,
                "page" => query.page = value,
                _ => query.target_id = value,
            }
        }
        query
    }

    #[test]
    fn days_are_whole_china_days() {
        let (filter, page) = filter(&query(&[
            ("from", "2025-10-18"),
            ("to", "2025-10-18"),
            ("actor", " alice "),
            ("action", "exchange_rate.change"),
        ]))
        .unwrap();
        assert_eq!(page, 1);
        assert_eq!(
            filter.from.unwrap().to_rfc3339(),
            "2025-10-17T16:00:00+00:00"
        );
        assert_eq!(
            filter.before.unwrap().to_rfc3339(),
            "2025-10-18T16:00:00+00:00"
        );
        assert_eq!(filter.actor.as_deref(), Some("alice"));
        assert_eq!(filter.action, Some(AuditAction::ExchangeRateChange));
    }

    #[test]
    fn every_problem_is_reported_together() {
        let Err(ConsoleError::Invalid(message)) = filter(&query(&[
            ("action", "nope"),
            ("target_type", "thing"),
            ("from", "18/10/2025"),
            ("page", "0"),
        ])) else {
            panic!("expected the filters to be refused");
        };
        assert!(message.contains("nope"), "{message}");
        assert!(message.contains("thing"), "{message}");
        assert!(
            message.contains("from must be a date YYYY-MM-DD"),
            "{message}"
        );
        assert!(
            message.contains("page must be an integer of at least 1"),
            "{message}"
        );
    }

    #[test]
    fn paging_keeps_the_filters() {
        let query = query(&[("actor", "bob smith"), ("to", "2025-10-18")]);
        assert_eq!(
            page_link(&query.filters(), 2),
            "/console/audit?actor=bob%20smith&to=2025-10-18&page=2"
        );
        assert_eq!(page_link("", 3), "/console/audit?page=3");
    }
}
