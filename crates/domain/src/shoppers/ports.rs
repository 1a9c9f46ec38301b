//! What the shoppers context needs from storage. The bounds (addresses, favourites,
//! history) and the one-default rule are kept by the adapter, atomically: a count read by
//! the service and written later would let two concurrent requests pass the same check.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::catalog::ProductId;
use crate::order::OpenId;
use crate::ports::{CasOutcome, Page, PageRequest, RepositoryError};

use super::address::{Address, AddressFields, AddressId};

/// What an insert into a bounded collection did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bounded<T> {
    Inserted(T),
    /// The shopper already has as many as allowed; nothing changed.
    Full,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Favourite {
    pub product: ProductId,
    pub added_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewed {
    pub product: ProductId,
    pub viewed_at: DateTime<Utc>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AddressRepository: Send + Sync {
    /// The shopper's addresses, the default first, then newest first.
    async fn list(&self, buyer: &OpenId) -> Result<Vec<Address>, RepositoryError>;

    /// One of the shopper's addresses; someone else's is `None`.
    async fn find(&self, buyer: &OpenId, id: AddressId)
    -> Result<Option<Address>, RepositoryError>;

    /// A new address (version 1), unless the shopper has `limit` already. The first one a
    /// shopper has becomes the default.
    async fn insert(
        &self,
        buyer: &OpenId,
        fields: &AddressFields,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Bounded<Address>, RepositoryError>;

    /// Writes `fields` over the shopper's address if it is still at `expected_version`
    /// (the version moves on by one); the default flag is untouched.
    async fn update(
        &self,
        buyer: &OpenId,
        id: AddressId,
        expected_version: i64,
        fields: &AddressFields,
        now: DateTime<Utc>,
    ) -> Result<CasOutcome, RepositoryError>;

    /// Deletes the shopper's address; when it was the default, the newest remaining one
    /// becomes the default in the same step. `false` when there is no such address.
    async fn delete(
        &self,
        buyer: &OpenId,
        id: AddressId,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// Makes the address the shopper's only default. `false` when there is no such
    /// address of theirs (nothing changed).
    async fn set_default(
        &self,
        buyer: &OpenId,
        id: AddressId,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait FavouriteRepository: Send + Sync {
    /// Adds the product unless it is there already (`Inserted(false)`, nothing changed) or
    /// the shopper has `limit` favourites.
    async fn add(
        &self,
        buyer: &OpenId,
        product: ProductId,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Bounded<bool>, RepositoryError>;

    /// `false` when it was not a favourite.
    async fn remove(&self, buyer: &OpenId, product: ProductId) -> Result<bool, RepositoryError>;

    /// Newest first.
    async fn list(
        &self,
        buyer: &OpenId,
        page: PageRequest,
    ) -> Result<Page<Favourite>, RepositoryError>;

    async fn contains(&self, buyer: &OpenId, product: ProductId) -> Result<bool, RepositoryError>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait HistoryRepository: Send + Sync {
    /// Records a view: a product viewed before moves to the top; a new one is added, the
    /// oldest views beyond `limit` being dropped in the same step.
    async fn record(
        &self,
        buyer: &OpenId,
        product: ProductId,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// Newest first.
    async fn list(
        &self,
        buyer: &OpenId,
        page: PageRequest,
    ) -> Result<Page<Viewed>, RepositoryError>;

    /// Forgets the shopper's history; how many views were dropped.
    async fn clear(&self, buyer: &OpenId) -> Result<u64, RepositoryError>;
}
