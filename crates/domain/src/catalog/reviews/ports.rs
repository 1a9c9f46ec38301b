//! Storage of reviews.

use async_trait::async_trait;

use crate::catalog::ProductId;
use crate::order::OpenId;
use crate::ports::{CasOutcome, Page, PageRequest, RepositoryError};

use super::model::{NewReview, Reply, Review, ReviewId};
use super::stats::ReviewCounts;

/// Which of a product's reviews a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReviewFilter {
    #[default]
    All,
    /// Only reviews showing at least one image (有图).
    WithImages,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ReviewRepository: Send + Sync {
    /// Stores a review and gives it its id. `Duplicate` when the item (order, line) has a
    /// review already: a unique key decides between concurrent submissions.
    async fn insert(&self, review: &NewReview) -> Result<Review, RepositoryError>;

    async fn find(&self, id: ReviewId) -> Result<Option<Review>, RepositoryError>;

    /// Sets the reply only while the review has none (a conditional update); `Lost` when
    /// it has one already or does not exist.
    async fn reply(&self, id: ReviewId, reply: &Reply) -> Result<CasOutcome, RepositoryError>;

    /// A product's reviews, newest first (ties by id, newest first).
    async fn for_product(
        &self,
        product: ProductId,
        filter: ReviewFilter,
        page: PageRequest,
    ) -> Result<Page<Review>, RepositoryError>;

    /// Every review, newest first: the merchant's list.
    async fn all(&self, page: PageRequest) -> Result<Page<Review>, RepositoryError>;

    /// A buyer's own reviews, newest first.
    async fn for_buyer(
        &self,
        buyer: &OpenId,
        page: PageRequest,
    ) -> Result<Page<Review>, RepositoryError>;

    /// Counts per star and with images over the product's reviews (an aggregate query).
    async fn counts(&self, product: ProductId) -> Result<ReviewCounts, RepositoryError>;
}
