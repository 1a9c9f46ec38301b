//! The real-time query client: a signed form POST per question.

use async_trait::async_trait;
use elife_domain::trade::delivery::{ParcelTracking, Tracking, TrackingError, TrackingQuery};
use serde::Serialize;

use crate::config::Kuaidi100Config;
use crate::sign::sign;
use crate::wire::read_answer;

#[derive(Debug, thiserror::Error)]
pub enum Kuaidi100Error {
    #[error("kuaidi100 configuration is invalid: {0}")]
    InvalidConfig(String),
    #[error("kuaidi100 HTTP client cannot be built")]
    Client(#[source] reqwest::Error),
}

/// The `param` JSON Kuaidi100 signs and reads.
#[derive(Serialize)]
struct Param<'a> {
    com: &'a str,
    num: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
    /// 1: area names in the track, and the state names.
    resultv2: &'static str,
    /// 0: JSON.
    show: &'static str,
    order: &'static str,
}

#[derive(Clone)]
pub struct Kuaidi100Client {
    http: reqwest::Client,
    config: Kuaidi100Config,
    url: reqwest::Url,
}

impl std::fmt::Debug for Kuaidi100Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kuaidi100Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Kuaidi100Client {
    pub fn new(config: Kuaidi100Config) -> Result<Self, Kuaidi100Error> {
        if config.customer.trim().is_empty() || config.key.trim().is_empty() {
            return Err(Kuaidi100Error::InvalidConfig(
                "customer and key are required".to_owned(),
            ));
        }
        let url = reqwest::Url::parse(&config.query_url())
            .map_err(|e| Kuaidi100Error::InvalidConfig(format!("base URL: {e}")))?;
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(Kuaidi100Error::Client)?;
        Ok(Kuaidi100Client { http, config, url })
    }

    /// The form fields of a query: `customer`, `sign` and `param`.
    pub fn form(
        &self,
        query: &TrackingQuery,
    ) -> Result<Vec<(&'static str, String)>, TrackingError> {
        let param = serde_json::to_string(&Param {
            com: query.carrier.trim(),
            num: query.tracking_no.trim(),
            phone: query.phone_last4.as_deref().map(str::trim),
            resultv2: "1",
            show: "0",
            order: "desc",
        })
        .map_err(|e| TrackingError::InvalidResponse(format!("query not encodable: {e}")))?;
        let signature = sign(&param, &self.config.key, &self.config.customer);
        Ok(vec![
            ("customer", self.config.customer.clone()),
            ("sign", signature),
            ("param", param),
        ])
    }
}

fn unavailable(error: &reqwest::Error) -> TrackingError {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "unreachable"
    } else {
        "failed"
    };
    // The error's URL is ours, never the phone: that travels in the body.
    TrackingError::Unavailable(format!("kuaidi100 {what}: {error}"))
}

#[async_trait]
impl ParcelTracking for Kuaidi100Client {
    async fn track(&self, query: &TrackingQuery) -> Result<Tracking, TrackingError> {
        let form = self.form(query)?;
        let response = self
            .http
            .post(self.url.clone())
            .form(&form)
            .send()
            .await
            .map_err(|e| unavailable(&e))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| unavailable(&e))?;
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(TrackingError::Unavailable(format!(
                "kuaidi100 answered {status}"
            )));
        }
        if !status.is_success() {
            return Err(TrackingError::Rejected {
                code: status.as_u16().to_string(),
                message: body.chars().take(200).collect(),
            });
        }
        let result = read_answer(&body);
        if let Err(error) = &result {
            tracing::info!(carrier = %query.carrier, %error, "kuaidi100 gave no track");
        }
        result
    }
}
