//! Storage of after-sales.

use async_trait::async_trait;

use crate::order::OrderNumber;
use crate::ports::{CasOutcome, RepositoryError};

use super::model::{AfterSale, AfterSaleKey};
use super::transition::AfterSaleTransition;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AfterSaleRepository: Send + Sync {
    /// Stores a new application. `Duplicate` when its key is taken: another application
    /// for the item was stored since the item was read (read again and decide again).
    /// A database enforces it with a unique key on (order, line, seq).
    async fn insert(&self, after_sale: &AfterSale) -> Result<(), RepositoryError>;

    async fn find(&self, key: &AfterSaleKey) -> Result<Option<AfterSale>, RepositoryError>;

    /// Every after-sale of an order, by line then seq.
    async fn for_order(&self, order_no: &OrderNumber) -> Result<Vec<AfterSale>, RepositoryError>;

    /// A conditional update on key, status and version with the effects, in one
    /// transaction; `Lost`: nothing written. `Duplicate` when it would put a second
    /// after-sale of the same order in `refunding` (a unique index on the order of
    /// refunding rows), so that each refund the payments core reports names one after-sale.
    async fn apply(&self, transition: &AfterSaleTransition) -> Result<CasOutcome, RepositoryError>;
}
