//! What can go wrong with a call, sorted by what the caller may conclude about its effect:
//! it did not happen ([`WechatPayError::NotSent`], [`WechatPayError::Refused`],
//! [`WechatPayError::NotFound`]) or nobody knows ([`WechatPayError::OutcomeUnknown`]).

use serde::Deserialize;

use crate::cipher::CipherError;
use crate::keys::SigningError;
use crate::verification::VerificationError;

/// WeChat Pay's error answer: HTTP status and `{code, message, detail}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub detail: Option<serde_json::Value>,
    /// `Request-ID` of the answer, to quote to WeChat Pay support.
    pub request_id: Option<String>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {} {}: {}", self.status, self.code, self.message)
    }
}

/// WeChat Pay's `code` values an adapter is likely to branch on.
pub mod codes {
    /// The order is paid already (close, or create again).
    pub const ORDERPAID: &str = "ORDERPAID";
    /// The order is closed (create again with the same `out_trade_no`).
    pub const ORDER_CLOSED: &str = "ORDER_CLOSED";
    /// Parameters refused, e.g. an `out_trade_no` reused with other parameters.
    pub const INVALID_REQUEST: &str = "INVALID_REQUEST";
    pub const PARAM_ERROR: &str = "PARAM_ERROR";
    /// Not enough balance to refund now: retry later with the same `out_refund_no`.
    pub const NOT_ENOUGH: &str = "NOT_ENOUGH";
    pub const FREQUENCY_LIMITED: &str = "FREQUENCY_LIMITED";
    pub const USERPAYING: &str = "USERPAYING";
    pub const SYSTEM_ERROR: &str = "SYSTEM_ERROR";
    pub const SIGN_ERROR: &str = "SIGN_ERROR";
    pub const ORDER_NOT_EXIST: &str = "ORDER_NOT_EXIST";
    pub const RESOURCE_NOT_EXISTS: &str = "RESOURCE_NOT_EXISTS";
    pub const NO_STATEMENT_EXIST: &str = "NO_STATEMENT_EXIST";
    pub const STATEMENT_CREATING: &str = "STATEMENT_CREATING";
}

/// Codes by which WeChat Pay says the thing asked about does not exist (`ORDERNOTEXIST` is
/// the older spelling some answers still use).
const NOT_FOUND_CODES: [&str; 4] = [
    codes::ORDER_NOT_EXIST,
    "ORDERNOTEXIST",
    codes::RESOURCE_NOT_EXISTS,
    codes::NO_STATEMENT_EXIST,
];

impl ApiError {
    pub(crate) fn is_not_found(&self) -> bool {
        NOT_FOUND_CODES.contains(&self.code.as_str())
    }

    /// Refusals that say "not now" rather than "never": the same request (same
    /// `out_trade_no` / `out_refund_no`) may be sent again later.
    pub fn is_retryable(&self) -> bool {
        [
            codes::FREQUENCY_LIMITED,
            codes::NOT_ENOUGH,
            codes::USERPAYING,
            codes::STATEMENT_CREATING,
        ]
        .contains(&self.code.as_str())
            || self.status == 429
    }
}

#[derive(Deserialize)]
pub(crate) struct ErrorBody {
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub detail: Option<serde_json::Value>,
}

/// The three things a payment core needs to tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The request had no effect at WeChat Pay (never sent, or refused).
    NoEffect,
    /// WeChat Pay does not know the order / refund / bill.
    NotFound,
    /// It may or may not have taken effect: query before concluding anything.
    Unknown,
}

#[derive(Debug, thiserror::Error)]
pub enum WechatPayError {
    /// Stopped before a byte left: nothing happened at WeChat Pay.
    #[error("request not sent: {0}")]
    NotSent(#[source] NotSent),
    /// A definite refusal (4xx with WeChat's `code`, e.g. ORDERPAID, ORDER_CLOSED,
    /// INVALID_REQUEST, NOT_ENOUGH): the request had no effect.
    #[error("WeChat Pay refused: {0}")]
    Refused(ApiError),
    /// ORDER_NOT_EXIST / RESOURCE_NOT_EXISTS (and NO_STATEMENT_EXIST for bills).
    #[error("not found at WeChat Pay: {0}")]
    NotFound(ApiError),
    /// Timeout, 5xx, connection lost after sending, or an answer we cannot trust or read.
    #[error("outcome unknown: {0}")]
    OutcomeUnknown(#[source] Unknown),
}

impl WechatPayError {
    pub fn outcome(&self) -> Outcome {
        match self {
            WechatPayError::NotSent(_) | WechatPayError::Refused(_) => Outcome::NoEffect,
            WechatPayError::NotFound(_) => Outcome::NotFound,
            WechatPayError::OutcomeUnknown(_) => Outcome::Unknown,
        }
    }

    /// WeChat's error answer, when there was one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            WechatPayError::Refused(error) | WechatPayError::NotFound(error) => Some(error),
            WechatPayError::OutcomeUnknown(Unknown::ServerError(error)) => Some(error),
            WechatPayError::OutcomeUnknown(_) | WechatPayError::NotSent(_) => None,
        }
    }

    /// WeChat's `code` (ORDERPAID, SYSTEM_ERROR...), when it answered with one.
    pub fn code(&self) -> Option<&str> {
        self.api_error().map(|error| error.code.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NotSent {
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: &'static str, reason: String },
    #[error("cannot build the request URL {url:?}: {source}")]
    Url {
        url: String,
        #[source]
        source: url::ParseError,
    },
    #[error("cannot encode the request body: {0}")]
    Encode(#[source] serde_json::Error),
    #[error(transparent)]
    Signing(#[from] SigningError),
    #[error("cannot encrypt a sensitive field: {0}")]
    Encrypt(#[source] CipherError),
    #[error("no WeChat Pay key to encrypt with: configure the public key or download certificates")]
    NoEncryptionKey,
    #[error("cannot connect to WeChat Pay: {0}")]
    Connect(#[source] reqwest::Error),
    #[error("cannot build the HTTP request: {0}")]
    Build(#[source] reqwest::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum Unknown {
    #[error("timed out: {0}")]
    Timeout(#[source] reqwest::Error),
    #[error("connection failed after sending: {0}")]
    Transport(#[source] reqwest::Error),
    #[error("server error {0}")]
    ServerError(ApiError),
    /// A 2xx (or signed error) answer whose signature does not check out, a probe included:
    /// it may be forged, so it says nothing either way.
    #[error("answer (HTTP {status}) failed verification: {source}")]
    Unverified {
        status: u16,
        #[source]
        source: VerificationError,
    },
    #[error("answer (HTTP {status}) is not what WeChat Pay sends: {reason}")]
    Malformed { status: u16, reason: String },
    #[error("bill digest mismatch: expected {expected}, got {actual}")]
    BillDigestMismatch { expected: String, actual: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_error(status: u16, code: &str) -> ApiError {
        ApiError {
            status,
            code: code.into(),
            message: String::new(),
            detail: None,
            request_id: None,
        }
    }

    #[test]
    fn outcomes_follow_the_kind_of_error() {
        assert_eq!(
            WechatPayError::Refused(api_error(400, "ORDERPAID")).outcome(),
            Outcome::NoEffect
        );
        assert_eq!(
            WechatPayError::NotFound(api_error(404, "ORDER_NOT_EXIST")).outcome(),
            Outcome::NotFound
        );
        let server =
            WechatPayError::OutcomeUnknown(Unknown::ServerError(api_error(500, "SYSTEM_ERROR")));
        assert_eq!(server.outcome(), Outcome::Unknown);
        assert_eq!(server.code(), Some("SYSTEM_ERROR"));
        let unverified = WechatPayError::OutcomeUnknown(Unknown::Unverified {
            status: 200,
            source: VerificationError::Probe,
        });
        assert_eq!(unverified.outcome(), Outcome::Unknown);
        assert_eq!(unverified.code(), None);
    }

    #[test]
    fn retryable_refusals_are_marked() {
        assert!(api_error(403, "NOT_ENOUGH").is_retryable());
        assert!(api_error(429, "FREQUENCY_LIMITED").is_retryable());
        assert!(!api_error(400, "ORDERPAID").is_retryable());
        assert!(!api_error(400, "INVALID_REQUEST").is_retryable());
        assert!(api_error(404, "RESOURCE_NOT_EXISTS").is_not_found());
        assert!(!api_error(400, "ORDER_CLOSED").is_not_found());
    }
}
