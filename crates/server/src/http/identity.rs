//! Who is calling: a chain of identity sources, selected by `IDENTITY`.
//!
//! 1. Cloud Hosting's injected headers (`X-WX-SOURCE` + `X-WX-OPENID`, or `X-Mock-Openid`
//!    in development when enabled): behaviour and 401 messages as before.
//! 2. Otherwise `Authorization: Bearer <shopper access token>` from `/auth/wechat/login`.
//!
//! The extractor only resolves identity. A Cloud Hosting identity goes through
//! `ShopperService::recognise`, which writes the user row only when the identity is new or
//! changed (remembered per instance); a token identity writes nothing. A storage failure
//! while identifying is ours and retryable: 503, never a failed login.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, HeaderMap};
use actix_web::{FromRequest, HttpRequest, web};
use elife_domain::accounts::sessions::SessionError;
use elife_domain::accounts::shoppers::ShopperError;
use elife_domain::accounts::tokens::{Audience, SessionId};
use elife_domain::order::OpenId;
use elife_domain::ports::WechatIdentity;
use elife_wechat::SOURCE_HEADER;

use super::envelope::ApiError;
use crate::configuration::IdentityMode;
use crate::state::AppState;

/// Local development only, and only when `MOCK_IDENTITY_ENABLED=true` outside production.
pub const MOCK_HEADER: &str = "x-mock-openid";

/// The old backend's 401 messages, word for word: the mini-program may compare them.
pub const NOT_FROM_WECHAT: &str = "非微信环境访问";
pub const NOT_LOGGED_IN: &str = "未登录";
pub const AUTH_FAILED: &str = "认证失败";

const UNAVAILABLE: &str = "service temporarily unavailable, please retry";

/// How the caller was identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// Cloud Hosting's headers (or the development mock header).
    CloudHosting,
    /// A shopper access token of this session.
    AccessToken(SessionId),
}

/// A mini-program user.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The stored user's openid (a unionid may map several apps' openids to one user).
    pub openid: OpenId,
    pub client_ip: String,
    pub source: IdentitySource,
}

/// The caller when identified, `None` when no credential was presented at all: for public
/// routes that personalise. A credential that is presented and wrong is still refused.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<CurrentUser>);

/// How identities are read.
#[derive(Debug, Clone, Copy)]
pub struct IdentityPolicy {
    pub mock_enabled: bool,
    pub mode: IdentityMode,
}

/// `X-WX-FROM-*` (resource sharing) wins over `X-WX-*`.
fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    [format!("x-wx-from-{name}"), format!("x-wx-{name}")]
        .iter()
        .find_map(|key| {
            headers
                .get(key.as_str())
                .and_then(|value| value.to_str().ok())
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        })
}

fn mock_identity(headers: &HeaderMap, policy: IdentityPolicy) -> Option<WechatIdentity> {
    if !policy.mock_enabled {
        return None;
    }
    let openid = headers
        .get(MOCK_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| OpenId::parse(value).ok())?;
    Some(WechatIdentity {
        openid,
        unionid: None,
        appid: None,
    })
}

fn has_source(headers: &HeaderMap) -> bool {
    headers
        .get(SOURCE_HEADER)
        .is_some_and(|value| !value.as_bytes().iter().all(u8::is_ascii_whitespace))
}

/// Reads the identity from the headers; `Err` is the 401 message.
pub fn identity_from_headers(
    headers: &HeaderMap,
    policy: IdentityPolicy,
) -> Result<WechatIdentity, &'static str> {
    if let Some(mock) = mock_identity(headers, policy) {
        return Ok(mock);
    }
    if !has_source(headers) {
        return Err(NOT_FROM_WECHAT);
    }
    let openid = header(headers, "openid")
        .and_then(|raw| OpenId::parse(&raw).ok())
        .ok_or(NOT_LOGGED_IN)?;
    Ok(WechatIdentity {
        openid,
        unionid: header(headers, "unionid"),
        appid: header(headers, "appid"),
    })
}

/// `Authorization: Bearer <token>`; `None` without one.
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// Which credential a request presents, as the policy allows: `None` when it presents none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    Headers(Result<WechatIdentity, &'static str>),
    Bearer(String),
}

pub fn presented(headers: &HeaderMap, policy: IdentityPolicy) -> Option<Presented> {
    let mode = policy.mode;
    if mode.accepts_headers() && (mock_identity(headers, policy).is_some() || has_source(headers)) {
        return Some(Presented::Headers(identity_from_headers(headers, policy)));
    }
    if mode.accepts_tokens()
        && let Some(token) = bearer_token(headers)
    {
        return Some(Presented::Bearer(token));
    }
    None
}

/// The 401 of a request without an accepted credential: the old messages for deployments
/// behind Cloud Hosting, "not logged in" where only tokens count.
fn missing_credential(mode: IdentityMode) -> ApiError {
    match mode {
        IdentityMode::Cloud | IdentityMode::Both => ApiError::unauthorized(NOT_FROM_WECHAT),
        IdentityMode::Token => ApiError::unauthorized(NOT_LOGGED_IN),
    }
}

/// A refused access token is the caller's (401, saying why); storage trouble is ours (503).
pub fn session_error(error: SessionError) -> ApiError {
    match error {
        SessionError::Storage(_) | SessionError::Issue(_) => {
            tracing::error!(%error, "shopper session check failed");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE)
        }
        SessionError::InvalidToken
        | SessionError::Expired
        | SessionError::WrongAudience
        | SessionError::Ended
        | SessionError::Reused => ApiError::unauthorized(format!("{AUTH_FAILED}: {error}")),
    }
}

impl From<ShopperError> for ApiError {
    fn from(error: ShopperError) -> Self {
        match error {
            ShopperError::Validation(message) => ApiError::bad_request(message),
            ShopperError::InvalidCode(message) => ApiError::unauthorized(message),
            ShopperError::LoginThrottled => ApiError::too_many_requests(error.to_string()),
            ShopperError::WechatUnavailable => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, error.to_string())
            }
            ShopperError::NotFound => ApiError::not_found(error.to_string()),
            ShopperError::Session(inner) => session_error(inner),
            ShopperError::Storage(inner) => {
                tracing::error!(error = %inner, "storage failure");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE)
            }
        }
    }
}

/// The caller's address: Cloud Hosting puts it in `X-Original-Forwarded-For`.
pub fn client_ip(request: &HttpRequest) -> String {
    request
        .headers()
        .get("x-original-forwarded-for")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').next())
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
        .or_else(|| {
            request
                .connection_info()
                .realip_remote_addr()
                .map(str::to_owned)
        })
        .map(|ip| strip_port(&ip))
        .unwrap_or_else(|| "127.0.0.1".to_owned())
}

fn strip_port(address: &str) -> String {
    match address.parse::<std::net::SocketAddr>() {
        Ok(socket) => socket.ip().to_string(),
        Err(_) => address.to_owned(),
    }
}

/// Resolves a presented credential to the user.
async fn resolve(
    state: &AppState,
    credential: Presented,
    client_ip: String,
) -> Result<CurrentUser, ApiError> {
    match credential {
        Presented::Headers(identity) => {
            let identity = identity.map_err(ApiError::unauthorized)?;
            let openid = state.accounts.shoppers.recognise(&identity).await?;
            Ok(CurrentUser {
                openid,
                client_ip,
                source: IdentitySource::CloudHosting,
            })
        }
        Presented::Bearer(token) => {
            let claims = state
                .accounts
                .sessions
                .authenticate(&token, Audience::Shopper)
                .await
                .map_err(session_error)?;
            let openid = OpenId::parse(&claims.subject)
                .map_err(|_| ApiError::unauthorized(format!("{AUTH_FAILED}: invalid token")))?;
            Ok(CurrentUser {
                openid,
                client_ip,
                source: IdentitySource::AccessToken(claims.session),
            })
        }
    }
}

type Resolving<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

fn state_of(request: &HttpRequest) -> Option<web::Data<AppState>> {
    request.app_data::<web::Data<AppState>>().cloned()
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Resolving<Self>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = state_of(request);
        let headers = request.headers().clone();
        let ip = client_ip(request);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let policy = state.identity;
            let credential =
                presented(&headers, policy).ok_or_else(|| missing_credential(policy.mode))?;
            let user = resolve(&state, credential, ip).await?;
            state.limits.user_calls.check(user.openid.as_str())?;
            Ok(user)
        })
    }
}

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = Resolving<Self>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = state_of(request);
        let headers = request.headers().clone();
        let ip = client_ip(request);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            match presented(&headers, state.identity) {
                None => Ok(MaybeUser(None)),
                Some(credential) => Ok(MaybeUser(Some(resolve(&state, credential, ip).await?))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    const STRICT: IdentityPolicy = IdentityPolicy {
        mock_enabled: false,
        mode: IdentityMode::Both,
    };

    fn policy(mode: IdentityMode) -> IdentityPolicy {
        IdentityPolicy {
            mock_enabled: false,
            mode,
        }
    }

    #[test]
    fn from_headers_win_over_plain_ones() {
        let identity = identity_from_headers(
            &headers(&[
                ("X-WX-SOURCE", "wx"),
                ("X-WX-OPENID", "plain"),
                ("X-WX-FROM-OPENID", "shared"),
                ("X-WX-UNIONID", "u1"),
                ("X-WX-FROM-APPID", "wxapp"),
            ]),
            STRICT,
        )
        .unwrap();
        assert_eq!(identity.openid.as_str(), "shared");
        assert_eq!(identity.unionid.as_deref(), Some("u1"));
        assert_eq!(identity.appid.as_deref(), Some("wxapp"));
    }

    #[test]
    fn source_and_openid_are_required() {
        assert!(identity_from_headers(&headers(&[("X-WX-OPENID", "o")]), STRICT).is_err());
        assert!(identity_from_headers(&headers(&[("X-WX-SOURCE", "wx")]), STRICT).is_err());
        assert!(
            identity_from_headers(
                &headers(&[("X-WX-SOURCE", "wx"), ("X-WX-OPENID", " ")]),
                STRICT
            )
            .is_err()
        );
    }

    #[test]
    fn the_mock_header_counts_only_when_enabled() {
        let mock = headers(&[("X-Mock-Openid", "dev-user")]);
        assert!(identity_from_headers(&mock, STRICT).is_err());
        let identity = identity_from_headers(
            &mock,
            IdentityPolicy {
                mock_enabled: true,
                mode: IdentityMode::Both,
            },
        )
        .unwrap();
        assert_eq!(identity.openid.as_str(), "dev-user");
    }

    #[test]
    fn bearer_tokens_are_read_case_insensitively_and_must_not_be_empty() {
        assert_eq!(
            bearer_token(&headers(&[("Authorization", "Bearer abc.def")])).as_deref(),
            Some("abc.def")
        );
        assert_eq!(
            bearer_token(&headers(&[("Authorization", "bearer  xyz ")])).as_deref(),
            Some("xyz")
        );
        assert_eq!(
            bearer_token(&headers(&[("Authorization", "Bearer ")])),
            None
        );
        assert_eq!(
            bearer_token(&headers(&[("Authorization", "Basic abc")])),
            None
        );
        assert_eq!(bearer_token(&headers(&[])), None);
    }

    #[test]
    fn the_chain_follows_the_identity_mode() {
        let cloud = headers(&[("X-WX-SOURCE", "wx"), ("X-WX-OPENID", "o-1")]);
        let bearer = headers(&[("Authorization", "Bearer t")]);
        let both_presented = headers(&[
            ("X-WX-SOURCE", "wx"),
            ("X-WX-OPENID", "o-1"),
            ("Authorization", "Bearer t"),
        ]);

        // both: headers when present, else the token.
        let both = policy(IdentityMode::Both);
        assert!(matches!(
            presented(&cloud, both),
            Some(Presented::Headers(Ok(_)))
        ));
        assert_eq!(
            presented(&bearer, both),
            Some(Presented::Bearer("t".into()))
        );
        assert!(matches!(
            presented(&both_presented, both),
            Some(Presented::Headers(Ok(_)))
        ));
        assert_eq!(presented(&headers(&[]), both), None);

        // cloud: a token is no credential at all.
        let cloud_only = policy(IdentityMode::Cloud);
        assert_eq!(presented(&bearer, cloud_only), None);
        assert!(matches!(
            presented(&cloud, cloud_only),
            Some(Presented::Headers(Ok(_)))
        ));

        // token: headers are ignored.
        let token_only = policy(IdentityMode::Token);
        assert_eq!(presented(&cloud, token_only), None);
        assert_eq!(
            presented(&both_presented, token_only),
            Some(Presented::Bearer("t".into()))
        );

        // A source header without an openid is the old "未登录", not a fall-through.
        assert_eq!(
            presented(&headers(&[("X-WX-SOURCE", "wx")]), both),
            Some(Presented::Headers(Err(NOT_LOGGED_IN)))
        );
    }

    #[test]
    fn failures_map_to_whose_fault_it_is() {
        use elife_domain::ports::RepositoryError;
        let status = |error: ShopperError| ApiError::from(error).status.as_u16();
        assert_eq!(
            status(ShopperError::Storage(RepositoryError::Unavailable(
                "x".into()
            ))),
            503
        );
        assert_eq!(
            status(ShopperError::Session(SessionError::Storage(
                RepositoryError::Unavailable("x".into())
            ))),
            503
        );
        assert_eq!(status(ShopperError::WechatUnavailable), 503);
        assert_eq!(status(ShopperError::InvalidCode("used".into())), 401);
        assert_eq!(status(ShopperError::LoginThrottled), 429);
        assert_eq!(status(ShopperError::Validation("x".into())), 400);
        assert_eq!(status(ShopperError::NotFound), 404);
        for refused in [
            SessionError::InvalidToken,
            SessionError::Expired,
            SessionError::WrongAudience,
            SessionError::Ended,
            SessionError::Reused,
        ] {
            let error = session_error(refused);
            assert_eq!(error.status.as_u16(), 401);
            assert!(error.message.starts_with(AUTH_FAILED));
        }
    }

    #[test]
    fn a_missing_credential_keeps_the_old_message_where_headers_count() {
        assert_eq!(
            missing_credential(IdentityMode::Both).message,
            NOT_FROM_WECHAT
        );
        assert_eq!(
            missing_credential(IdentityMode::Cloud).message,
            NOT_FROM_WECHAT
        );
        assert_eq!(
            missing_credential(IdentityMode::Token).message,
            NOT_LOGGED_IN
        );
    }
}
