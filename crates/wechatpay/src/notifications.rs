//! Notifications WeChat Pay posts to `notify_url`: verify the signature over the raw body,
//! decrypt `resource`, and read it as a payment or a refund.
//!
//! Answer WeChat Pay 200/204 once the notice is durably recorded, 4xx/5xx with
//! `{"code":"FAIL","message":…}` otherwise ([`NotificationError::http_status`] proposes the
//! status). A replayed notification verifies again within five minutes: deduplicate on
//! [`Notification::id`] (and the transaction) where it is stored.

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

use crate::cipher::{ApiV3Key, CipherError, EncryptedResource};
use crate::model::{RefundNotice, Transaction};
use crate::verification::{SignatureHeaders, VerificationError, VerifiedBy, Verifier};

const TRANSACTION_EVENT_PREFIX: &str = "TRANSACTION.";
const REFUND_EVENT_PREFIX: &str = "REFUND.";

#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    /// Not from WeChat Pay as far as we can tell (a probe included): change nothing.
    #[error("notification failed verification: {0}")]
    Unverified(#[from] VerificationError),
    #[error("verified notification is not the expected JSON: {0}")]
    Malformed(#[source] serde_json::Error),
    /// Signed by WeChat Pay but unreadable with our APIv3 key: our configuration is wrong.
    #[error("cannot decrypt the notification resource: {0}")]
    Decrypt(#[source] CipherError),
    #[error("decrypted {event_type} resource is not the expected JSON: {source}")]
    MalformedResource {
        event_type: String,
        #[source]
        source: serde_json::Error,
    },
}

impl NotificationError {
    /// The status to answer WeChat Pay with: 401 for what is not WeChat's, 500 (retry
    /// later) for a genuine notification we cannot read yet.
    pub fn http_status(&self) -> u16 {
        match self {
            NotificationError::Unverified(_) => 401,
            NotificationError::Malformed(_)
            | NotificationError::Decrypt(_)
            | NotificationError::MalformedResource { .. } => 500,
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(default)]
    create_time: Option<String>,
    event_type: String,
    #[serde(default)]
    resource_type: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    resource: EncryptedResource,
}

/// A verified, decrypted notification.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// Unique per notification (retries of one notification share it).
    pub id: String,
    pub create_time: Option<DateTime<FixedOffset>>,
    /// `TRANSACTION.SUCCESS`, `REFUND.SUCCESS`, `REFUND.ABNORMAL`, `REFUND.CLOSED`...
    pub event_type: String,
    pub resource_type: Option<String>,
    pub summary: Option<String>,
    pub original_type: Option<String>,
    pub verified_by: VerifiedBy,
    /// The decrypted `resource`, as sent.
    pub plaintext: String,
    pub content: NotificationContent,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NotificationContent {
    /// `TRANSACTION.*`: read `trade_state` (SUCCESS...).
    Transaction(Box<Transaction>),
    /// `REFUND.*`: read `refund_status` (SUCCESS, CLOSED, ABNORMAL — not final).
    Refund(Box<RefundNotice>),
    /// Any other event: see [`Notification::plaintext`].
    Other,
}

/// Parses notifications with the keys of a [`Verifier`] and the APIv3 key.
#[derive(Debug, Clone)]
pub struct NotificationParser {
    verifier: Verifier,
    api_v3_key: ApiV3Key,
}

impl NotificationParser {
    pub fn new(verifier: Verifier, api_v3_key: ApiV3Key) -> Self {
        NotificationParser {
            verifier,
            api_v3_key,
        }
    }

    /// `lookup` gives a request header by name (case-insensitively); `body` is the raw body
    /// exactly as received.
    pub fn parse_request<'a>(
        &self,
        lookup: impl Fn(&str) -> Option<&'a str>,
        body: &[u8],
    ) -> Result<Notification, NotificationError> {
        self.parse(&SignatureHeaders::from_lookup(lookup)?, body)
    }

    pub fn parse(
        &self,
        headers: &SignatureHeaders,
        body: &[u8],
    ) -> Result<Notification, NotificationError> {
        let verified_by = self.verifier.verify(headers, body)?;
        let envelope: Envelope =
            serde_json::from_slice(body).map_err(NotificationError::Malformed)?;
        let plaintext = self
            .api_v3_key
            .decrypt_resource(&envelope.resource)
            .map_err(NotificationError::Decrypt)?;
        let malformed = |source| NotificationError::MalformedResource {
            event_type: envelope.event_type.clone(),
            source,
        };
        let content = if envelope.event_type.starts_with(TRANSACTION_EVENT_PREFIX) {
            NotificationContent::Transaction(Box::new(
                serde_json::from_slice(&plaintext).map_err(malformed)?,
            ))
        } else if envelope.event_type.starts_with(REFUND_EVENT_PREFIX) {
            NotificationContent::Refund(Box::new(
                serde_json::from_slice(&plaintext).map_err(malformed)?,
            ))
        } else {
            NotificationContent::Other
        };
        Ok(Notification {
            id: envelope.id,
            create_time: envelope
                .create_time
                .as_deref()
                .and_then(|time| DateTime::parse_from_rfc3339(time).ok()),
            event_type: envelope.event_type,
            resource_type: envelope.resource_type,
            summary: envelope.summary,
            original_type: envelope.resource.original_type,
            verified_by,
            plaintext: String::from_utf8_lossy(&plaintext).into_owned(),
            content,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::certificates::CertificateStore;
    use crate::clock::FixedClock;
    use crate::keys::PlatformCertificate;
    use crate::keys::fixtures::GO_CERTIFICATE_D7CE;
    use crate::verification::{HEADER_NONCE, HEADER_SERIAL, HEADER_SIGNATURE, HEADER_TIMESTAMP};

    /// wechatpay-go core/notify/notify_test.go TestHandler_ParseNotifyRequest.
    pub(crate) const GO_NOTIFY_BODY: &str = concat!(
        "{",
        "\"id\":\"3119dfba-e649-5eec-ab1e-3412bc4d2e17\",",
        "\"create_time\":\"2021-06-24T16:37:26+08:00\",",
        "\"resource_type\":\"encrypt-resource\",",
        "\"event_type\":\"PAYSCORE.USER_OPEN_SERVICE\",",
        "\"summary\":\"签约成功\",",
        "\"resource\":{",
        "\"original_type\":\"payscore\",",
        "\"algorithm\":\"AEAD_AES_256_GCM\",",
        "\"ciphertext\":\"YDS3lKPaC4Y52Gf3uhft5qUBlIa8b428AWTtTauHQfQrRw+X1WpiuHIDy0vo1Vd6VEq67aVyqPdDYMkRVSDaZL3iZt",
        "tevRMOoPKMifozg6XPWjIZumks/GpT48lI4NizyeaqLBokNebthah3o1H76qSlO9NkDjp9bzmKLEYYH9TEklFUpsvPqOTOcgSLgh21YJXYR",
        "7dEBXFgRLiNIKRgO5JdXh1hccRUAlyVWxE54PXpnQ==\",",
        "\"associated_data\":\"payscore\",",
        "\"nonce\":\"Kj7QIyUiYx1q\"}",
        "}"
    );
    const GO_NOTIFY_SIGNATURE: &str = concat!(
        "tJHIiIS9eB2hAYstmAmbbD3ZE5LiIm/Ug5tuL4fC0YOFRWIHV39UFIZXC0e9Wl6lBu6sKvkqDkzpqzBsVHyXF",
        "lbYZTOQrVdG4b6LfTnK4mikv9++ixJMd3vTf2yCqvBkh98zs3Ds5zsYQakzbcwhmw4fMJs4nPLws28H0UW9FjDR//rxELLwXvV1VEA1I",
        "BLX70xptjL8hrfUjEE8kkry6yNJTHZRU8CAc7qHli2Ng1V1qb9ARbK8A3ThmFmPQvRGrapI/jS2laKKgYUmfdEdkNO6B2Cke5e8VTxY4",
        "06ArAmQ90GAihDwIcb16TQMnzCMBoutnwZKNiKRACrFmtxw2Q=="
    );
    const GO_NOTIFY_TIME: i64 = 1_624_523_846;

    pub(crate) fn go_notify_headers() -> SignatureHeaders {
        SignatureHeaders {
            timestamp: GO_NOTIFY_TIME.to_string(),
            nonce: "EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz".into(),
            signature: GO_NOTIFY_SIGNATURE.into(),
            serial: "D7CE59D1F522D701".into(),
            request_id: None,
        }
    }

    fn go_verifier(now: i64) -> Verifier {
        let store = CertificateStore::with(vec![
            PlatformCertificate::from_pem(GO_CERTIFICATE_D7CE).unwrap(),
        ]);
        Verifier::new(store, None, Arc::new(FixedClock::at(now)))
    }

    #[test]
    fn go_notify_vector_verifies_and_its_resource_opens() {
        // The go test's APIv3 key "testMchAPIv3Key0" has 16 bytes (AES-128 in Go). WeChat's
        // key is 32 bytes, so the full parse is out of reach; the signature part is checked
        // with our parser, the resource with the same framing under AES-128.
        let verifier = go_verifier(GO_NOTIFY_TIME);
        let headers = go_notify_headers();
        let lookup = |name: &str| match name {
            HEADER_TIMESTAMP => Some("1624523846"),
            HEADER_NONCE => Some("EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz"),
            HEADER_SIGNATURE => Some(GO_NOTIFY_SIGNATURE),
            HEADER_SERIAL => Some("D7CE59D1F522D701"),
            _ => None,
        };
        assert_eq!(SignatureHeaders::from_lookup(lookup).unwrap(), headers);
        assert_eq!(
            verifier.verify(&headers, GO_NOTIFY_BODY.as_bytes()),
            Ok(VerifiedBy::PlatformCertificate("D7CE59D1F522D701".into()))
        );

        use aes_gcm::aead::{Aead, KeyInit, Payload};
        let envelope: Envelope = serde_json::from_str(GO_NOTIFY_BODY).unwrap();
        assert_eq!(envelope.id, "3119dfba-e649-5eec-ab1e-3412bc4d2e17");
        assert_eq!(envelope.event_type, "PAYSCORE.USER_OPEN_SERVICE");
        assert_eq!(envelope.summary.as_deref(), Some("签约成功"));
        assert_eq!(envelope.resource.original_type.as_deref(), Some("payscore"));
        let aes128 = aes_gcm::Aes128Gcm::new_from_slice(b"testMchAPIv3Key0").unwrap();
        use base64::Engine;
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(&envelope.resource.ciphertext)
            .unwrap();
        let nonce = aes_gcm::Nonce::try_from(envelope.resource.nonce.as_bytes()).unwrap();
        let plaintext = aes128
            .decrypt(
                &nonce,
                Payload {
                    msg: &sealed,
                    aad: b"payscore",
                },
            )
            .unwrap();
        assert_eq!(
            String::from_utf8(plaintext).unwrap(),
            "{\"mchid\":\"1234567890\",\"appid\":\"054aa7d7a2a54ab5898df65bd96f001c\",\
             \"create_time\":\"2020-06-30T12:12:00+08:00\",\
             \"out_contract_code\":\"21640bdbd08e473e828f3206a2741c6e\"}"
        );

        // Through the parser with a 32-byte key the signature passes and decryption fails.
        let parser = NotificationParser::new(
            verifier,
            ApiV3Key::new("testMchAPIv3Key0testMchAPIv3Key0").unwrap(),
        );
        let error = parser
            .parse(&headers, GO_NOTIFY_BODY.as_bytes())
            .unwrap_err();
        assert!(matches!(
            error,
            NotificationError::Decrypt(CipherError::Authentication)
        ));
        assert_eq!(error.http_status(), 500);
    }

    #[test]
    fn go_notify_vector_is_refused_when_old_tampered_or_a_probe() {
        let body = GO_NOTIFY_BODY.as_bytes();
        let parser = NotificationParser::new(
            go_verifier(GO_NOTIFY_TIME + 301),
            ApiV3Key::new("testMchAPIv3Key0testMchAPIv3Key0").unwrap(),
        );
        let error = parser.parse(&go_notify_headers(), body).unwrap_err();
        assert!(matches!(
            error,
            NotificationError::Unverified(VerificationError::StaleTimestamp { .. })
        ));
        assert_eq!(error.http_status(), 401);

        let parser = NotificationParser::new(
            go_verifier(GO_NOTIFY_TIME),
            ApiV3Key::new("testMchAPIv3Key0testMchAPIv3Key0").unwrap(),
        );
        let tampered = GO_NOTIFY_BODY.replace("签约成功", "签约失败");
        assert!(matches!(
            parser.parse(&go_notify_headers(), tampered.as_bytes()),
            Err(NotificationError::Unverified(
                VerificationError::SignatureMismatch(_)
            ))
        ));
        let mut wrong_serial = go_notify_headers();
        wrong_serial.serial = "F5765756002FDD77".into();
        assert!(matches!(
            parser.parse(&wrong_serial, body),
            Err(NotificationError::Unverified(
                VerificationError::UnknownSerial(_)
            ))
        ));
        let mut probe = go_notify_headers();
        probe.signature = format!("WECHATPAY/SIGNTEST/{GO_NOTIFY_SIGNATURE}");
        assert!(matches!(
            parser.parse(&probe, body),
            Err(NotificationError::Unverified(VerificationError::Probe))
        ));
    }
}
