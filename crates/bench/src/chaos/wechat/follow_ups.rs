//! What WeChat does after a payment without holding up the payer (a delayed first
//! notification, duplicates, replays), run in the background and waited for before the
//! notifications are counted.

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;

use crate::chaos::timeline::lock;

/// What went wrong in one follow-up.
#[derive(Debug, Clone, Default)]
pub struct Problems {
    /// Notifications that were to be sent (and retried) and were not.
    pub missing: u32,
    pub errors: Vec<String>,
}

impl Problems {
    pub fn add(&mut self, missing: u32, error: String) {
        self.missing += missing;
        self.errors.push(error);
    }

    fn merge(&mut self, other: Problems) {
        self.missing += other.missing;
        self.errors.extend(other.errors);
    }
}

/// The follow-ups started so far; clones share them.
#[derive(Clone, Default)]
pub struct FollowUps {
    tasks: Arc<Mutex<Vec<JoinHandle<Problems>>>>,
}

impl FollowUps {
    pub fn spawn(&self, work: impl Future<Output = Problems> + Send + 'static) {
        lock(&self.tasks).push(tokio::spawn(work));
    }

    /// Waits for every follow-up, those started meanwhile too; what went wrong in them.
    pub async fn settle(&self) -> Problems {
        let mut problems = Problems::default();
        loop {
            let tasks = std::mem::take(&mut *lock(&self.tasks));
            if tasks.is_empty() {
                return problems;
            }
            for task in tasks {
                match task.await {
                    Ok(found) => problems.merge(found),
                    Err(error) => problems.add(0, format!("follow-up task failed: {error}")),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn settle_waits_for_every_task_and_sums_their_problems() {
        let follow_ups = FollowUps::default();
        follow_ups.spawn(async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let mut problems = Problems::default();
            problems.add(1, "notify refused".to_owned());
            problems
        });
        follow_ups.spawn(async { Problems::default() });
        follow_ups.spawn(async { panic!("broken follow-up") });
        let problems = follow_ups.settle().await;
        assert_eq!(problems.missing, 1);
        assert_eq!(problems.errors.len(), 2, "{:?}", problems.errors);
        assert!(follow_ups.settle().await.errors.is_empty(), "nothing left");
    }
}
