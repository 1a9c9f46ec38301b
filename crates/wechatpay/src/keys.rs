//! Key material: the merchant's private key, WeChat Pay's public key (`PUB_KEY_ID_…`) and
//! WeChat Pay platform certificates, parsed from PEM with RustCrypto.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use der::{DecodePem, Encode};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{PrivateKey, PublicKey};
use sha2::Sha256;

/// A PEM that does not hold what it should.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("not a PKCS#8 RSA private key (`BEGIN PRIVATE KEY`): {0}")]
    PrivateKeyPkcs8(#[source] rsa::pkcs8::Error),
    #[error("not a PKCS#1 RSA private key (`BEGIN RSA PRIVATE KEY`): {0}")]
    PrivateKeyPkcs1(#[source] rsa::pkcs1::Error),
    #[error("not an RSA public key (`BEGIN PUBLIC KEY`): {0}")]
    PublicKeySpki(#[source] rsa::pkcs8::spki::Error),
    #[error("not a PKCS#1 RSA public key (`BEGIN RSA PUBLIC KEY`): {0}")]
    PublicKeyPkcs1(#[source] rsa::pkcs1::Error),
    #[error("not an X.509 certificate in PEM: {0}")]
    Certificate(#[source] der::Error),
    #[error("the certificate does not hold a usable RSA public key: {0}")]
    CertificateKey(#[source] rsa::pkcs8::spki::Error),
    #[error("cannot encode the certificate's public key: {0}")]
    CertificateEncoding(#[source] der::Error),
    #[error("the WeChat Pay public key id is empty")]
    EmptyKeyId,
}

/// RSA signing failed (in practice only with a broken key).
#[derive(Debug, thiserror::Error)]
#[error("SHA256withRSA signing failed: {0}")]
pub struct SigningError(#[source] pub rsa::Error);

/// The merchant's API private key (`apiclient_key.pem`). Its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct MerchantPrivateKey(PrivateKey);

impl fmt::Debug for MerchantPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MerchantPrivateKey(<redacted>)")
    }
}

impl MerchantPrivateKey {
    /// PKCS#8 (`BEGIN PRIVATE KEY`, what the merchant platform issues) or PKCS#1
    /// (`BEGIN RSA PRIVATE KEY`).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let key = if pem.contains("BEGIN RSA PRIVATE KEY") {
            PrivateKey::from_pkcs1_pem(pem).map_err(KeyError::PrivateKeyPkcs1)?
        } else {
            PrivateKey::from_pkcs8_pem(pem).map_err(KeyError::PrivateKeyPkcs8)?
        };
        Ok(MerchantPrivateKey(key))
    }

    /// Base64 of the PKCS#1 v1.5 SHA-256 signature of `message` (WeChat's "SHA256withRSA").
    pub fn sign_sha256(&self, message: &[u8]) -> Result<String, SigningError> {
        let signature = self
            .0
            .pkcs1v15_sign::<Sha256>(message)
            .map_err(SigningError)?;
        Ok(BASE64.encode(signature))
    }

    /// The public half, e.g. for a simulator or a test that checks our signatures.
    pub fn public_key(&self) -> PublicKey {
        self.0.to_public_key()
    }
}

/// True when `signature` is a valid SHA256withRSA signature of `message` under `key`.
pub(crate) fn verify_sha256(key: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
    key.pkcs1v15_verify::<Sha256>(message, signature).is_ok()
}

fn public_key_from_pem(pem: &str) -> Result<PublicKey, KeyError> {
    if pem.contains("BEGIN RSA PUBLIC KEY") {
        PublicKey::from_pkcs1_pem(pem).map_err(KeyError::PublicKeyPkcs1)
    } else {
        PublicKey::from_public_key_pem(pem).map_err(KeyError::PublicKeySpki)
    }
}

/// The WeChat Pay public key (`pub_key.pem`) with its id (`PUB_KEY_ID_…`), the newer way for
/// WeChat Pay to sign answers and notifications and for us to encrypt sensitive fields.
#[derive(Clone)]
pub struct WechatPayPublicKey {
    id: String,
    key: PublicKey,
}

impl fmt::Debug for WechatPayPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatPayPublicKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl WechatPayPublicKey {
    pub fn from_pem(id: impl Into<String>, pem: &str) -> Result<Self, KeyError> {
        let id = id.into().trim().to_owned();
        if id.is_empty() {
            return Err(KeyError::EmptyKeyId);
        }
        Ok(WechatPayPublicKey {
            id,
            key: public_key_from_pem(pem)?,
        })
    }

    /// The id WeChat Pay names in `Wechatpay-Serial` (`PUB_KEY_ID_…`).
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn key(&self) -> &PublicKey {
        &self.key
    }
}

/// A WeChat Pay platform certificate: its serial (upper-case hex, as WeChat writes it), key
/// and validity.
#[derive(Clone)]
pub struct PlatformCertificate {
    serial: String,
    key: PublicKey,
    not_before: i64,
    not_after: i64,
}

impl fmt::Debug for PlatformCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformCertificate")
            .field("serial", &self.serial)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl PlatformCertificate {
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let certificate = x509_cert::Certificate::from_pem(pem).map_err(KeyError::Certificate)?;
        let tbs = certificate.tbs_certificate();
        let spki_der = tbs
            .subject_public_key_info()
            .to_der()
            .map_err(KeyError::CertificateEncoding)?;
        let key = PublicKey::from_public_key_der(&spki_der).map_err(KeyError::CertificateKey)?;
        let validity = tbs.validity();
        Ok(PlatformCertificate {
            serial: serial_hex(tbs.serial_number().as_bytes()),
            key,
            not_before: unix_seconds(validity.not_before.to_unix_duration()),
            not_after: unix_seconds(validity.not_after.to_unix_duration()),
        })
    }

    /// Upper-case hex without leading zeros, as WeChat Pay writes it in `Wechatpay-Serial`.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// Unix seconds of `notBefore` and `notAfter`.
    pub fn validity(&self) -> (i64, i64) {
        (self.not_before, self.not_after)
    }

    pub fn is_valid_at(&self, unix_seconds: i64) -> bool {
        self.not_before <= unix_seconds && unix_seconds <= self.not_after
    }
}

fn unix_seconds(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

fn serial_hex(bytes: &[u8]) -> String {
    normalize_serial(&hex::encode_upper(bytes))
}

/// The one spelling of a certificate serial used for look-ups: upper case, no leading zeros
/// (Go's `%X` and Java's `BigInteger.toString(16)` both drop them).
pub fn normalize_serial(serial: &str) -> String {
    let upper = serial.trim().to_ascii_uppercase();
    let stripped = upper.trim_start_matches('0');
    if stripped.is_empty() && !upper.is_empty() {
        "0".to_owned()
    } else {
        stripped.to_owned()
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Public test keys of the official SDKs (see `testdata/README.md`).
    pub const GO_PRIVATE_KEY: &str = include_str!("../testdata/go_private_key.pem");
    pub const GO_PUBLIC_KEY: &str = include_str!("../testdata/go_public_key.pem");
    pub const GO_CERTIFICATE_F576: &str =
        include_str!("../testdata/go_certificate_F5765756002FDD77.pem");
    pub const GO_CERTIFICATE_D7CE: &str =
        include_str!("../testdata/go_certificate_D7CE59D1F522D701.pem");
    pub const JAVA_MERCHANT_PRIVATE_KEY: &str =
        include_str!("../testdata/java_merchant_private_key.pem");
    pub const JAVA_MERCHANT_CERTIFICATE: &str =
        include_str!("../testdata/java_merchant_certificate.pem");
    pub const JAVA_WECHAT_PAY_CERTIFICATE: &str =
        include_str!("../testdata/java_wechat_pay_certificate.pem");
    pub const JAVA_WECHAT_PAY_PUBLIC_KEY: &str =
        include_str!("../testdata/java_wechat_pay_public_key.pem");

    /// The signature of "source" with the go test key (wechatpay-go `utils/sign_test.go`).
    pub const GO_SIGNATURE_OF_SOURCE: &str = concat!(
        "BKyAfU4iMCuvXMXS0Wzam3V/cnxZ+JaqigPM5OhljS2iOT95OO6Fsuml2JkFANJU9K6q9bLlDhPXuoV",
        "z+pp4hAm6pHU4ld815U4jsKu1RkyaII+1CYBUYC8TK0XtJ8FwUXXz8vZHh58rrAVN1XwNyvD1vfpxrMT4SL536GLwvpUHlCqIMzoZUguLl",
        "i/K8V29QiOhuH6IEqLNJn8e9b3nwNcQ7be3CzYGpDAKBfDGPCqCv8Rw5zndhlffk2FEA70G4hvMwe51qMN/RAJbknXG23bSlObuTCN7Ndj",
        "1aJGH6/L+hdwfLpUtJm4QYVazzW7DFD27EpSQEqA8bX9+8m1rLg=="
    );
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn go_sign_test_vector_sha256_with_rsa_of_source() {
        // wechatpay-go utils/sign_test.go TestSha256WithRsa and
        // core/auth/signers/sha256withrsa_signer_test.go: PKCS#1 v1.5 is deterministic.
        let key = MerchantPrivateKey::from_pem(GO_PRIVATE_KEY).unwrap();
        assert_eq!(key.sign_sha256(b"source").unwrap(), GO_SIGNATURE_OF_SOURCE);
    }

    #[test]
    fn pkcs1_private_keys_load_too() {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let key = PrivateKey::from_pkcs8_pem(GO_PRIVATE_KEY).unwrap();
        let pkcs1 = key.to_pkcs1_pem(Default::default()).unwrap();
        let reloaded = MerchantPrivateKey::from_pem(&pkcs1).unwrap();
        assert_eq!(
            reloaded.sign_sha256(b"source").unwrap(),
            GO_SIGNATURE_OF_SOURCE
        );
    }

    #[test]
    fn garbage_is_refused_with_the_reason() {
        assert!(matches!(
            MerchantPrivateKey::from_pem("not a key"),
            Err(KeyError::PrivateKeyPkcs8(_))
        ));
        assert!(matches!(
            WechatPayPublicKey::from_pem(
                "PUB_KEY_ID_1",
                "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----"
            ),
            Err(KeyError::PublicKeySpki(_))
        ));
        assert!(matches!(
            WechatPayPublicKey::from_pem("  ", GO_PUBLIC_KEY),
            Err(KeyError::EmptyKeyId)
        ));
        assert!(matches!(
            PlatformCertificate::from_pem(GO_PUBLIC_KEY),
            Err(KeyError::Certificate(_))
        ));
    }

    #[test]
    fn certificates_give_serial_key_and_validity() {
        let certificate = PlatformCertificate::from_pem(GO_CERTIFICATE_F576).unwrap();
        assert_eq!(certificate.serial(), "F5765756002FDD77");
        // notBefore Apr 27 08:40:32 2021 GMT, notAfter Apr 25 08:40:32 2031 GMT.
        assert_eq!(certificate.validity(), (1_619_512_832, 1_934_872_832));
        assert!(certificate.is_valid_at(1_624_523_846));
        assert!(!certificate.is_valid_at(1_619_512_831));
        let public = WechatPayPublicKey::from_pem("F5765756002FDD77", GO_PUBLIC_KEY).unwrap();
        assert_eq!(certificate.key(), public.key());

        let java = PlatformCertificate::from_pem(JAVA_WECHAT_PAY_CERTIFICATE).unwrap();
        assert_eq!(java.serial(), "440024045C4A427599D09BB4E3DE0279F2E813FD");
        let java_key = WechatPayPublicKey::from_pem("PUB_KEY_ID_1", JAVA_WECHAT_PAY_PUBLIC_KEY);
        assert_eq!(java.key(), java_key.unwrap().key());
    }

    #[test]
    fn java_rsa_verifier_test_vector() {
        // wechatpay-java RSAVerifierTest: "message" signed with the merchant test key,
        // verified with the merchant certificate; WeChat Pay's public key must not accept it.
        let signature = BASE64
            .decode(concat!(
                "Rq+5ZpWV6IHTWE1+9gCrYJKguNgbItpMdlIA+PVCPCdUAKNlohZz7CL7Y8xWDIFJjdGnErMj6Z+Q/h9CF5MV+nAVkqDmBR0uP5pp",
                "sUEzco4ijvKHsvI2ro4boSW6vSfQs3W8I4QSI9a0/NFIgvj83Fv27LIYZf7deaFWmEwd1fpAeJRCyoKyBeJPdsjVx0//Lqe6",
                "Wze2zVdliLcBvaHCfpd8+rAVGS+FQDeWgHqJ7n/Zy09LmV1/ghs7pO1mdjdD16SHKlysAD3K5hNGUJX/SHrEXEcu1yO1AOb/",
                "YvOVkjNh8243rcfXNE5L4ph2XS11vS+2aToKYSOcKUagf0LLaw=="
            ))
            .unwrap();
        let merchant = PlatformCertificate::from_pem(JAVA_MERCHANT_CERTIFICATE).unwrap();
        assert_eq!(
            merchant.serial(),
            "5F1C72E2A8931B72A2E13AF8DEE92471EB397115"
        );
        assert!(verify_sha256(merchant.key(), b"message", &signature));
        let wechat = WechatPayPublicKey::from_pem("PUB", JAVA_WECHAT_PAY_PUBLIC_KEY).unwrap();
        assert!(!verify_sha256(wechat.key(), b"message", &signature));
        // And our own signature with the merchant key is that same deterministic one.
        let key = MerchantPrivateKey::from_pem(JAVA_MERCHANT_PRIVATE_KEY).unwrap();
        assert_eq!(
            key.sign_sha256(b"message").unwrap(),
            BASE64.encode(&signature)
        );
    }

    #[test]
    fn serials_normalise_case_and_leading_zeros() {
        assert_eq!(normalize_serial(" 00d7ce59d1f522d701 "), "D7CE59D1F522D701");
        assert_eq!(normalize_serial("000"), "0");
        assert_eq!(normalize_serial(""), "");
        assert_eq!(serial_hex(&[0x00, 0x0F, 0xAB]), "FAB");
    }

    #[test]
    fn debug_shows_no_key_material() {
        let key = MerchantPrivateKey::from_pem(GO_PRIVATE_KEY).unwrap();
        assert_eq!(format!("{key:?}"), "MerchantPrivateKey(<redacted>)");
    }
}
