//! [`WechatPayClient`]: signed requests, verified answers, errors sorted by outcome. The
//! typed APIs live beside it (payments, refunds, bills, certificates).

mod bills;
mod certificates;
mod payments;
mod refunds;
mod request;

use std::fmt;
use std::sync::Arc;

use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, USER_AGENT};
use serde::de::DeserializeOwned;
use url::Url;

pub use certificates::CertificateRefreshError;
pub use request::{ApiRequest, SensitiveEncryptor};

use crate::certificates::CertificateStore;
use crate::cipher::ApiV3Key;
use crate::clock::{Clock, SystemClock};
use crate::config::{ConfigError, PlatformCertificates, WechatPayConfig};
use crate::error::{ApiError, ErrorBody, NotSent, Unknown, WechatPayError};
use crate::keys::{MerchantPrivateKey, WechatPayPublicKey};
use crate::notifications::NotificationParser;
use crate::signing::{RequestSigner, new_nonce};
use crate::verification::{HEADER_REQUEST_ID, HEADER_SERIAL, SignatureHeaders, Verifier};

const CLIENT_USER_AGENT: &str = concat!("elife-wechatpay/", env!("CARGO_PKG_VERSION"));

/// A WeChat Pay API v3 client for one merchant (direct mode). Cheap to clone.
#[derive(Clone)]
pub struct WechatPayClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    app_id: String,
    notify_url: String,
    refund_notify_url: Option<String>,
    signer: RequestSigner,
    verifier: Verifier,
    api_v3_key: ApiV3Key,
    platform_certificates: PlatformCertificates,
}

impl fmt::Debug for WechatPayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatPayClient")
            .field("base_url", &self.inner.base_url)
            .field("app_id", &self.inner.app_id)
            .field("signer", &self.inner.signer)
            .field("verifier", &self.inner.verifier)
            .field("platform_certificates", &self.inner.platform_certificates)
            .finish_non_exhaustive()
    }
}

/// An answer as received: nothing checked yet.
struct RawAnswer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl WechatPayClient {
    /// Reads the keys named by `config` and builds the client on the machine's clock.
    pub fn new(config: WechatPayConfig) -> Result<Self, ConfigError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// As [`WechatPayClient::new`] with another clock (tests, simulators).
    pub fn with_clock(config: WechatPayConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        for (setting, value) in [
            ("app_id", &config.app_id),
            ("mch_id", &config.mch_id),
            ("merchant_serial_no", &config.merchant_serial_no),
            ("notify_url", &config.notify_url),
        ] {
            if value.trim().is_empty() {
                return Err(ConfigError::Missing(setting));
            }
        }
        Url::parse(&config.base_url).map_err(ConfigError::BaseUrl)?;
        let private_key = MerchantPrivateKey::from_pem(&config.private_key.read("private_key")?)
            .map_err(|source| ConfigError::InvalidKey {
                setting: "private_key",
                source,
            })?;
        let api_v3_key = ApiV3Key::new(&config.api_v3_key).map_err(ConfigError::ApiV3Key)?;
        let public_key = match &config.public_key {
            Some(public_key) => Some(
                WechatPayPublicKey::from_pem(&public_key.id, &public_key.pem.read("public_key")?)
                    .map_err(|source| ConfigError::InvalidKey {
                    setting: "public_key",
                    source,
                })?,
            ),
            None => None,
        };
        if public_key.is_none() && config.platform_certificates == PlatformCertificates::Off {
            return Err(ConfigError::NoVerificationKey);
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(ConfigError::HttpClient)?;
        let signer = RequestSigner::new(
            config.mch_id.trim(),
            config.merchant_serial_no.trim(),
            private_key,
        );
        Ok(WechatPayClient {
            inner: Arc::new(Inner {
                http,
                base_url: config.base_url.trim_end_matches('/').to_owned(),
                app_id: config.app_id,
                notify_url: config.notify_url,
                refund_notify_url: config.refund_notify_url,
                signer,
                verifier: Verifier::new(CertificateStore::default(), public_key, clock),
                api_v3_key,
                platform_certificates: config.platform_certificates,
            }),
        })
    }

    pub fn app_id(&self) -> &str {
        &self.inner.app_id
    }

    pub fn mch_id(&self) -> &str {
        self.inner.signer.mch_id()
    }

    /// The platform certificates in use (shared with every verifier of this client).
    pub fn certificates(&self) -> &CertificateStore {
        self.inner.verifier.certificates()
    }

    pub fn verifier(&self) -> &Verifier {
        &self.inner.verifier
    }

    /// Whether [`WechatPayClient::refresh_certificates`] has anything to do.
    pub fn downloads_certificates(&self) -> bool {
        match self.inner.platform_certificates {
            PlatformCertificates::Auto => true,
            PlatformCertificates::Off => false,
        }
    }

    /// A parser for payment and refund notifications that trusts what this client trusts.
    pub fn notification_parser(&self) -> NotificationParser {
        NotificationParser::new(self.inner.verifier.clone(), self.inner.api_v3_key.clone())
    }

    fn clock(&self) -> &Arc<dyn Clock> {
        self.inner.verifier.clock()
    }

    fn url(&self, path_and_query: &str) -> Result<Url, WechatPayError> {
        let url = format!("{}{path_and_query}", self.inner.base_url);
        Url::parse(&url).map_err(|source| WechatPayError::NotSent(NotSent::Url { url, source }))
    }

    /// Sends a request and returns the body of its verified 2xx answer.
    pub async fn execute(&self, request: ApiRequest) -> Result<Vec<u8>, WechatPayError> {
        let url = self.url(&request.path_and_query)?;
        let answer = self
            .exchange(
                request.method,
                url,
                request.body,
                request.wechatpay_serial.as_deref(),
            )
            .await?;
        self.verified_body(answer)
    }

    /// Sends a request and reads its verified answer as `T`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        request: ApiRequest,
    ) -> Result<T, WechatPayError> {
        let body = self.execute(request).await?;
        serde_json::from_slice(&body).map_err(|error| {
            WechatPayError::OutcomeUnknown(Unknown::Malformed {
                status: 200,
                reason: error.to_string(),
            })
        })
    }

    /// Signs and sends; classifies failures to send.
    async fn exchange(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        wechatpay_serial: Option<&str>,
    ) -> Result<RawAnswer, WechatPayError> {
        let signed_path = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let timestamp = self.clock().unix_seconds();
        let authorization = self
            .inner
            .signer
            .authorization(
                method.as_str(),
                &signed_path,
                timestamp,
                &new_nonce(),
                body.as_deref().unwrap_or_default(),
            )
            .map_err(|error| WechatPayError::NotSent(error.into()))?;
        let mut request = self
            .inner
            .http
            .request(method, url)
            .header(AUTHORIZATION, authorization)
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, CLIENT_USER_AGENT);
        if let Some(serial) = wechatpay_serial {
            request = request.header(HEADER_SERIAL, serial);
        }
        if let Some(body) = body {
            request = request.header(CONTENT_TYPE, "application/json").body(body);
        }
        let response = request.send().await.map_err(sending_failed)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(reading_failed)?;
        Ok(RawAnswer {
            status,
            headers,
            body: body.to_vec(),
        })
    }

    /// The body of a 2xx answer whose signature checks out; any other answer as an error.
    fn verified_body(&self, answer: RawAnswer) -> Result<Vec<u8>, WechatPayError> {
        if !(200..300).contains(&answer.status) {
            return Err(self.error_answer(answer));
        }
        self.check_signature(&answer)?;
        Ok(answer.body)
    }

    fn check_signature(&self, answer: &RawAnswer) -> Result<(), WechatPayError> {
        let unverified = |source| {
            WechatPayError::OutcomeUnknown(Unknown::Unverified {
                status: answer.status,
                source,
            })
        };
        let headers = SignatureHeaders::from_header_map(&answer.headers).map_err(unverified)?;
        self.inner
            .verifier
            .verify(&headers, &answer.body)
            .map_err(unverified)?;
        Ok(())
    }

    /// Sorts a non-2xx answer. A signed error answer must verify; an unsigned one is taken
    /// as WeChat Pay's word (its gateway does not sign every error), as the official SDKs do.
    fn error_answer(&self, answer: RawAnswer) -> WechatPayError {
        if SignatureHeaders::any_present(&answer.headers)
            && let Err(error) = self.check_signature(&answer)
        {
            return error;
        }
        let request_id = answer
            .headers
            .get(HEADER_REQUEST_ID)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let parsed = serde_json::from_slice::<ErrorBody>(&answer.body);
        match (answer.status, parsed) {
            (500..=599, parsed) => {
                let (code, message, detail) = match parsed {
                    Ok(body) => (body.code, body.message, body.detail),
                    Err(_) => (format!("HTTP_{}", answer.status), String::new(), None),
                };
                WechatPayError::OutcomeUnknown(Unknown::ServerError(ApiError {
                    status: answer.status,
                    code,
                    message,
                    detail,
                    request_id,
                }))
            }
            (400..=499, Ok(body)) => {
                let error = ApiError {
                    status: answer.status,
                    code: body.code,
                    message: body.message,
                    detail: body.detail,
                    request_id,
                };
                if error.is_not_found() {
                    WechatPayError::NotFound(error)
                } else {
                    WechatPayError::Refused(error)
                }
            }
            (status, Err(error)) => WechatPayError::OutcomeUnknown(Unknown::Malformed {
                status,
                reason: format!("no {{code, message}} error body: {error}"),
            }),
            (status, Ok(_)) => WechatPayError::OutcomeUnknown(Unknown::Malformed {
                status,
                reason: "unexpected HTTP status".to_owned(),
            }),
        }
    }
}

/// A connection that never opened sent nothing; any other failure may have happened after
/// WeChat Pay read the request.
fn sending_failed(error: reqwest::Error) -> WechatPayError {
    if error.is_builder() {
        WechatPayError::NotSent(NotSent::Build(error))
    } else if error.is_connect() {
        WechatPayError::NotSent(NotSent::Connect(error))
    } else if error.is_timeout() {
        WechatPayError::OutcomeUnknown(Unknown::Timeout(error))
    } else {
        WechatPayError::OutcomeUnknown(Unknown::Transport(error))
    }
}

fn reading_failed(error: reqwest::Error) -> WechatPayError {
    if error.is_timeout() {
        WechatPayError::OutcomeUnknown(Unknown::Timeout(error))
    } else {
        WechatPayError::OutcomeUnknown(Unknown::Transport(error))
    }
}
