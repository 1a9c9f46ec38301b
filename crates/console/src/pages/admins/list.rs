//! The list of admin accounts with their forms: the page, and the fragment an action
//! answers with.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use elife_domain::accounts::admins::{AdminAccount, Role};
use elife_domain::accounts::permissions::Permission;
use elife_domain::ports::PageRequest;

use super::PageQuery;
use crate::error::ConsoleError;
use crate::format;
use crate::layout::Section;
use crate::pages::context::{Context, Fragment};
use crate::pages::forms::{Choice, choices, page_number};
use crate::pages::paging::Pager;

/// Accounts per page.
const PAGE_SIZE: u64 = 50;

/// The role select, `current` selected.
pub(super) fn roles(current: Role) -> Vec<Choice> {
    choices(Role::ALL.map(Role::as_str), current.as_str())
}

struct Row {
    id: i64,
    username: String,
    display_name: String,
    role: &'static str,
    roles: Vec<Choice>,
    enabled: bool,
    locked_until: Option<String>,
    last_login: String,
    created: String,
    /// The operator's own account.
    own: bool,
}

fn row(account: &AdminAccount, cx: &Context, now: chrono::DateTime<chrono::Utc>) -> Row {
    Row {
        id: account.id.0,
        username: account.username.clone(),
        display_name: account.display_name.clone(),
        role: account.role.as_str(),
        roles: roles(account.role),
        enabled: account.enabled,
        locked_until: account
            .is_locked_at(now)
            .then_some(account.locked_until)
            .flatten()
            .map(format::china_time),
        last_login: account
            .last_login_at
            .map(format::china_time)
            .unwrap_or_default(),
        created: format::china_time(account.created_at),
        own: account.id == cx.operator.account.id,
    }
}

/// The list: the page's content and the htmx fragment.
#[derive(Template)]
#[template(path = "admins_body.html")]
struct AdminsBody {
    rows: Vec<Row>,
    new_roles: Vec<Choice>,
    total: u64,
    pager: Pager,
    /// `?page=N`, so that an action re-renders the page it was sent from.
    here: String,
    flash: Option<String>,
}

impl Fragment for AdminsBody {
    const SECTION: Section = Section::Admins;
}

/// The list after an action (or none), as a page or, for htmx, as the fragment.
pub(super) async fn render(
    cx: &Context,
    query: &PageQuery,
    flash: Option<String>,
) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::ManageAdmins)?;
    let page = page_number(&query.page)?;
    let services = cx.services();
    let accounts = services
        .admins
        .list(
            &cx.operator.act(),
            PageRequest {
                page,
                limit: PAGE_SIZE,
            },
        )
        .await?;
    let now = services.clock.now();
    let body = AdminsBody {
        rows: accounts
            .items
            .iter()
            .map(|account| row(account, cx, now))
            .collect(),
        new_roles: roles(Role::Viewer),
        total: accounts.total,
        pager: Pager::of(&accounts, None, |page| {
            format!("/console/admins?page={page}")
        }),
        here: format::query(&[("page", query.page.trim())]),
        flash,
    };
    cx.page(StatusCode::OK, body)
}

pub(super) async fn list(
    cx: Context,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ConsoleError> {
    render(&cx, &query, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_select_marks_the_current_role() {
        let choices = roles(Role::Operator);
        assert_eq!(choices.len(), Role::ALL.len());
        let selected: Vec<_> = choices
            .iter()
            .filter(|choice| choice.selected)
            .map(|choice| choice.value)
            .collect();
        assert_eq!(selected, ["operator"]);
    }
}
