//! The payment gateway `PAY_CHANNEL` selects: Cloud Hosting's open interface (as it always
//! was) or WeChat Pay API v3 direct, each pointed at the real API or at the sandbox's
//! simulator. With v3 and platform certificates `auto`, the certificates are downloaded
//! at start-up and then every 12 hours in the background; a failed refresh logs a warning
//! and keeps the certificates already trusted.

use std::sync::Arc;
use std::time::Duration;

use elife_domain::ports::PaymentGateway;
use elife_wechat::{CloudPayClient, CloudPayConfig};
use elife_wechatpay::{
    ConfigError as V3ConfigError, KeySource, NotificationParser, PlatformCertificates,
    WechatPayClient, WechatPayConfig, WechatPayGateway,
};
use secrecy::ExposeSecret;
use tokio::task::JoinHandle;

use crate::configuration::{PayChannel, Settings, WechatPayV3Settings};
use crate::sandbox::Sandbox;
use crate::startup::StartupError;

/// How often certificates are downloaded again (WeChat rotates them with days of overlap).
const REFRESH_EVERY: Duration = Duration::from_secs(12 * 60 * 60);
/// After a failed download: sooner, since nothing may be trusted yet.
const RETRY_AFTER: Duration = Duration::from_secs(60);

/// Where this server receives API v3 notifications (relative to its own base URL).
pub const NOTIFY_PATH: &str = "/payment/notify/wechat";
pub const REFUND_NOTIFY_PATH: &str = "/payment/notify/wechat/refund";

/// The selected channel's gateway and, with v3, what the notify endpoints need.
pub struct PaymentChannel {
    gateway: Arc<dyn PaymentGateway>,
    v3: Option<WechatPayGateway>,
    refresher: Option<Refresher>,
}

impl PaymentChannel {
    pub fn build(settings: &Settings, sandbox: Option<&Sandbox>) -> Result<Self, StartupError> {
        match settings.wechat_pay.channel {
            PayChannel::Cloud => Ok(PaymentChannel {
                gateway: Arc::new(cloud_gateway(settings, sandbox)?),
                v3: None,
                refresher: None,
            }),
            PayChannel::V3 => {
                let config = match (sandbox, &settings.wechat_pay.v3) {
                    (Some(sandbox), v3) => simulator_config(sandbox, v3.as_ref())?,
                    (None, Some(v3)) => merchant_config(v3)?,
                    (None, None) => {
                        return Err(StartupError::Adapter(
                            "PAY_CHANNEL=v3 without its settings".to_owned(),
                        ));
                    }
                };
                let config = config.with_timeout(settings.wechat.timeout);
                let client = WechatPayClient::new(config).map_err(v3_config_error)?;
                let gateway = WechatPayGateway::new(client);
                Ok(PaymentChannel {
                    gateway: Arc::new(gateway.clone()),
                    v3: Some(gateway),
                    refresher: None,
                })
            }
        }
    }

    pub fn gateway(&self) -> Arc<dyn PaymentGateway> {
        Arc::clone(&self.gateway)
    }

    /// The parser of signed notifications; `None` unless the channel is v3.
    pub fn notifications(&self) -> Option<NotificationParser> {
        self.v3
            .as_ref()
            .map(|gateway| gateway.client().notification_parser())
    }

    /// The v3 gateway, for what the port does not cover (Native payments).
    pub fn wechat_pay_v3(&self) -> Option<&WechatPayGateway> {
        self.v3.as_ref()
    }

    /// Downloads the platform certificates once (v3, `auto`); a failure is logged and
    /// leaves the store as it was.
    pub async fn refresh_certificates(&self) {
        if let Some(gateway) = &self.v3
            && gateway.client().downloads_certificates()
        {
            refresh(gateway.client()).await;
        }
    }

    /// Downloads the certificates now, then keeps them fresh in the background until this
    /// channel is dropped.
    pub async fn start(&mut self) {
        let Some(gateway) = &self.v3 else { return };
        let client = gateway.client().clone();
        if !client.downloads_certificates() {
            return;
        }
        let first = if refresh(&client).await {
            REFRESH_EVERY
        } else {
            RETRY_AFTER
        };
        self.refresher = Some(Refresher::spawn(client, first));
    }
}

/// The background refresh; stops when dropped.
struct Refresher(JoinHandle<()>);

impl Refresher {
    fn spawn(client: WechatPayClient, first: Duration) -> Self {
        Refresher(tokio::spawn(async move {
            let mut wait = first;
            loop {
                tokio::time::sleep(wait).await;
                wait = if refresh(&client).await {
                    REFRESH_EVERY
                } else {
                    RETRY_AFTER
                };
            }
        }))
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// True when the certificates were replaced.
async fn refresh(client: &WechatPayClient) -> bool {
    match client.refresh_certificates().await {
        Ok(_) => true,
        Err(error) => {
            tracing::warn!(%error, trusted = ?client.certificates().serials(), "WeChat Pay platform certificates not refreshed; keeping those trusted");
            false
        }
    }
}

/// Cloud Hosting's open interface, exactly as before `PAY_CHANNEL` existed.
fn cloud_gateway(
    settings: &Settings,
    sandbox: Option<&Sandbox>,
) -> Result<CloudPayClient, StartupError> {
    let wechat = &settings.wechat;
    let pay_config = match sandbox {
        Some(sandbox) => CloudPayConfig::new(
            non_empty(&wechat.env_id, "sandbox-env"),
            non_empty(&wechat.mch_id, "1712734762"),
            wechat.callback_service.clone(),
        )
        .with_base_url(sandbox.wechat.base_url()),
        None => CloudPayConfig::new(
            wechat.env_id.clone(),
            wechat.mch_id.clone(),
            wechat.callback_service.clone(),
        )
        .with_base_url(wechat.api_url.clone()),
    }
    .with_callback_path(wechat.callback_path.clone())
    .with_timeout(wechat.timeout);
    CloudPayClient::new(pay_config)
        .map_err(|error| StartupError::Adapter(format!("wechat pay: {error}")))
}

fn non_empty(value: &str, fallback: &str) -> String {
    if value.is_empty() {
        fallback.to_owned()
    } else {
        value.to_owned()
    }
}

/// The simulator's sandbox merchant, its certificate and public key (both trusted, so a
/// switch-over can be tried), notifications posted back to this server.
fn simulator_config(
    sandbox: &Sandbox,
    settings: Option<&WechatPayV3Settings>,
) -> Result<WechatPayConfig, StartupError> {
    let simulator = sandbox.wechat_pay_v3.as_ref().ok_or_else(|| {
        StartupError::Adapter("PAY_CHANNEL=v3 but the v3 simulator is not running".to_owned())
    })?;
    let base = sandbox.callback_base_url.as_deref().ok_or_else(|| {
        StartupError::Adapter("the v3 simulator has no address to notify".to_owned())
    })?;
    let keys = simulator.keys();
    let certificates = settings
        .map(|v3| v3.platform_certificates)
        .unwrap_or(PlatformCertificates::Auto);
    Ok(WechatPayConfig::new(
        keys.appid,
        keys.mchid,
        keys.merchant_serial_no,
        KeySource::Pem(keys.merchant_private_key_pem),
        keys.apiv3_key,
        format!("{base}{NOTIFY_PATH}"),
    )
    .with_public_key(keys.public_key_id, KeySource::Pem(keys.public_key_pem))
    .with_platform_certificates(certificates)
    .with_refund_notify_url(format!("{base}{REFUND_NOTIFY_PATH}"))
    .with_base_url(simulator.url()))
}

/// The real merchant from the settings (checked there already: present and parseable).
fn merchant_config(v3: &WechatPayV3Settings) -> Result<WechatPayConfig, StartupError> {
    let missing = |name: &str| StartupError::Adapter(format!("{name} is not set"));
    let private_key = v3
        .private_key
        .as_ref()
        .ok_or_else(|| missing("WECHAT_PAY_PRIVATE_KEY_PATH"))?;
    let apiv3_key = v3
        .apiv3_key()
        .ok_or_else(|| missing("WECHAT_PAY_APIV3_KEY"))?;
    let notify_url = v3
        .notify_url
        .clone()
        .ok_or_else(|| missing("WECHAT_PAY_NOTIFY_URL"))?;
    let mut config = WechatPayConfig::new(
        v3.app_id.clone(),
        v3.mch_id.clone(),
        v3.serial_no.clone(),
        KeySource::Pem(private_key.pem.expose_secret().to_owned()),
        apiv3_key,
        notify_url,
    )
    .with_platform_certificates(v3.platform_certificates)
    .with_base_url(v3.api_url.clone());
    if let Some(public_key) = &v3.public_key {
        config = config.with_public_key(
            public_key.id.clone(),
            KeySource::Pem(public_key.pem.clone()),
        );
    }
    if let Some(url) = &v3.refund_notify_url {
        config = config.with_refund_notify_url(url.clone());
    }
    Ok(config)
}

/// The client's complaint, naming our variable rather than its field.
fn v3_config_error(error: V3ConfigError) -> StartupError {
    let variable = match error.setting() {
        "app_id" => "WECHAT_PAY_APP_ID",
        "mch_id" => "WECHAT_PAY_MCH_ID",
        "merchant_serial_no" => "WECHAT_PAY_SERIAL_NO",
        "private_key" => "WECHAT_PAY_PRIVATE_KEY_PATH / WECHAT_PAY_PRIVATE_KEY",
        "api_v3_key" => "WECHAT_PAY_APIV3_KEY",
        "public_key" => "WECHAT_PAY_PUBLIC_KEY_PATH",
        "notify_url" => "WECHAT_PAY_NOTIFY_URL",
        "base_url" => "WECHAT_PAY_API_URL",
        _ => "WeChat Pay API v3",
    };
    StartupError::Adapter(format!("{variable}: {error}"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use elife_sandbox::wechat_pay_v3::V3ApiFault;

    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned()).expect("settings")
    }

    async fn sandbox_with_v3() -> Sandbox {
        Sandbox::start(Some("http://127.0.0.1:9".to_owned()), 0, 0)
            .await
            .expect("sandbox")
            .with_wechat_pay_v3()
            .await
            .expect("v3 simulator")
    }

    #[tokio::test]
    async fn v3_trusts_the_simulators_certificate_and_keeps_it_when_a_refresh_fails() {
        let sandbox = sandbox_with_v3().await;
        let simulator = sandbox.wechat_pay_v3.as_ref().unwrap();
        let mut channel =
            PaymentChannel::build(&settings(&[("PAY_CHANNEL", "v3")]), Some(&sandbox)).unwrap();
        assert!(channel.notifications().is_some());
        let client = channel.wechat_pay_v3().unwrap().client().clone();
        assert!(client.certificates().serials().is_empty());

        channel.start().await;
        let trusted = vec![simulator.keys().platform_serial_no];
        assert_eq!(client.certificates().serials(), trusted);
        assert!(channel.refresher.is_some(), "refreshed in the background");

        // WeChat Pay down, or answering with a forged signature: the old set stays.
        for fault in [V3ApiFault::SystemError, V3ApiFault::WrongSerial] {
            simulator.inject_fault("certificates", fault, 1);
            channel.refresh_certificates().await;
            assert_eq!(client.certificates().serials(), trusted, "{fault:?}");
        }
        drop(channel);
        sandbox.stop().await;
    }

    #[tokio::test]
    async fn with_certificates_off_nothing_is_downloaded() {
        let sandbox = sandbox_with_v3().await;
        let mut channel = PaymentChannel::build(
            &settings(&[("PAY_CHANNEL", "v3"), ("WECHAT_PAY_PLATFORM_CERTS", "off")]),
            Some(&sandbox),
        )
        .unwrap();
        channel.start().await;
        assert!(channel.refresher.is_none());
        let client = channel.wechat_pay_v3().unwrap().client().clone();
        assert!(client.certificates().serials().is_empty());
        drop(channel);
        sandbox.stop().await;
    }

    #[tokio::test]
    async fn the_cloud_channel_has_no_notification_parser() {
        let channel = PaymentChannel::build(&settings(&[]), None).unwrap();
        assert!(channel.notifications().is_none());
        assert!(channel.wechat_pay_v3().is_none());
    }

    #[test]
    fn client_complaints_name_our_variables() {
        let error = v3_config_error(V3ConfigError::Missing("merchant_serial_no"));
        assert!(
            error.to_string().contains("WECHAT_PAY_SERIAL_NO"),
            "{error}"
        );
    }
}
