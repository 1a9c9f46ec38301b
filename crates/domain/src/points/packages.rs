//! What the shop sells: a package costs an amount and grants points plus bonus points.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Fen;
use crate::ports::RepositoryError;

/// A package as an admin writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageDraft {
    pub name: String,
    pub description: String,
    pub amount: Fen,
    pub points: i64,
    pub bonus_points: i64,
    pub active: bool,
    pub sort_order: i32,
}

impl PackageDraft {
    /// Every problem at once, or nothing.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            problems.push("name must have 1 to 64 characters".to_owned());
        }
        if self.description.chars().count() > 500 {
            problems.push("description must have at most 500 characters".to_owned());
        }
        if self.amount.value() <= 0 || self.amount.value() > 10_000_000 {
            problems.push("amount must be between 1 and 10000000 fen".to_owned());
        }
        if self.points <= 0 || self.points > 1_000_000_000 {
            problems.push("points must be between 1 and 1000000000".to_owned());
        }
        if self.bonus_points < 0 || self.bonus_points > 1_000_000_000 {
            problems.push("bonusPoints must be between 0 and 1000000000".to_owned());
        }
        problems
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub amount: Fen,
    pub points: i64,
    pub bonus_points: i64,
    pub active: bool,
    pub sort_order: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Package {
    /// Points a purchase grants in all.
    pub fn total_points(&self) -> i64 {
        self.points + self.bonus_points
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PackageRepository: Send + Sync {
    async fn insert(
        &self,
        draft: &PackageDraft,
        now: DateTime<Utc>,
    ) -> Result<Package, RepositoryError>;

    /// `None` when there is no such package.
    async fn update(
        &self,
        id: i64,
        draft: &PackageDraft,
        now: DateTime<Utc>,
    ) -> Result<Option<Package>, RepositoryError>;

    async fn find(&self, id: i64) -> Result<Option<Package>, RepositoryError>;

    /// By sort order then id; only active ones when asked.
    async fn list(&self, only_active: bool) -> Result<Vec<Package>, RepositoryError>;

    /// Deletes a package no order refers to; `false` when orders refer to it (nothing
    /// deleted) or it does not exist.
    async fn delete_unsold(&self, id: i64) -> Result<bool, RepositoryError>;
}
