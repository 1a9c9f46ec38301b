//! Checking WeChat Pay's signatures on answers and notifications: message
//! `TIMESTAMP\nNONCE\nBODY\n` over the exact raw body, key chosen by `Wechatpay-Serial` among the
//! platform certificates and the WeChat Pay public key, timestamp within five minutes.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::certificates::CertificateStore;
use crate::clock::Clock;
use crate::keys::{PlatformCertificate, WechatPayPublicKey, normalize_serial, verify_sha256};

mod headers;

use headers::is_probe;
pub use headers::{
    HEADER_NONCE, HEADER_REQUEST_ID, HEADER_SERIAL, HEADER_SIGNATURE, HEADER_TIMESTAMP,
    PROBE_SIGNATURE_PREFIX, SignatureHeaders,
};

/// Largest accepted distance between `Wechatpay-Timestamp` and now, in seconds.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 5 * 60;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerificationError {
    #[error("header `{0}` is missing or empty")]
    MissingHeader(&'static str),
    #[error("signature probe (`{PROBE_SIGNATURE_PREFIX}…`): not a real message")]
    Probe,
    #[error("`{HEADER_TIMESTAMP}` is not a number of seconds: {0:?}")]
    InvalidTimestamp(String),
    #[error("timestamp {timestamp} is more than five minutes from now ({now})")]
    StaleTimestamp { timestamp: i64, now: i64 },
    #[error("no platform certificate or public key with serial {0:?}")]
    UnknownSerial(String),
    #[error("platform certificate {0} is not valid now")]
    CertificateNotValid(String),
    #[error("`{HEADER_SIGNATURE}` is not base64")]
    SignatureNotBase64,
    #[error("signature does not match (key {0})")]
    SignatureMismatch(String),
}

/// The signed text of an answer or notification: `TIMESTAMP\nNONCE\nBODY\n`.
pub fn answer_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    message
}

/// Which key a verified message was signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifiedBy {
    PlatformCertificate(String),
    PublicKey(String),
}

/// Verifies with the platform certificates of a shared [`CertificateStore`] and, at the same
/// time, the WeChat Pay public key when one is configured (switch-over from one to the other).
#[derive(Clone)]
pub struct Verifier {
    certificates: CertificateStore,
    public_key: Option<Arc<WechatPayPublicKey>>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("certificates", &self.certificates.serials())
            .field("public_key", &self.public_key.as_ref().map(|key| key.id()))
            .finish()
    }
}

impl Verifier {
    pub fn new(
        certificates: CertificateStore,
        public_key: Option<WechatPayPublicKey>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Verifier {
            certificates,
            public_key: public_key.map(Arc::new),
            clock,
        }
    }

    pub fn certificates(&self) -> &CertificateStore {
        &self.certificates
    }

    pub fn public_key(&self) -> Option<&WechatPayPublicKey> {
        self.public_key.as_deref()
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Checks `body` (the raw bytes as received) against `headers`.
    pub fn verify(
        &self,
        headers: &SignatureHeaders,
        body: &[u8],
    ) -> Result<VerifiedBy, VerificationError> {
        self.verify_with_extra(headers, body, &[])
    }

    /// As [`Verifier::verify`], also trusting `extra` certificates: those just decrypted from
    /// `/v3/certificates`, whose AES-GCM tag under the APIv3 key already proves their origin.
    pub(crate) fn verify_with_extra(
        &self,
        headers: &SignatureHeaders,
        body: &[u8],
        extra: &[PlatformCertificate],
    ) -> Result<VerifiedBy, VerificationError> {
        if is_probe(&headers.signature) {
            return Err(VerificationError::Probe);
        }
        let timestamp: i64 = headers
            .timestamp
            .parse()
            .map_err(|_| VerificationError::InvalidTimestamp(headers.timestamp.clone()))?;
        let now = self.clock.unix_seconds();
        if timestamp.abs_diff(now) > MAX_CLOCK_SKEW_SECONDS.unsigned_abs() {
            return Err(VerificationError::StaleTimestamp { timestamp, now });
        }
        let signature = BASE64
            .decode(headers.signature.as_bytes())
            .map_err(|_| VerificationError::SignatureNotBase64)?;
        let message = answer_message(&headers.timestamp, &headers.nonce, body);

        let serial = headers.serial.trim();
        if let Some(public_key) = self.public_key.as_deref().filter(|key| key.id() == serial) {
            return if verify_sha256(public_key.key(), &message, &signature) {
                Ok(VerifiedBy::PublicKey(public_key.id().to_owned()))
            } else {
                Err(VerificationError::SignatureMismatch(
                    public_key.id().to_owned(),
                ))
            };
        }
        let wanted = normalize_serial(serial);
        let certificate = extra
            .iter()
            .find(|certificate| certificate.serial() == wanted)
            .cloned()
            .map(Arc::new)
            .or_else(|| self.certificates.get(&wanted))
            .ok_or_else(|| VerificationError::UnknownSerial(serial.to_owned()))?;
        if !certificate.is_valid_at(now) {
            return Err(VerificationError::CertificateNotValid(wanted));
        }
        if verify_sha256(certificate.key(), &message, &signature) {
            Ok(VerifiedBy::PlatformCertificate(wanted))
        } else {
            Err(VerificationError::SignatureMismatch(wanted))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::keys::fixtures::*;

    const NOW: i64 = 1_624_523_846;

    fn verifier(with_certificate: bool, with_public_key: bool) -> Verifier {
        let store = CertificateStore::default();
        if with_certificate {
            store.replace(vec![
                PlatformCertificate::from_pem(GO_CERTIFICATE_F576).unwrap(),
            ]);
        }
        let public_key = with_public_key.then(|| {
            WechatPayPublicKey::from_pem("PUB_KEY_ID_0114232134912410000000000000", GO_PUBLIC_KEY)
                .unwrap()
        });
        Verifier::new(store, public_key, Arc::new(FixedClock::at(NOW)))
    }

    /// Signs as WeChat Pay would, with the go test key (the key of both go certificates and
    /// of the go public key).
    fn signed(serial: &str, timestamp: i64, body: &[u8]) -> SignatureHeaders {
        let key = crate::keys::MerchantPrivateKey::from_pem(GO_PRIVATE_KEY).unwrap();
        let nonce = "EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz";
        let signature = key
            .sign_sha256(&answer_message(&timestamp.to_string(), nonce, body))
            .unwrap();
        SignatureHeaders {
            timestamp: timestamp.to_string(),
            nonce: nonce.into(),
            signature,
            serial: serial.into(),
            request_id: None,
        }
    }

    #[test]
    fn go_pubkey_verifier_vectors() {
        // wechatpay-go core/auth/verifiers/sha256withrsa_pubkey_verifier_test.go: the raw
        // signature of "source" verifies with the public key and fails for another message.
        let key = WechatPayPublicKey::from_pem("F5765756002FDD77", GO_PUBLIC_KEY).unwrap();
        let signature = BASE64.decode(GO_SIGNATURE_OF_SOURCE).unwrap();
        assert!(verify_sha256(key.key(), b"source", &signature));
        assert!(!verify_sha256(key.key(), b"wrong source", &signature));
        assert!(!verify_sha256(key.key(), b"", &signature));
        assert!(!verify_sha256(key.key(), b"source", b""));
    }

    #[test]
    fn go_notify_vector_verifies_with_the_certificate_named_by_serial() {
        // wechatpay-go core/notify/notify_test.go TestHandler_ParseNotifyRequest.
        let store = CertificateStore::default();
        store.replace(vec![
            PlatformCertificate::from_pem(GO_CERTIFICATE_D7CE).unwrap(),
        ]);
        let verifier = Verifier::new(store, None, Arc::new(FixedClock::at(NOW)));
        let headers = crate::notifications::tests::go_notify_headers();
        let body = crate::notifications::tests::GO_NOTIFY_BODY.as_bytes();
        assert_eq!(
            verifier.verify(&headers, body),
            Ok(VerifiedBy::PlatformCertificate("D7CE59D1F522D701".into()))
        );
        let mut tampered = body.to_vec();
        tampered[10] ^= 1;
        assert_eq!(
            verifier.verify(&headers, &tampered),
            Err(VerificationError::SignatureMismatch(
                "D7CE59D1F522D701".into()
            ))
        );
        // A trailing newline is a different body: the exact bytes are signed.
        let mut extended = body.to_vec();
        extended.push(b'\n');
        assert!(verifier.verify(&headers, &extended).is_err());
    }

    #[test]
    fn certificate_and_public_key_both_verify_during_a_switch_over() {
        let verifier = verifier(true, true);
        let body = br#"{"prepay_id":"wx1"}"#;
        assert_eq!(
            verifier.verify(&signed("F5765756002FDD77", NOW, body), body),
            Ok(VerifiedBy::PlatformCertificate("F5765756002FDD77".into()))
        );
        assert_eq!(
            verifier.verify(
                &signed("PUB_KEY_ID_0114232134912410000000000000", NOW, body),
                body
            ),
            Ok(VerifiedBy::PublicKey(
                "PUB_KEY_ID_0114232134912410000000000000".into()
            ))
        );
        // Serial spelling: lower case and leading zeros still name the certificate.
        assert!(
            verifier
                .verify(&signed("00f5765756002fdd77", NOW, body), body)
                .is_ok()
        );
    }

    #[test]
    fn only_the_configured_kinds_of_key_are_trusted() {
        let body = b"{}";
        let certificate_only = verifier(true, false);
        assert_eq!(
            certificate_only.verify(
                &signed("PUB_KEY_ID_0114232134912410000000000000", NOW, body),
                body
            ),
            Err(VerificationError::UnknownSerial(
                "PUB_KEY_ID_0114232134912410000000000000".into()
            ))
        );
        let public_key_only = verifier(false, true);
        assert_eq!(
            public_key_only.verify(&signed("F5765756002FDD77", NOW, body), body),
            Err(VerificationError::UnknownSerial("F5765756002FDD77".into()))
        );
    }

    #[test]
    fn timestamps_more_than_five_minutes_off_are_refused() {
        let verifier = verifier(true, false);
        let body = b"{}";
        for skew in [-300, 0, 300] {
            assert!(
                verifier
                    .verify(&signed("F5765756002FDD77", NOW + skew, body), body)
                    .is_ok()
            );
        }
        for skew in [-301, 301, -86_400] {
            assert_eq!(
                verifier.verify(&signed("F5765756002FDD77", NOW + skew, body), body),
                Err(VerificationError::StaleTimestamp {
                    timestamp: NOW + skew,
                    now: NOW
                })
            );
        }
        let mut headers = signed("F5765756002FDD77", NOW, body);
        headers.timestamp = "soon".into();
        assert_eq!(
            verifier.verify(&headers, body),
            Err(VerificationError::InvalidTimestamp("soon".into()))
        );
    }

    #[test]
    fn certificates_outside_their_validity_are_refused() {
        let store = CertificateStore::default();
        store.replace(vec![
            PlatformCertificate::from_pem(GO_CERTIFICATE_F576).unwrap(),
        ]);
        let after_expiry = 1_934_872_833;
        let verifier = Verifier::new(store, None, Arc::new(FixedClock::at(after_expiry)));
        let body = b"{}";
        assert_eq!(
            verifier.verify(&signed("F5765756002FDD77", after_expiry, body), body),
            Err(VerificationError::CertificateNotValid(
                "F5765756002FDD77".into()
            ))
        );
    }

    #[test]
    fn probes_are_recognised_before_anything_else() {
        let verifier = verifier(true, true);
        let mut headers = signed("F5765756002FDD77", NOW - 10_000, b"{}");
        headers.signature =
            "WECHATPAY/SIGNTEST/4pOr0DrHtI6IwBt6FVFBn8AjSZvb0qc0DGlRHVBqBg==".into();
        assert_eq!(
            verifier.verify(&headers, b"{}"),
            Err(VerificationError::Probe)
        );
    }

    #[test]
    fn a_signature_that_is_not_base64_is_refused() {
        let verifier = verifier(true, false);
        let mut headers = signed("F5765756002FDD77", NOW, b"{}");
        headers.signature = "invalid base64 signature".into();
        assert_eq!(
            verifier.verify(&headers, b"{}"),
            Err(VerificationError::SignatureNotBase64)
        );
    }
}
