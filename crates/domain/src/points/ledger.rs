//! Points: one account per user and an append-only ledger. A balance changes only with a
//! ledger row, by a guarded update (`balance + delta >= 0`) in the same transaction, so it
//! can never go negative; a business event posts at most once (its reference is unique
//! per kind).

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::accounts::audit::AuditEntry;
use crate::order::OpenId;
use crate::payments::UnknownName;
use crate::ports::{Page, PageRequest, RepositoryError};

/// Why points moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// The points a package grants, when its payment arrived.
    PackagePurchase,
    /// The bonus points a package grants on top.
    Bonus,
    /// Points taken back because the payment was refunded (or given back when a refund
    /// that took them failed).
    RefundReversal,
    /// A person's correction, with a reason, audited.
    AdminAdjustment,
    /// Points spent (e.g. at the mall's checkout).
    Spend,
    /// Points that expired.
    Expiry,
}

impl EntryKind {
    pub const ALL: [EntryKind; 6] = [
        EntryKind::PackagePurchase,
        EntryKind::Bonus,
        EntryKind::RefundReversal,
        EntryKind::AdminAdjustment,
        EntryKind::Spend,
        EntryKind::Expiry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::PackagePurchase => "package_purchase",
            EntryKind::Bonus => "bonus",
            EntryKind::RefundReversal => "refund_reversal",
            EntryKind::AdminAdjustment => "admin_adjustment",
            EntryKind::Spend => "spend",
            EntryKind::Expiry => "expiry",
        }
    }

    /// Points this kind brings in (as opposed to takes out) when its delta is positive.
    pub fn issues(self) -> bool {
        match self {
            EntryKind::PackagePurchase | EntryKind::Bonus | EntryKind::AdminAdjustment => true,
            EntryKind::RefundReversal | EntryKind::Spend | EntryKind::Expiry => false,
        }
    }
}

impl FromStr for EntryKind {
    type Err = UnknownName;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        EntryKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw)
            .ok_or_else(|| UnknownName {
                kind: "points entry kind",
                value: raw.to_owned(),
            })
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The business event a posting belongs to: unique per kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reference {
    /// What kind of event (`points_order`, `points_refund`, `admin`, `mall_order`...).
    pub biz_type: String,
    pub biz_id: String,
}

impl Reference {
    pub fn new(biz_type: &str, biz_id: impl Into<String>) -> Self {
        Reference {
            biz_type: biz_type.to_owned(),
            biz_id: biz_id.into(),
        }
    }
}

/// A change of balance to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub user: OpenId,
    pub kind: EntryKind,
    pub reference: Reference,
    /// Positive credits, negative debits; never zero.
    pub delta: i64,
    pub note: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub id: i64,
    pub user: OpenId,
    pub kind: EntryKind,
    pub reference: Reference,
    pub delta: i64,
    /// The account's balance right after this entry.
    pub balance_after: i64,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsAccount {
    pub user: OpenId,
    pub balance: i64,
    pub updated_at: DateTime<Utc>,
}

/// What became of a posting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostOutcome {
    Posted(LedgerEntry),
    /// The same (kind, reference) was posted before: nothing changed; the earlier entry.
    AlreadyPosted(LedgerEntry),
    /// The balance would go negative: nothing changed.
    Insufficient {
        balance: i64,
    },
}

/// An account whose balance is not the sum of its ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub user: OpenId,
    pub balance: i64,
    pub ledger_sum: i64,
}

/// Points issued and spent on one UTC+8 day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PointsDay {
    pub day: Option<NaiveDate>,
    /// Positive entries of kinds that issue points.
    pub issued: i64,
    /// Points spent (as a positive number).
    pub spent: i64,
    /// Points taken back by refunds (as a positive number, net of any given back).
    pub reversed: i64,
}

impl PointsDay {
    /// Adds an entry to its day's figures: the one rule every ledger adapter counts by.
    pub fn count(&mut self, kind: EntryKind, delta: i64) {
        match kind {
            EntryKind::PackagePurchase | EntryKind::Bonus | EntryKind::AdminAdjustment => {
                if delta > 0 {
                    self.issued += delta;
                }
            }
            EntryKind::Spend | EntryKind::Expiry => self.spent -= delta,
            EntryKind::RefundReversal => self.reversed -= delta,
        }
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PointsLedger: Send + Sync {
    /// Posts in one transaction: the ledger row unique on (kind, biz_type, biz_id), the
    /// guarded balance update (the account is created at zero on its first posting), and
    /// `audit` when a person made it.
    async fn post(
        &self,
        posting: &Posting,
        audit: Option<AuditEntry>,
    ) -> Result<PostOutcome, RepositoryError>;

    async fn account(&self, user: &OpenId) -> Result<Option<PointsAccount>, RepositoryError>;

    /// A user's entries, newest first.
    async fn entries(
        &self,
        user: &OpenId,
        page: PageRequest,
    ) -> Result<Page<LedgerEntry>, RepositoryError>;

    /// Every account whose balance differs from the sum of its ledger (at most `limit`).
    async fn drifted(&self, limit: u64) -> Result<Vec<Drift>, RepositoryError>;

    /// Points issued, spent and reversed per UTC+8 day in `[from, before)`.
    async fn daily(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<PointsDay>, RepositoryError>;
}
