//! `UnitelClient`: the `TopUpProvider` adapter for Unitel.
//!
//! Retry policy, the rule that matters most: a call that moves no money is retried once
//! with a fresh token when Unitel answers 401. A money call is never sent twice by this
//! adapter, not even after a 401: the 401 proves the operation was refused before it ran,
//! so it is reported `NotSent` and the domain queues the order again, to be claimed and
//! sent by a later run with a fresh token. So is a money call that provably never left:
//! no token could be had, or the (always fresh) connection could not be opened. Anything
//! after the request may have been written is `OutcomeUnknown`, never sent again.

use std::collections::HashMap;
use std::error::Error as _;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use elife_domain::msisdn::Msisdn;
use elife_domain::order::RechargeKind;
use elife_domain::ports::{
    PostpaidBill, PriceList, ProviderError, TopUpAccepted, TopUpError, TopUpProvider, TopUpRequest,
    TransactionCheck,
};
use reqwest::header::AUTHORIZATION;
use reqwest::{StatusCode, Url};
use serde::Serialize;
use serde_json::Value;

use crate::auth::TokenCache;
use crate::bill::parse_bill;
use crate::config::UnitelConfig;
use crate::json::text;
use crate::outcome::{RawAnswer, classify_top_up, read_check, read_query};
use crate::price_list::parse_price_list;
use crate::wire::{BillRequest, CheckRequest, ServiceTypeRequest, TopUpBody, Transaction};

mod paths {
    pub const AUTH: &str = "/auth";
    pub const SERVICE_TYPE: &str = "/service/servicetype";
    pub const POSTPAID_BILL: &str = "/service/unitel";
    pub const RECHARGE: &str = "/service/recharge";
    pub const DATA_PACKAGE: &str = "/service/datapackage";
    pub const BILL_PAYMENT: &str = "/service/payment";
    pub const CHECK_TRANSACTION: &str = "/service/check_transaction_result";
}

/// Codes of refusals decided by the adapter itself (Unitel's own codes are numeric).
pub mod refusal_codes {
    /// The request was malformed (no product code, amount not positive); nothing sent.
    pub const INVALID_REQUEST: &str = "INVALID_REQUEST";
}

#[derive(Debug, thiserror::Error)]
pub enum UnitelSetupError {
    #[error("unitel base url {0:?} is not an http(s) URL")]
    InvalidBaseUrl(String),
    #[error("cannot build the unitel http client: {0}")]
    Http(#[from] reqwest::Error),
}

/// Why a request got no complete answer.
enum SendFailure {
    /// The connection was never established: the request did not leave.
    NotSent(String),
    /// Sent, or possibly sent, then a timeout or a dropped connection.
    NoAnswer(String),
}

impl SendFailure {
    fn into_reason(self) -> String {
        match self {
            SendFailure::NotSent(reason) | SendFailure::NoAnswer(reason) => reason,
        }
    }
}

struct CachedPriceList {
    list: PriceList,
    expires_at: Instant,
}

pub struct UnitelClient {
    /// For calls that move no money: pooled keep-alive connections.
    http: reqwest::Client,
    /// For money calls: a fresh connection each time. A pooled connection the server is
    /// closing at the same moment fails after the request was written, and would turn a
    /// top-up that never reached Unitel into an "outcome unknown" needing a person.
    money_http: reqwest::Client,
    base_url: String,
    /// `Basic base64(username:password)`, computed once; never logged.
    basic_authorization: String,
    tokens: TokenCache,
    price_list_ttl: Duration,
    price_lists: Mutex<HashMap<String, CachedPriceList>>,
    /// The whole time a top-up may be in flight, token included: the server's stale sweep
    /// relies on no top-up outliving it.
    money_deadline: Duration,
}

/// Below this much time left, a top-up is not started: it would likely time out after
/// being written (outcome unknown) instead of being cleanly not sent.
fn min_send_window(deadline: Duration) -> Duration {
    (deadline / 4).min(Duration::from_secs(2))
}

impl std::fmt::Debug for UnitelClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnitelClient")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl UnitelClient {
    pub fn new(config: UnitelConfig) -> Result<UnitelClient, UnitelSetupError> {
        let base_url = config.base_url.trim().trim_end_matches('/').to_owned();
        let valid = Url::parse(&base_url)
            .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.has_host());
        if !valid {
            return Err(UnitelSetupError::InvalidBaseUrl(config.base_url));
        }
        let builder = || {
            reqwest::Client::builder()
                .connect_timeout(config.connect_timeout)
                .timeout(config.request_timeout)
                // A 307/308 would make reqwest POST the same top-up again elsewhere.
                .redirect(reqwest::redirect::Policy::none())
        };
        let http = builder().build()?;
        let money_http = builder().pool_max_idle_per_host(0).build()?;
        let credentials = format!("{}:{}", config.username, config.password);
        Ok(UnitelClient {
            http,
            money_http,
            base_url,
            basic_authorization: format!("Basic {}", BASE64.encode(credentials)),
            tokens: TokenCache::new(config.token_ttl),
            price_list_ttl: config.price_list_ttl,
            price_lists: Mutex::new(HashMap::new()),
            money_deadline: config.request_timeout,
        })
    }

    async fn send(
        &self,
        path: &str,
        authorization: &str,
        body: &impl Serialize,
    ) -> Result<RawAnswer, SendFailure> {
        Self::send_with(&self.http, &self.base_url, path, authorization, body, None).await
    }

    async fn send_with(
        http: &reqwest::Client,
        base_url: &str,
        path: &str,
        authorization: &str,
        body: &impl Serialize,
        timeout: Option<Duration>,
    ) -> Result<RawAnswer, SendFailure> {
        let mut request = http
            .post(format!("{base_url}{path}"))
            .header(AUTHORIZATION, authorization)
            .json(body);
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        let response = request.send().await.map_err(|error| {
            if error.is_connect() || error.is_builder() {
                SendFailure::NotSent(describe(&error))
            } else {
                SendFailure::NoAnswer(describe(&error))
            }
        })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|error| SendFailure::NoAnswer(describe(&error)))?;
        Ok(RawAnswer {
            status,
            body: body.to_vec(),
        })
    }

    async fn token(&self) -> Result<String, String> {
        self.tokens.get_or_fetch(|| self.fetch_token()).await
    }

    async fn fetch_token(&self) -> Result<String, String> {
        let answer = self
            .send(
                paths::AUTH,
                &self.basic_authorization,
                &serde_json::json!({}),
            )
            .await
            .map_err(|failure| format!("unitel auth failed: {}", failure.into_reason()))?;
        if !answer.status.is_success() {
            tracing::warn!(status = answer.status.as_u16(), "unitel auth refused");
            return Err(format!(
                "unitel auth answered HTTP {}",
                answer.status.as_u16()
            ));
        }
        let token = serde_json::from_slice::<Value>(&answer.body)
            .ok()
            .and_then(|body| text(body.get("access_token")));
        match token {
            Some(token) => {
                tracing::debug!("unitel token refreshed");
                Ok(token)
            }
            None => Err("unitel auth answer carries no access_token".to_owned()),
        }
    }

    /// A call that moves no money: retried once with a fresh token after a 401.
    async fn query(
        &self,
        operation: &'static str,
        subject: &str,
        path: &'static str,
        body: &impl Serialize,
    ) -> Result<Value, ProviderError> {
        let started = Instant::now();
        let result = self.query_once_refreshing(path, body).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(_) => tracing::info!(operation, subject, elapsed_ms, "unitel call succeeded"),
            Err(error) => {
                tracing::warn!(operation, subject, elapsed_ms, %error, "unitel call failed")
            }
        }
        result
    }

    async fn query_once_refreshing(
        &self,
        path: &'static str,
        body: &impl Serialize,
    ) -> Result<Value, ProviderError> {
        let token = self.token().await.map_err(ProviderError::Unavailable)?;
        let answer = self
            .send(path, &bearer(&token), body)
            .await
            .map_err(|failure| ProviderError::Unavailable(failure.into_reason()))?;
        if answer.status != StatusCode::UNAUTHORIZED {
            return read_query(&answer);
        }
        tracing::info!(path, "unitel refused the token; refreshing it once");
        self.tokens.invalidate(&token).await;
        let token = self.token().await.map_err(ProviderError::Unavailable)?;
        let answer = self
            .send(path, &bearer(&token), body)
            .await
            .map_err(|failure| ProviderError::Unavailable(failure.into_reason()))?;
        if answer.status == StatusCode::UNAUTHORIZED {
            self.tokens.invalidate(&token).await;
            return Err(ProviderError::Unavailable(
                "unitel refused a freshly issued token".to_owned(),
            ));
        }
        read_query(&answer)
    }

    fn price_lists(&self) -> MutexGuard<'_, HashMap<String, CachedPriceList>> {
        // The cache holds no invariant a panic could break; keep using it.
        self.price_lists
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn cached_price_list(&self, msisdn: &Msisdn) -> Option<PriceList> {
        let now = Instant::now();
        let mut cache = self.price_lists();
        cache.retain(|_, cached| cached.expires_at > now);
        cache.get(msisdn.as_str()).map(|cached| cached.list.clone())
    }

    /// Sends a money call once and says what it means. Never retried.
    async fn send_top_up(
        &self,
        path: &'static str,
        body: &TopUpBody<'_>,
    ) -> Result<TopUpAccepted, TopUpError> {
        // Without a token or a connection the request never left: the domain may queue it
        // again, which is safe only because it provably did not reach Unitel.
        let deadline = tokio::time::Instant::now() + self.money_deadline;
        let token = match tokio::time::timeout_at(deadline, self.token()).await {
            Ok(Ok(token)) => token,
            Ok(Err(reason)) => {
                return Err(TopUpError::NotSent(format!("no Unitel token: {reason}")));
            }
            Err(_) => {
                return Err(TopUpError::NotSent(
                    "no Unitel token within the top-up deadline".to_owned(),
                ));
            }
        };
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        if remaining < min_send_window(self.money_deadline) {
            return Err(TopUpError::NotSent(format!(
                "only {} ms of the top-up deadline left after getting a token",
                remaining.as_millis()
            )));
        }
        let sent = Self::send_with(
            &self.money_http,
            &self.base_url,
            path,
            &bearer(&token),
            body,
            Some(remaining),
        )
        .await;
        match sent {
            Err(SendFailure::NotSent(reason)) => Err(TopUpError::NotSent(reason)),
            Err(SendFailure::NoAnswer(reason)) => Err(TopUpError::OutcomeUnknown(reason)),
            Ok(answer) => {
                if answer.status == StatusCode::UNAUTHORIZED {
                    // The next call gets a fresh token; this one is not re-sent.
                    self.tokens.invalidate(&token).await;
                }
                classify_top_up(&answer)
            }
        }
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The error and its causes on one line (reqwest's own message hides the cause).
fn describe(error: &reqwest::Error) -> String {
    let mut description = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        description.push_str(": ");
        description.push_str(&cause.to_string());
        source = cause.source();
    }
    description
}

fn invalid_request(message: &str) -> TopUpError {
    TopUpError::Rejected {
        code: refusal_codes::INVALID_REQUEST.to_owned(),
        message: message.to_owned(),
    }
}

/// The path and body of a top-up, as the old backend sent them.
fn top_up_call(request: &TopUpRequest) -> Result<(&'static str, TopUpBody<'_>), TopUpError> {
    if request.amount.value() <= 0 {
        return Err(invalid_request("top-up amount must be positive"));
    }
    let product_code = request.product_code.trim();
    let needs_product = match request.kind {
        RechargeKind::Voice | RechargeKind::Data => true,
        RechargeKind::Postpaid => false,
    };
    if needs_product && product_code.is_empty() {
        return Err(invalid_request("a card or package code is required"));
    }
    let amount = request.amount.value().to_string();
    let (path, description) = match request.kind {
        RechargeKind::Voice => (paths::RECHARGE, "Recharge"),
        RechargeKind::Data => (paths::DATA_PACKAGE, "Data Package"),
        RechargeKind::Postpaid => (paths::BILL_PAYMENT, "Bill Payment"),
    };
    let body = TopUpBody {
        msisdn: request.msisdn.as_str(),
        card: matches!(request.kind, RechargeKind::Voice).then_some(product_code),
        package: matches!(request.kind, RechargeKind::Data).then_some(product_code),
        amount: matches!(request.kind, RechargeKind::Postpaid).then(|| amount.clone()),
        remark: matches!(request.kind, RechargeKind::Postpaid).then_some("Bill Payment via WeChat"),
        vatflag: "1",
        vat_register_no: "",
        transactions: [Transaction {
            journal_id: request.journal_id.as_str(),
            amount,
            description,
            account: "",
        }],
    };
    Ok((path, body))
}

#[async_trait]
impl TopUpProvider for UnitelClient {
    async fn price_list(&self, msisdn: &Msisdn) -> Result<PriceList, ProviderError> {
        if let Some(list) = self.cached_price_list(msisdn) {
            tracing::debug!(msisdn = %msisdn.masked(), "unitel price list from cache");
            return Ok(list);
        }
        let body = ServiceTypeRequest {
            msisdn: msisdn.as_str(),
            info: "1",
        };
        let raw = self
            .query("price_list", &msisdn.masked(), paths::SERVICE_TYPE, &body)
            .await?;
        let list = parse_price_list(raw);
        self.price_lists().insert(
            msisdn.as_str().to_owned(),
            CachedPriceList {
                list: list.clone(),
                expires_at: Instant::now() + self.price_list_ttl,
            },
        );
        Ok(list)
    }

    async fn postpaid_bill(&self, msisdn: &Msisdn) -> Result<PostpaidBill, ProviderError> {
        let body = BillRequest {
            owner: msisdn.as_str(),
            msisdn: msisdn.as_str(),
        };
        let raw = self
            .query(
                "postpaid_bill",
                &msisdn.masked(),
                paths::POSTPAID_BILL,
                &body,
            )
            .await?;
        parse_bill(raw)
    }

    async fn top_up(&self, request: &TopUpRequest) -> Result<TopUpAccepted, TopUpError> {
        let (path, body) = top_up_call(request)?;
        let started = Instant::now();
        tracing::info!(
            operation = "top_up",
            path,
            msisdn = %request.msisdn.masked(),
            journal_id = %request.journal_id.as_str(),
            kind = request.kind.as_str(),
            amount_mnt = request.amount.value(),
            "unitel top-up sending"
        );
        let outcome = self.send_top_up(path, &body).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let journal_id = request.journal_id.as_str();
        match &outcome {
            Ok(TopUpAccepted::Succeeded { seq, .. }) => {
                tracing::info!(journal_id, elapsed_ms, seq = ?seq, "unitel top-up succeeded")
            }
            Ok(TopUpAccepted::Pending { seq }) => {
                tracing::warn!(
                    journal_id,
                    elapsed_ms,
                    seq,
                    "unitel top-up pending confirmation"
                )
            }
            Err(TopUpError::Rejected { code, message }) => {
                tracing::warn!(
                    journal_id,
                    elapsed_ms,
                    code,
                    message,
                    "unitel top-up refused"
                )
            }
            Err(TopUpError::OutcomeUnknown(reason)) => tracing::error!(
                journal_id,
                elapsed_ms,
                reason,
                "unitel top-up outcome unknown; must not be re-sent"
            ),
            Err(TopUpError::NotSent(reason)) => tracing::warn!(
                journal_id,
                elapsed_ms,
                reason,
                "unitel top-up not sent; may be sent later"
            ),
        }
        outcome
    }

    async fn check_transaction(&self, seq: &str) -> Result<TransactionCheck, ProviderError> {
        let raw = self
            .query(
                "check_transaction",
                seq,
                paths::CHECK_TRANSACTION,
                &CheckRequest { seq_id: seq },
            )
            .await?;
        Ok(read_check(&raw))
    }
}

#[cfg(test)]
mod tests {
    use elife_domain::money::Mnt;
    use elife_domain::order::OrderNumber;
    use serde_json::json;

    use super::*;

    fn request(kind: RechargeKind, code: &str, amount: i64) -> TopUpRequest {
        TopUpRequest {
            journal_id: OrderNumber::parse("ORD1760754386127abcdefABCDEF").expect("order number"),
            msisdn: Msisdn::parse("88110004").expect("msisdn"),
            kind,
            product_code: code.to_owned(),
            amount: Mnt::new(amount),
        }
    }

    #[test]
    fn voice_bodies_carry_the_card_and_the_journal_id() {
        let request = request(RechargeKind::Voice, "ST5000", 5000);
        let (path, body) = top_up_call(&request).expect("valid");
        assert_eq!(path, "/service/recharge");
        assert_eq!(
            serde_json::to_value(&body).expect("serializes"),
            json!({
                "msisdn": "88110004", "card": "ST5000", "vatflag": "1", "vat_register_no": "",
                "transactions": [{"journal_id": "ORD1760754386127abcdefABCDEF", "amount": "5000",
                                  "description": "Recharge", "account": ""}]
            })
        );
    }

    #[test]
    fn data_and_postpaid_bodies() {
        let data = request(RechargeKind::Data, "data3gb2d", 3500);
        let (path, body) = top_up_call(&data).expect("valid");
        assert_eq!(path, "/service/datapackage");
        let body = serde_json::to_value(&body).expect("serializes");
        assert_eq!(body["package"], "data3gb2d");
        assert!(body.get("card").is_none());
        assert_eq!(body["transactions"][0]["description"], "Data Package");

        let bill = request(RechargeKind::Postpaid, "", 74220);
        let (path, body) = top_up_call(&bill).expect("valid");
        assert_eq!(path, "/service/payment");
        let body = serde_json::to_value(&body).expect("serializes");
        assert_eq!(body["amount"], "74220");
        assert_eq!(body["remark"], "Bill Payment via WeChat");
        assert_eq!(body["transactions"][0]["amount"], "74220");
        assert!(body.get("card").is_none() && body.get("package").is_none());
    }

    #[test]
    fn bad_requests_are_refused_before_sending() {
        for bad in [
            request(RechargeKind::Voice, " ", 5000),
            request(RechargeKind::Data, "", 3500),
            request(RechargeKind::Postpaid, "", 0),
            request(RechargeKind::Voice, "ST5000", -1),
        ] {
            assert!(matches!(
                top_up_call(&bad),
                Err(TopUpError::Rejected { ref code, .. }) if code == refusal_codes::INVALID_REQUEST
            ));
        }
    }

    #[test]
    fn base_url_must_be_http() {
        assert!(matches!(
            UnitelClient::new(UnitelConfig::new("not a url", "u", "p")),
            Err(UnitelSetupError::InvalidBaseUrl(_))
        ));
        let client =
            UnitelClient::new(UnitelConfig::new("https://api.unitel.mn/api/v1/", "u", "p"))
                .expect("valid url");
        assert_eq!(client.base_url, "https://api.unitel.mn/api/v1");
        assert!(!format!("{client:?}").contains("Basic"));
    }
}
