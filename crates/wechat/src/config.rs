//! Settings of the Cloud Hosting pay client.

use std::time::Duration;

/// Where and as whom the client calls Cloud Hosting's pay API, and where payment
/// notifications must be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudPayConfig {
    /// Base of the open interface pay API, without a trailing slash.
    pub base_url: String,
    /// Cloud Hosting environment that receives the notifications (`CBR_ENV_ID`).
    pub env_id: String,
    /// The merchant number bound in the Cloud Hosting console.
    pub sub_mch_id: String,
    /// Name of the Cloud Hosting service that receives payment notifications.
    pub callback_service: String,
    /// Path of that service the notifications are posted to; the server must route it.
    pub callback_path: String,
    /// Path refund notifications are posted to (`refund` requires a container too). Kept apart
    /// from `callback_path` so that a refund notification is never read as a payment.
    pub refund_callback_path: String,
    /// Whole-request timeout; a timed-out call has an unknown outcome.
    pub timeout: Duration,
}

impl CloudPayConfig {
    pub const DEFAULT_BASE_URL: &'static str = "http://api.weixin.qq.com/_/pay";
    pub const DEFAULT_CALLBACK_PATH: &'static str = "/payment/callback";
    pub const DEFAULT_REFUND_CALLBACK_PATH: &'static str = "/payment/refund-callback";
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// A configuration with the production base URL, callback path and timeout.
    pub fn new(
        env_id: impl Into<String>,
        sub_mch_id: impl Into<String>,
        callback_service: impl Into<String>,
    ) -> Self {
        CloudPayConfig {
            base_url: Self::DEFAULT_BASE_URL.to_owned(),
            env_id: env_id.into(),
            sub_mch_id: sub_mch_id.into(),
            callback_service: callback_service.into(),
            callback_path: Self::DEFAULT_CALLBACK_PATH.to_owned(),
            refund_callback_path: Self::DEFAULT_REFUND_CALLBACK_PATH.to_owned(),
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    pub fn with_callback_path(mut self, callback_path: impl Into<String>) -> Self {
        self.callback_path = callback_path.into();
        self
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// `base_url/api`, tolerant of a trailing slash in the configured base.
    pub(crate) fn endpoint(&self, api: &str) -> String {
        format!("{}/{api}", self.base_url.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_point_at_cloud_hosting_and_the_routed_callback_path() {
        let config = CloudPayConfig::new("prod-1", "1712734762", "elife");
        assert_eq!(config.base_url, "http://api.weixin.qq.com/_/pay");
        assert_eq!(config.callback_path, "/payment/callback");
        assert_eq!(
            config.endpoint("queryorder"),
            "http://api.weixin.qq.com/_/pay/queryorder"
        );
        let config = config.with_base_url("http://127.0.0.1:9/_/pay/");
        assert_eq!(config.endpoint("refund"), "http://127.0.0.1:9/_/pay/refund");
    }
}
