//! `GET /console/notifications`: the payment callbacks as received, filtered, with their
//! counts by outcome; `POST /console/notifications/{id}/retry` asks WeChat again about the
//! payment or refund a callback named (the API's retry use case, audited).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use elife_domain::accounts::permissions::Permission;
use elife_domain::order::OrderNumber;
use elife_domain::ports::{NotificationKind, NotificationOutcome, NotificationRecord, PageRequest};
use elife_domain::privacy::scrub_phone_numbers;
use elife_domain::services::{NotificationSearch, ServiceError};
use serde::Deserialize;

use super::context::{Context, html};
use super::forms::{Choice, Problems, choices, given, text};
use super::paging::{self, Pager};
use crate::error::ConsoleError;
use crate::format;
use crate::layout::{Chrome, Section};

const PAGE_SIZE: u64 = 20;
/// The id of the element the filters, the pager and a retry replace.
const TABLE: &str = "notifications-table";
/// The channels callbacks are logged under, offered as suggestions.
const CHANNELS: [&str; 2] = ["wechat_cloud", "wechat_v3"];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/notifications", web::get().to(list))
        .route("/notifications/{id}/retry", web::post().to(retry));
}

/// The filters (`?channel=&kind=&verdict=&order=&from=&to=&page=`); a retry form sends them
/// too, so that the list it answers is the one the operator was looking at.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NotificationsQuery {
    pub channel: String,
    pub kind: String,
    pub verdict: String,
    pub order: String,
    pub from: String,
    pub to: String,
    pub page: String,
}

impl NotificationsQuery {
    /// The search and page; the domain checks the names (channel, kind, outcome) itself.
    fn parse(&self) -> Result<(NotificationSearch, PageRequest), String> {
        let mut problems = Problems::default();
        let (received_from, received_before) = problems.ordered_china_days(&self.from, &self.to);
        let page = problems.page_request(&self.page, PAGE_SIZE);
        let typed = |raw: &str| given(raw).map(str::to_owned);
        let search = NotificationSearch {
            channel: typed(&self.channel),
            kind: typed(&self.kind),
            outcome: typed(&self.verdict),
            order_number: typed(&self.order),
            received_from,
            received_before,
        };
        // The names are the domain's to check; asked here so that one answer lists every
        // problem.
        if let Err(ServiceError::Validation(message)) = search.filter() {
            problems.add(message);
        }
        problems.into_result((search, page))
    }

    fn pairs(&self) -> [(&'static str, String); 6] {
        [
            ("channel", text(&self.channel)),
            ("kind", text(&self.kind)),
            ("verdict", text(&self.verdict)),
            ("order", text(&self.order)),
            ("from", text(&self.from)),
            ("to", text(&self.to)),
        ]
    }

    fn href(&self, page: u64) -> String {
        let pairs = self.pairs();
        let filters: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        paging::page_link("/console/notifications", &filters, page)
    }
}

/// The badge colour of a callback's outcome: red for those a person should look at.
fn outcome_badge(outcome: NotificationOutcome) -> &'static str {
    match outcome {
        NotificationOutcome::Processed | NotificationOutcome::Duplicate => "ok",
        NotificationOutcome::Received => "warn",
        NotificationOutcome::Rejected
        | NotificationOutcome::Unconfirmed
        | NotificationOutcome::Error => "bad",
    }
}

/// One logged callback, as the list and the order page show it (never its raw body, which
/// names the payer).
pub(crate) struct NotificationRow {
    pub id: i64,
    pub received: String,
    pub channel: String,
    pub kind: &'static str,
    pub outcome: &'static str,
    pub outcome_badge: &'static str,
    /// The order it named, and whether that is one of ours to link to.
    pub order: Option<(String, bool)>,
    pub transaction: String,
    pub error: String,
    pub retries: i32,
    pub processing: String,
}

impl From<&NotificationRecord> for NotificationRow {
    fn from(record: &NotificationRecord) -> Self {
        NotificationRow {
            id: record.id,
            received: format::china_time(record.created_at),
            channel: record.channel.clone(),
            kind: record.kind.as_str(),
            outcome: record.outcome.as_str(),
            outcome_badge: outcome_badge(record.outcome),
            order: record
                .order_number
                .as_ref()
                .map(|raw| (raw.clone(), OrderNumber::parse(raw).is_ok())),
            transaction: record.transaction_id.clone().unwrap_or_default(),
            error: scrub_phone_numbers(record.error_message.as_deref().unwrap_or_default()),
            retries: record.retry_count,
            processing: record
                .processing_ms
                .map_or_else(|| "—".to_owned(), |ms| format!("{ms} ms")),
        }
    }
}

struct Tally {
    outcome: &'static str,
    count: u64,
    badge: &'static str,
}

#[derive(Template)]
#[template(path = "notifications_table.html")]
struct NotificationsTable {
    flash: Option<String>,
    error: Option<String>,
    rows: Vec<NotificationRow>,
    pager: Pager,
    can_retry: bool,
    /// The filters, repeated in each retry form.
    filters: [(&'static str, String); 6],
    page: String,
    table: &'static str,
}

struct FilterForm {
    kind: Vec<Choice>,
    verdict: Vec<Choice>,
    channels: [&'static str; 2],
    channel: String,
    order: String,
    from: String,
    to: String,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    tallies: Vec<Tally>,
    form: FilterForm,
    table: NotificationsTable,
}

async fn list(
    cx: Context,
    query: web::Query<NotificationsQuery>,
) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::ViewOrders)?;
    answer(&cx, &query, None).await
}

/// The list for `query` (the page, or the table alone for htmx), with `flash` on top.
async fn answer(
    cx: &Context,
    query: &NotificationsQuery,
    flash: Option<String>,
) -> Result<HttpResponse, ConsoleError> {
    let services = cx.services();
    let listed = match query.parse() {
        Ok((search, page)) => match services.notification_log.list(&search, page).await {
            Ok(records) => Ok(records),
            // A wrong channel, kind or outcome name: shown with the form, not as a failure.
            Err(ServiceError::Validation(problems)) => Err(problems),
            Err(error) => return Err(error.into()),
        },
        Err(problems) => Err(problems),
    };
    let (status, rows, pager, error) = match listed {
        Ok(records) => (
            StatusCode::OK,
            records.items.iter().map(NotificationRow::from).collect(),
            Pager::of(&records, Some(TABLE), |page| query.href(page)),
            None,
        ),
        Err(problems) => (
            StatusCode::BAD_REQUEST,
            Vec::new(),
            Pager::empty(Some(TABLE)),
            Some(problems),
        ),
    };
    let table = NotificationsTable {
        flash,
        error,
        rows,
        pager,
        can_retry: cx.operator.may(Permission::SyncPayments),
        filters: query.pairs(),
        page: given(&query.page).unwrap_or("1").to_owned(),
        table: TABLE,
    };
    if cx.targets(TABLE) {
        return Ok(html(status, table.render()?));
    }
    let tallies = services
        .notification_log
        .counts_by_outcome()
        .await?
        .into_iter()
        .map(|(outcome, count)| Tally {
            outcome: outcome.as_str(),
            count,
            badge: if count > 0 {
                outcome_badge(outcome)
            } else {
                ""
            },
        })
        .collect();
    let page = NotificationsPage {
        chrome: Chrome::new(&cx.operator, Section::Notifications),
        tallies,
        form: FilterForm {
            kind: choices(
                NotificationKind::ALL.map(NotificationKind::as_str),
                &query.kind,
            ),
            verdict: choices(
                NotificationOutcome::ALL.map(NotificationOutcome::as_str),
                &query.verdict,
            ),
            channels: CHANNELS,
            channel: text(&query.channel),
            order: text(&query.order),
            from: text(&query.from),
            to: text(&query.to),
        },
        table,
    };
    Ok(html(status, page.render()?))
}

/// A positive whole number, as the API requires.
fn notification_id(raw: &str) -> Result<i64, ConsoleError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        ConsoleError::Invalid(format!(
            "notification id must be a positive whole number, not {:?}",
            scrub_phone_numbers(raw)
        ))
    })
}

async fn retry(
    cx: Context,
    path: web::Path<String>,
    // The filters to answer with; a form without them answers the first page.
    form: Option<web::Form<NotificationsQuery>>,
) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::SyncPayments)?;
    let query = form.map(web::Form::into_inner).unwrap_or_default();
    let id = notification_id(&path)?;
    let services = cx.services();
    let record = services
        .payments
        .retry_notification(id, &services.refunds, &cx.operator.act())
        .await?;
    let mut flash = format!("已重试 Retried #{id}: {}", record.outcome.as_str());
    if let Some(message) = &record.error_message {
        flash.push_str(" — ");
        flash.push_str(&scrub_phone_numbers(message));
    }
    answer(&cx, &query, Some(flash)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filters_become_a_search_of_china_days() {
        let query = NotificationsQuery {
            channel: " wechat_v3 ".to_owned(),
            verdict: "error".to_owned(),
            kind: " ".to_owned(),
            from: "2026-11-30".to_owned(),
            page: "2".to_owned(),
            ..NotificationsQuery::default()
        };
        let (search, page) = query.parse().unwrap();
        assert_eq!(search.channel.as_deref(), Some("wechat_v3"));
        assert_eq!(search.outcome.as_deref(), Some("error"));
        assert_eq!(search.kind, None);
        assert_eq!(
            search.received_from.unwrap().to_rfc3339(),
            "2026-11-29T16:00:00+00:00"
        );
        assert_eq!(page.page, 2);
        assert_eq!(
            query.href(3),
            "/console/notifications?channel=wechat_v3&verdict=error&from=2026-11-30&page=3"
        );
    }

    #[test]
    fn bad_days_and_ids_are_refused() {
        let query = NotificationsQuery {
            to: "yesterday".to_owned(),
            ..NotificationsQuery::default()
        };
        assert!(query.parse().unwrap_err().contains("to must be a date"));
        let query = NotificationsQuery {
            from: "x".to_owned(),
            verdict: "nope".to_owned(),
            ..NotificationsQuery::default()
        };
        let problems = query.parse().unwrap_err();
        assert!(problems.contains("from must be a date") && problems.contains("nope"));
        assert_eq!(notification_id("12").unwrap(), 12);
        for bad in ["0", "-3", "x"] {
            assert!(matches!(
                notification_id(bad),
                Err(ConsoleError::Invalid(_))
            ));
        }
    }

    #[test]
    fn outcomes_that_need_a_look_are_red() {
        assert_eq!(outcome_badge(NotificationOutcome::Error), "bad");
        assert_eq!(outcome_badge(NotificationOutcome::Processed), "ok");
    }
}
