//! Signing what WeChat Pay sends (API answers and notifications): message
//! `TIMESTAMP\nNONCE\nBODY\n`, SHA256withRSA (PKCS #1 v1.5), base64, in the headers
//! `Wechatpay-Timestamp`, `Wechatpay-Nonce`, `Wechatpay-Signature`, `Wechatpay-Serial`; and
//! the ways a signature can be wrong on purpose.

use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use rand::Rng;
use rsa::signature::{SignatureEncoding, Signer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::config::SigningMode;
use super::ids::{random_alnum, random_hex_upper};
use super::keys::{SigningIdentity, SimKeys};

/// How a signed message is made wrong. The merchant must refuse every one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureFault {
    /// A signature-probe: `Wechatpay-Signature: WECHATPAY/SIGNTEST_...`, which no key verifies.
    Probe,
    /// A valid signature over one body, sent with a different body.
    TamperedBody,
    /// Signed by a real key, but `Wechatpay-Serial` names a key nobody has.
    WrongSerial,
    /// Signed by one WeChat Pay key, `Wechatpay-Serial` names the other one.
    SwappedSerial,
    /// A valid signature over a timestamp older than the allowed clock skew (5 minutes).
    OldTimestamp,
}

impl SignatureFault {
    pub const ALL: [SignatureFault; 5] = [
        SignatureFault::Probe,
        SignatureFault::TamperedBody,
        SignatureFault::WrongSerial,
        SignatureFault::SwappedSerial,
        SignatureFault::OldTimestamp,
    ];
}

/// The four signature headers, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureHeaders {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
}

impl SignatureHeaders {
    pub(crate) fn pairs(&self) -> [(&'static str, &str); 4] {
        [
            ("Wechatpay-Timestamp", &self.timestamp),
            ("Wechatpay-Nonce", &self.nonce),
            ("Wechatpay-Signature", &self.signature),
            ("Wechatpay-Serial", &self.serial),
        ]
    }
}

/// What goes on the wire: the headers and the body (which differs from the signed one
/// only for [`SignatureFault::TamperedBody`]).
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    pub headers: SignatureHeaders,
    pub body: Vec<u8>,
}

pub(crate) fn message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(body.len() + 64);
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(nonce.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(body);
    message.push(b'\n');
    message
}

fn sign_with(identity: &SigningIdentity, message: &[u8]) -> String {
    STANDARD.encode(identity.key.sign(message).to_bytes())
}

/// Picks the key of each message; in [`SigningMode::Both`] the keys take turns.
#[derive(Debug, Default)]
pub(crate) struct KeyRotation {
    turns: AtomicU64,
}

impl KeyRotation {
    fn pick<'a>(
        &self,
        keys: &'a SimKeys,
        mode: SigningMode,
    ) -> (&'a SigningIdentity, &'a SigningIdentity) {
        let certificate = &keys.platform;
        let public_key = &keys.public_key;
        match mode {
            SigningMode::Certificate => (certificate, public_key),
            SigningMode::PublicKey => (public_key, certificate),
            SigningMode::Both => {
                if self.turns.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
                    (certificate, public_key)
                } else {
                    (public_key, certificate)
                }
            }
        }
    }
}

/// Everything signing needs besides the body.
pub(crate) struct SigningContext<'a> {
    pub keys: &'a SimKeys,
    pub rotation: &'a KeyRotation,
    pub mode: SigningMode,
    pub now: DateTime<Utc>,
    pub max_clock_skew: std::time::Duration,
}

impl SigningContext<'_> {
    /// Signs `body`; with a fault, makes the result wrong in that way. `tampered` gives the
    /// other body of [`SignatureFault::TamperedBody`].
    pub(crate) fn sign(
        &self,
        body: &[u8],
        fault: Option<SignatureFault>,
        tampered: impl FnOnce(&[u8]) -> Vec<u8>,
    ) -> Signed {
        let (key, other_key) = self.rotation.pick(self.keys, self.mode);
        let skew = i64::try_from(self.max_clock_skew.as_secs()).unwrap_or(i64::MAX / 2);
        let timestamp = match fault {
            Some(SignatureFault::OldTimestamp) => self.now.timestamp() - skew - 60,
            _ => self.now.timestamp(),
        }
        .to_string();
        let nonce = random_alnum(32);
        let signature = match fault {
            Some(SignatureFault::Probe) => probe_signature(),
            _ => sign_with(key, &message(&timestamp, &nonce, body)),
        };
        let serial = match fault {
            Some(SignatureFault::WrongSerial) => random_hex_upper(40),
            Some(SignatureFault::SwappedSerial) => other_key.serial.clone(),
            _ => key.serial.clone(),
        };
        let body = match fault {
            Some(SignatureFault::TamperedBody) => tampered(body),
            _ => body.to_vec(),
        };
        Signed {
            headers: SignatureHeaders {
                timestamp,
                nonce,
                signature,
                serial,
            },
            body,
        }
    }
}

fn probe_signature() -> String {
    let mut noise = [0u8; 192];
    rand::rng().fill(&mut noise[..]);
    format!("WECHATPAY/SIGNTEST_{}", STANDARD.encode(noise))
}

/// Another JSON answer that would mislead a merchant who does not verify: amounts raised
/// by one fen, or a `tampered` field; an empty body becomes `{}`.
pub(crate) fn tamper_json(body: &[u8]) -> Vec<u8> {
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(body) else {
        return b"{}".to_vec();
    };
    let raised = object
        .get_mut("amount")
        .and_then(Value::as_object_mut)
        .and_then(|amount| amount.get_mut("total"))
        .and_then(|total| {
            let raised = total.as_i64()?.checked_add(1)?;
            *total = Value::from(raised);
            Some(())
        });
    if raised.is_none() {
        object.insert("tampered".to_owned(), Value::Bool(true));
    }
    serde_json::to_vec(&Value::Object(object)).unwrap_or_else(|_| b"{}".to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_ends_every_line_with_a_newline() {
        assert_eq!(
            message("1554208460", "abc", b"{}"),
            b"1554208460\nabc\n{}\n"
        );
        assert_eq!(message("1", "n", b""), b"1\nn\n\n");
    }

    #[test]
    fn tampering_changes_the_amount_or_marks_the_body() {
        let raised = tamper_json(br#"{"amount":{"total":100},"out_trade_no":"A"}"#);
        let raised: Value = serde_json::from_slice(&raised).expect("json");
        assert_eq!(raised["amount"]["total"], 100 + 1);
        let marked: Value = serde_json::from_slice(&tamper_json(br#"{"a":1}"#)).expect("json");
        assert_eq!(marked["tampered"], true);
        assert_eq!(tamper_json(b""), b"{}");
    }
}
