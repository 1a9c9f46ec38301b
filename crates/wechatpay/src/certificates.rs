//! WeChat Pay platform certificates: the answer of `/v3/certificates` decrypted with the
//! APIv3 key, and the store that verification reads. The download itself is
//! [`WechatPayClient::refresh_certificates`](crate::WechatPayClient::refresh_certificates).

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use serde::Deserialize;

use crate::cipher::{ApiV3Key, CipherError, EncryptedResource};
use crate::keys::{KeyError, PlatformCertificate, normalize_serial};

/// Path of the certificate download API.
pub const CERTIFICATES_PATH: &str = "/v3/certificates";

#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("the certificate list is not the expected JSON: {0}")]
    Malformed(#[source] serde_json::Error),
    #[error("the certificate list is empty")]
    Empty,
    #[error("cannot decrypt certificate {serial}: {source}")]
    Decrypt {
        serial: String,
        #[source]
        source: CipherError,
    },
    #[error("decrypted certificate {serial} is not a certificate: {source}")]
    Parse {
        serial: String,
        #[source]
        source: KeyError,
    },
    #[error("certificate listed as {listed} has serial {actual}")]
    SerialMismatch { listed: String, actual: String },
}

#[derive(Deserialize)]
struct CertificatesAnswer {
    data: Vec<CertificateEntry>,
}

#[derive(Deserialize)]
struct CertificateEntry {
    serial_no: String,
    encrypt_certificate: EncryptedResource,
}

/// Opens every certificate of a `/v3/certificates` answer and checks each is what its entry
/// says it is.
pub fn decrypt_certificates(
    key: &ApiV3Key,
    body: &[u8],
) -> Result<Vec<PlatformCertificate>, CertificateError> {
    let answer: CertificatesAnswer =
        serde_json::from_slice(body).map_err(CertificateError::Malformed)?;
    if answer.data.is_empty() {
        return Err(CertificateError::Empty);
    }
    answer
        .data
        .into_iter()
        .map(|entry| {
            let listed = normalize_serial(&entry.serial_no);
            let pem = key
                .decrypt_resource(&entry.encrypt_certificate)
                .map_err(|source| CertificateError::Decrypt {
                    serial: listed.clone(),
                    source,
                })?;
            let certificate = PlatformCertificate::from_pem(&String::from_utf8_lossy(&pem))
                .map_err(|source| CertificateError::Parse {
                    serial: listed.clone(),
                    source,
                })?;
            if certificate.serial() != listed {
                return Err(CertificateError::SerialMismatch {
                    listed,
                    actual: certificate.serial().to_owned(),
                });
            }
            Ok(certificate)
        })
        .collect()
}

/// The platform certificates currently trusted, by serial. Cheap to clone: clones share the
/// same certificates, so a refresh is seen by every verifier at once.
#[derive(Debug, Clone, Default)]
pub struct CertificateStore {
    by_serial: Arc<RwLock<HashMap<String, Arc<PlatformCertificate>>>>,
}

impl CertificateStore {
    /// A store holding `certificates` (e.g. configured by hand when downloads are off).
    pub fn with(certificates: Vec<PlatformCertificate>) -> Self {
        let store = CertificateStore::default();
        store.replace(certificates);
        store
    }

    pub fn get(&self, serial: &str) -> Option<Arc<PlatformCertificate>> {
        self.by_serial
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&normalize_serial(serial))
            .cloned()
    }

    /// Puts `certificates` in place of the current set: WeChat Pay lists every certificate
    /// still in use, so one missing from the list is no longer trusted.
    pub fn replace(&self, certificates: Vec<PlatformCertificate>) {
        let by_serial = certificates
            .into_iter()
            .map(|certificate| (certificate.serial().to_owned(), Arc::new(certificate)))
            .collect();
        *self
            .by_serial
            .write()
            .unwrap_or_else(PoisonError::into_inner) = by_serial;
    }

    /// Serials held, sorted.
    pub fn serials(&self) -> Vec<String> {
        let mut serials: Vec<String> = self
            .by_serial
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        serials.sort();
        serials
    }

    pub fn is_empty(&self) -> bool {
        self.by_serial
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    /// The certificate valid at `unix_seconds` that expires last: the one to encrypt with.
    pub fn newest_valid(&self, unix_seconds: i64) -> Option<Arc<PlatformCertificate>> {
        self.by_serial
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter(|certificate| certificate.is_valid_at(unix_seconds))
            .max_by_key(|certificate| certificate.validity().1)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::fixtures::{
        GO_CERTIFICATE_D7CE, GO_CERTIFICATE_F576, JAVA_WECHAT_PAY_CERTIFICATE,
    };

    /// wechatpay-java core/model/TestConfig.java `DOWNLOAD_CERTIFICATE_RESPONSE`.
    const JAVA_DOWNLOAD_CERTIFICATE_RESPONSE: &str =
        include_str!("../testdata/java_download_certificate_response.json");
    const JAVA_API_V3_KEY: &str = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";

    #[test]
    fn java_download_certificate_vector_decrypts_to_the_listed_certificate() {
        let key = ApiV3Key::new(JAVA_API_V3_KEY).unwrap();
        let certificates =
            decrypt_certificates(&key, JAVA_DOWNLOAD_CERTIFICATE_RESPONSE.as_bytes()).unwrap();
        assert_eq!(certificates.len(), 1);
        assert_eq!(
            certificates[0].serial(),
            "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC"
        );
        // effective_time 2023-09-19T23:15:58+08:00, expire_time 2028-09-17T23:15:58+08:00.
        assert!(certificates[0].is_valid_at(1_700_000_000));
        assert!(!certificates[0].is_valid_at(1_900_000_000));
    }

    #[test]
    fn a_wrong_key_or_a_lying_entry_is_refused() {
        let wrong = ApiV3Key::new("00000000000000000000000000000000").unwrap();
        assert!(matches!(
            decrypt_certificates(&wrong, JAVA_DOWNLOAD_CERTIFICATE_RESPONSE.as_bytes()),
            Err(CertificateError::Decrypt {
                source: CipherError::Authentication,
                ..
            })
        ));
        let key = ApiV3Key::new(JAVA_API_V3_KEY).unwrap();
        let lying = JAVA_DOWNLOAD_CERTIFICATE_RESPONSE.replace(
            "\"serial_no\": \"5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC\"",
            "\"serial_no\": \"440024045C4A427599D09BB4E3DE0279F2E813FD\"",
        );
        assert!(matches!(
            decrypt_certificates(&key, lying.as_bytes()),
            Err(CertificateError::SerialMismatch { .. })
        ));
        assert!(matches!(
            decrypt_certificates(&key, br#"{"data":[]}"#),
            Err(CertificateError::Empty)
        ));
        assert!(matches!(
            decrypt_certificates(&key, b"<html>"),
            Err(CertificateError::Malformed(_))
        ));
    }

    #[test]
    fn the_store_replaces_its_set_and_picks_the_newest_valid_certificate() {
        let store = CertificateStore::default();
        assert!(store.is_empty());
        let f576 = PlatformCertificate::from_pem(GO_CERTIFICATE_F576).unwrap();
        let d7ce = PlatformCertificate::from_pem(GO_CERTIFICATE_D7CE).unwrap();
        let java = PlatformCertificate::from_pem(JAVA_WECHAT_PAY_CERTIFICATE).unwrap();
        let shared = store.clone();
        store.replace(vec![f576, java]);
        assert_eq!(
            shared.serials(),
            [
                "440024045C4A427599D09BB4E3DE0279F2E813FD",
                "F5765756002FDD77"
            ]
        );
        assert!(shared.get("f5765756002fdd77").is_some());
        // In 2023 both are valid; the go one expires last (2031).
        let in_2023 = 1_700_000_000;
        assert_eq!(
            store.newest_valid(in_2023).unwrap().serial(),
            "F5765756002FDD77"
        );
        store.replace(vec![d7ce]);
        assert!(shared.get("F5765756002FDD77").is_none());
        assert_eq!(
            store.newest_valid(in_2023).unwrap().serial(),
            "D7CE59D1F522D701"
        );
        assert!(store.newest_valid(2_000_000_000).is_none());
    }
}
