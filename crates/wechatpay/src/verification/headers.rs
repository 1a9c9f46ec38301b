//! The signature headers of WeChat Pay's answers and notifications, read from any HTTP
//! framework, and the probes WeChat Pay sends to see whether a merchant verifies.

use super::VerificationError;

pub const HEADER_TIMESTAMP: &str = "Wechatpay-Timestamp";
pub const HEADER_NONCE: &str = "Wechatpay-Nonce";
pub const HEADER_SIGNATURE: &str = "Wechatpay-Signature";
pub const HEADER_SERIAL: &str = "Wechatpay-Serial";
pub const HEADER_REQUEST_ID: &str = "Request-ID";
/// WeChat Pay's probes carry a signature starting with this, to see whether the merchant
/// really verifies: they must be answered as failures.
pub const PROBE_SIGNATURE_PREFIX: &str = "WECHATPAY/SIGNTEST";

/// The four signature headers (plus `Request-ID` for logs) of an answer or notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeaders {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
    pub request_id: Option<String>,
}

impl SignatureHeaders {
    /// Reads the headers through `lookup` (which must match names case-insensitively, as HTTP
    /// frameworks' header maps do), so any framework can hand them over.
    pub fn from_lookup<'a>(
        lookup: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Self, VerificationError> {
        let required = |name: &'static str| {
            lookup(name)
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
                .ok_or(VerificationError::MissingHeader(name))
        };
        // A probe is told apart before anything else is asked of it.
        let signature = required(HEADER_SIGNATURE)?;
        if is_probe(&signature) {
            return Err(VerificationError::Probe);
        }
        Ok(SignatureHeaders {
            timestamp: required(HEADER_TIMESTAMP)?,
            nonce: required(HEADER_NONCE)?,
            signature,
            serial: required(HEADER_SERIAL)?,
            request_id: lookup(HEADER_REQUEST_ID).map(str::to_owned),
        })
    }

    pub fn from_header_map(
        headers: &reqwest::header::HeaderMap,
    ) -> Result<Self, VerificationError> {
        Self::from_lookup(|name| headers.get(name).and_then(|value| value.to_str().ok()))
    }

    /// True when any signature header is present (answers to errors are not always signed).
    pub(crate) fn any_present(headers: &reqwest::header::HeaderMap) -> bool {
        [
            HEADER_SIGNATURE,
            HEADER_SERIAL,
            HEADER_TIMESTAMP,
            HEADER_NONCE,
        ]
        .iter()
        .any(|name| headers.contains_key(*name))
    }
}

pub(crate) fn is_probe(signature: &str) -> bool {
    signature.starts_with(PROBE_SIGNATURE_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_are_told_apart_before_other_headers_are_asked_for() {
        let lookup = |name: &str| match name {
            HEADER_SIGNATURE => Some("WECHATPAY/SIGNTEST/abc"),
            _ => None,
        };
        assert_eq!(
            SignatureHeaders::from_lookup(lookup),
            Err(VerificationError::Probe)
        );
    }

    #[test]
    fn headers_are_all_required() {
        let full = [
            (HEADER_TIMESTAMP, "1624523846"),
            (HEADER_NONCE, "n"),
            (HEADER_SIGNATURE, "c2ln"),
            (HEADER_SERIAL, "F5765756002FDD77"),
        ];
        for missing in full.map(|(name, _)| name) {
            let lookup = |name: &str| {
                full.iter()
                    .find(|(key, _)| *key == name && *key != missing)
                    .map(|(_, value)| *value)
            };
            assert_eq!(
                SignatureHeaders::from_lookup(lookup),
                Err(VerificationError::MissingHeader(missing))
            );
        }
        let blank = |name: &str| {
            if name == HEADER_NONCE {
                Some("  ")
            } else {
                full.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
            }
        };
        assert_eq!(
            SignatureHeaders::from_lookup(blank),
            Err(VerificationError::MissingHeader(HEADER_NONCE))
        );
    }
}
