//! Work that outlives the request that started it (the top-up after a payment callback),
//! run on the main runtime so that shutdown can wait for it instead of dropping it
//! mid-call.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::Notify;

#[derive(Clone)]
pub struct Background {
    runtime: Handle,
    in_flight: Arc<AtomicUsize>,
    idle: Arc<Notify>,
}

impl Background {
    /// Uses the runtime of the caller (the main one, not an HTTP worker's).
    pub fn on_current_runtime() -> Self {
        Background {
            runtime: Handle::current(),
            in_flight: Arc::new(AtomicUsize::new(0)),
            idle: Arc::new(Notify::new()),
        }
    }

    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let in_flight = Arc::clone(&self.in_flight);
        let idle = Arc::clone(&self.idle);
        self.runtime.spawn(async move {
            work.await;
            if in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
                idle.notify_waiters();
            }
        });
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Waits until no work is running, at most `limit`; true when everything finished.
    pub async fn drain(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.idle.notified();
                if self.in_flight() == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn drain_waits_for_spawned_work() {
        let background = Background::on_current_runtime();
        let done = Arc::new(AtomicUsize::new(0));
        let flag = Arc::clone(&done);
        background.spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            flag.store(1, Ordering::SeqCst);
        });
        assert!(background.drain(Duration::from_secs(2)).await);
        assert_eq!(done.load(Ordering::SeqCst), 1);
        assert_eq!(background.in_flight(), 0);
    }
}
