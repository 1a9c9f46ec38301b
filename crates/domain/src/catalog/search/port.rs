//! The search index as a port: the default adapter is an in-process index (crate
//! `elife-search`), rebuilt from the database at start-up; the database stays the authority.

use std::error::Error;

use async_trait::async_trait;

use crate::catalog::ids::ProductId;
use crate::services::ServiceError;

use super::document::SearchDocument;
use super::query::SearchQuery;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchHit {
    pub product_id: ProductId,
    /// The text relevance (higher is better); equal for every hit of an empty text.
    pub score: f32,
}

/// One page of hits in the order asked for, and how many products matched in all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchResults {
    pub total: u64,
    pub hits: Vec<SearchHit>,
}

/// The index failed (it is in memory: this is a bug or exhausted memory, not a network).
#[derive(Debug, thiserror::Error)]
#[error("the search index failed: {0}")]
pub struct SearchIndexError(#[source] pub Box<dyn Error + Send + Sync>);

impl SearchIndexError {
    pub fn new(error: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        SearchIndexError(error.into())
    }
}

impl From<SearchIndexError> for ServiceError {
    fn from(error: SearchIndexError) -> Self {
        ServiceError::Unavailable(error.to_string())
    }
}

/// Every write is visible to the next search once it returns.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ProductSearch: Send + Sync {
    /// Adds the product, or replaces what was indexed for it.
    async fn upsert(&self, document: SearchDocument) -> Result<(), SearchIndexError>;

    /// Forgets the product; nothing happens if it was not indexed.
    async fn remove(&self, product: ProductId) -> Result<(), SearchIndexError>;

    /// Replaces the whole index with `documents`, at once for searchers.
    async fn replace_all(&self, documents: Vec<SearchDocument>) -> Result<(), SearchIndexError>;

    /// The page of hits `query` asks for. The text is normalised and the query valid
    /// (see [`SearchQuery::problems`]); an empty text matches every product.
    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchIndexError>;
}
