//! Managing admin accounts (super admins only): list, create, change role, display name or
//! enabled flag, reset a password. Every change is audited.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use elife_domain::accounts::admin_service::{AdminChanges, CreateAdmin};
use elife_domain::accounts::admins::{AdminAccount, AdminId, Role};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::State;
use crate::http::admin_auth::{Authorized, perm};
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::validation::{Problems, page_request};
use crate::http::views::{Pagination, pagination};

/// An admin account as shown: never the password hash.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// `super_admin`, `admin`, `operator` or `viewer`.
    pub role: String,
    pub enabled: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    /// Set while the account is locked after failed logins.
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&AdminAccount> for AdminView {
    fn from(account: &AdminAccount) -> Self {
        AdminView {
            id: account.id.0,
            username: account.username.clone(),
            display_name: account.display_name.clone(),
            role: account.role.as_str().to_owned(),
            enabled: account.enabled,
            last_login_at: account.last_login_at,
            locked_until: account.locked_until,
            created_at: account.created_at,
            updated_at: account.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminList {
    pub data: Vec<AdminView>,
    pub pagination: Pagination,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminListQuery {
    pub page: Option<String>,
    pub limit: Option<String>,
}

fn role(problems: &mut Problems, raw: Option<&str>) -> Option<Role> {
    problems.optional(raw, |raw| {
        raw.parse::<Role>().map_err(|error| error.to_string())
    })
}

fn admin_id(raw: &str) -> Result<AdminId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("admin {raw} not found")))
}

#[utoipa::path(
    tag = "admin-accounts",
    params(AdminListQuery),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "admin accounts by id", body = Envelope<AdminList>),
        (status = 400, description = "invalid page", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_admins", body = ErrorEnvelope),
    )
)]
#[get("/admin/admins")]
pub async fn list_admins(
    state: State,
    admin: Authorized<perm::ManageAdmins>,
    query: web::Query<AdminListQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let page = page_request(&mut problems, query.page.as_deref(), query.limit.as_deref());
    problems.into_result()?;
    let admins = state.back_office.admins.list(&admin.act(), page).await?;
    Ok(envelope::ok(AdminList {
        data: admins.items.iter().map(AdminView::from).collect(),
        pagination: pagination(&admins),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateAdminBody {
    #[schema(example = "alice")]
    pub username: Option<String>,
    /// At least 12 characters.
    pub password: Option<String>,
    #[schema(example = "Alice B.")]
    pub display_name: Option<String>,
    /// `super_admin`, `admin`, `operator` or `viewer`.
    #[schema(example = "operator")]
    pub role: Option<String>,
}

#[utoipa::path(
    tag = "admin-accounts",
    request_body = CreateAdminBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "the new account (audited)", body = Envelope<AdminView>),
        (status = 400, description = "invalid username, password, display name or role", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_admins", body = ErrorEnvelope),
        (status = 409, description = "the username is taken", body = ErrorEnvelope),
    )
)]
#[post("/admin/admins")]
pub async fn create_admin(
    state: State,
    admin: Authorized<perm::ManageAdmins>,
    body: web::Json<CreateAdminBody>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let username = problems.required("username", &body.username);
    let password = problems.required("password", &body.password);
    let role = problems
        .required("role", &body.role)
        .and_then(|raw| role(&mut problems, Some(&raw)));
    let ((username, password), role) = problems.into_value(username.zip(password).zip(role))?;
    let created = state
        .back_office
        .admins
        .create(
            &admin.act(),
            CreateAdmin {
                username,
                password,
                display_name: body.display_name.clone(),
                role,
            },
        )
        .await?;
    Ok(envelope::created(AdminView::from(&created)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateAdminBody {
    pub role: Option<String>,
    pub display_name: Option<String>,
    pub enabled: Option<bool>,
}

#[utoipa::path(
    tag = "admin-accounts",
    params(("id" = i64, Path)),
    request_body = UpdateAdminBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "the account after the change (audited: before and after); disabling ends its sessions", body = Envelope<AdminView>),
        (status = 400, description = "invalid role or display name", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_admins", body = ErrorEnvelope),
        (status = 404, description = "no such admin", body = ErrorEnvelope),
        (status = 409, description = "it would disable or demote the last enabled super admin", body = ErrorEnvelope),
    )
)]
#[patch("/admin/admins/{id}")]
pub async fn update_admin(
    state: State,
    admin: Authorized<perm::ManageAdmins>,
    path: web::Path<String>,
    body: web::Json<UpdateAdminBody>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let role = role(&mut problems, body.role.as_deref());
    problems.into_result()?;
    let id = admin_id(&path)?;
    let changes = AdminChanges {
        role,
        display_name: body.display_name.clone(),
        enabled: body.enabled,
    };
    let updated = state
        .back_office
        .admin_sessions
        .update(&admin.act(), id, &changes)
        .await
        .map_err(super::admin_auth::refused)?;
    Ok(envelope::ok(AdminView::from(&updated)))
}

#[derive(Deserialize, ToSchema)]
pub struct ResetPasswordBody {
    /// At least 12 characters.
    pub password: Option<String>,
}

#[utoipa::path(
    tag = "admin-accounts",
    params(("id" = i64, Path)),
    request_body = ResetPasswordBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "password set, lock cleared, sessions ended (audited)", body = Envelope<AdminView>),
        (status = 400, description = "password too short", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_admins", body = ErrorEnvelope),
        (status = 404, description = "no such admin", body = ErrorEnvelope),
    )
)]
#[post("/admin/admins/{id}/reset-password")]
pub async fn reset_password(
    state: State,
    admin: Authorized<perm::ManageAdmins>,
    path: web::Path<String>,
    body: web::Json<ResetPasswordBody>,
) -> Result<HttpResponse, ApiError> {
    let password = body
        .password
        .clone()
        .filter(|password| !password.is_empty())
        .ok_or_else(|| ApiError::bad_request("password should not be empty"))?;
    let id = admin_id(&path)?;
    let updated = state
        .back_office
        .admin_sessions
        .reset_password(&admin.act(), id, &password)
        .await
        .map_err(super::admin_auth::refused)?;
    Ok(envelope::created(AdminView::from(&updated)))
}
