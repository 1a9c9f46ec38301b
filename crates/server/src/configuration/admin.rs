//! The back office: admin token lifetime, login lockout, exchange-rate change limit.

use std::str::FromStr;

use elife_domain::accounts::login_throttle::LoginPolicy;
use elife_domain::services::ExchangeRatePolicy;
use rust_decimal::Decimal;

use super::accounts::parse_duration;
use super::{ConfigError, invalid, parse_or};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminSettings {
    /// `ADMIN_JWT_EXPIRES_IN`: lifetime of an admin access token (short: a stolen one is
    /// useful briefly, and the refresh token re-checks the account).
    pub access_token_ttl: chrono::Duration,
    /// `ADMIN_LOGIN_MAX_FAILURES` and `ADMIN_LOGIN_LOCK_MINUTES`, with the built-in delays.
    pub login: LoginPolicy,
    /// `EXCHANGE_RATE_MAX_CHANGE` with the built-in bounds.
    pub exchange_rate: ExchangeRatePolicy,
}

impl AdminSettings {
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let access_token_ttl = match get("ADMIN_JWT_EXPIRES_IN") {
            None => chrono::Duration::minutes(15),
            Some(raw) => parse_duration(&raw)
                .filter(|ttl| {
                    *ttl > chrono::Duration::zero() && *ttl <= chrono::Duration::hours(24)
                })
                .ok_or_else(|| {
                    invalid(
                        "ADMIN_JWT_EXPIRES_IN",
                        format!("{raw:?}: expected a duration up to 24h such as 900, 15m or 1h"),
                    )
                })?,
        };
        let max_failures: u32 = parse_or(get, "ADMIN_LOGIN_MAX_FAILURES", 5)?;
        if max_failures == 0 {
            return Err(invalid(
                "ADMIN_LOGIN_MAX_FAILURES",
                "must be at least 1".to_owned(),
            ));
        }
        let lock_minutes: i64 = parse_or(get, "ADMIN_LOGIN_LOCK_MINUTES", 15)?;
        if !(1..=24 * 60).contains(&lock_minutes) {
            return Err(invalid(
                "ADMIN_LOGIN_LOCK_MINUTES",
                format!("{lock_minutes}: expected 1 to 1440 minutes"),
            ));
        }
        let max_change = match get("EXCHANGE_RATE_MAX_CHANGE") {
            None => ExchangeRatePolicy::DEFAULT_MAX_CHANGE,
            Some(raw) => Decimal::from_str(&raw)
                .ok()
                .filter(|fraction| *fraction > Decimal::ZERO && *fraction <= Decimal::ONE)
                .ok_or_else(|| {
                    invalid(
                        "EXCHANGE_RATE_MAX_CHANGE",
                        format!("{raw:?}: expected a fraction above 0 and at most 1, e.g. 0.2"),
                    )
                })?,
        };
        Ok(AdminSettings {
            access_token_ttl,
            login: LoginPolicy {
                max_failures,
                lock_for: chrono::Duration::minutes(lock_minutes),
                ..LoginPolicy::default()
            },
            exchange_rate: ExchangeRatePolicy {
                max_change,
                ..ExchangeRatePolicy::default()
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<AdminSettings, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        AdminSettings::from_lookup(&|name: &str| vars.get(name).cloned())
    }

    #[test]
    fn defaults_follow_the_issue() {
        let admin = settings(&[]).unwrap();
        assert_eq!(admin.access_token_ttl, chrono::Duration::minutes(15));
        assert_eq!(admin.login.max_failures, 5);
        assert_eq!(admin.login.lock_for, chrono::Duration::minutes(15));
        assert_eq!(admin.exchange_rate.max_change, Decimal::new(2, 1));
        assert_eq!(admin.exchange_rate.min, Decimal::from(100));
        assert_eq!(admin.exchange_rate.max, Decimal::from(2000));
    }

    #[test]
    fn values_are_parsed_and_checked() {
        let admin = settings(&[
            ("ADMIN_JWT_EXPIRES_IN", "1h"),
            ("ADMIN_LOGIN_MAX_FAILURES", "3"),
            ("ADMIN_LOGIN_LOCK_MINUTES", "30"),
            ("EXCHANGE_RATE_MAX_CHANGE", "0.05"),
        ])
        .unwrap();
        assert_eq!(admin.access_token_ttl, chrono::Duration::hours(1));
        assert_eq!(admin.login.max_failures, 3);
        assert_eq!(admin.login.lock_for, chrono::Duration::minutes(30));
        assert_eq!(admin.exchange_rate.max_change, Decimal::new(5, 2));
        assert_eq!(
            settings(&[("ADMIN_JWT_EXPIRES_IN", "900")])
                .unwrap()
                .access_token_ttl,
            chrono::Duration::minutes(15)
        );
        for (name, bad) in [
            ("ADMIN_JWT_EXPIRES_IN", "forever"),
            ("ADMIN_JWT_EXPIRES_IN", "0"),
            ("ADMIN_JWT_EXPIRES_IN", "2d"),
            ("ADMIN_LOGIN_MAX_FAILURES", "0"),
            ("ADMIN_LOGIN_LOCK_MINUTES", "0"),
            ("EXCHANGE_RATE_MAX_CHANGE", "0"),
            ("EXCHANGE_RATE_MAX_CHANGE", "1.5"),
            ("EXCHANGE_RATE_MAX_CHANGE", "20%"),
        ] {
            let error = settings(&[(name, bad)]).unwrap_err();
            assert!(error.to_string().contains(name), "{name}={bad}: {error}");
        }
    }
}
