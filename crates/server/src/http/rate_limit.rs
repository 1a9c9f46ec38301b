//! Per-user rate limits (orders 10/min, payment creation 20/min), keyed by openid rather
//! than by IP: every user behind one gateway shared the old backend's limit.
//!
//! A fixed one-minute window per key is all the old backend promised; this avoids pulling
//! a limiter crate with its own error responses outside our envelope.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct KeyedLimiter {
    per_window: u32,
    window: Duration,
    counters: Mutex<HashMap<String, (Instant, u32)>>,
}

impl KeyedLimiter {
    pub fn per_minute(per_window: u32) -> Self {
        KeyedLimiter {
            per_window,
            window: Duration::from_secs(60),
            counters: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one call of `key`; false when the key is over its limit for this window.
    pub fn allow(&self, key: &str) -> bool {
        self.allow_at(key, Instant::now())
    }

    fn allow_at(&self, key: &str, now: Instant) -> bool {
        let Ok(mut counters) = self.counters.lock() else {
            // A poisoned lock means a panic elsewhere; do not lock users out for it.
            return true;
        };
        if counters.len() > 10_000 {
            let window = self.window;
            counters.retain(|_, (started, _)| now.duration_since(*started) < window);
        }
        let entry = counters.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_window {
            return false;
        }
        entry.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_key_separately_and_resets_after_the_window() {
        let limiter = KeyedLimiter::per_minute(2);
        let t0 = Instant::now();
        assert!(limiter.allow_at("a", t0));
        assert!(limiter.allow_at("a", t0));
        assert!(!limiter.allow_at("a", t0));
        assert!(limiter.allow_at("b", t0));
        assert!(limiter.allow_at("a", t0 + Duration::from_secs(61)));
    }
}
