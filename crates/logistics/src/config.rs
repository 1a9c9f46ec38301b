//! How the client reaches Kuaidi100.

use std::fmt;
use std::time::Duration;

/// Kuaidi100 account and endpoint. The key signs every request and never leaves this
/// process; `Debug` withholds it.
#[derive(Clone, PartialEq, Eq)]
pub struct Kuaidi100Config {
    /// `https://poll.kuaidi100.com` in production; the sandbox simulator's URL locally.
    pub base_url: String,
    /// The account's customer id (授权码 `customer`).
    pub customer: String,
    /// The account's signing key (授权 `key`).
    pub key: String,
    /// For the whole request; Kuaidi100 asks the carrier live, so allow a few seconds.
    pub timeout: Duration,
}

impl Kuaidi100Config {
    pub const DEFAULT_BASE_URL: &'static str = "https://poll.kuaidi100.com";
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(8);
    /// The real-time query's path under the base URL.
    pub const QUERY_PATH: &'static str = "/poll/query.do";

    /// Production endpoint and timeout.
    pub fn new(customer: impl Into<String>, key: impl Into<String>) -> Self {
        Kuaidi100Config {
            base_url: Self::DEFAULT_BASE_URL.to_owned(),
            customer: customer.into(),
            key: key.into(),
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// The query URL: the base URL without its trailing `/`, then [`Self::QUERY_PATH`].
    pub fn query_url(&self) -> String {
        format!(
            "{}{}",
            self.base_url.trim_end_matches('/'),
            Self::QUERY_PATH
        )
    }
}

impl fmt::Debug for Kuaidi100Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kuaidi100Config")
            .field("base_url", &self.base_url)
            .field("customer", &self.customer)
            .field("key", &elife_domain::privacy::mask_secret(&self.key))
            .field("timeout", &self.timeout)
            .finish()
    }
}
