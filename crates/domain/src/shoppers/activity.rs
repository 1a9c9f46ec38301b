//! Favourites and browsing history: small bounded lists per shopper, newest first.

use std::sync::Arc;

use crate::catalog::ProductId;
use crate::order::OpenId;
use crate::ports::{Clock, Page, PageRequest};
use crate::services::ServiceError;

use super::ports::{Bounded, Favourite, FavouriteRepository, HistoryRepository, Viewed};

/// The most favourites one shopper keeps: adding more is refused.
pub const MAX_FAVOURITES: usize = 500;
/// The most product views one shopper's history keeps: older ones are dropped.
pub const MAX_HISTORY: usize = 200;

fn checked_product(product: ProductId) -> Result<ProductId, ServiceError> {
    if product.value() > 0 {
        Ok(product)
    } else {
        Err(ServiceError::Validation(format!(
            "product id must be positive, got {product}"
        )))
    }
}

pub struct Favourites {
    favourites: Arc<dyn FavouriteRepository>,
    clock: Arc<dyn Clock>,
}

impl Favourites {
    pub fn new(favourites: Arc<dyn FavouriteRepository>, clock: Arc<dyn Clock>) -> Self {
        Favourites { favourites, clock }
    }

    /// Idempotent: adding a favourite twice keeps one. `true` when it was new.
    pub async fn add(&self, buyer: &OpenId, product: ProductId) -> Result<bool, ServiceError> {
        let product = checked_product(product)?;
        match self
            .favourites
            .add(buyer, product, MAX_FAVOURITES, self.clock.now())
            .await?
        {
            Bounded::Inserted(added) => Ok(added),
            Bounded::Full => Err(ServiceError::Conflict(format!(
                "at most {MAX_FAVOURITES} favourites; remove some first"
            ))),
        }
    }

    /// Idempotent: `true` when it was a favourite.
    pub async fn remove(&self, buyer: &OpenId, product: ProductId) -> Result<bool, ServiceError> {
        Ok(self.favourites.remove(buyer, product).await?)
    }

    pub async fn list(
        &self,
        buyer: &OpenId,
        page: PageRequest,
    ) -> Result<Page<Favourite>, ServiceError> {
        Ok(self.favourites.list(buyer, page).await?)
    }

    pub async fn is_favourite(
        &self,
        buyer: &OpenId,
        product: ProductId,
    ) -> Result<bool, ServiceError> {
        Ok(self.favourites.contains(buyer, product).await?)
    }
}

pub struct BrowsingHistory {
    history: Arc<dyn HistoryRepository>,
    clock: Arc<dyn Clock>,
}

impl BrowsingHistory {
    pub fn new(history: Arc<dyn HistoryRepository>, clock: Arc<dyn Clock>) -> Self {
        BrowsingHistory { history, clock }
    }

    /// A product page was viewed: it goes to the top of the history.
    pub async fn record(&self, buyer: &OpenId, product: ProductId) -> Result<(), ServiceError> {
        let product = checked_product(product)?;
        Ok(self
            .history
            .record(buyer, product, MAX_HISTORY, self.clock.now())
            .await?)
    }

    pub async fn list(
        &self,
        buyer: &OpenId,
        page: PageRequest,
    ) -> Result<Page<Viewed>, ServiceError> {
        Ok(self.history.list(buyer, page).await?)
    }

    /// How many views were forgotten.
    pub async fn clear(&self, buyer: &OpenId) -> Result<u64, ServiceError> {
        Ok(self.history.clear(buyer).await?)
    }
}
