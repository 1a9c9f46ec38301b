//! Who is calling an admin route, and whether their role allows it.
//!
//! Two credentials, both `Authorization: Bearer <...>`:
//! - an admin access token (audience `admin`, from `POST /admin/auth/login`): its session
//!   must still live, and the account is read on every request, so disabling or demoting an
//!   admin takes effect at once;
//! - the `ADMIN_TOKEN` break-glass credential, compared in constant time: it acts as the
//!   super admin named `break-glass`, and every use is logged as a warning.
//!
//! A route states its permission in its signature with [`Authorized<P>`]; the table
//! [`super::admin_routes::ADMIN_ROUTES`] lists them all. No or an invalid credential answers
//! 401; a role without the permission answers 403.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use elife_domain::accounts::admin_error::AdminError;
use elife_domain::accounts::admin_sessions::AdminSessionError;
use elife_domain::accounts::audit::{AdminAct, AuditActor};
use elife_domain::accounts::permissions::{Permission, allows};
use elife_domain::accounts::sessions::SessionError;
use elife_domain::accounts::tokens::SessionId;
use futures::future::LocalBoxFuture;
use subtle::ConstantTimeEq;
use tracing_actix_web::RequestId;

use super::envelope::ApiError;
use crate::state::AppState;

/// Whether `presented` equals `expected`, in time independent of where they differ.
pub fn token_matches(expected: &str, presented: &str) -> bool {
    expected.as_bytes().ct_eq(presented.as_bytes()).into()
}

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminCredential {
    /// An access token of this session.
    Session(SessionId),
    BreakGlass,
}

/// The admin behind a request.
#[derive(Debug, Clone)]
pub struct AdminPrincipal {
    pub actor: AuditActor,
    pub credential: AdminCredential,
    /// The request's id (also in the `x-request-id` header), for the audit trail.
    pub request_id: Option<String>,
}

impl AdminPrincipal {
    /// The admin acting in this request, for the use cases and their audit rows.
    pub fn act(&self) -> AdminAct {
        AdminAct::new(self.actor.clone(), self.request_id.clone())
    }

    pub fn may(&self, permission: Permission) -> bool {
        allows(self.actor.role, permission)
    }

    /// The admin behind `request` (what the extractor does), for handlers that need a
    /// credential only in some cases.
    pub async fn from_request_ref(request: &HttpRequest) -> Result<AdminPrincipal, ApiError> {
        principal(request).await
    }
}

fn bearer(request: &HttpRequest) -> Option<String> {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
}

/// The admin behind `request`: the break-glass token, or an admin access token whose
/// session lives and whose account is enabled.
async fn principal(request: &HttpRequest) -> Result<AdminPrincipal, ApiError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(ToString::to_string);
    let token = bearer(request).ok_or_else(|| {
        ApiError::unauthorized("admin credential required: Authorization: Bearer <token>")
    })?;
    if let Some(expected) = state.admin_token.as_deref()
        && token_matches(expected, &token)
    {
        tracing::warn!(
            admin = AuditActor::BREAK_GLASS,
            method = %request.method(),
            path = request.path(),
            "break-glass admin credential (ADMIN_TOKEN) used"
        );
        return Ok(AdminPrincipal {
            actor: AuditActor::break_glass(),
            credential: AdminCredential::BreakGlass,
            request_id,
        });
    }
    let (account, session) = match state.back_office.admin_sessions.authenticate(&token).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return Err(ApiError::unauthorized(
                "this admin account is disabled or no longer exists",
            ));
        }
        Err(AdminSessionError::Session(error)) => return Err(session_error(error)),
        Err(AdminSessionError::Admin(error)) => return Err(ApiError::from(error)),
    };
    Ok(AdminPrincipal {
        actor: AuditActor::of(&account),
        credential: AdminCredential::Session(session),
        request_id,
    })
}

/// A token problem is the caller's (401); storage trouble is ours (503).
pub fn session_error(error: SessionError) -> ApiError {
    match error {
        SessionError::Storage(_) | SessionError::Issue(_) => {
            tracing::error!(%error, "admin session check failed");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service temporarily unavailable, please retry",
            )
        }
        SessionError::InvalidToken
        | SessionError::Expired
        | SessionError::WrongAudience
        | SessionError::Ended
        | SessionError::Reused => {
            ApiError::unauthorized(format!("admin credential refused: {error}"))
        }
    }
}

impl FromRequest for AdminPrincipal {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move { principal(&request).await })
    }
}

/// A permission a route requires, as a type: `Authorized<perm::RefundOrders>`.
pub trait RequiredPermission {
    const PERMISSION: Permission;
}

/// One marker type per permission.
pub mod perm {
    use super::{Permission, RequiredPermission};

    macro_rules! markers {
        ($($name:ident),* $(,)?) => {
            $(
                #[derive(Debug, Clone, Copy)]
                pub struct $name;
                impl RequiredPermission for $name {
                    const PERMISSION: Permission = Permission::$name;
                }
            )*
        };
    }

    markers!(
        ViewOrders,
        ViewStatistics,
        ViewAudit,
        ResolveTopUps,
        SyncPayments,
        RefundOrders,
        ChangeExchangeRate,
        RevealPhoneNumbers,
        ManageAdmins,
        ViewPoints,
        ManagePoints,
        ViewMall,
        FulfilMallOrders,
        ManageCatalog,
    );
}

/// An admin whose role has the permission `P`.
#[derive(Debug, Clone)]
pub struct Authorized<P> {
    pub admin: AdminPrincipal,
    permission: PhantomData<P>,
}

impl<P> Authorized<P> {
    pub fn act(&self) -> AdminAct {
        self.admin.act()
    }
}

impl<P: RequiredPermission + 'static> FromRequest for Authorized<P> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let admin = principal(&request).await?;
            if !admin.may(P::PERMISSION) {
                tracing::warn!(admin = %admin.actor.username, role = %admin.actor.role, permission = %P::PERMISSION, path = request.path(), "admin refused: permission missing");
                return Err(ApiError::forbidden(format!(
                    "forbidden: role {} lacks the permission {} that {} {} requires",
                    admin.actor.role,
                    P::PERMISSION,
                    request.method(),
                    request
                        .match_pattern()
                        .unwrap_or_else(|| request.path().to_owned())
                )));
            }
            Ok(Authorized {
                admin,
                permission: PhantomData,
            })
        })
    }
}

impl From<AdminError> for ApiError {
    fn from(error: AdminError) -> Self {
        match &error {
            AdminError::InvalidCredentials | AdminError::Disabled => {
                ApiError::unauthorized(error.to_string())
            }
            AdminError::Locked { until } => {
                let wait = (*until - chrono::Utc::now()).num_seconds().max(1);
                ApiError::too_many_requests(error.to_string())
                    .retry_after(u64::try_from(wait).unwrap_or(1))
            }
            AdminError::Throttled { retry_after } => ApiError::too_many_requests(error.to_string())
                .retry_after(retry_after.as_secs().max(1)),
            AdminError::Forbidden(message) => ApiError::forbidden(format!("forbidden: {message}")),
            AdminError::Validation(message) => ApiError::bad_request(message.clone()),
            AdminError::NotFound(message) => ApiError::not_found(message.clone()),
            AdminError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, message.clone()),
            AdminError::Unavailable(_) => {
                tracing::error!(%error, "admin storage failure");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service temporarily unavailable, please retry",
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::token_matches;

    #[test]
    fn only_the_exact_token_matches() {
        assert!(token_matches("s3cret-token", "s3cret-token"));
        assert!(!token_matches("s3cret-token", "s3cret-tokem"));
        assert!(!token_matches("s3cret-token", "s3cret"));
        assert!(!token_matches("s3cret-token", ""));
    }
}
