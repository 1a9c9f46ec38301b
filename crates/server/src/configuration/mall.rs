//! The mall: how long an order may be paid, when receipt is confirmed automatically, how
//! often its deadlines are checked, and the parcel-tracking API.

use std::time::Duration;

use secrecy::SecretString;

use super::{ConfigError, invalid, parse_or};

#[derive(Debug, Clone)]
pub struct MallSettings {
    /// `MALL_PAY_MINUTES`: an unpaid order is cancelled (after asking WeChat) this long
    /// after it was placed; its stock is reserved meanwhile.
    pub pay_window: chrono::Duration,
    /// `MALL_AUTO_RECEIPT_DAYS`: a shipped order is received automatically this long after
    /// shipping.
    pub receipt_after: chrono::Duration,
    /// `MALL_JOB_INTERVAL_MS`: how often deadlines and the trade outbox are checked; a
    /// deadline is acted on within about this long (plus one WeChat call).
    pub job_interval: Duration,
    /// `KUAIDI100_URL`: the tracking API (the sandbox's simulator when unset in sandbox mode).
    pub tracking_url: Option<String>,
    /// `KUAIDI100_CUSTOMER`: the account's customer id.
    pub tracking_customer: String,
    /// `KUAIDI100_KEY`: secret; signs each query.
    pub tracking_key: SecretString,
}

impl MallSettings {
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let pay_minutes: i64 = parse_or(get, "MALL_PAY_MINUTES", 30)?;
        if !(5..=24 * 60).contains(&pay_minutes) {
            return Err(invalid(
                "MALL_PAY_MINUTES",
                format!(
                    "{pay_minutes}: expected 5 to 1440 minutes (WeChat closes a payment after at least 5)"
                ),
            ));
        }
        let receipt_days: i64 = parse_or(get, "MALL_AUTO_RECEIPT_DAYS", 7)?;
        if !(1..=60).contains(&receipt_days) {
            return Err(invalid(
                "MALL_AUTO_RECEIPT_DAYS",
                format!("{receipt_days}: expected 1 to 60 days"),
            ));
        }
        let interval_ms: u64 = parse_or(get, "MALL_JOB_INTERVAL_MS", 1000)?;
        if !(100..=60_000).contains(&interval_ms) {
            return Err(invalid(
                "MALL_JOB_INTERVAL_MS",
                format!("{interval_ms}: expected 100 to 60000 milliseconds"),
            ));
        }
        Ok(MallSettings {
            pay_window: chrono::Duration::minutes(pay_minutes),
            receipt_after: chrono::Duration::days(receipt_days),
            job_interval: Duration::from_millis(interval_ms),
            tracking_url: get("KUAIDI100_URL").filter(|url| !url.trim().is_empty()),
            tracking_customer: get("KUAIDI100_CUSTOMER").unwrap_or_default(),
            tracking_key: SecretString::from(get("KUAIDI100_KEY").unwrap_or_default()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn defaults_are_the_seeds() {
        let settings = MallSettings::from_lookup(&lookup(&[])).unwrap();
        assert_eq!(settings.pay_window, chrono::Duration::minutes(30));
        assert_eq!(settings.receipt_after, chrono::Duration::days(7));
        assert_eq!(settings.job_interval, Duration::from_secs(1));
        assert!(settings.tracking_url.is_none());
    }

    #[test]
    fn out_of_range_values_are_refused_by_name() {
        for (name, value) in [
            ("MALL_PAY_MINUTES", "1"),
            ("MALL_AUTO_RECEIPT_DAYS", "0"),
            ("MALL_JOB_INTERVAL_MS", "10"),
            ("MALL_PAY_MINUTES", "soon"),
        ] {
            let error = MallSettings::from_lookup(&lookup(&[(name, value)])).unwrap_err();
            assert!(error.to_string().contains(name), "{error}");
        }
    }
}
