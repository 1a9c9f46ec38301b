//! What happened when during a run: printed as it happens, kept for the report.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// What happened when, relative to the start of the workload.
#[derive(Clone)]
pub struct Timeline {
    pub start: Instant,
    events: Arc<Mutex<Vec<(Duration, String)>>>,
    last_fault_end: Arc<Mutex<Instant>>,
}

impl Timeline {
    pub fn starting_now() -> Timeline {
        let start = Instant::now();
        Timeline {
            start,
            events: Arc::new(Mutex::new(Vec::new())),
            last_fault_end: Arc::new(Mutex::new(start)),
        }
    }

    pub fn note(&self, what: impl Into<String>) {
        let what = what.into();
        let at = self.start.elapsed();
        println!("[{:>7.1}s] {what}", at.as_secs_f64());
        lock(&self.events).push((at, what));
    }

    pub fn fault_ended(&self) {
        *lock(&self.last_fault_end) = Instant::now();
    }

    pub fn last_fault_end(&self) -> Instant {
        *lock(&self.last_fault_end)
    }

    pub fn events(&self) -> Vec<(Duration, String)> {
        lock(&self.events).clone()
    }
}

/// A poisoned lock still holds good data here (a panicking task only ever appends).
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
