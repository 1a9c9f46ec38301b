//! Slowing down password guessing: the policy, the per-address failure counts kept in
//! process, and the port that waits (so tests do not sleep).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    /// Failed logins in a row after which an account is locked.
    pub max_failures: u32,
    /// How long a locked account refuses every login.
    pub lock_for: chrono::Duration,
    /// Failed logins from one address within `ip_window` after which that address is
    /// refused (whatever the username: guessing across many accounts is caught here).
    pub ip_max_failures: u32,
    pub ip_window: chrono::Duration,
    /// Each failure is answered after `delay_step` times the failures so far (of the account
    /// or the address, whichever is more), at most `max_delay`.
    pub delay_step: Duration,
    pub max_delay: Duration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            max_failures: 5,
            lock_for: chrono::Duration::minutes(15),
            ip_max_failures: 20,
            ip_window: chrono::Duration::minutes(15),
            delay_step: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl LoginPolicy {
    /// The wait before answering the `failures`-th failure: grows linearly, capped.
    pub fn delay(&self, failures: u32) -> Duration {
        self.delay_step.saturating_mul(failures).min(self.max_delay)
    }
}

/// Waits; the server sleeps, tests record.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Pause: Send + Sync {
    async fn pause(&self, duration: Duration);
}

/// The most addresses remembered; beyond it, expired windows are dropped first, then the
/// oldest, so a flood of addresses cannot grow memory without bound.
const MAX_TRACKED_ADDRESSES: usize = 10_000;

/// Failed logins per client address, in this process (a restart forgets them; the
/// per-account count, which is the one that locks, lives in the database).
#[derive(Debug, Default)]
pub(crate) struct AddressFailures {
    entries: Mutex<HashMap<String, (DateTime<Utc>, u32)>>,
}

impl AddressFailures {
    /// When the address may try again, if it is over the limit.
    pub(crate) fn blocked_until(
        &self,
        address: &str,
        now: DateTime<Utc>,
        policy: &LoginPolicy,
    ) -> Option<DateTime<Utc>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(address) {
            Some((started, count))
                if now - *started < policy.ip_window && *count >= policy.ip_max_failures =>
            {
                Some(*started + policy.ip_window)
            }
            Some(_) | None => None,
        }
    }

    /// Counts one more failure; returns the address's count in its window.
    pub(crate) fn record(
        &self,
        address: &str,
        now: DateTime<Utc>,
        window: chrono::Duration,
    ) -> u32 {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_TRACKED_ADDRESSES && !entries.contains_key(address) {
            entries.retain(|_, (started, _)| now - *started < window);
            if entries.len() >= MAX_TRACKED_ADDRESSES {
                let oldest = entries
                    .iter()
                    .min_by_key(|(_, (started, _))| *started)
                    .map(|(key, _)| key.clone());
                if let Some(oldest) = oldest {
                    entries.remove(&oldest);
                }
            }
        }
        let entry = entries.entry(address.to_owned()).or_insert((now, 0));
        if now - entry.0 >= window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::t0;

    #[test]
    fn the_delay_grows_with_failures_and_is_capped() {
        let policy = LoginPolicy::default();
        assert_eq!(policy.delay(0), Duration::ZERO);
        assert_eq!(policy.delay(1), Duration::from_millis(200));
        assert_eq!(policy.delay(3), Duration::from_millis(600));
        assert_eq!(policy.delay(1000), Duration::from_secs(2));
    }

    #[test]
    fn an_address_is_blocked_within_its_window_only() {
        let policy = LoginPolicy {
            ip_max_failures: 2,
            ..LoginPolicy::default()
        };
        let failures = AddressFailures::default();
        assert_eq!(failures.record("1.2.3.4", t0(), policy.ip_window), 1);
        assert_eq!(failures.blocked_until("1.2.3.4", t0(), &policy), None);
        assert_eq!(failures.record("1.2.3.4", t0(), policy.ip_window), 2);
        assert_eq!(
            failures.blocked_until("1.2.3.4", t0(), &policy),
            Some(t0() + policy.ip_window)
        );
        assert_eq!(failures.blocked_until("5.6.7.8", t0(), &policy), None);
        let later = t0() + policy.ip_window;
        assert_eq!(failures.blocked_until("1.2.3.4", later, &policy), None);
        assert_eq!(failures.record("1.2.3.4", later, policy.ip_window), 1);
    }
}
