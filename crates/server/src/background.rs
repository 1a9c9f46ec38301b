//! Work that outlives the request that started it (the top-up after a payment callback),
//! run on the main runtime so that shutdown (and a test) can wait for it to drain instead
//! of dropping it mid-call.
//!
//! Work counts as in flight from the moment it is spawned until it ends, however it ends
//! (done, panicked, or dropped with the runtime). Work spawned by work is counted before
//! its parent ends, so the count never touches zero while anything is left to do.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::Notify;

#[derive(Clone)]
pub struct Background {
    runtime: Handle,
    in_flight: Arc<InFlight>,
}

#[derive(Default)]
struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

/// One unit of work in flight; ends when dropped, so that a panic or a cancellation still
/// ends it.
struct Running(Arc<InFlight>);

impl Running {
    fn start(in_flight: &Arc<InFlight>) -> Self {
        in_flight.count.fetch_add(1, Ordering::SeqCst);
        Running(Arc::clone(in_flight))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Background {
    /// Uses the runtime of the caller (the main one, not an HTTP worker's).
    pub fn on_current_runtime() -> Self {
        Background {
            runtime: Handle::current(),
            in_flight: Arc::default(),
        }
    }

    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        // Counted here, in the spawner, not when the task first runs: a drain that starts
        // right after this call must already see it.
        let running = Running::start(&self.in_flight);
        self.runtime.spawn(async move {
            let _running = running;
            work.await;
        });
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.count.load(Ordering::SeqCst)
    }

    /// Waits until no work is in flight, at most `limit`; true when everything finished.
    pub async fn drain(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                // Registered before the count is read: `notify_waiters` reaches a
                // `Notified` from its creation on, so the last task's end cannot slip by.
                let notified = self.in_flight.idle.notified();
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

    use tokio::sync::oneshot;

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

    #[tokio::test]
    async fn drain_waits_for_work_spawned_by_work() {
        let background = Background::on_current_runtime();
        let done = Arc::new(AtomicUsize::new(0));
        let (spawner, flag) = (background.clone(), Arc::clone(&done));
        background.spawn(async move {
            // The parent ends long before its grandchild: the count must not reach zero.
            let (inner, flag) = (spawner.clone(), Arc::clone(&flag));
            spawner.spawn(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                inner.spawn(async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    flag.fetch_add(1, Ordering::SeqCst);
                });
            });
        });

        assert!(background.drain(Duration::from_secs(2)).await);
        assert_eq!(
            done.load(Ordering::SeqCst),
            1,
            "drained before the grandchild ended"
        );
        assert_eq!(background.in_flight(), 0);
    }

    #[tokio::test]
    async fn drain_gives_up_at_its_limit_while_work_is_stuck() {
        let background = Background::on_current_runtime();
        let (release, released) = oneshot::channel::<()>();
        background.spawn(async move {
            let _ = released.await;
        });

        assert!(!background.drain(Duration::from_millis(50)).await);
        assert_eq!(background.in_flight(), 1);

        release.send(()).unwrap();
        assert!(background.drain(Duration::from_secs(2)).await);
    }

    #[tokio::test]
    async fn work_that_panics_still_ends() {
        let background = Background::on_current_runtime();
        background.spawn(async {
            tokio::task::yield_now().await;
            panic!("a bug in a background task");
        });

        assert!(background.drain(Duration::from_secs(2)).await);
        assert_eq!(background.in_flight(), 0);
    }

    #[tokio::test]
    async fn drain_with_nothing_in_flight_returns_at_once() {
        let background = Background::on_current_runtime();
        assert!(background.drain(Duration::ZERO).await);
    }
}
