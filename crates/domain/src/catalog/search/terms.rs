//! Hot search terms: a count per normalised search text.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ports::RepositoryError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotTerm {
    pub term: String,
    /// Searches of the term since it was first searched.
    pub count: i64,
    pub last_searched_at: DateTime<Utc>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SearchTerms: Send + Sync {
    /// Counts one search of `term` (normalised, non-empty, at most
    /// [`super::MAX_TEXT_CHARS`] characters). Concurrent records of one term all count.
    async fn record(&self, term: &str, at: DateTime<Utc>) -> Result<(), RepositoryError>;

    /// At most `limit` terms, most searched first (ties: most recently searched, then
    /// term), only those last searched at or after `since` when given.
    async fn hot(
        &self,
        limit: u64,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<HotTerm>, RepositoryError>;
}
