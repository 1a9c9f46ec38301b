//! Shopper login with WeChat, token refresh and logout.
//!
//! `POST /auth/wechat/login {code}` → an access token (send it as `Authorization: Bearer`)
//! and a refresh token. `POST /auth/refresh {refreshToken}` spends the refresh token and
//! returns a new pair; presenting a spent one ends the whole session. `POST /auth/logout`
//! ends the session of the bearer access token or of the refresh token in the body.

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, Utc};
use elife_domain::accounts::sessions::{IssuedSession, LogoutCredential};
use elife_domain::accounts::tokens::Audience;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::State;
use super::users::UserView;
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::identity::{bearer_token, session_error};
use crate::http::validation::required_field;

#[derive(Deserialize, ToSchema)]
pub struct WechatLoginBody {
    /// The code of `wx.login()` (single-use, five minutes).
    #[schema(example = "0a3Xyz000abcDEF1234ghIJ0klMN0Xyzw")]
    pub code: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshBody {
    pub refresh_token: Option<String>,
}

/// A token pair: `Authorization: Bearer <accessToken>` on the mini-program routes, and the
/// refresh token to `/auth/refresh` when the access token expires.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokensView {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 7200)]
    pub expires_in: i64,
    pub access_expires_at: DateTime<Utc>,
    /// Opaque; single-use: each refresh returns a new one.
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
}

impl TokensView {
    fn from(issued: IssuedSession) -> Self {
        let tokens = issued.tokens;
        TokensView {
            expires_in: (tokens.access_expires_at - Utc::now()).num_seconds().max(0),
            access_token: tokens.access_token,
            token_type: "Bearer",
            access_expires_at: tokens.access_expires_at,
            refresh_token: tokens.refresh_token,
            refresh_expires_at: tokens.refresh_expires_at,
        }
    }
}

/// A login: the tokens and the stored user.
#[derive(Serialize, ToSchema)]
pub struct LoginView {
    #[serde(flatten)]
    pub tokens: TokensView,
    pub user: UserView,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoggedOutView {
    pub logged_out: bool,
}

#[utoipa::path(
    tag = "auth",
    request_body = WechatLoginBody,
    responses(
        (status = 201, description = "logged in: an access token and a refresh token", body = Envelope<LoginView>),
        (status = 400, description = "code missing or malformed", body = ErrorEnvelope),
        (status = 401, description = "the code is invalid, expired or already used: call wx.login() again", body = ErrorEnvelope),
        (status = 429, description = "too many logins from this address, or WeChat's per-user quota; see Retry-After", body = ErrorEnvelope),
        (status = 503, description = "WeChat login unavailable (busy, unreachable, not configured) or storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[post("/auth/wechat/login")]
pub async fn wechat_login(
    state: State,
    body: web::Json<WechatLoginBody>,
) -> Result<HttpResponse, ApiError> {
    let code = required_field("code", &body.code)?;
    let login = state.accounts.shoppers.login(&code).await?;
    Ok(envelope::created(LoginView {
        tokens: TokensView::from(login.session),
        user: UserView::from(&login.user),
    }))
}

#[utoipa::path(
    tag = "auth",
    request_body = RefreshBody,
    responses(
        (status = 201, description = "a new token pair; the presented refresh token is spent", body = Envelope<TokensView>),
        (status = 400, description = "refreshToken missing", body = ErrorEnvelope),
        (status = 401, description = "invalid, expired, already used (the session is then revoked) or logged out", body = ErrorEnvelope),
        (status = 429, description = "too many refreshes from this address; see Retry-After", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry with the same refresh token", body = ErrorEnvelope),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(state: State, body: web::Json<RefreshBody>) -> Result<HttpResponse, ApiError> {
    let token = required_field("refreshToken", &body.refresh_token)?;
    let issued = state
        .accounts
        .sessions
        .refresh(Audience::Shopper, &token)
        .await
        .map_err(session_error)?;
    Ok(envelope::created(TokensView::from(issued)))
}

#[utoipa::path(
    tag = "auth",
    request_body(content = RefreshBody, description = "the refresh token; or send the access token as Bearer"),
    security((), ("shopper_bearer" = [])),
    responses(
        (status = 201, description = "the session has ended (ending an ended one is fine)", body = Envelope<LoggedOutView>),
        (status = 400, description = "neither a refresh token nor an access token", body = ErrorEnvelope),
        (status = 401, description = "the token is not a valid shopper token", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    state: State,
    request: HttpRequest,
    body: Option<web::Json<RefreshBody>>,
) -> Result<HttpResponse, ApiError> {
    let refresh_token = body
        .and_then(|body| body.into_inner().refresh_token)
        .filter(|token| !token.trim().is_empty());
    let credential = match (refresh_token, bearer_token(request.headers())) {
        (Some(token), _) => LogoutCredential::RefreshToken(token),
        (None, Some(token)) => LogoutCredential::AccessToken(token),
        (None, None) => {
            return Err(ApiError::bad_request(
                "send the refreshToken, or the access token as Authorization: Bearer",
            ));
        }
    };
    state
        .accounts
        .sessions
        .logout(Audience::Shopper, credential)
        .await
        .map_err(session_error)?;
    Ok(envelope::created(LoggedOutView { logged_out: true }))
}
