//! Admin accounts (super admins only): the list, a new account, a role or display name
//! changed, an account disabled or enabled, a password reset. The same use cases as
//! `/admin/admins`: creating through the admin service, changes through the admin sessions,
//! which end the sessions a change invalidates. Every change is audited by the use case.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use elife_domain::accounts::admin_service::{AdminChanges, CreateAdmin};
use elife_domain::accounts::admin_sessions::AdminSessionError;
use elife_domain::accounts::admins::{AdminAccount, AdminId, Role};
use elife_domain::accounts::permissions::Permission;
use elife_domain::ports::PageRequest;
use serde::Deserialize;

use super::audit::{named, page_number};
use crate::error::ConsoleError;
use crate::format;
use crate::layout::{Chrome, Section};
use crate::services::Console;
use crate::session::Operator;

/// Accounts per page.
const PAGE_SIZE: u64 = 50;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admins", web::get().to(list))
        .route("/admins", web::post().to(create))
        .route("/admins/{id}", web::post().to(update))
        .route("/admins/{id}/enabled", web::post().to(set_enabled))
        .route("/admins/{id}/password", web::post().to(reset_password));
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PageQuery {
    page: String,
}

struct RoleChoice {
    value: &'static str,
    selected: bool,
}

fn roles(current: Option<Role>) -> Vec<RoleChoice> {
    Role::ALL
        .into_iter()
        .map(|role| RoleChoice {
            value: role.as_str(),
            selected: Some(role) == current,
        })
        .collect()
}

struct Row {
    id: i64,
    username: String,
    display_name: String,
    role: &'static str,
    roles: Vec<RoleChoice>,
    enabled: bool,
    locked_until: Option<String>,
    last_login: String,
    created: String,
    /// The operator's own account.
    own: bool,
}

fn row(account: &AdminAccount, operator: &Operator, now: chrono::DateTime<chrono::Utc>) -> Row {
    Row {
        id: account.id.0,
        username: account.username.clone(),
        display_name: account.display_name.clone(),
        role: account.role.as_str(),
        roles: roles(Some(account.role)),
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
        own: account.id == operator.account.id,
    }
}

/// The list: the page and the htmx fragment.
struct AdminsBody {
    rows: Vec<Row>,
    new_roles: Vec<RoleChoice>,
    total: u64,
    page: u64,
    pages: u64,
    /// `?page=N`, so that an action re-renders the page it was sent from.
    here: String,
    previous: Option<String>,
    next: Option<String>,
    flash: Option<String>,
}

#[derive(Template)]
#[template(path = "admins.html")]
struct AdminsPage {
    chrome: Chrome,
    body: AdminsBody,
}

#[derive(Template)]
#[template(path = "admins_body.html")]
struct AdminsFragment {
    body: AdminsBody,
}

fn page_link(page: u64) -> String {
    format!("/console/admins?page={page}")
}

fn invalid(problems: Vec<String>) -> Result<(), ConsoleError> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConsoleError::Invalid(problems.join(", ")))
    }
}

/// The list after an action (or none), as a page or, for htmx, as the fragment.
async fn render(
    console: &Console,
    operator: &Operator,
    request: &HttpRequest,
    query: &PageQuery,
    flash: Option<String>,
) -> Result<HttpResponse, ConsoleError> {
    operator.require(Permission::ManageAdmins)?;
    let mut problems = Vec::new();
    let page = page_number(&mut problems, &query.page);
    invalid(problems)?;
    let services = &console.services;
    let accounts = services
        .admins
        .list(
            &operator.act(),
            PageRequest {
                page,
                limit: PAGE_SIZE,
            },
        )
        .await?;
    let now = services.clock.now();
    let pages = accounts.total_pages();
    let body = AdminsBody {
        rows: accounts
            .items
            .iter()
            .map(|account| row(account, operator, now))
            .collect(),
        new_roles: roles(Some(Role::Viewer)),
        total: accounts.total,
        page,
        pages,
        here: format::query(&[("page", query.page.trim())]),
        previous: (page > 1).then(|| page_link(page - 1)),
        next: (page < pages).then(|| page_link(page + 1)),
        flash,
    };
    let html = if request.headers().contains_key("HX-Request") {
        AdminsFragment { body }.render()?
    } else {
        AdminsPage {
            chrome: Chrome::new(operator, Section::Admins),
            body,
        }
        .render()?
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

async fn list(
    console: web::Data<Console>,
    operator: Operator,
    request: HttpRequest,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ConsoleError> {
    render(&console, &operator, &request, &query, None).await
}

/// A change refused by the admin service reads as its own error; a session that could not
/// be ended after the change was saved is a storage failure, not the operator's logout.
fn refused(error: AdminSessionError) -> ConsoleError {
    match error {
        AdminSessionError::Admin(error) => error.into(),
        AdminSessionError::Session(error) => ConsoleError::Unavailable(format!(
            "已保存，但会话未能结束 saved, but the account's sessions could not be ended: {error}"
        )),
    }
}

/// The id in the path; an id that is not a number names no admin.
fn admin_id(raw: &str) -> Result<AdminId, ConsoleError> {
    raw.parse()
        .map_err(|_| ConsoleError::NotFound(format!("admin {raw} not found")))
}

/// Present and not blank, else a problem noted.
fn required(problems: &mut Vec<String>, name: &str, value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        problems.push(format!("{name} should not be empty"));
        None
    } else {
        Some(value.to_owned())
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct CreateForm {
    username: String,
    display_name: String,
    role: String,
    password: String,
}

async fn create(
    console: web::Data<Console>,
    operator: Operator,
    request: HttpRequest,
    query: web::Query<PageQuery>,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, ConsoleError> {
    operator.require(Permission::ManageAdmins)?;
    let mut problems = Vec::new();
    let username = required(&mut problems, "username", &form.username);
    // The password is taken as typed (spaces included), only checked for presence.
    let password = Some(form.password.clone()).filter(|password| !password.is_empty());
    if password.is_none() {
        problems.push("password should not be empty".to_owned());
    }
    let role = required(&mut problems, "role", &form.role)
        .and_then(|raw| named::<Role>(&mut problems, &raw));
    invalid(problems)?;
    let (Some(username), Some(password), Some(role)) = (username, password, role) else {
        return Err(ConsoleError::Invalid("invalid input".to_owned()));
    };
    let display_name = Some(form.display_name.trim().to_owned()).filter(|name| !name.is_empty());
    let created = console
        .services
        .admins
        .create(
            &operator.act(),
            CreateAdmin {
                username,
                password,
                display_name,
                role,
            },
        )
        .await?;
    let flash = format!(
        "已创建 Created {} ({})",
        created.username,
        created.role.as_str()
    );
    render(&console, &operator, &request, &query, Some(flash)).await
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct UpdateForm {
    role: String,
    display_name: String,
}

async fn update(
    console: web::Data<Console>,
    operator: Operator,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    form: web::Form<UpdateForm>,
) -> Result<HttpResponse, ConsoleError> {
    operator.require(Permission::ManageAdmins)?;
    let mut problems = Vec::new();
    let role = named::<Role>(&mut problems, &form.role);
    invalid(problems)?;
    let id = admin_id(&path)?;
    let changes = AdminChanges {
        role,
        display_name: Some(form.display_name.trim().to_owned()).filter(|name| !name.is_empty()),
        enabled: None,
    };
    let updated = console
        .services
        .admin_sessions
        .update(&operator.act(), id, &changes)
        .await
        .map_err(refused)?;
    let flash = format!(
        "已保存 Saved {}: {} ({})",
        updated.username,
        updated.display_name,
        updated.role.as_str()
    );
    render(&console, &operator, &request, &query, Some(flash)).await
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct EnabledForm {
    enabled: String,
}

async fn set_enabled(
    console: web::Data<Console>,
    operator: Operator,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    form: web::Form<EnabledForm>,
) -> Result<HttpResponse, ConsoleError> {
    operator.require(Permission::ManageAdmins)?;
    let enabled = match form.enabled.trim() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(ConsoleError::Invalid(
                "enabled must be true or false".to_owned(),
            ));
        }
    };
    let id = admin_id(&path)?;
    let changes = AdminChanges {
        enabled: Some(enabled),
        ..AdminChanges::default()
    };
    let updated = console
        .services
        .admin_sessions
        .update(&operator.act(), id, &changes)
        .await
        .map_err(refused)?;
    let flash = if updated.enabled {
        format!("已启用 Enabled {}", updated.username)
    } else {
        format!(
            "已停用 Disabled {}: its sessions have ended",
            updated.username
        )
    };
    render(&console, &operator, &request, &query, Some(flash)).await
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct PasswordForm {
    password: String,
}

async fn reset_password(
    console: web::Data<Console>,
    operator: Operator,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, ConsoleError> {
    operator.require(Permission::ManageAdmins)?;
    if form.password.is_empty() {
        return Err(ConsoleError::Invalid(
            "password should not be empty".to_owned(),
        ));
    }
    let id = admin_id(&path)?;
    let updated = console
        .services
        .admin_sessions
        .reset_password(&operator.act(), id, &form.password)
        .await
        .map_err(refused)?;
    let flash = format!(
        "已重置密码 Password reset for {}: its sessions have ended",
        updated.username
    );
    render(&console, &operator, &request, &query, Some(flash)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_select_marks_the_current_role() {
        let choices = roles(Some(Role::Operator));
        assert_eq!(choices.len(), Role::ALL.len());
        let selected: Vec<_> = choices
            .iter()
            .filter(|choice| choice.selected)
            .map(|choice| choice.value)
            .collect();
        assert_eq!(selected, ["operator"]);
    }

    #[test]
    fn an_id_that_is_not_a_number_names_no_admin() {
        assert!(matches!(admin_id("7"), Ok(AdminId(7))));
        assert!(matches!(admin_id("x"), Err(ConsoleError::NotFound(_))));
    }

    #[test]
    fn blank_required_fields_are_each_reported() {
        let mut problems = Vec::new();
        assert_eq!(required(&mut problems, "username", "  "), None);
        assert_eq!(
            required(&mut problems, "role", " admin "),
            Some("admin".to_owned())
        );
        assert_eq!(problems, ["username should not be empty"]);
    }
}
