//! Freight templates as stored: the repository port the checkout reads and the admin edits.
//!
//! The pricing pipeline takes [`FreightTemplate`]s as they are; storage adds a name, a
//! version for compare-and-set, and the default mark: the catalog does not (yet) name a
//! template per product, so the checkout prices a product without one by the default
//! template. At most one template is the default (a unique key in storage).

mod admin;
#[cfg(any(test, feature = "mocks"))]
pub mod memory;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ports::{CasOutcome, RepositoryError};
use crate::trade::pricing::{ChargeBy, FreightRule, FreightTemplate};

pub use admin::{FreightTemplateAdmin, MAX_REGIONS, MAX_RULES, MAX_TEMPLATE_NAME};

/// A template as an admin writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreightTemplateDraft {
    pub name: String,
    pub charge_by: ChargeBy,
    pub rules: Vec<FreightRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFreightTemplate {
    /// What the pricing pipeline reads; `template.id` is the stored id.
    pub template: FreightTemplate,
    pub name: String,
    pub is_default: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl StoredFreightTemplate {
    pub fn id(&self) -> i64 {
        self.template.id
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait FreightTemplateRepository: Send + Sync {
    /// Every template, by id.
    async fn list(&self) -> Result<Vec<StoredFreightTemplate>, RepositoryError>;

    async fn find(&self, id: i64) -> Result<Option<StoredFreightTemplate>, RepositoryError>;

    /// The templates of these ids that exist, by id: what a quote needs.
    async fn find_many(&self, ids: &[i64]) -> Result<Vec<FreightTemplate>, RepositoryError>;

    /// The template of products that name none, if one is marked.
    async fn find_default(&self) -> Result<Option<StoredFreightTemplate>, RepositoryError>;

    /// A new template at version 1, not the default.
    async fn insert(
        &self,
        draft: &FreightTemplateDraft,
        now: DateTime<Utc>,
    ) -> Result<StoredFreightTemplate, RepositoryError>;

    /// Writes `draft` over the template if it is still at `expected_version`.
    async fn update(
        &self,
        id: i64,
        expected_version: i64,
        draft: &FreightTemplateDraft,
        now: DateTime<Utc>,
    ) -> Result<CasOutcome, RepositoryError>;

    /// Makes the template the only default; `false` when it does not exist.
    async fn set_default(&self, id: i64, now: DateTime<Utc>) -> Result<bool, RepositoryError>;

    /// Deletes the template unless it is the default; `false` when nothing was deleted.
    async fn delete(&self, id: i64) -> Result<bool, RepositoryError>;
}
