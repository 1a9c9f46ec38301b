//! Reviews in memory, with the database adapter's unique (order, line) key and its
//! reply-once conditional update.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use crate::catalog::ProductId;
use crate::order::OpenId;
use crate::ports::{CasOutcome, Page, PageRequest, RepositoryError};

use super::model::{NewReview, Reply, Review, ReviewId};
use super::ports::{ReviewFilter, ReviewRepository};
use super::stats::ReviewCounts;

#[derive(Debug, Default)]
pub struct ReviewState {
    pub reviews: BTreeMap<ReviewId, Review>,
    pub next_id: i64,
    /// Fail the next `fail_next` calls with `Unavailable`.
    pub fail_next: usize,
}

#[derive(Debug, Clone, Default)]
pub struct MemoryReviews {
    state: Arc<Mutex<ReviewState>>,
}

impl MemoryReviews {
    pub fn new() -> Self {
        MemoryReviews::default()
    }

    pub fn state(&self) -> MutexGuard<'_, ReviewState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn checked(&self) -> Result<MutexGuard<'_, ReviewState>, RepositoryError> {
        let mut state = self.state();
        if state.fail_next > 0 {
            state.fail_next -= 1;
            return Err(RepositoryError::Unavailable("memory outage".to_owned()));
        }
        Ok(state)
    }
}

/// Newest first, ties by id descending, then the page window.
fn page_of(mut found: Vec<Review>, page: PageRequest) -> Page<Review> {
    found.sort_by_key(|review| std::cmp::Reverse((review.created_at, review.id)));
    let number = page.page.max(1);
    let limit = page.limit.min(PageRequest::MAX_LIMIT);
    let offset = usize::try_from((number - 1).saturating_mul(limit)).unwrap_or(usize::MAX);
    let total = found.len() as u64;
    let items = found
        .into_iter()
        .skip(offset)
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    Page {
        items,
        total,
        page: number,
        limit,
    }
}

#[async_trait]
impl ReviewRepository for MemoryReviews {
    async fn insert(&self, review: &NewReview) -> Result<Review, RepositoryError> {
        let mut state = self.checked()?;
        if state
            .reviews
            .values()
            .any(|r| r.order_no == review.order_no && r.line == review.line)
        {
            return Err(RepositoryError::Duplicate(format!(
                "a review of order {} line {}",
                review.order_no, review.line
            )));
        }
        state.next_id += 1;
        let id = ReviewId(state.next_id);
        let stored = Review::stored(id, review.clone());
        state.reviews.insert(id, stored.clone());
        Ok(stored)
    }

    async fn find(&self, id: ReviewId) -> Result<Option<Review>, RepositoryError> {
        Ok(self.checked()?.reviews.get(&id).cloned())
    }

    async fn reply(&self, id: ReviewId, reply: &Reply) -> Result<CasOutcome, RepositoryError> {
        let mut state = self.checked()?;
        match state.reviews.get_mut(&id) {
            Some(review) if review.reply.is_none() => {
                review.reply = Some(reply.clone());
                Ok(CasOutcome::Won)
            }
            Some(_) | None => Ok(CasOutcome::Lost),
        }
    }

    async fn for_product(
        &self,
        product: ProductId,
        filter: ReviewFilter,
        page: PageRequest,
    ) -> Result<Page<Review>, RepositoryError> {
        let found = self
            .checked()?
            .reviews
            .values()
            .filter(|r| r.product_id == product)
            .filter(|r| match filter {
                ReviewFilter::All => true,
                ReviewFilter::WithImages => !r.images.is_empty(),
            })
            .cloned()
            .collect();
        Ok(page_of(found, page))
    }

    async fn all(&self, page: PageRequest) -> Result<Page<Review>, RepositoryError> {
        let found = self.checked()?.reviews.values().cloned().collect();
        Ok(page_of(found, page))
    }

    async fn for_buyer(
        &self,
        buyer: &OpenId,
        page: PageRequest,
    ) -> Result<Page<Review>, RepositoryError> {
        let found = self
            .checked()?
            .reviews
            .values()
            .filter(|r| &r.buyer == buyer)
            .cloned()
            .collect();
        Ok(page_of(found, page))
    }

    async fn counts(&self, product: ProductId) -> Result<ReviewCounts, RepositoryError> {
        let state = self.checked()?;
        let mut counts = ReviewCounts::default();
        for review in state.reviews.values().filter(|r| r.product_id == product) {
            counts.per_star[usize::from(review.rating.stars() - 1)] += 1;
            if !review.images.is_empty() {
                counts.with_images += 1;
            }
        }
        Ok(counts)
    }
}
