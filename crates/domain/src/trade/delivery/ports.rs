//! Storage of logistics companies, and the tracking API.

use async_trait::async_trait;

use crate::ports::RepositoryError;

use super::company::LogisticsCompany;
use super::tracking::{Tracking, TrackingError, TrackingQuery};

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LogisticsRepository: Send + Sync {
    /// By sort order, then code; only enabled ones unless `include_disabled`.
    async fn list(&self, include_disabled: bool) -> Result<Vec<LogisticsCompany>, RepositoryError>;

    async fn find(&self, code: &str) -> Result<Option<LogisticsCompany>, RepositoryError>;

    /// Creates the company or replaces the one with its code.
    async fn upsert(&self, company: &LogisticsCompany) -> Result<(), RepositoryError>;

    /// False when no company has this code.
    async fn set_enabled(&self, code: &str, enabled: bool) -> Result<bool, RepositoryError>;
}

/// A parcel-tracking API (快递100 or a simulator of it).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ParcelTracking: Send + Sync {
    async fn track(&self, query: &TrackingQuery) -> Result<Tracking, TrackingError>;
}
