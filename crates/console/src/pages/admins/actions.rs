//! What a super admin does to accounts: create one, change its role or display name,
//! disable or enable it, reset its password. Each answers the list with what happened.

use actix_web::{HttpResponse, web};
use elife_domain::accounts::admin_service::{AdminChanges, CreateAdmin};
use elife_domain::accounts::admin_sessions::AdminSessionError;
use elife_domain::accounts::admins::{AdminAccount, AdminId, Role};
use elife_domain::accounts::permissions::Permission;
use serde::Deserialize;

use super::PageQuery;
use super::list::render;
use crate::error::ConsoleError;
use crate::pages::context::Context;
use crate::pages::forms::{Problems, given};

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

/// A display name: blank keeps (or, on creation, derives) it.
fn display_name(raw: &str) -> Option<String> {
    given(raw).map(str::to_owned)
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct CreateForm {
    username: String,
    display_name: String,
    role: String,
    password: String,
}

pub(super) async fn create(
    cx: Context,
    query: web::Query<PageQuery>,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::ManageAdmins)?;
    let mut problems = Problems::default();
    let username = problems.required("username", &form.username);
    // The password is taken as typed (spaces included), only checked for presence.
    let password = Some(form.password.clone()).filter(|password| !password.is_empty());
    if password.is_none() {
        problems.add("password should not be empty");
    }
    let role = problems
        .required("role", &form.role)
        .and_then(|raw| problems.named::<Role>(&raw));
    let ((username, password), role) = problems.into_value(username.zip(password).zip(role))?;
    let created = cx
        .services()
        .admins
        .create(
            &cx.operator.act(),
            CreateAdmin {
                username,
                password,
                display_name: display_name(&form.display_name),
                role,
            },
        )
        .await?;
    let flash = format!(
        "已创建 Created {} ({})",
        created.username,
        created.role.as_str()
    );
    render(&cx, &query, Some(flash)).await
}

/// Saves `changes` to the account the path names and answers the list with what `said`
/// of the account as it is now.
async fn change(
    cx: &Context,
    path: &str,
    query: &PageQuery,
    changes: AdminChanges,
    said: impl FnOnce(&AdminAccount) -> String,
) -> Result<HttpResponse, ConsoleError> {
    let id = admin_id(path)?;
    let updated = cx
        .services()
        .admin_sessions
        .update(&cx.operator.act(), id, &changes)
        .await
        .map_err(refused)?;
    render(cx, query, Some(said(&updated))).await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct UpdateForm {
    role: String,
    display_name: String,
}

pub(super) async fn update(
    cx: Context,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    form: web::Form<UpdateForm>,
) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::ManageAdmins)?;
    let mut problems = Problems::default();
    let role = problems.named::<Role>(&form.role);
    problems.check(())?;
    let changes = AdminChanges {
        role,
        display_name: display_name(&form.display_name),
        enabled: None,
    };
    change(&cx, &path, &query, changes, |updated| {
        format!(
            "已保存 Saved {}: {} ({})",
            updated.username,
            updated.display_name,
            updated.role.as_str()
        )
    })
    .await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct EnabledForm {
    enabled: String,
}

pub(super) async fn set_enabled(
    cx: Context,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    form: web::Form<EnabledForm>,
) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::ManageAdmins)?;
    let enabled = match form.enabled.trim() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(ConsoleError::Invalid(
                "enabled must be true or false".to_owned(),
            ));
        }
    };
    let changes = AdminChanges {
        enabled: Some(enabled),
        ..AdminChanges::default()
    };
    change(&cx, &path, &query, changes, |updated| {
        if updated.enabled {
            format!("已启用 Enabled {}", updated.username)
        } else {
            format!(
                "已停用 Disabled {}: its sessions have ended",
                updated.username
            )
        }
    })
    .await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct PasswordForm {
    password: String,
}

pub(super) async fn reset_password(
    cx: Context,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::ManageAdmins)?;
    if form.password.is_empty() {
        return Err(ConsoleError::Invalid(
            "password should not be empty".to_owned(),
        ));
    }
    let id = admin_id(&path)?;
    let updated = cx
        .services()
        .admin_sessions
        .reset_password(&cx.operator.act(), id, &form.password)
        .await
        .map_err(refused)?;
    let flash = format!(
        "已重置密码 Password reset for {}: its sessions have ended",
        updated.username
    );
    render(&cx, &query, Some(flash)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_that_is_not_a_number_names_no_admin() {
        assert!(matches!(admin_id("7"), Ok(AdminId(7))));
        assert!(matches!(admin_id("x"), Err(ConsoleError::NotFound(_))));
    }

    #[test]
    fn a_blank_display_name_is_none() {
        assert_eq!(display_name("  "), None);
        assert_eq!(display_name(" Carol "), Some("Carol".to_owned()));
    }
}
