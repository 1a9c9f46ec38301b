//! A user's points account: the balance, a page of the ledger, and a person's adjustment
//! (reason required, audited), as `GET /admin/points/accounts/{openid}` and
//! `POST .../adjust`. The user is named by an openid typed by the operator or by one of
//! their points orders, so that links never carry a whole openid.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use elife_domain::accounts::permissions::Permission;
use elife_domain::order::{OpenId, OrderNumber};
use elife_domain::points::LedgerEntry;
use elife_domain::ports::PageRequest;
use elife_domain::privacy::scrub_phone_numbers;
use serde::Deserialize;

use super::{Flash, html, invalid, is_htmx};
use crate::error::ConsoleError;
use crate::format;
use crate::layout::{Chrome, Section};
use crate::pages::audit::page_number;
use crate::services::Console;
use crate::session::Operator;

/// Ledger entries per page.
const PAGE_SIZE: u64 = 20;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AccountQuery {
    /// The openid, as typed.
    user: String,
    /// Or a points order of the user.
    order: String,
    page: String,
}

impl AccountQuery {
    /// Who the page is about, without the page number.
    fn who(&self) -> String {
        format::query(&[("user", self.user.trim()), ("order", self.order.trim())])
    }

    fn page_link(&self, page: u64) -> String {
        format!("/console/points/accounts?{}&page={page}", self.who())
    }
}

struct EntryRow {
    id: i64,
    at: String,
    kind: &'static str,
    delta: String,
    /// The entry takes points away.
    debit: bool,
    balance_after: String,
    note: String,
    reference: String,
}

fn entry_row(entry: &LedgerEntry) -> EntryRow {
    EntryRow {
        id: entry.id,
        at: format::china_time(entry.created_at),
        kind: entry.kind.as_str(),
        delta: if entry.delta > 0 {
            format!("+{}", format::grouped(entry.delta))
        } else {
            format::grouped(entry.delta)
        },
        debit: entry.delta < 0,
        balance_after: format::grouped(entry.balance_after),
        note: scrub_phone_numbers(&entry.note),
        reference: format!("{}:{}", entry.reference.biz_type, entry.reference.biz_id),
    }
}

struct AccountView {
    /// The openid, masked.
    user: String,
    balance: String,
    updated: String,
    entries: Vec<EntryRow>,
    total: u64,
    page: u64,
    pages: u64,
    previous: Option<String>,
    next: Option<String>,
}

/// The page's content: the page and the htmx fragment.
struct AccountBody {
    flash: Option<Flash>,
    /// The lookup form as typed.
    user: String,
    order: String,
    /// `user=…` or `order=…`: what the adjust form's URL carries.
    who: String,
    account: Option<AccountView>,
    can_adjust: bool,
}

#[derive(Template)]
#[template(path = "points_account.html")]
struct AccountPage {
    chrome: Chrome,
    body: AccountBody,
}

#[derive(Template)]
#[template(path = "points_account_body.html")]
struct AccountFragment {
    body: AccountBody,
}

/// The user the query names, if it names one.
async fn user(console: &Console, query: &AccountQuery) -> Result<Option<OpenId>, ConsoleError> {
    let order = query.order.trim();
    if !query.user.trim().is_empty() {
        return OpenId::parse(&query.user)
            .map(Some)
            .map_err(|error| ConsoleError::Invalid(error.to_string()));
    }
    if order.is_empty() {
        return Ok(None);
    }
    let number = OrderNumber::parse(order)
        .map_err(|_| ConsoleError::NotFound(format!("order {order} not found")))?;
    Ok(Some(
        console.services.points_shop.order(&number).await?.user,
    ))
}

async fn render(
    console: &Console,
    operator: &Operator,
    request: &HttpRequest,
    query: &AccountQuery,
    flash: Option<Flash>,
) -> Result<HttpResponse, ConsoleError> {
    operator.require(Permission::ViewPoints)?;
    let mut problems = Vec::new();
    let page = page_number(&mut problems, &query.page);
    invalid(problems)?;
    let account = match user(console, query).await? {
        None => None,
        Some(user) => {
            let points = &console.services.points;
            let account = points.account(&user).await?;
            let entries = points
                .entries(
                    &user,
                    PageRequest {
                        page,
                        limit: PAGE_SIZE,
                    },
                )
                .await?;
            let pages = entries.total_pages();
            Some(AccountView {
                user: user.masked(),
                balance: format::grouped(account.balance),
                updated: format::china_time(account.updated_at),
                entries: entries.items.iter().map(entry_row).collect(),
                total: entries.total,
                page,
                pages,
                previous: (page > 1).then(|| query.page_link(page - 1)),
                next: (page < pages).then(|| query.page_link(page + 1)),
            })
        }
    };
    let body = AccountBody {
        flash,
        user: query.user.trim().to_owned(),
        order: query.order.trim().to_owned(),
        who: query.who(),
        account,
        can_adjust: operator.may(Permission::ManagePoints),
    };
    let rendered = if is_htmx(request) {
        AccountFragment { body }.render()?
    } else {
        AccountPage {
            chrome: Chrome::new(operator, Section::Points),
            body,
        }
        .render()?
    };
    Ok(html(rendered))
}

pub(super) async fn show(
    console: web::Data<Console>,
    operator: Operator,
    request: HttpRequest,
    query: web::Query<AccountQuery>,
) -> Result<HttpResponse, ConsoleError> {
    render(&console, &operator, &request, &query, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AdjustForm {
    delta: String,
    reason: String,
}

/// The delta and reason, checked as `POST /admin/points/accounts/{openid}/adjust` checks
/// them; the use case refuses a zero delta.
fn adjustment(form: &AdjustForm) -> Result<(i64, String), ConsoleError> {
    let mut problems = Vec::new();
    let delta = match form.delta.trim() {
        "" => {
            problems.push("delta should not be empty".to_owned());
            None
        }
        raw => raw
            .trim_start_matches('+')
            .parse::<i64>()
            .map_err(|_| problems.push(format!("delta {raw:?} must be a whole number")))
            .ok(),
    };
    let reason = form.reason.trim();
    if reason.is_empty() {
        problems.push("reason should not be empty".to_owned());
    }
    invalid(problems)?;
    let delta = delta.ok_or_else(|| ConsoleError::Invalid("invalid input".to_owned()))?;
    Ok((delta, reason.to_owned()))
}

pub(super) async fn adjust(
    console: web::Data<Console>,
    operator: Operator,
    request: HttpRequest,
    query: web::Query<AccountQuery>,
    form: web::Form<AdjustForm>,
) -> Result<HttpResponse, ConsoleError> {
    operator.require(Permission::ManagePoints)?;
    let (delta, reason) = adjustment(&form)?;
    let user = user(&console, &query)
        .await?
        .ok_or_else(|| ConsoleError::Invalid("user should not be empty".to_owned()))?;
    let entry = console
        .services
        .points
        .adjust(&user, delta, &reason, &operator.act())
        .await?;
    let flash = Flash::done(format!(
        "已调整 {0:+} 积分，余额 {1} Adjusted by {0:+} points; the balance is now {1}",
        entry.delta,
        format::grouped(entry.balance_after)
    ));
    // Back on the first page of the ledger, where the new entry is.
    let query = AccountQuery {
        page: String::new(),
        ..query.into_inner()
    };
    render(&console, &operator, &request, &query, Some(flash)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(delta: &str, reason: &str) -> AdjustForm {
        AdjustForm {
            delta: delta.to_owned(),
            reason: reason.to_owned(),
        }
    }

    #[test]
    fn an_adjustment_needs_a_whole_delta_and_a_reason() {
        assert_eq!(
            adjustment(&form("+50", " ticket 12 ")).unwrap(),
            (50, "ticket 12".to_owned())
        );
        assert_eq!(adjustment(&form("-7", "x")).unwrap().0, -7);
        let Err(ConsoleError::Invalid(message)) = adjustment(&form("", "")) else {
            panic!("expected a refusal");
        };
        assert_eq!(
            message,
            "delta should not be empty, reason should not be empty"
        );
        assert!(adjustment(&form("1.5", "x")).is_err());
    }

    #[test]
    fn links_name_the_user_as_the_page_was_opened() {
        let query = AccountQuery {
            order: "PTS2025".to_owned(),
            ..AccountQuery::default()
        };
        assert_eq!(query.who(), "order=PTS2025");
        assert_eq!(
            query.page_link(2),
            "/console/points/accounts?order=PTS2025&page=2"
        );
    }
}
