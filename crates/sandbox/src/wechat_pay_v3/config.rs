//! Settings of the v3 simulator: fixed ones at start, and the ones tests change while it
//! runs (`POST /sandbox/v3/config`): which key signs, how fast time runs for retries, how
//! long refunds take.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::keys::{SANDBOX_MERCHANT_PUBLIC_KEY_PEM, SANDBOX_MERCHANT_SERIAL_NO};

/// Which WeChat Pay key signs answers and notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SigningMode {
    /// The platform certificate's key; `Wechatpay-Serial` is the certificate serial.
    Certificate,
    /// The WeChat Pay public key's key; `Wechatpay-Serial` is `PUB_KEY_ID_...`.
    PublicKey,
    /// The switch-over: answers alternate between the two keys, one key per answer.
    Both,
}

impl SigningMode {
    pub const ALL: [SigningMode; 3] = [
        SigningMode::Certificate,
        SigningMode::PublicKey,
        SigningMode::Both,
    ];
}

/// A merchant API certificate the simulator accepts request signatures from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantKey {
    /// The merchant certificate's serial, as the request's `serial_no`.
    pub serial_no: String,
    /// Its public key, SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub public_key_pem: String,
}

#[derive(Debug, Clone)]
pub struct WechatPayV3SimConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The appid bound to the merchant (`appid` of orders must match).
    pub appid: String,
    /// The direct merchant's number.
    pub mchid: String,
    /// The APIv3 key (32 ASCII bytes): encrypts notification resources and certificates.
    pub apiv3_key: String,
    /// Merchant certificates whose signatures are accepted. `None` accepts only the
    /// built-in sandbox merchant ([`super::sandbox_merchant_private_key_pem`]).
    pub merchant_keys: Option<Vec<MerchantKey>>,
    /// Id of the WeChat Pay public key, `PUB_KEY_ID_` followed by digits.
    pub public_key_id: String,
    pub signing: SigningMode,
    /// Multiplies the official notification retry schedule (15 s, 15 s, 30 s, 3 min, ...):
    /// 1.0 is real time, 0.001 turns 15 s into 15 ms.
    pub time_factor: f64,
    /// A refund stays PROCESSING this long, then succeeds and is notified. `None` keeps it
    /// PROCESSING until a test forces its status.
    pub refund_delay: Option<Duration>,
    /// How long one notification attempt may take (WeChat waits 5 s for the answer).
    pub notify_timeout: Duration,
    /// Request timestamps further off than this are refused (and old-timestamp faults are
    /// older than this).
    pub max_clock_skew: Duration,
}

impl Default for WechatPayV3SimConfig {
    fn default() -> Self {
        WechatPayV3SimConfig {
            port: 0,
            appid: "wxd2565e6a04246fd1".to_owned(),
            mchid: "1900009191".to_owned(),
            apiv3_key: "SandboxApiV3Key0123456789abcdefg".to_owned(),
            merchant_keys: None,
            public_key_id: "PUB_KEY_ID_0119000091912025110100000000".to_owned(),
            signing: SigningMode::Certificate,
            time_factor: 1.0,
            refund_delay: Some(Duration::from_secs(1)),
            notify_timeout: Duration::from_secs(5),
            max_clock_skew: Duration::from_secs(300),
        }
    }
}

impl WechatPayV3SimConfig {
    /// The merchant keys accepted, the built-in sandbox merchant when none are given.
    pub(crate) fn merchant_keys_or_sandbox(&self) -> Vec<MerchantKey> {
        self.merchant_keys.clone().unwrap_or_else(|| {
            vec![MerchantKey {
                serial_no: SANDBOX_MERCHANT_SERIAL_NO.to_owned(),
                public_key_pem: SANDBOX_MERCHANT_PUBLIC_KEY_PEM.to_owned(),
            }]
        })
    }
}

/// The settings that can change at run time.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RuntimeConfig {
    pub signing: SigningMode,
    pub time_factor: f64,
    pub refund_delay_ms: Option<u64>,
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl RuntimeConfig {
    pub(crate) fn from_config(config: &WechatPayV3SimConfig) -> Self {
        RuntimeConfig {
            signing: config.signing,
            time_factor: config.time_factor,
            refund_delay_ms: config.refund_delay.map(millis),
        }
    }

    pub(crate) fn apply(&mut self, update: V3ConfigUpdate) -> Result<(), String> {
        if let Some(factor) = update.time_factor
            && !(factor.is_finite() && factor >= 0.0)
        {
            return Err(format!(
                "time_factor must be a finite number >= 0, not {factor}"
            ));
        }
        if let Some(signing) = update.signing {
            self.signing = signing;
        }
        if let Some(factor) = update.time_factor {
            self.time_factor = factor;
        }
        if let Some(delay) = update.refund_delay_ms {
            self.refund_delay_ms = delay;
        }
        Ok(())
    }

    /// An official delay compressed by the time factor.
    pub(crate) fn scaled(&self, official: Duration) -> Duration {
        Duration::try_from_secs_f64(official.as_secs_f64() * self.time_factor)
            .unwrap_or(Duration::MAX)
    }
}

/// Body of `POST /sandbox/v3/config`: only the given fields change. `refund_delay_ms: null`
/// makes refunds wait for a forced status.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct V3ConfigUpdate {
    pub signing: Option<SigningMode>,
    pub time_factor: Option<f64>,
    #[serde(default, with = "double_option")]
    pub refund_delay_ms: Option<Option<u64>>,
}

/// `absent` → no change, `null` → `Some(None)`, a value → `Some(Some(value))`.
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D>(deserializer: D) -> Result<Option<Option<u64>>, D::Error>
    where
        D: Deserializer<'de>,
    {
        Option::<u64>::deserialize(deserializer).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_only_what_is_given_and_tells_null_from_absent() {
        let mut runtime = RuntimeConfig::from_config(&WechatPayV3SimConfig::default());
        let update: V3ConfigUpdate =
            serde_json::from_str(r#"{"signing":"public_key"}"#).expect("valid update");
        runtime.apply(update).expect("applied");
        assert_eq!(runtime.signing, SigningMode::PublicKey);
        assert_eq!(runtime.refund_delay_ms, Some(1000));
        let update: V3ConfigUpdate =
            serde_json::from_str(r#"{"refund_delay_ms":null,"time_factor":0.5}"#)
                .expect("valid update");
        runtime.apply(update).expect("applied");
        assert_eq!(runtime.refund_delay_ms, None);
        assert_eq!(
            runtime.scaled(Duration::from_secs(30)),
            Duration::from_secs(15)
        );
        let bad = V3ConfigUpdate {
            time_factor: Some(f64::NAN),
            ..V3ConfigUpdate::default()
        };
        assert!(runtime.apply(bad).is_err());
    }
}
