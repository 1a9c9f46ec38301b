//! What the figures are read from. Every method covers the half-open period
//! `[from, before)` in UTC.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::ports::RepositoryError;

use super::model::{PaidOrder, RefundTotal, SkuUnits};

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MallStatisticsRepository: Send + Sync {
    /// When each order placed in the period was placed (any status).
    async fn placed(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, RepositoryError>;

    /// The orders whose payment (by the payment's own time) lies in the period. Payments
    /// given back (late or repeated) are not among them: they never paid an order.
    async fn paid(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<PaidOrder>, RepositoryError>;

    /// After-sales that reached `refunded` in the period.
    async fn refunded(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<RefundTotal, RepositoryError>;

    /// Per SKU with a deduct or after-sale restock movement in the period: the units of
    /// each, with the SKU's product. Any order.
    async fn units(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<SkuUnits>, RepositoryError>;

    /// Distinct shoppers whose browsing history holds a view in the period. The history
    /// keeps each shopper's latest view per product, so a shopper counts in the period of
    /// a product's latest view.
    async fn viewers(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<u64, RepositoryError>;
}
