//! `PAY_CHANNEL` and the direct WeChat Pay API v3 channel's settings (the names of the
//! seed's payment system). With `PAY_CHANNEL=cloud` (the default) nothing here is read
//! but the channel: the Cloud Hosting channel keeps its own settings, untouched.
//!
//! Keys are read and parsed here, so that a bad one stops the start with the variable's
//! name; secrets are `SecretString` (redacted in `Debug`).

use std::path::PathBuf;

use elife_wechatpay::{ApiV3Key, MerchantPrivateKey, PlatformCertificates, WechatPayPublicKey};
use secrecy::{ExposeSecret, SecretString};

use super::{ConfigError, Environment, invalid};

/// `PAY_CHANNEL`: which WeChat Pay API takes the money (the payments core's own names).
pub use elife_domain::payments::PayChannel;

/// The merchant API private key, as PEM text, and the variable it came from.
#[derive(Debug, Clone)]
pub struct MerchantKeySetting {
    /// `WECHAT_PAY_PRIVATE_KEY_PATH` or `WECHAT_PAY_PRIVATE_KEY`, for error messages.
    pub setting: &'static str,
    pub pem: SecretString,
}

/// The WeChat Pay public key (`WECHAT_PAY_PUBLIC_KEY_PATH` + `WECHAT_PAY_PUBLIC_KEY_ID`).
#[derive(Debug, Clone)]
pub struct PublicKeySetting {
    pub id: String,
    pub path: PathBuf,
    pub pem: String,
}

/// The API v3 merchant. Empty or `None` means not configured: the sandbox stands in for it
/// (development), or the start is refused (production, or `SANDBOX=off`).
#[derive(Debug, Clone)]
pub struct WechatPayV3Settings {
    /// `WECHAT_PAY_API_URL`, default <https://api.mch.weixin.qq.com>.
    pub api_url: String,
    pub app_id: String,
    pub mch_id: String,
    /// Serial of the merchant API certificate.
    pub serial_no: String,
    pub private_key: Option<MerchantKeySetting>,
    /// 32 bytes, checked.
    pub apiv3_key: Option<SecretString>,
    pub public_key: Option<PublicKeySetting>,
    pub platform_certificates: PlatformCertificates,
    pub notify_url: Option<String>,
    /// Default: `WECHAT_PAY_NOTIFY_URL` + `/refund` when that is our `/payment/notify/wechat`.
    pub refund_notify_url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct WechatPaySettings {
    pub channel: PayChannel,
    /// `Some` exactly when `channel` is `V3`.
    pub v3: Option<WechatPayV3Settings>,
}

const NOTIFY_PATH: &str = "/payment/notify/wechat";

impl WechatPaySettings {
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let channel = match get("PAY_CHANNEL") {
            None => PayChannel::Cloud,
            Some(raw) => raw
                .to_ascii_lowercase()
                .parse::<PayChannel>()
                .map_err(|error| {
                    invalid("PAY_CHANNEL", format!("expected cloud or v3: {error}"))
                })?,
        };
        let v3 = match channel {
            PayChannel::Cloud => None,
            PayChannel::V3 => Some(WechatPayV3Settings::from_lookup(get)?),
        };
        Ok(WechatPaySettings { channel, v3 })
    }

    /// Base of Cloud Hosting's pay API: `WECHAT_PAY_API_URL` belongs to the selected
    /// channel, so with `v3` Cloud Hosting keeps its default.
    pub fn cloud_api_url(&self, get: &impl Fn(&str) -> Option<String>) -> String {
        match self.channel {
            PayChannel::Cloud => get("WECHAT_PAY_API_URL"),
            PayChannel::V3 => None,
        }
        .unwrap_or_else(|| elife_wechat::CloudPayConfig::DEFAULT_BASE_URL.to_owned())
    }

    /// The first v3 credential that is not set (none with `cloud`).
    pub fn missing_credential(&self) -> Option<&'static str> {
        self.v3.as_ref().and_then(WechatPayV3Settings::missing)
    }

    /// Rules that hold once the sandbox is decided: a real v3 merchant needs its notify URL
    /// (https in production) and a key to verify WeChat Pay with.
    pub fn validate(&self, environment: Environment, sandboxed: bool) -> Result<(), ConfigError> {
        let Some(v3) = &self.v3 else {
            return Ok(());
        };
        if sandboxed {
            return Ok(());
        }
        if let Some(name) = v3.missing() {
            return Err(missing(
                environment,
                name,
                "PAY_CHANNEL=v3 needs the merchant's credentials",
            ));
        }
        let Some(notify_url) = &v3.notify_url else {
            return Err(missing(
                environment,
                "WECHAT_PAY_NOTIFY_URL",
                "WeChat Pay API v3 posts payment notifications there",
            ));
        };
        for (name, url) in [
            ("WECHAT_PAY_NOTIFY_URL", Some(notify_url)),
            (
                "WECHAT_PAY_REFUND_NOTIFY_URL",
                v3.refund_notify_url.as_ref(),
            ),
        ] {
            let Some(url) = url else { continue };
            let parsed =
                url::Url::parse(url).map_err(|error| invalid(name, format!("{url:?}: {error}")))?;
            if parsed.query().is_some() {
                return Err(invalid(
                    name,
                    "WeChat Pay refuses notify URLs with a query string".to_owned(),
                ));
            }
            if environment.is_production() && parsed.scheme() != "https" {
                return Err(invalid(
                    name,
                    "WeChat Pay posts notifications to https URLs only".to_owned(),
                ));
            }
        }
        if v3.platform_certificates == PlatformCertificates::Off && v3.public_key.is_none() {
            return Err(invalid(
                "WECHAT_PAY_PUBLIC_KEY_PATH",
                "WECHAT_PAY_PLATFORM_CERTS=off needs the WeChat Pay public key, or nothing could be verified"
                    .to_owned(),
            ));
        }
        Ok(())
    }
}

fn missing(environment: Environment, name: &'static str, why: &str) -> ConfigError {
    if environment.is_production() {
        ConfigError::MissingInProduction {
            name,
            why: why.to_owned(),
        }
    } else {
        invalid(
            name,
            format!("must be set: {why} (or leave the credentials out to use the sandbox)"),
        )
    }
}

impl WechatPayV3Settings {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let platform_certificates = match get("WECHAT_PAY_PLATFORM_CERTS") {
            None => PlatformCertificates::Auto,
            Some(raw) => raw.to_ascii_lowercase().parse().map_err(|_| {
                invalid(
                    "WECHAT_PAY_PLATFORM_CERTS",
                    format!("expected auto or off, got {raw:?}"),
                )
            })?,
        };
        let apiv3_key = match get("WECHAT_PAY_APIV3_KEY") {
            None => None,
            Some(key) => {
                // The message says the length, never the key.
                ApiV3Key::new(&key)
                    .map_err(|error| invalid("WECHAT_PAY_APIV3_KEY", error.to_string()))?;
                Some(SecretString::from(key))
            }
        };
        let notify_url = get("WECHAT_PAY_NOTIFY_URL");
        let refund_notify_url = get("WECHAT_PAY_REFUND_NOTIFY_URL").or_else(|| {
            notify_url
                .as_deref()
                .filter(|url| url.trim_end_matches('/').ends_with(NOTIFY_PATH))
                .map(|url| format!("{}/refund", url.trim_end_matches('/')))
        });
        Ok(WechatPayV3Settings {
            api_url: get("WECHAT_PAY_API_URL")
                .unwrap_or_else(|| elife_wechatpay::WechatPayConfig::DEFAULT_BASE_URL.to_owned()),
            app_id: get("WECHAT_PAY_APP_ID").unwrap_or_default(),
            mch_id: get("WECHAT_PAY_MCH_ID").unwrap_or_default(),
            serial_no: get("WECHAT_PAY_SERIAL_NO").unwrap_or_default(),
            private_key: private_key(get)?,
            apiv3_key,
            public_key: public_key(get)?,
            platform_certificates,
            notify_url,
            refund_notify_url,
        })
    }

    /// The first credential not set, by its variable.
    fn missing(&self) -> Option<&'static str> {
        [
            ("WECHAT_PAY_APP_ID", self.app_id.is_empty()),
            ("WECHAT_PAY_MCH_ID", self.mch_id.is_empty()),
            ("WECHAT_PAY_SERIAL_NO", self.serial_no.is_empty()),
            ("WECHAT_PAY_PRIVATE_KEY_PATH", self.private_key.is_none()),
            ("WECHAT_PAY_APIV3_KEY", self.apiv3_key.is_none()),
        ]
        .into_iter()
        .find(|(_, missing)| *missing)
        .map(|(name, _)| name)
    }

    /// The APIv3 key's text, for the client (checked at parse time).
    pub fn apiv3_key(&self) -> Option<&str> {
        self.apiv3_key.as_ref().map(ExposeSecret::expose_secret)
    }
}

/// `WECHAT_PAY_PRIVATE_KEY_PATH` (a file) or `WECHAT_PAY_PRIVATE_KEY` (the PEM itself),
/// read and parsed now. Errors name the variable, never the key.
fn private_key(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<MerchantKeySetting>, ConfigError> {
    let (setting, pem) = match (
        get("WECHAT_PAY_PRIVATE_KEY_PATH"),
        get("WECHAT_PAY_PRIVATE_KEY"),
    ) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(invalid(
                "WECHAT_PAY_PRIVATE_KEY",
                "set WECHAT_PAY_PRIVATE_KEY_PATH or WECHAT_PAY_PRIVATE_KEY, not both".to_owned(),
            ));
        }
        (Some(path), None) => (
            "WECHAT_PAY_PRIVATE_KEY_PATH",
            std::fs::read_to_string(&path).map_err(|error| {
                invalid(
                    "WECHAT_PAY_PRIVATE_KEY_PATH",
                    format!("cannot read {path:?}: {error}"),
                )
            })?,
        ),
        // Environment variables often carry PEM line breaks as `\n`.
        (None, Some(inline)) => ("WECHAT_PAY_PRIVATE_KEY", inline.replace("\\n", "\n")),
    };
    MerchantPrivateKey::from_pem(&pem).map_err(|error| invalid(setting, error.to_string()))?;
    Ok(Some(MerchantKeySetting {
        setting,
        pem: SecretString::from(pem),
    }))
}

fn public_key(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<PublicKeySetting>, ConfigError> {
    let (path, id) = match (
        get("WECHAT_PAY_PUBLIC_KEY_PATH"),
        get("WECHAT_PAY_PUBLIC_KEY_ID"),
    ) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(invalid(
                "WECHAT_PAY_PUBLIC_KEY_ID",
                "must be set with WECHAT_PAY_PUBLIC_KEY_PATH".to_owned(),
            ));
        }
        (None, Some(_)) => {
            return Err(invalid(
                "WECHAT_PAY_PUBLIC_KEY_PATH",
                "must be set with WECHAT_PAY_PUBLIC_KEY_ID".to_owned(),
            ));
        }
        (Some(path), Some(id)) => (path, id),
    };
    if !id.starts_with("PUB_KEY_ID_") {
        return Err(invalid(
            "WECHAT_PAY_PUBLIC_KEY_ID",
            format!("{id:?} is not a WeChat Pay public key id (PUB_KEY_ID_…)"),
        ));
    }
    let pem = std::fs::read_to_string(&path).map_err(|error| {
        invalid(
            "WECHAT_PAY_PUBLIC_KEY_PATH",
            format!("cannot read {path:?}: {error}"),
        )
    })?;
    WechatPayPublicKey::from_pem(&id, &pem)
        .map_err(|error| invalid("WECHAT_PAY_PUBLIC_KEY_PATH", error.to_string()))?;
    Ok(Some(PublicKeySetting {
        id,
        path: PathBuf::from(path),
        pem,
    }))
}

#[cfg(test)]
#[path = "wechat_pay_tests.rs"]
mod tests;
