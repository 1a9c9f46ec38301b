//! Encryption: AEAD_AES_256_GCM with the APIv3 key (notification `resource`, downloaded
//! certificates) and RSA-OAEP for sensitive fields sent to WeChat Pay.

use std::fmt;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rsa::PublicKey;
use serde::{Deserialize, Serialize};
use sha1::Sha1;

/// The only `algorithm` WeChat Pay uses for `resource` and `encrypt_certificate`.
pub const AEAD_AES_256_GCM: &str = "AEAD_AES_256_GCM";
const API_V3_KEY_LENGTH: usize = 32;
const GCM_NONCE_LENGTH: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    #[error("the APIv3 key must be {API_V3_KEY_LENGTH} bytes, got {0}")]
    ApiV3KeyLength(usize),
    #[error("unsupported encryption algorithm `{0}` (expected {AEAD_AES_256_GCM})")]
    UnsupportedAlgorithm(String),
    #[error("the AES-GCM nonce must be {GCM_NONCE_LENGTH} bytes, got {0}")]
    NonceLength(usize),
    #[error("the ciphertext is not base64: {0}")]
    Base64(#[source] base64::DecodeError),
    /// Wrong APIv3 key, or ciphertext / nonce / associated data altered.
    #[error("AES-GCM authentication failed (wrong APIv3 key or altered ciphertext)")]
    Authentication,
    #[error("RSA-OAEP encryption failed: {0}")]
    Oaep(#[source] rsa::Error),
}

/// The merchant's APIv3 key (32 bytes, set in the merchant platform). `Debug` hides it.
#[derive(Clone)]
pub struct ApiV3Key([u8; API_V3_KEY_LENGTH]);

impl fmt::Debug for ApiV3Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiV3Key(<redacted>)")
    }
}

impl ApiV3Key {
    pub fn new(key: &str) -> Result<Self, CipherError> {
        let bytes: [u8; API_V3_KEY_LENGTH] = key
            .as_bytes()
            .try_into()
            .map_err(|_| CipherError::ApiV3KeyLength(key.len()))?;
        Ok(ApiV3Key(bytes))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&self.0.into())
    }

    /// Opens `ciphertext` (base64 of ciphertext‖16-byte tag).
    pub fn decrypt(
        &self,
        associated_data: &[u8],
        nonce: &[u8],
        ciphertext: &str,
    ) -> Result<Vec<u8>, CipherError> {
        open(&self.cipher(), associated_data, nonce, ciphertext)
    }

    /// Opens an encrypted `resource` / `encrypt_certificate` object.
    pub fn decrypt_resource(&self, resource: &EncryptedResource) -> Result<Vec<u8>, CipherError> {
        if resource.algorithm != AEAD_AES_256_GCM {
            return Err(CipherError::UnsupportedAlgorithm(
                resource.algorithm.clone(),
            ));
        }
        self.decrypt(
            resource.associated_data.as_deref().unwrap_or("").as_bytes(),
            resource.nonce.as_bytes(),
            &resource.ciphertext,
        )
    }

    /// Seals `plaintext` as WeChat Pay does (base64 of ciphertext‖tag). A merchant never
    /// needs it against WeChat; simulators and tests do.
    pub fn encrypt(
        &self,
        associated_data: &[u8],
        nonce: &[u8],
        plaintext: &[u8],
    ) -> Result<String, CipherError> {
        let nonce = gcm_nonce(nonce)?;
        let sealed = self
            .cipher()
            .encrypt(
                nonce,
                Payload {
                    msg: plaintext,
                    aad: associated_data,
                },
            )
            .map_err(|_| CipherError::Authentication)?;
        Ok(BASE64.encode(sealed))
    }
}

fn gcm_nonce(nonce: &[u8]) -> Result<&Nonce<aes_gcm::aead::consts::U12>, CipherError> {
    <&Nonce<aes_gcm::aead::consts::U12>>::try_from(nonce)
        .map_err(|_| CipherError::NonceLength(nonce.len()))
}

/// The framing shared by every key size: base64, 12-byte nonce, associated data. Generic so
/// that the SDKs' AES-128 vectors exercise it in tests; production only builds AES-256.
fn open<C>(
    cipher: &C,
    associated_data: &[u8],
    nonce: &[u8],
    ciphertext: &str,
) -> Result<Vec<u8>, CipherError>
where
    C: Aead + AeadCore<NonceSize = aes_gcm::aead::consts::U12>,
{
    let nonce = gcm_nonce(nonce)?;
    let sealed = BASE64.decode(ciphertext).map_err(CipherError::Base64)?;
    cipher
        .decrypt(
            nonce,
            Payload {
                msg: &sealed,
                aad: associated_data,
            },
        )
        .map_err(|_| CipherError::Authentication)
}

/// An encrypted object as WeChat Pay sends it (`resource` of a notification,
/// `encrypt_certificate` of `/v3/certificates`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedResource {
    pub algorithm: String,
    pub ciphertext: String,
    /// May be absent or empty.
    #[serde(default)]
    pub associated_data: Option<String>,
    pub nonce: String,
    /// `transaction`, `refund`, `certificate`...; absent on certificates.
    #[serde(default)]
    pub original_type: Option<String>,
}

/// Base64 of RSAES-OAEP with SHA-1 and MGF1-SHA-1 ("RSA/ECB/OAEPWithSHA-1AndMGF1Padding"),
/// the scheme WeChat Pay requires for sensitive request fields.
pub fn encrypt_sensitive(key: &PublicKey, plaintext: &str) -> Result<String, CipherError> {
    let ciphertext = key
        .oaep_encrypt::<Sha1>(plaintext.as_bytes())
        .map_err(CipherError::Oaep)?;
    Ok(BASE64.encode(ciphertext))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::fixtures::{
        GO_PRIVATE_KEY, GO_PUBLIC_KEY, JAVA_MERCHANT_CERTIFICATE, JAVA_MERCHANT_PRIVATE_KEY,
    };
    use crate::keys::{PlatformCertificate, WechatPayPublicKey};
    use aes_gcm::Aes128Gcm;
    use rsa::PrivateKey;
    use rsa::pkcs8::DecodePrivateKey;

    /// wechatpay-java core/model/TestConfig.java `API_V3_KEY`.
    const JAVA_API_V3_KEY: &str = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";

    #[test]
    fn java_aead_aes_cipher_vectors() {
        // wechatpay-java cipher/AeadAesCipherTest.java (AES-256).
        let key = ApiV3Key::new(JAVA_API_V3_KEY).unwrap();
        let sealed = key
            .encrypt(b"associatedData", b"uluk4a9R25RW", b"message")
            .unwrap();
        assert_eq!(sealed, "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=");
        assert_eq!(
            key.decrypt(b"associatedData", b"uluk4a9R25RW", &sealed)
                .unwrap(),
            b"message"
        );
        assert!(matches!(
            key.decrypt(b"bad-associatedData", b"uluk4a9R25RW", &sealed),
            Err(CipherError::Authentication)
        ));
        assert!(matches!(
            key.decrypt(b"associatedData", b"bad-4a9R25RW", &sealed),
            Err(CipherError::Authentication)
        ));
        assert!(matches!(
            key.decrypt(
                b"associatedData",
                b"uluk4a9R25RW",
                &BASE64.encode([0u8; 128])
            ),
            Err(CipherError::Authentication)
        ));
    }

    #[test]
    fn go_aes_vectors_use_16_byte_keys_checked_through_the_same_framing() {
        // wechatpay-go utils/aes_test.go: its APIv3 key "testAPIv3Key0000" is 16 bytes, so Go
        // picks AES-128. WeChat's key is 32 bytes and ApiV3Key refuses anything else; the
        // vector still checks our base64 / nonce / associated-data framing with AES-128.
        assert!(matches!(
            ApiV3Key::new("testAPIv3Key0000"),
            Err(CipherError::ApiV3KeyLength(16))
        ));
        let aes128 = Aes128Gcm::new_from_slice(b"testAPIv3Key0000").unwrap();
        let aad = b"Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8";
        let nonce = b"wCq51qZv4Yfg";
        assert_eq!(
            open(&aes128, aad, nonce, "FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC").unwrap(),
            b"Hello World"
        );
        assert!(matches!(
            open(&aes128, aad, nonce, "invalid cipher"),
            Err(CipherError::Base64(_))
        ));
        assert!(matches!(
            open(&aes128, aad, nonce, "SGVsbG8gV29ybGQK"),
            Err(CipherError::Authentication)
        ));
        let wrong = Aes128Gcm::new_from_slice(b"testAPIv3Key1111").unwrap();
        assert!(matches!(
            open(&wrong, aad, nonce, "FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC"),
            Err(CipherError::Authentication)
        ));
        assert!(matches!(
            ApiV3Key::new("not a aes key"),
            Err(CipherError::ApiV3KeyLength(13))
        ));
    }

    #[test]
    fn resources_name_their_algorithm_and_nonce_length_is_checked() {
        let key = ApiV3Key::new(JAVA_API_V3_KEY).unwrap();
        let mut resource = EncryptedResource {
            algorithm: "AEAD_SM4_GCM".into(),
            ciphertext: "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=".into(),
            associated_data: Some("associatedData".into()),
            nonce: "uluk4a9R25RW".into(),
            original_type: None,
        };
        assert!(matches!(
            key.decrypt_resource(&resource),
            Err(CipherError::UnsupportedAlgorithm(name)) if name == "AEAD_SM4_GCM"
        ));
        resource.algorithm = AEAD_AES_256_GCM.into();
        assert_eq!(key.decrypt_resource(&resource).unwrap(), b"message");
        resource.nonce = "short".into();
        assert!(matches!(
            key.decrypt_resource(&resource),
            Err(CipherError::NonceLength(5))
        ));
    }

    #[test]
    fn empty_associated_data_may_be_absent() {
        let key = ApiV3Key::new(JAVA_API_V3_KEY).unwrap();
        let sealed = key.encrypt(b"", b"0123456789ab", b"{}").unwrap();
        let resource = EncryptedResource {
            algorithm: AEAD_AES_256_GCM.into(),
            ciphertext: sealed,
            associated_data: None,
            nonce: "0123456789ab".into(),
            original_type: None,
        };
        assert_eq!(key.decrypt_resource(&resource).unwrap(), b"{}");
    }

    #[test]
    fn oaep_is_sha1_as_the_sdks_decrypt_it() {
        // wechatpay-go core/cipher/decryptors/wechat_pay_decryptor_test.go and wechatpay-java
        // RSAPrivacyDecryptorTest: ciphertexts made by the SDKs open with OAEP-SHA1, which
        // pins the padding our encryption must use.
        let go_key = PrivateKey::from_pkcs8_pem(GO_PRIVATE_KEY).unwrap();
        let go_ciphertext = concat!(
            "k/ASStqPXJikowOxiCddi8QeBhMcpLV4bjVqvNM9jnoqt1MPvbKSAmaEgYhIP07KUC8suaTCKw6IWsng/BIR2wLicf",
            "m1m7mPSosC3xnMb2tU0uA/DQTggN+e0G/akhIZ7d9gL6dj56BYkcy/RgTGHvs9ybIoD6dgCWL/pApgZRnowhKU2ZY1bQbBpudyiWmfB",
            "E6kZ+zISN8eb9tNOGucOTkkqz7C0BgGkkUAtu/qVUMo9t/597tGUde7uqVSdrV68XA4FTk9Jxjb3mXSB1u+huX99pY/ku/8evvtR/rh",
            "tebQNzHmghiFtEDpPQKwdf3m1akilb3Eum/MvV0Ouxn2dg=="
        );
        let opened = go_key
            .oaep_decrypt::<Sha1>(&BASE64.decode(go_ciphertext).unwrap())
            .unwrap();
        assert_eq!(opened, b"hello world");

        let java_key = PrivateKey::from_pkcs8_pem(JAVA_MERCHANT_PRIVATE_KEY).unwrap();
        let java_ciphertext = concat!(
            "Qqsluo7R1IZyAqdkm/jBzwXDP5VndCwwFbRA+yILFTYciZzrRChQIQ7SKuI2k3YSR5auB3Zsp",
            "djR1WPB3PTCKe6BCFx3NnaPWhSwonYTmW8ZseXjkbcYSbKL5O/6dr6Zftg3t2A2FUd97acjM1fr2EIvIvRieQ3Hl8qVkDBY9520wm1rz",
            "vePUnxQWN70RZiBcqr7O7Gb0gU3l7FkvoUFSbY44HgDJetmVow3yGIV3Tcd45o2MNQ+5F1qvjIjb3/6dkGKce4/kNTYraUMO6o6kfFXl",
            "fg+bFRIiz8hiUpbToWdu7g0R5Hq0/YIE5vw/5Ms4gbk2HIQIfOLkY8sEPjYHA=="
        );
        let opened = java_key
            .oaep_decrypt::<Sha1>(&BASE64.decode(java_ciphertext).unwrap())
            .unwrap();
        assert_eq!(opened, b"plaintext");

        // Ours opens the same way, with both kinds of WeChat Pay key.
        let public = WechatPayPublicKey::from_pem("PUB_KEY_ID_go", GO_PUBLIC_KEY).unwrap();
        let sealed = encrypt_sensitive(public.key(), "张三").unwrap();
        let opened = go_key.oaep_decrypt::<Sha1>(&BASE64.decode(&sealed).unwrap());
        assert_eq!(opened.unwrap(), "张三".as_bytes());
        let certificate = PlatformCertificate::from_pem(JAVA_MERCHANT_CERTIFICATE).unwrap();
        let sealed = encrypt_sensitive(certificate.key(), "plaintext").unwrap();
        let opened = java_key.oaep_decrypt::<Sha1>(&BASE64.decode(&sealed).unwrap());
        assert_eq!(opened.unwrap(), b"plaintext");
    }

    #[test]
    fn oaep_refuses_plaintext_longer_than_the_key_allows() {
        // wechatpay-java RSAPrivacyEncryptorTest: 256 - (2 * 20 + 2) + 1 bytes is too long.
        let public = WechatPayPublicKey::from_pem("PUB_KEY_ID_go", GO_PUBLIC_KEY).unwrap();
        let too_long = "a".repeat(256 - (2 * 20 + 2) + 1);
        assert!(matches!(
            encrypt_sensitive(public.key(), &too_long),
            Err(CipherError::Oaep(_))
        ));
        assert!(encrypt_sensitive(public.key(), &too_long[1..]).is_ok());
    }

    #[test]
    fn debug_hides_the_key() {
        let key = ApiV3Key::new(JAVA_API_V3_KEY).unwrap();
        assert_eq!(format!("{key:?}"), "ApiV3Key(<redacted>)");
    }
}
