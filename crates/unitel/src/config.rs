//! Settings of the Unitel adapter.

use std::fmt;
use std::time::Duration;

/// Where Unitel is and how patient to be with it.
#[derive(Clone)]
pub struct UnitelConfig {
    /// e.g. `https://api.unitel.mn/api/v1` (no trailing slash needed).
    pub base_url: String,
    pub username: String,
    pub password: String,
    /// How long a token is reused. Unitel's live about 2 minutes; 90 s leaves a margin.
    pub token_ttl: Duration,
    /// How long a subscriber's price list is reused (order creation validates against it).
    pub price_list_ttl: Duration,
    pub connect_timeout: Duration,
    /// Whole request, answer included. A money call that exceeds it has an unknown outcome.
    pub request_timeout: Duration,
}

impl UnitelConfig {
    pub const DEFAULT_BASE_URL: &'static str = "https://api.unitel.mn/api/v1";
    pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(90);
    pub const DEFAULT_PRICE_LIST_TTL: Duration = Duration::from_secs(5 * 60);
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

    /// The given endpoint and credentials with the default durations.
    pub fn new(
        base_url: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> UnitelConfig {
        UnitelConfig {
            base_url: base_url.into(),
            username: username.into(),
            password: password.into(),
            token_ttl: Self::DEFAULT_TOKEN_TTL,
            price_list_ttl: Self::DEFAULT_PRICE_LIST_TTL,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// Never prints the password.
impl fmt::Debug for UnitelConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnitelConfig")
            .field("base_url", &self.base_url)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("token_ttl", &self.token_ttl)
            .field("price_list_ttl", &self.price_list_ttl)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_password() {
        let config = UnitelConfig::new("http://unitel", "shop", "s3cret-pass");
        let printed = format!("{config:?}");
        assert!(!printed.contains("s3cret-pass"));
        assert!(printed.contains("<redacted>"));
        assert_eq!(config.token_ttl, Duration::from_secs(90));
        assert_eq!(config.price_list_ttl, Duration::from_secs(300));
        assert_eq!(config.request_timeout, Duration::from_secs(30));
    }
}
