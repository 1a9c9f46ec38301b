//! `RATE_LIMIT_*`: requests per minute, per user or per client address; 0 disables one.

use super::{ConfigError, parse_or};
use crate::http::rate_limit::RateLimitSettings;

pub(super) fn from_lookup(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<RateLimitSettings, ConfigError> {
    Ok(RateLimitSettings {
        orders: parse_or(get, "RATE_LIMIT_ORDERS", 10)?,
        payments: parse_or(get, "RATE_LIMIT_PAYMENTS", 20)?,
        user_calls: parse_or(get, "RATE_LIMIT_USER_CALLS", 600)?,
        public_calls: parse_or(get, "RATE_LIMIT_PUBLIC", 300)?,
        logins: parse_or(get, "RATE_LIMIT_LOGINS", 30)?,
        admin_logins: parse_or(get, "RATE_LIMIT_ADMIN_LOGINS", 10)?,
    })
}
