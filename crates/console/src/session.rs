//! Who is using the console: an admin account logged in with its own password, held in two
//! cookies (`HttpOnly`, `SameSite=Strict`, path `/console`): the access token, read on every
//! request (a disabled or demoted account loses access at once), and the refresh token, used
//! when the access token has expired. `SameSite=Strict` keeps other sites' forms from riding
//! the session; a POST from another origin is refused besides.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use elife_domain::accounts::admin_sessions::AdminSessionError;
use elife_domain::accounts::admins::AdminAccount;
use elife_domain::accounts::audit::{AdminAct, AuditActor};
use elife_domain::accounts::permissions::{Permission, allows};
use elife_domain::accounts::sessions::SessionError;
use elife_domain::accounts::tokens::{SessionId, TokenPair};
use futures::future::LocalBoxFuture;
use tracing_actix_web::RequestId;

use crate::error::ConsoleError;
use crate::paths;
use crate::services::Console;

pub const ACCESS_COOKIE: &str = "elife_console";
pub const REFRESH_COOKIE: &str = "elife_console_refresh";

/// The admin using a console page.
#[derive(Debug, Clone)]
pub struct Operator {
    pub account: AdminAccount,
    pub session: SessionId,
    request_id: Option<String>,
}

impl Operator {
    /// The admin acting in this request, for the use cases and their audit rows.
    pub fn act(&self) -> AdminAct {
        AdminAct::new(AuditActor::of(&self.account), self.request_id.clone())
    }

    pub fn may(&self, permission: Permission) -> bool {
        allows(self.account.role, permission)
    }

    /// Refuses (403) unless the role has `permission`; handlers check even what the page
    /// already hides.
    pub fn require(&self, permission: Permission) -> Result<(), ConsoleError> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(ConsoleError::Forbidden(permission))
        }
    }
}

/// New tokens issued while answering a request (the access token had expired); the
/// `renew_cookies` middleware hands them to the browser.
#[derive(Debug, Clone)]
pub struct RenewedTokens(pub TokenPair);

/// The two session cookies for `tokens`.
pub fn session_cookies(tokens: &TokenPair, secure: bool) -> [Cookie<'static>; 2] {
    let lifetime = |until: chrono::DateTime<chrono::Utc>| {
        let seconds = (until - chrono::Utc::now()).num_seconds().max(0);
        CookieDuration::seconds(seconds)
    };
    [
        cookie(ACCESS_COOKIE, tokens.access_token.clone(), secure)
            // The browser keeps it as long as the refresh token: an expired access token is
            // what triggers the refresh.
            .max_age(lifetime(tokens.refresh_expires_at))
            .finish(),
        cookie(REFRESH_COOKIE, tokens.refresh_token.clone(), secure)
            .max_age(lifetime(tokens.refresh_expires_at))
            .finish(),
    ]
}

/// Cookies that remove the session from the browser.
pub fn cleared_cookies(secure: bool) -> [Cookie<'static>; 2] {
    [ACCESS_COOKIE, REFRESH_COOKIE].map(|name| {
        cookie(name, String::new(), secure)
            .max_age(CookieDuration::ZERO)
            .finish()
    })
}

fn cookie(
    name: &'static str,
    value: String,
    secure: bool,
) -> actix_web::cookie::CookieBuilder<'static> {
    Cookie::build(name, value)
        .path(paths::ROOT)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
}

/// A state-changing request must come from the console's own pages.
fn same_origin(request: &HttpRequest) -> bool {
    if request.method() == Method::GET || request.method() == Method::HEAD {
        return true;
    }
    let Some(origin) = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
    else {
        // Browsers send Origin on every POST; a client without one is not a browser that
        // another site could steer.
        return true;
    };
    let host = request.connection_info().host().to_owned();
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest.trim_end_matches('/') == host)
}

async fn operator(request: &HttpRequest) -> Result<Operator, ConsoleError> {
    let console = request
        .app_data::<web::Data<Console>>()
        .cloned()
        .ok_or(ConsoleError::LoginRequired)?;
    if !same_origin(request) {
        return Err(ConsoleError::Invalid(
            "this form was sent from another site and was refused".to_owned(),
        ));
    }
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(ToString::to_string);
    let sessions = &console.services.admin_sessions;
    let access = request.cookie(ACCESS_COOKIE).map(|c| c.value().to_owned());
    if let Some(access) = access.filter(|token| !token.is_empty()) {
        match sessions.authenticate(&access).await {
            Ok(Some((account, session))) => {
                return Ok(Operator {
                    account,
                    session,
                    request_id,
                });
            }
            Ok(None) => return Err(ConsoleError::LoginRequired),
            Err(AdminSessionError::Session(SessionError::Expired)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    // The access token expired (or is gone): the refresh token may open a new pair.
    let refresh = request
        .cookie(REFRESH_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|token| !token.is_empty())
        .ok_or(ConsoleError::LoginRequired)?;
    let (account, issued) = sessions.refresh(&refresh).await?;
    request
        .extensions_mut()
        .insert(RenewedTokens(issued.tokens.clone()));
    Ok(Operator {
        account,
        session: issued.session,
        request_id,
    })
}

impl FromRequest for Operator {
    type Error = ConsoleError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move { operator(&request).await })
    }
}
