//! Mini-program login: `GET /sns/jscode2session` exchanges the code of `wx.login()` for the
//! user's openid (and unionid when the app is bound to an open platform account).
//!
//! WeChat answers HTTP 200 with `errcode` on failure. The `session_key` it returns is
//! dropped here: nothing decrypts WeChat data. The secret and the code travel in the query
//! string, so no URL of this API is ever logged or put in an error.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use elife_domain::accounts::shoppers::{LoginCode, LoginError, WechatLogin, WechatSession};
use elife_domain::order::OpenId;
use serde::Deserialize;

/// Where and as which mini-program the client logs users in.
#[derive(Clone)]
pub struct WechatLoginConfig {
    /// `https://api.weixin.qq.com` in production; the sandbox's address otherwise.
    pub base_url: String,
    pub appid: String,
    secret: String,
    pub timeout: Duration,
}

impl WechatLoginConfig {
    pub const DEFAULT_BASE_URL: &'static str = "https://api.weixin.qq.com";
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

    pub fn new(appid: impl Into<String>, secret: impl Into<String>) -> Self {
        WechatLoginConfig {
            base_url: Self::DEFAULT_BASE_URL.to_owned(),
            appid: appid.into(),
            secret: secret.into(),
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl fmt::Debug for WechatLoginConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatLoginConfig")
            .field("base_url", &self.base_url)
            .field("appid", &self.appid)
            .field("secret", &"<redacted>")
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// `jscode2session`'s answer; `session_key` is not even read.
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: Option<String>,
    openid: Option<String>,
    unionid: Option<String>,
}

/// The `jscode2session` client.
#[derive(Debug, Clone)]
pub struct WechatLoginClient {
    config: WechatLoginConfig,
    http: reqwest::Client,
}

impl WechatLoginClient {
    pub fn new(config: WechatLoginConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder().timeout(config.timeout).build()?;
        Ok(WechatLoginClient { config, http })
    }

    fn endpoint(&self) -> String {
        format!(
            "{}/sns/jscode2session",
            self.config.base_url.trim_end_matches('/')
        )
    }
}

/// What WeChat's `errcode` means for the caller.
fn classify(errcode: i64, errmsg: Option<&str>) -> LoginError {
    let detail = format!("errcode {errcode}: {}", errmsg.unwrap_or(""));
    match errcode {
        // Invalid code; code already used; user blocked as high-risk by WeChat.
        40029 | 40163 | 40226 => LoginError::InvalidCode(format!("errcode {errcode}")),
        45011 => LoginError::Throttled,
        // Invalid appid; invalid secret; invalid appid for this API.
        40013 | 40125 | 41002 | 41004 => LoginError::Misconfigured(detail),
        _ => LoginError::Unavailable(detail),
    }
}

#[async_trait]
impl WechatLogin for WechatLoginClient {
    async fn code_to_session(&self, code: &LoginCode) -> Result<WechatSession, LoginError> {
        let response = self
            .http
            .get(self.endpoint())
            .query(&[
                ("appid", self.config.appid.as_str()),
                ("secret", self.config.secret.as_str()),
                ("js_code", code.expose()),
                ("grant_type", "authorization_code"),
            ])
            .send()
            .await
            // The URL holds the secret and the code.
            .map_err(|error| LoginError::Unavailable(error.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(LoginError::Unavailable(format!("HTTP {status}")));
        }
        // WeChat labels this JSON `text/plain`: read the text, then parse.
        let body = response
            .text()
            .await
            .map_err(|error| LoginError::Unavailable(error.without_url().to_string()))?;
        let answer: Answer = serde_json::from_str(&body)
            .map_err(|error| LoginError::Unavailable(format!("unreadable answer: {error}")))?;
        if answer.errcode != 0 {
            return Err(classify(answer.errcode, answer.errmsg.as_deref()));
        }
        let openid = answer
            .openid
            .as_deref()
            .and_then(|raw| OpenId::parse(raw).ok())
            .ok_or_else(|| LoginError::Unavailable("answer without openid".to_owned()))?;
        Ok(WechatSession {
            openid,
            unionid: answer.unionid.filter(|unionid| !unionid.is_empty()),
            appid: Some(self.config.appid.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;

    async fn client_for(server: &MockServer) -> WechatLoginClient {
        WechatLoginClient::new(
            WechatLoginConfig::new("wx-app", "top-secret-value")
                .with_base_url(server.uri())
                .with_timeout(Duration::from_millis(500)),
        )
        .unwrap()
    }

    fn code() -> LoginCode {
        LoginCode::parse("081abcDEF").unwrap()
    }

    #[tokio::test]
    async fn a_valid_code_gives_the_openid_and_unionid_but_no_session_key() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/sns/jscode2session"))
            .and(query_param("appid", "wx-app"))
            .and(query_param("secret", "top-secret-value"))
            .and(query_param("js_code", "081abcDEF"))
            .and(query_param("grant_type", "authorization_code"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                r#"{"openid":"o-abc","session_key":"sk==","unionid":"u-xyz"}"#,
                "text/plain",
            ))
            .expect(1)
            .mount(&server)
            .await;
        let session = client_for(&server)
            .await
            .code_to_session(&code())
            .await
            .unwrap();
        assert_eq!(session.openid.as_str(), "o-abc");
        assert_eq!(session.unionid.as_deref(), Some("u-xyz"));
        assert_eq!(session.appid.as_deref(), Some("wx-app"));
    }

    #[tokio::test]
    async fn errcodes_say_whose_fault_it_is() {
        let cases = [
            (40029, "InvalidCode"),
            (40163, "InvalidCode"),
            (45011, "Throttled"),
            (40013, "Misconfigured"),
            (40125, "Misconfigured"),
            (-1, "Unavailable"),
            (99999, "Unavailable"),
        ];
        for (errcode, expected) in cases {
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .respond_with(ResponseTemplate::new(200).set_body_raw(
                    format!(r#"{{"errcode":{errcode},"errmsg":"msg, rid: 1"}}"#),
                    "application/json",
                ))
                .mount(&server)
                .await;
            let error = client_for(&server)
                .await
                .code_to_session(&code())
                .await
                .unwrap_err();
            let got = match error {
                LoginError::InvalidCode(_) => "InvalidCode",
                LoginError::Throttled => "Throttled",
                LoginError::Misconfigured(_) => "Misconfigured",
                LoginError::Unavailable(_) => "Unavailable",
            };
            assert_eq!(got, expected, "errcode {errcode}");
        }
    }

    #[tokio::test]
    async fn transport_failures_are_unavailable_and_never_show_the_secret() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
            .mount(&server)
            .await;
        let error = client_for(&server)
            .await
            .code_to_session(&code())
            .await
            .unwrap_err();
        assert!(matches!(error, LoginError::Unavailable(_)));
        let printed = format!("{error} {error:?}");
        assert!(!printed.contains("top-secret-value"), "{printed}");
        assert!(!printed.contains("081abcDEF"), "{printed}");

        let down = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(502))
            .mount(&down)
            .await;
        assert!(matches!(
            client_for(&down).await.code_to_session(&code()).await,
            Err(LoginError::Unavailable(_))
        ));
        let garbage = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string("<html>"))
            .mount(&garbage)
            .await;
        assert!(matches!(
            client_for(&garbage).await.code_to_session(&code()).await,
            Err(LoginError::Unavailable(_))
        ));
    }

    #[test]
    fn the_secret_does_not_print() {
        let config = WechatLoginConfig::new("wx-app", "top-secret-value");
        assert!(!format!("{config:?}").contains("top-secret-value"));
    }
}
