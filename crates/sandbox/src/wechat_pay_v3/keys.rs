//! WeChat Pay's keys as the simulator holds them: the platform certificate's key (with the
//! self-signed certificate built at start), the WeChat Pay public key's key and id, and the
//! merchants' public keys that requests are verified with.
//!
//! The RSA keys are fixed test keys embedded as PEM: generating 2048-bit keys at every
//! start would cost seconds in debug builds. The certificate (serial, validity) is new at
//! every start.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rsa::pkcs1v15::{SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey, LineEnding};
use rsa::{PrivateKey, PublicKey};
use sha2::Sha256;

use super::certificate::{PlatformCertificate, build_platform_certificate};
use super::config::WechatPayV3SimConfig;

const PLATFORM_CERTIFICATE_KEY_PEM: &str = include_str!("keys/platform_certificate_key.pem");
const WECHATPAY_PUBLIC_KEY_PRIVATE_PEM: &str =
    include_str!("keys/wechatpay_public_key_private.pem");
/// The built-in sandbox merchant's private key (`apiclient_key.pem`), for runs without
/// credentials. A test key: public, never for real money.
pub(crate) const SANDBOX_MERCHANT_KEY_PEM: &str = include_str!("keys/sandbox_merchant_key.pem");
pub(crate) const SANDBOX_MERCHANT_PUBLIC_KEY_PEM: &str =
    include_str!("keys/sandbox_merchant_public_key.pem");
/// The serial of the sandbox merchant's API certificate (`serial_no` of its requests).
pub(crate) const SANDBOX_MERCHANT_SERIAL_NO: &str = "5A1D8E3C0F4B6A7D9E2C1B0A3F5E7D9C8B6A4E21";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("invalid embedded key: {0}")]
    Embedded(String),
    #[error("invalid public key of merchant certificate {serial_no}: {reason}")]
    Merchant { serial_no: String, reason: String },
    #[error("cannot build the platform certificate: {0}")]
    Certificate(String),
}

/// One WeChat Pay signing key and the serial that names it in `Wechatpay-Serial`.
pub(crate) struct SigningIdentity {
    pub serial: String,
    pub key: SigningKey<Sha256>,
}

pub(crate) struct SimKeys {
    pub platform: SigningIdentity,
    pub certificate: PlatformCertificate,
    pub public_key: SigningIdentity,
    /// The WeChat Pay public key as the merchant downloads it (SPKI PEM).
    pub public_key_pem: String,
    merchants: HashMap<String, VerifyingKey<Sha256>>,
}

fn private_key(pem: &str) -> Result<PrivateKey, KeyError> {
    PrivateKey::from_pkcs8_pem(pem).map_err(|error| KeyError::Embedded(error.to_string()))
}

impl SimKeys {
    pub(crate) fn load(
        config: &WechatPayV3SimConfig,
        now: DateTime<Utc>,
    ) -> Result<SimKeys, KeyError> {
        let platform_key = SigningKey::<Sha256>::new(private_key(PLATFORM_CERTIFICATE_KEY_PEM)?);
        let certificate = build_platform_certificate(&platform_key, now)
            .map_err(|error| KeyError::Certificate(error.to_string()))?;
        let public_key_private = private_key(WECHATPAY_PUBLIC_KEY_PRIVATE_PEM)?;
        let public_key_pem = PublicKey::from(&public_key_private)
            .to_public_key_pem(LineEnding::LF)
            .map_err(|error| KeyError::Embedded(error.to_string()))?;
        let mut merchants = HashMap::new();
        for merchant in config.merchant_keys_or_sandbox() {
            let key =
                PublicKey::from_public_key_pem(&merchant.public_key_pem).map_err(|error| {
                    KeyError::Merchant {
                        serial_no: merchant.serial_no.clone(),
                        reason: error.to_string(),
                    }
                })?;
            merchants.insert(merchant.serial_no, VerifyingKey::<Sha256>::new(key));
        }
        Ok(SimKeys {
            platform: SigningIdentity {
                serial: certificate.serial_no.clone(),
                key: platform_key,
            },
            certificate,
            public_key: SigningIdentity {
                serial: config.public_key_id.clone(),
                key: SigningKey::<Sha256>::new(public_key_private),
            },
            public_key_pem,
            merchants,
        })
    }

    /// The merchant key named by a request's `serial_no`.
    pub(crate) fn merchant(&self, serial_no: &str) -> Option<&VerifyingKey<Sha256>> {
        self.merchants.get(serial_no)
    }
}
