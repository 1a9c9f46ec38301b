//! Settings of the WeChat Pay simulator: fixed ones at start, and the ones tests change
//! while it runs (`POST /__sandbox/wechat/config`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::callback_targets::CallbackTargets;

#[derive(Debug, Clone)]
pub struct WechatSimConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The mini-program / service provider appid echoed in answers (and the one
    /// `jscode2session` accepts).
    pub appid: String,
    /// The mini-program's AppSecret `jscode2session` accepts.
    pub app_secret: String,
    /// The service provider's merchant number echoed in answers.
    pub mch_id: String,
    /// Merchants bound to the environment; another `sub_mch_id` gets `受理关系不存在`.
    /// Empty accepts any.
    pub bound_sub_mch_ids: Vec<String>,
    /// Where the service receives notifications: `callback_base_url + container.path`.
    /// Several base URLs separated by commas stand for several instances behind a load
    /// balancer: each delivery attempt picks one at random.
    pub callback_base_url: Option<String>,
    /// Pauses between delivery attempts until the service answers `{"errcode":0}`: Cloud
    /// Hosting retries for two days; this is the compressed schedule.
    pub callback_retry_delays: Vec<Duration>,
    /// How long one delivery attempt may take.
    pub callback_timeout: Duration,
    /// Value of the `X-WX-SOURCE` header on notifications.
    pub source_header_value: String,
    /// A refund stays PROCESSING this long before it succeeds.
    pub refund_processing: Duration,
}

impl WechatSimConfig {
    pub const DEFAULT_APP_SECRET: &'static str = "sandbox-app-secret-0123456789abcd";
}

impl Default for WechatSimConfig {
    fn default() -> Self {
        WechatSimConfig {
            port: 0,
            appid: "wxd2565e6a04246fd1".to_owned(),
            app_secret: Self::DEFAULT_APP_SECRET.to_owned(),
            mch_id: "1800780001".to_owned(),
            bound_sub_mch_ids: Vec::new(),
            callback_base_url: None,
            callback_retry_delays: [50, 100, 200, 400, 800, 1600]
                .into_iter()
                .map(Duration::from_millis)
                .collect(),
            callback_timeout: Duration::from_secs(5),
            source_header_value: "wxpay".to_owned(),
            refund_processing: Duration::ZERO,
        }
    }
}

/// The settings that can change at run time.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RuntimeConfig {
    /// As given (one URL, or several separated by commas).
    pub callback_base_url: Option<String>,
    /// `callback_base_url` parsed once, not at every delivery attempt.
    #[serde(skip)]
    pub callback_targets: CallbackTargets,
    pub callback_retry_delays_ms: Vec<u64>,
    pub refund_processing_ms: u64,
    pub bound_sub_mch_ids: Vec<String>,
}

impl RuntimeConfig {
    pub(crate) fn from_config(config: &WechatSimConfig) -> Self {
        let callback_targets = CallbackTargets::parse(config.callback_base_url.as_deref());
        RuntimeConfig {
            callback_base_url: config
                .callback_base_url
                .clone()
                .filter(|_| !callback_targets.is_empty()),
            callback_targets,
            callback_retry_delays_ms: config
                .callback_retry_delays
                .iter()
                .map(|delay| u64::try_from(delay.as_millis()).unwrap_or(u64::MAX))
                .collect(),
            refund_processing_ms: u64::try_from(config.refund_processing.as_millis())
                .unwrap_or(u64::MAX),
            bound_sub_mch_ids: config.bound_sub_mch_ids.clone(),
        }
    }

    pub(crate) fn apply(&mut self, update: ConfigUpdate) {
        if let Some(urls) = update.callback_base_url {
            self.callback_targets = CallbackTargets::parse(Some(&urls));
            self.callback_base_url = Some(urls).filter(|_| !self.callback_targets.is_empty());
        }
        if let Some(delays) = update.callback_retry_delays_ms {
            self.callback_retry_delays_ms = delays;
        }
        if let Some(processing) = update.refund_processing_ms {
            self.refund_processing_ms = processing;
        }
        if let Some(bound) = update.bound_sub_mch_ids {
            self.bound_sub_mch_ids = bound;
        }
    }

    pub(crate) fn is_bound(&self, sub_mch_id: &str) -> bool {
        self.bound_sub_mch_ids.is_empty()
            || self
                .bound_sub_mch_ids
                .iter()
                .any(|bound| bound == sub_mch_id)
    }
}

/// Body of `POST /__sandbox/wechat/config`: only the given fields change
/// (`callback_base_url` takes one URL or several separated by commas; an empty one unsets it).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigUpdate {
    pub callback_base_url: Option<String>,
    pub callback_retry_delays_ms: Option<Vec<u64>>,
    pub refund_processing_ms: Option<u64>,
    pub bound_sub_mch_ids: Option<Vec<String>>,
}
