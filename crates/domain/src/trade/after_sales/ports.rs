//! Storage of after-sales.

use async_trait::async_trait;

use crate::order::{OpenId, OrderNumber};
use crate::ports::{CasOutcome, Page, PageRequest, RepositoryError};

use super::model::{AfterSale, AfterSaleKey};
use super::status::AfterSaleStatus;
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

    /// The merchant's queue: after-sales of `status` (all when `None`), newest first (by
    /// creation, then key), one page with the total.
    async fn list(
        &self,
        status: Option<AfterSaleStatus>,
        page: PageRequest,
    ) -> Result<Page<AfterSale>, RepositoryError>;

    /// The buyer's after-sales, newest first; the buyer is part of the query.
    async fn for_buyer(
        &self,
        buyer: &OpenId,
        page: PageRequest,
    ) -> Result<Page<AfterSale>, RepositoryError>;
}
