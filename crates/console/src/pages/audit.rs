//! The audit log: who changed what, newest first, with the filters of `GET /admin/audit`
//! (days are China days here, as everywhere in the console).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use elife_domain::accounts::audit::{AuditAction, AuditFilter, AuditRecord, AuditTargetType};
use elife_domain::accounts::permissions::Permission;
use elife_domain::ports::PageRequest;
use elife_domain::privacy::{mask_openid, scrub_phone_numbers};
use serde::Deserialize;

use super::context::{Context, html};
use super::forms::{Choice, Problems, choices, given};
use super::paging::{self, Pager};
use crate::error::ConsoleError;
use crate::format;
use crate::layout::{Chrome, Section};

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
    /// The log with these filters, on page `page`.
    fn href(&self, page: u64) -> String {
        paging::page_link(
            "/console/audit",
            &[
                ("actor", &self.actor),
                ("action", &self.action),
                ("target_type", &self.target_type),
                ("target_id", &self.target_id),
                ("from", &self.from),
                ("to", &self.to),
            ],
            page,
        )
    }
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
    pager: Pager,
}

/// The filters of the query, each checked as the API checks it; every problem at once.
fn filter(query: &AuditQuery) -> Result<(AuditFilter, u64), ConsoleError> {
    let mut problems = Problems::default();
    let action = problems.named::<AuditAction>(&query.action);
    let target_type = problems.named::<AuditTargetType>(&query.target_type);
    let (from, before) = problems.china_days(&query.from, &query.to);
    let page = problems.page_number(&query.page);
    let text = |raw: &str| given(raw).map(str::to_owned);
    let filter = AuditFilter {
        actor: text(&query.actor),
        action,
        target_type,
        target_id: text(&query.target_id),
        from,
        before,
    };
    problems.check((filter, page))
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

async fn list(cx: Context, query: web::Query<AuditQuery>) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::ViewAudit)?;
    let query = query.into_inner();
    let (filter, page) = filter(&query)?;
    let records = cx
        .services()
        .audit_trail
        .list(
            &cx.operator.act(),
            &filter,
            PageRequest {
                page,
                limit: PAGE_SIZE,
            },
        )
        .await?;
    let page_view = AuditPage {
        chrome: Chrome::new(&cx.operator, Section::Audit),
        actions: choices(AuditAction::ALL.iter().map(|a| a.as_str()), &query.action),
        target_types: choices(
            AuditTargetType::ALL.iter().map(|t| t.as_str()),
            &query.target_type,
        ),
        rows: records.items.iter().map(row).collect(),
        total: records.total,
        pager: Pager::of(&records, None, |page| query.href(page)),
        query,
    };
    Ok(html(StatusCode::OK, page_view.render()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The query as the form sends it (`a=1&b=2`).
    fn query(pairs: &str) -> AuditQuery {
        web::Query::<AuditQuery>::from_query(pairs)
            .expect("a query")
            .into_inner()
    }

    #[test]
    fn days_are_whole_china_days() {
        let (filter, page) = filter(&query(
            "from=2025-10-18&to=2025-10-18&actor=+alice+&action=exchange_rate.change",
        ))
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
        let Err(ConsoleError::Invalid(message)) = filter(&query(
            "action=nope&target_type=thing&from=18/10/2025&page=0",
        )) else {
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
        let filtered = query("actor=bob+smith&to=2025-10-18");
        assert_eq!(
            filtered.href(2),
            "/console/audit?actor=bob%20smith&to=2025-10-18&page=2"
        );
        assert_eq!(query("").href(3), "/console/audit?page=3");
    }
}
