//! Settings of the API v3 client. `Debug` never prints a key.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::cipher::CipherError;
use crate::keys::KeyError;
use crate::model::wire_enum;

/// Where a PEM comes from: a file, or the PEM text itself (e.g. from an environment variable).
#[derive(Clone, PartialEq, Eq)]
pub enum KeySource {
    Path(PathBuf),
    Pem(String),
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Path(path) => f.debug_tuple("Path").field(path).finish(),
            KeySource::Pem(_) => f.write_str("Pem(<redacted>)"),
        }
    }
}

impl KeySource {
    pub(crate) fn read(&self, setting: &'static str) -> Result<String, ConfigError> {
        match self {
            KeySource::Path(path) => {
                std::fs::read_to_string(path).map_err(|source| ConfigError::ReadKey {
                    setting,
                    path: path.clone(),
                    source,
                })
            }
            KeySource::Pem(pem) => Ok(pem.clone()),
        }
    }
}

/// The WeChat Pay public key and its id (`PUB_KEY_ID_…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKeyConfig {
    pub id: String,
    pub pem: KeySource,
}

wire_enum! {
    /// Whether platform certificates are downloaded from `/v3/certificates` (`auto`) or not
    /// used at all (`off`, public-key mode only).
    pub enum PlatformCertificates {
        Auto => "auto",
        Off => "off",
    }
}

/// Everything the client needs to act as one merchant.
#[derive(Clone)]
pub struct WechatPayConfig {
    /// The mini-program / official account bound to the merchant (`appid`).
    pub app_id: String,
    pub mch_id: String,
    /// Serial of the merchant API certificate (`serial_no` of `Authorization`).
    pub merchant_serial_no: String,
    /// The merchant API private key (`apiclient_key.pem`).
    pub private_key: KeySource,
    /// The 32-byte APIv3 key set in the merchant platform.
    pub api_v3_key: String,
    /// WeChat Pay public key mode; may be set together with certificates during a switch-over.
    pub public_key: Option<PublicKeyConfig>,
    pub platform_certificates: PlatformCertificates,
    /// API base, default <https://api.mch.weixin.qq.com>; a simulator can stand in.
    pub base_url: String,
    /// Where WeChat Pay posts payment notifications (https, no query string).
    pub notify_url: String,
    /// Where WeChat Pay posts refund notifications; none means no refund notifications.
    pub refund_notify_url: Option<String>,
    /// Whole-request timeout; a timed-out call has an unknown outcome.
    pub timeout: Duration,
}

impl fmt::Debug for WechatPayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatPayConfig")
            .field("app_id", &self.app_id)
            .field("mch_id", &self.mch_id)
            .field("merchant_serial_no", &self.merchant_serial_no)
            .field("private_key", &self.private_key)
            .field("api_v3_key", &"<redacted>")
            .field("public_key", &self.public_key)
            .field("platform_certificates", &self.platform_certificates)
            .field("base_url", &self.base_url)
            .field("notify_url", &self.notify_url)
            .field("refund_notify_url", &self.refund_notify_url)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl WechatPayConfig {
    pub const DEFAULT_BASE_URL: &'static str = "https://api.mch.weixin.qq.com";
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// Certificate mode (`auto`) against the production API.
    pub fn new(
        app_id: impl Into<String>,
        mch_id: impl Into<String>,
        merchant_serial_no: impl Into<String>,
        private_key: KeySource,
        api_v3_key: impl Into<String>,
        notify_url: impl Into<String>,
    ) -> Self {
        WechatPayConfig {
            app_id: app_id.into(),
            mch_id: mch_id.into(),
            merchant_serial_no: merchant_serial_no.into(),
            private_key,
            api_v3_key: api_v3_key.into(),
            public_key: None,
            platform_certificates: PlatformCertificates::Auto,
            base_url: Self::DEFAULT_BASE_URL.to_owned(),
            notify_url: notify_url.into(),
            refund_notify_url: None,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    pub fn with_public_key(mut self, id: impl Into<String>, pem: KeySource) -> Self {
        self.public_key = Some(PublicKeyConfig { id: id.into(), pem });
        self
    }

    pub fn with_platform_certificates(mut self, mode: PlatformCertificates) -> Self {
        self.platform_certificates = mode;
        self
    }

    pub fn with_refund_notify_url(mut self, url: impl Into<String>) -> Self {
        self.refund_notify_url = Some(url.into());
        self
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// A setting that cannot work; [`ConfigError::setting`] names the field.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("WeChat Pay setting `{0}` is empty")]
    Missing(&'static str),
    #[error("WeChat Pay setting `{setting}`: cannot read {path:?}: {source}")]
    ReadKey {
        setting: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("WeChat Pay setting `{setting}`: {source}")]
    InvalidKey {
        setting: &'static str,
        #[source]
        source: KeyError,
    },
    #[error("WeChat Pay setting `api_v3_key`: {0}")]
    ApiV3Key(#[source] CipherError),
    #[error(
        "WeChat Pay setting `public_key`: platform certificates are off and no WeChat Pay public key is set, so no answer could be verified"
    )]
    NoVerificationKey,
    #[error("WeChat Pay setting `base_url`: {0}")]
    BaseUrl(#[source] url::ParseError),
    #[error("cannot build the HTTP client for WeChat Pay: {0}")]
    HttpClient(#[source] reqwest::Error),
}

impl ConfigError {
    /// The [`WechatPayConfig`] field at fault, so a host can name its own setting.
    pub fn setting(&self) -> &'static str {
        match self {
            ConfigError::Missing(setting)
            | ConfigError::ReadKey { setting, .. }
            | ConfigError::InvalidKey { setting, .. } => setting,
            ConfigError::ApiV3Key(_) => "api_v3_key",
            ConfigError::NoVerificationKey => "public_key",
            ConfigError::BaseUrl(_) => "base_url",
            ConfigError::HttpClient(_) => "http_client",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_no_secret() {
        let config = WechatPayConfig::new(
            "wx1",
            "1900000001",
            "5F1C72E2",
            KeySource::Pem("-----BEGIN PRIVATE KEY-----\nSECRETKEY\n".into()),
            "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb",
            "https://example.com/payment/notify/wechat",
        )
        .with_public_key("PUB_KEY_ID_1", KeySource::Path("/etc/pub_key.pem".into()));
        let printed = format!("{config:?}");
        assert!(!printed.contains("SECRETKEY"), "{printed}");
        assert!(
            !printed.contains("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"),
            "{printed}"
        );
        assert!(printed.contains("PUB_KEY_ID_1") && printed.contains("/etc/pub_key.pem"));
        assert_eq!(config.base_url, "https://api.mch.weixin.qq.com");
        assert_eq!(config.platform_certificates, PlatformCertificates::Auto);
    }

    #[test]
    fn certificate_modes_parse() {
        assert_eq!(
            "off".parse::<PlatformCertificates>(),
            Ok(PlatformCertificates::Off)
        );
        assert_eq!(
            "auto".parse::<PlatformCertificates>(),
            Ok(PlatformCertificates::Auto)
        );
        assert!("on".parse::<PlatformCertificates>().is_err());
    }

    #[test]
    fn an_unreadable_key_names_its_setting() {
        let error = KeySource::Path("/nonexistent/apiclient_key.pem".into())
            .read("private_key")
            .unwrap_err();
        assert_eq!(error.setting(), "private_key");
        assert!(error.to_string().contains("/nonexistent/apiclient_key.pem"));
    }
}
