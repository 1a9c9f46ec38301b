//! The trade outbox in memory, shared by the in-memory order and after-sale repositories
//! (each appends the messages of the changes it wins, in commit order).

use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::ports::RepositoryError;

use super::{PendingMessage, TradeMessage, TradeOutbox};

/// A stored message with its delivery state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub pending: PendingMessage,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

#[derive(Debug, Default)]
pub struct OutboxState {
    pub rows: Vec<OutboxRow>,
    /// Fail the next `fail_next` calls with `Unavailable` (storage outages in tests).
    pub fail_next: usize,
}

#[derive(Debug, Clone, Default)]
pub struct MemoryTradeOutbox {
    state: Arc<Mutex<OutboxState>>,
}

impl MemoryTradeOutbox {
    pub fn new() -> Self {
        MemoryTradeOutbox::default()
    }

    pub fn state(&self) -> MutexGuard<'_, OutboxState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn checked(&self) -> Result<MutexGuard<'_, OutboxState>, RepositoryError> {
        let mut state = self.state();
        if state.fail_next > 0 {
            state.fail_next -= 1;
            return Err(RepositoryError::Unavailable("memory outage".to_owned()));
        }
        Ok(state)
    }

    /// Appends the messages of a won change (what a database adapter does in the change's
    /// transaction), due at once.
    pub fn append(&self, messages: impl IntoIterator<Item = TradeMessage>, at: DateTime<Utc>) {
        let mut state = self.state();
        for message in messages {
            let id = i64::try_from(state.rows.len()).unwrap_or(i64::MAX - 1) + 1;
            state.rows.push(OutboxRow {
                pending: PendingMessage {
                    id,
                    message,
                    attempts: 0,
                    created_at: at,
                },
                next_attempt_at: at,
                delivered_at: None,
                last_error: None,
            });
        }
    }

    /// Every message ever appended, in commit order.
    pub fn messages(&self) -> Vec<TradeMessage> {
        self.state()
            .rows
            .iter()
            .map(|row| row.pending.message.clone())
            .collect()
    }

    /// Messages not delivered yet.
    pub fn undelivered(&self) -> usize {
        self.state()
            .rows
            .iter()
            .filter(|row| row.delivered_at.is_none())
            .count()
    }
}

#[async_trait]
impl TradeOutbox for MemoryTradeOutbox {
    async fn pending(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<PendingMessage>, RepositoryError> {
        Ok(self
            .checked()?
            .rows
            .iter()
            .filter(|row| row.delivered_at.is_none() && row.next_attempt_at <= now)
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|row| row.pending.clone())
            .collect())
    }

    async fn delivered(&self, id: i64, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        let mut state = self.checked()?;
        if let Some(row) = state.rows.iter_mut().find(|row| row.pending.id == id) {
            row.delivered_at.get_or_insert(at);
        }
        Ok(())
    }

    async fn failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let mut state = self.checked()?;
        if let Some(row) = state.rows.iter_mut().find(|row| row.pending.id == id) {
            row.pending.attempts = row.pending.attempts.saturating_add(1);
            row.last_error = Some(error.to_owned());
            row.next_attempt_at = next_attempt_at;
        }
        Ok(())
    }
}
