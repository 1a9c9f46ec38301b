//! A user's points account: the balance, a page of the ledger, and a person's adjustment
//! (reason required, audited), as `GET /admin/points/accounts/{openid}` and
//! `POST .../adjust`. The user is named by an openid typed by the operator or by one of
//! their points orders, so that links never carry a whole openid.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use elife_domain::accounts::permissions::Permission;
use elife_domain::order::OpenId;
use elife_domain::points::LedgerEntry;
use elife_domain::ports::PageRequest;
use elife_domain::privacy::scrub_phone_numbers;
use serde::Deserialize;

use super::Flash;
use crate::error::ConsoleError;
use crate::format;
use crate::layout::Section;
use crate::pages::context::{Context, Fragment};
use crate::pages::forms::{Problems, given, order_number, page_number, text};
use crate::pages::paging::{self, Pager};

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
        let who = [("user", self.user.as_str()), ("order", &self.order)];
        paging::page_link("/console/points/accounts", &who, page)
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
    pager: Pager,
}

/// The page's content: the page and the htmx fragment.
#[derive(Template)]
#[template(path = "points_account_body.html")]
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

impl Fragment for AccountBody {
    const SECTION: Section = Section::Points;
}

/// The user the query names, if it names one.
async fn user(cx: &Context, query: &AccountQuery) -> Result<Option<OpenId>, ConsoleError> {
    if given(&query.user).is_some() {
        return OpenId::parse(&query.user)
            .map(Some)
            .map_err(|error| ConsoleError::Invalid(error.to_string()));
    }
    if given(&query.order).is_none() {
        return Ok(None);
    }
    let number = order_number(&query.order)?;
    Ok(Some(cx.services().points_shop.order(&number).await?.user))
}

async fn render(
    cx: &Context,
    query: &AccountQuery,
    flash: Option<Flash>,
) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::ViewPoints)?;
    let page = page_number(&query.page)?;
    let account = match user(cx, query).await? {
        None => None,
        Some(user) => {
            let points = &cx.services().points;
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
            Some(AccountView {
                user: user.masked(),
                balance: format::grouped(account.balance),
                updated: format::china_time(account.updated_at),
                entries: entries.items.iter().map(entry_row).collect(),
                total: entries.total,
                pager: Pager::of(&entries, None, |page| query.page_link(page)),
            })
        }
    };
    let body = AccountBody {
        flash,
        user: text(&query.user),
        order: text(&query.order),
        who: query.who(),
        account,
        can_adjust: cx.operator.may(Permission::ManagePoints),
    };
    cx.page(StatusCode::OK, body)
}

pub(super) async fn show(
    cx: Context,
    query: web::Query<AccountQuery>,
) -> Result<HttpResponse, ConsoleError> {
    render(&cx, &query, None).await
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
    let mut problems = Problems::default();
    let delta = problems.required("delta", &form.delta).and_then(|raw| {
        problems.optional(&raw, |raw| {
            raw.trim_start_matches('+')
                .parse::<i64>()
                .map_err(|_| format!("delta {raw:?} must be a whole number"))
        })
    });
    let reason = problems.required("reason", &form.reason);
    problems.into_value(delta.zip(reason))
}

pub(super) async fn adjust(
    cx: Context,
    query: web::Query<AccountQuery>,
    form: web::Form<AdjustForm>,
) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::ManagePoints)?;
    let (delta, reason) = adjustment(&form)?;
    let user = user(&cx, &query)
        .await?
        .ok_or_else(|| ConsoleError::Invalid("user should not be empty".to_owned()))?;
    let entry = cx
        .services()
        .points
        .adjust(&user, delta, &reason, &cx.operator.act())
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
    render(&cx, &query, Some(flash)).await
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
