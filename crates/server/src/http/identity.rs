//! Who is calling: the identity WeChat Cloud Hosting injects into mini-program calls.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::HeaderMap;
use actix_web::{FromRequest, HttpRequest, web};
use elife_domain::order::OpenId;
use elife_domain::ports::WechatIdentity;
use elife_domain::services::ServiceError;

use super::envelope::ApiError;
use crate::state::AppState;

/// The header only Cloud Hosting sets; a call without it did not come through WeChat.
pub const SOURCE_HEADER: &str = "x-wx-source";
/// Local development only, and only when `MOCK_IDENTITY_ENABLED=true` outside production.
pub const MOCK_HEADER: &str = "x-mock-openid";

/// The old backend's 401 messages, word for word: the mini-program may compare them.
pub const NOT_FROM_WECHAT: &str = "非微信环境访问";
pub const NOT_LOGGED_IN: &str = "未登录";
pub const AUTH_FAILED: &str = "认证失败";

/// A mini-program user, upserted on every call as the old backend did.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub openid: OpenId,
    pub client_ip: String,
    /// The stored user row (the old backend showed part of it with an order).
    pub appid: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// How identity headers are read.
#[derive(Debug, Clone, Copy)]
pub struct IdentityPolicy {
    pub mock_enabled: bool,
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

/// Reads the identity from the headers; `Err` is the 401 message.
pub fn identity_from_headers(
    headers: &HeaderMap,
    policy: IdentityPolicy,
) -> Result<WechatIdentity, &'static str> {
    if policy.mock_enabled
        && let Some(mock) = headers
            .get(MOCK_HEADER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| OpenId::parse(value).ok())
    {
        return Ok(WechatIdentity {
            openid: mock,
            unionid: None,
            appid: None,
        });
    }
    if headers
        .get(SOURCE_HEADER)
        .is_none_or(|value| value.as_bytes().iter().all(u8::is_ascii_whitespace))
    {
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

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = request.app_data::<web::Data<AppState>>().cloned();
        let headers = request.headers().clone();
        let ip = client_ip(request);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let identity =
                identity_from_headers(&headers, state.identity).map_err(ApiError::unauthorized)?;
            let now = state.ports.clock.now();
            let user = state
                .ports
                .users
                .upsert(&identity, now)
                .await
                // The caller is identified; a storage failure is ours, and retryable (503),
                // not a failed login.
                .map_err(|error| ApiError::from(ServiceError::from(error)))?;
            Ok(CurrentUser {
                openid: user.openid,
                client_ip: ip,
                appid: user.appid,
                created_at: user.created_at,
            })
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
    };

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
        let identity = identity_from_headers(&mock, IdentityPolicy { mock_enabled: true }).unwrap();
        assert_eq!(identity.openid.as_str(), "dev-user");
    }
}
