//! Admin login, token refresh and logout.

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, Utc};
use elife_domain::accounts::admin_sessions::AdminSessionError;
use elife_domain::accounts::admins::AdminAccount;
use elife_domain::accounts::sessions::{IssuedSession, LogoutCredential};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::State;
use super::admin_accounts::AdminView;
use crate::http::admin_auth::{AdminCredential, AdminPrincipal, session_error};
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::identity::client_ip;
use crate::http::validation::{Problems, required_field};

#[derive(Deserialize, ToSchema)]
pub struct AdminLoginBody {
    #[schema(example = "alice")]
    pub username: Option<String>,
    #[schema(example = "correct horse battery staple")]
    pub password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminRefreshBody {
    pub refresh_token: Option<String>,
}

/// A new token pair: send `Authorization: Bearer <accessToken>` to admin routes, and the
/// refresh token to `/admin/auth/refresh` before the access token expires.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminTokensView {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    pub access_expires_at: DateTime<Utc>,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
    pub admin: AdminView,
}

fn tokens_view(account: &AdminAccount, issued: IssuedSession) -> AdminTokensView {
    let tokens = issued.tokens;
    AdminTokensView {
        expires_in: (tokens.access_expires_at - Utc::now()).num_seconds().max(0),
        access_token: tokens.access_token,
        token_type: "Bearer",
        access_expires_at: tokens.access_expires_at,
        refresh_token: tokens.refresh_token,
        refresh_expires_at: tokens.refresh_expires_at,
        admin: AdminView::from(account),
    }
}

pub(super) fn refused(error: AdminSessionError) -> ApiError {
    match error {
        AdminSessionError::Session(error) => session_error(error),
        AdminSessionError::Admin(error) => ApiError::from(error),
    }
}

#[utoipa::path(
    tag = "admin-auth",
    request_body = AdminLoginBody,
    responses(
        (status = 201, description = "logged in: an admin access token (short-lived) and a refresh token", body = Envelope<AdminTokensView>),
        (status = 400, description = "username or password missing", body = ErrorEnvelope),
        (status = 401, description = "wrong username or password, or a disabled account", body = ErrorEnvelope),
        (status = 429, description = "locked after repeated failures (per account), or too many failures from this address; see Retry-After", body = ErrorEnvelope),
    )
)]
#[post("/admin/auth/login")]
pub async fn login(
    state: State,
    request: HttpRequest,
    body: web::Json<AdminLoginBody>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let username = problems.required("username", &body.username);
    // The password is taken as typed (spaces included), only checked for presence.
    let password = body
        .password
        .clone()
        .filter(|password| !password.is_empty());
    if password.is_none() {
        problems.add("password should not be empty");
    }
    let (username, password) = problems.into_value(username.zip(password))?;
    let address = client_ip(&request);
    let (account, issued) = state
        .back_office
        .admin_sessions
        .login(&username, &password, Some(&address))
        .await
        .map_err(refused)?;
    Ok(envelope::created(tokens_view(&account, issued)))
}

#[utoipa::path(
    tag = "admin-auth",
    request_body = AdminRefreshBody,
    responses(
        (status = 201, description = "a new token pair; the presented refresh token is spent", body = Envelope<AdminTokensView>),
        (status = 400, description = "refreshToken missing", body = ErrorEnvelope),
        (status = 401, description = "invalid, expired, reused or ended; or the account was disabled", body = ErrorEnvelope),
    )
)]
#[post("/admin/auth/refresh")]
pub async fn refresh(
    state: State,
    body: web::Json<AdminRefreshBody>,
) -> Result<HttpResponse, ApiError> {
    let token = required_field("refreshToken", &body.refresh_token)?;
    let (account, issued) = state
        .back_office
        .admin_sessions
        .refresh(&token)
        .await
        .map_err(refused)?;
    Ok(envelope::created(tokens_view(&account, issued)))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoggedOutView {
    pub logged_out: bool,
}

#[utoipa::path(
    tag = "admin-auth",
    request_body(content = AdminRefreshBody, description = "the refresh token; or send the access token as Bearer"),
    security((), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "the session has ended (ending an ended one is fine)", body = Envelope<LoggedOutView>),
        (status = 400, description = "neither a refresh token nor an access token", body = ErrorEnvelope),
        (status = 401, description = "the token is not a valid admin token", body = ErrorEnvelope),
    )
)]
#[post("/admin/auth/logout")]
pub async fn logout(
    state: State,
    request: HttpRequest,
    body: Option<web::Json<AdminRefreshBody>>,
) -> Result<HttpResponse, ApiError> {
    let refresh_token = body
        .and_then(|body| body.into_inner().refresh_token)
        .filter(|token| !token.trim().is_empty());
    let credential = match refresh_token {
        Some(token) => LogoutCredential::RefreshToken(token),
        None => {
            let has_bearer = request.headers().contains_key("authorization");
            if !has_bearer {
                return Err(ApiError::bad_request(
                    "send the refreshToken, or the access token as Authorization: Bearer",
                ));
            }
            let principal = AdminPrincipal::from_request_ref(&request).await?;
            match principal.credential {
                AdminCredential::Session(session) => LogoutCredential::Session(session),
                // The break-glass credential has no session to end.
                AdminCredential::BreakGlass => {
                    return Ok(envelope::created(LoggedOutView { logged_out: false }));
                }
            }
        }
    };
    state
        .back_office
        .admin_sessions
        .logout(credential)
        .await
        .map_err(refused)?;
    Ok(envelope::created(LoggedOutView { logged_out: true }))
}
