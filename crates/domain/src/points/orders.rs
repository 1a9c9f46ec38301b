//! A points order: one user buying one package, paid through the payments core.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Fen;
use crate::order::{OpenId, OrderNumber};
use crate::payments::UnknownName;
use crate::ports::{CasOutcome, Page, PageRequest, RepositoryError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PointsOrderStatus {
    /// Waiting for payment.
    Pending,
    /// Paid: the points were (or are being) credited.
    Paid,
    /// Cancelled by the buyer or expired before payment.
    Closed,
    /// Part of the payment was given back (and proportional points taken back).
    PartlyRefunded,
    /// All of it was given back.
    Refunded,
}

impl PointsOrderStatus {
    pub const ALL: [PointsOrderStatus; 5] = [
        PointsOrderStatus::Pending,
        PointsOrderStatus::Paid,
        PointsOrderStatus::Closed,
        PointsOrderStatus::PartlyRefunded,
        PointsOrderStatus::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PointsOrderStatus::Pending => "pending",
            PointsOrderStatus::Paid => "paid",
            PointsOrderStatus::Closed => "closed",
            PointsOrderStatus::PartlyRefunded => "partly_refunded",
            PointsOrderStatus::Refunded => "refunded",
        }
    }

    /// Money was received for it (whatever was given back later).
    pub fn money_received(self) -> bool {
        match self {
            PointsOrderStatus::Paid
            | PointsOrderStatus::PartlyRefunded
            | PointsOrderStatus::Refunded => true,
            PointsOrderStatus::Pending | PointsOrderStatus::Closed => false,
        }
    }
}

impl FromStr for PointsOrderStatus {
    type Err = UnknownName;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        PointsOrderStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == raw)
            .ok_or_else(|| UnknownName {
                kind: "points order status",
                value: raw.to_owned(),
            })
    }
}

impl fmt::Display for PointsOrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsOrder {
    pub order_no: OrderNumber,
    pub user: OpenId,
    pub package_id: i64,
    /// The package as it was sold.
    pub package_name: String,
    pub amount: Fen,
    pub points: i64,
    pub bonus_points: i64,
    pub status: PointsOrderStatus,
    pub transaction_id: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    /// The sum of refunds that succeeded.
    pub refunded: Fen,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl PointsOrder {
    pub fn total_points(&self) -> i64 {
        self.points + self.bonus_points
    }

    /// The points taken back once `refunded` of the amount was given back: in proportion,
    /// rounded down, all of them once everything was.
    pub fn points_taken_back(&self, refunded: Fen) -> i64 {
        let amount = self.amount.value();
        if amount <= 0 || refunded.value() >= amount {
            return self.total_points();
        }
        let taken = i128::from(self.total_points()) * i128::from(refunded.value().max(0))
            / i128::from(amount);
        i64::try_from(taken).unwrap_or(i64::MAX)
    }

    /// The order after a change, for [`PointsOrderRepository::apply`].
    pub fn changed(
        &self,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut PointsOrder),
    ) -> PointsOrderChange {
        let mut next = self.clone();
        change(&mut next);
        next.updated_at = now;
        next.version = self.version + 1;
        PointsOrderChange {
            expected_status: self.status,
            expected_version: self.version,
            order: next,
        }
    }
}

/// A compare-and-set on status and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsOrderChange {
    pub expected_status: PointsOrderStatus,
    pub expected_version: i32,
    pub order: PointsOrder,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PointsOrderFilter {
    pub user: Option<OpenId>,
    pub status: Option<PointsOrderStatus>,
    pub package_id: Option<i64>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

/// Packages sold and revenue on one UTC+8 day (by payment time).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SalesDay {
    pub day: Option<NaiveDate>,
    pub orders: u64,
    pub revenue: Fen,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PointsOrderRepository: Send + Sync {
    async fn insert(&self, order: &PointsOrder) -> Result<(), RepositoryError>;

    async fn find(&self, order_no: &OrderNumber) -> Result<Option<PointsOrder>, RepositoryError>;

    async fn apply(&self, change: &PointsOrderChange) -> Result<CasOutcome, RepositoryError>;

    /// Newest first.
    async fn list(
        &self,
        filter: &PointsOrderFilter,
        page: PageRequest,
    ) -> Result<Page<PointsOrder>, RepositoryError>;

    /// Whether any order refers to the package.
    async fn package_sold(&self, package_id: i64) -> Result<bool, RepositoryError>;

    /// Paid orders and their revenue per UTC+8 day in `[from, before)`.
    async fn sales(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<SalesDay>, RepositoryError>;
}
