//! "Now", injectable: signature timestamps are checked against it, so tests (and a simulator
//! with compressed time) must be able to set it.

use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, Ordering};

/// The current time as Unix seconds.
pub trait Clock: Send + Sync + Debug {
    fn unix_seconds(&self) -> i64;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn unix_seconds(&self) -> i64 {
        chrono::Utc::now().timestamp()
    }
}

/// A clock that stands still until moved: for tests.
#[derive(Debug, Default)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    pub fn at(unix_seconds: i64) -> Self {
        FixedClock(AtomicI64::new(unix_seconds))
    }

    pub fn set(&self, unix_seconds: i64) {
        self.0.store(unix_seconds, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn unix_seconds(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
