//! The self-signed platform certificate, built at start: a new random serial every run
//! (WeChat's serials are 40 upper-case hex digits), valid five years from start, as the
//! real ones are.

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use der::EncodePem;
use der::pem::LineEnding;
use rand::Rng;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::Keypair;
use sha2::Sha256;
use x509_cert::builder::{Builder, CertificateBuilder, profile};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};

const SUBJECT: &str = "CN=WeChat Pay Sandbox Platform Certificate,O=elife sandbox,C=CN";
const LIFETIME: Duration = Duration::from_secs(5 * 365 * 24 * 3600);

#[derive(Debug, Clone)]
pub(crate) struct PlatformCertificate {
    /// Upper-case hex of the certificate serial number: the `Wechatpay-Serial` value.
    pub serial_no: String,
    pub pem: String,
    pub effective: DateTime<Utc>,
    pub expire: DateTime<Utc>,
}

/// 20 random bytes, the first one non-zero and below 0x80: a positive serial whose DER
/// encoding keeps all 20 bytes, so its hex form has exactly 40 digits.
fn random_serial() -> [u8; 20] {
    let mut rng = rand::rng();
    let mut bytes = [0u8; 20];
    rng.fill(&mut bytes[..]);
    bytes[0] = rng.random_range(0x10..0x80);
    bytes
}

pub(crate) fn build_platform_certificate(
    key: &SigningKey<Sha256>,
    now: DateTime<Utc>,
) -> Result<PlatformCertificate, String> {
    let text = |error: &dyn std::fmt::Display| error.to_string();
    // Whole seconds: X.509 times have no fractions, and the listing must match the file.
    let effective = DateTime::<Utc>::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let not_before = SystemTime::UNIX_EPOCH
        + Duration::from_secs(u64::try_from(effective.timestamp()).map_err(|e| text(&e))?);
    let not_after = not_before + LIFETIME;
    let validity = Validity::new(
        Time::try_from(not_before).map_err(|e| text(&e))?,
        Time::try_from(not_after).map_err(|e| text(&e))?,
    );
    let serial = random_serial();
    let subject = Name::from_str(SUBJECT).map_err(|e| text(&e))?;
    let profile = profile::cabf::Root::new(false, subject).map_err(|e| text(&e))?;
    let public_key =
        SubjectPublicKeyInfoOwned::from_key(&key.verifying_key()).map_err(|e| text(&e))?;
    let builder = CertificateBuilder::new(
        profile,
        SerialNumber::new(&serial).map_err(|e| text(&e))?,
        validity,
        public_key,
    )
    .map_err(|e| text(&e))?;
    let certificate = builder
        .build::<_, rsa::pkcs1v15::Signature>(key)
        .map_err(|e| text(&e))?;
    let pem = certificate.to_pem(LineEnding::LF).map_err(|e| text(&e))?;
    let expire = effective + chrono::Duration::from_std(LIFETIME).map_err(|e| text(&e))?;
    Ok(PlatformCertificate {
        serial_no: hex::encode_upper(serial),
        pem,
        effective,
        expire,
    })
}
