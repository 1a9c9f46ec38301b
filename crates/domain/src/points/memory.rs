//! The points context's storage in memory, with the same guarded updates and unique
//! references as the database adapter: for the tests here and in other crates.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use crate::accounts::audit::AuditEntry;
use crate::money::Fen;
use crate::order::{OpenId, OrderNumber};
use crate::ports::{CasOutcome, Page, PageRequest, RepositoryError};

use super::ledger::{
    Drift, LedgerEntry, PointsAccount, PointsDay, PointsLedger, PostOutcome, Posting,
};
use super::orders::{
    PointsOrder, PointsOrderChange, PointsOrderFilter, PointsOrderRepository, SalesDay,
};
use super::packages::{Package, PackageDraft, PackageRepository};

#[derive(Debug, Default)]
pub struct PointsState {
    pub accounts: BTreeMap<String, PointsAccount>,
    pub entries: Vec<LedgerEntry>,
    pub audit: Vec<AuditEntry>,
    pub packages: Vec<Package>,
    pub orders: Vec<PointsOrder>,
}

#[derive(Debug, Clone, Default)]
pub struct MemoryPoints {
    state: Arc<Mutex<PointsState>>,
}

impl MemoryPoints {
    pub fn new() -> Self {
        MemoryPoints::default()
    }

    pub fn state(&self) -> MutexGuard<'_, PointsState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn china_day(at: DateTime<Utc>) -> Option<NaiveDate> {
    FixedOffset::east_opt(8 * 3600).map(|china| at.with_timezone(&china).date_naive())
}

fn page_of<T: Clone>(items: Vec<T>, page: PageRequest) -> Page<T> {
    let total = items.len() as u64;
    let items = items
        .into_iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(page.limit).unwrap_or(usize::MAX))
        .collect();
    Page {
        items,
        total,
        page: page.page,
        limit: page.limit,
    }
}

#[async_trait]
impl PointsLedger for MemoryPoints {
    async fn post(
        &self,
        posting: &Posting,
        audit: Option<AuditEntry>,
    ) -> Result<PostOutcome, RepositoryError> {
        let mut state = self.state();
        if let Some(earlier) = state
            .entries
            .iter()
            .find(|entry| entry.kind == posting.kind && entry.reference == posting.reference)
        {
            return Ok(PostOutcome::AlreadyPosted(earlier.clone()));
        }
        let balance = state
            .accounts
            .get(posting.user.as_str())
            .map_or(0, |account| account.balance);
        let Some(after) = balance
            .checked_add(posting.delta)
            .filter(|after| *after >= 0)
        else {
            return Ok(PostOutcome::Insufficient { balance });
        };
        state.accounts.insert(
            posting.user.as_str().to_owned(),
            PointsAccount {
                user: posting.user.clone(),
                balance: after,
                updated_at: posting.at,
            },
        );
        let entry = LedgerEntry {
            id: state.entries.len() as i64 + 1,
            user: posting.user.clone(),
            kind: posting.kind,
            reference: posting.reference.clone(),
            delta: posting.delta,
            balance_after: after,
            note: posting.note.clone(),
            created_at: posting.at,
        };
        state.entries.push(entry.clone());
        if let Some(audit) = audit {
            state.audit.push(audit);
        }
        Ok(PostOutcome::Posted(entry))
    }

    async fn account(&self, user: &OpenId) -> Result<Option<PointsAccount>, RepositoryError> {
        Ok(self.state().accounts.get(user.as_str()).cloned())
    }

    async fn entries(
        &self,
        user: &OpenId,
        page: PageRequest,
    ) -> Result<Page<LedgerEntry>, RepositoryError> {
        let entries: Vec<LedgerEntry> = self
            .state()
            .entries
            .iter()
            .rev()
            .filter(|entry| &entry.user == user)
            .cloned()
            .collect();
        Ok(page_of(entries, page))
    }

    async fn drifted(&self, limit: u64) -> Result<Vec<Drift>, RepositoryError> {
        let state = self.state();
        Ok(state
            .accounts
            .values()
            .filter_map(|account| {
                let ledger_sum: i64 = state
                    .entries
                    .iter()
                    .filter(|entry| entry.user == account.user)
                    .map(|entry| entry.delta)
                    .sum();
                (ledger_sum != account.balance).then(|| Drift {
                    user: account.user.clone(),
                    balance: account.balance,
                    ledger_sum,
                })
            })
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect())
    }

    async fn daily(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<PointsDay>, RepositoryError> {
        let mut days: BTreeMap<Option<NaiveDate>, PointsDay> = BTreeMap::new();
        for entry in self
            .state()
            .entries
            .iter()
            .filter(|entry| entry.created_at >= from && entry.created_at < before)
        {
            let day = china_day(entry.created_at);
            let figures = days.entry(day).or_insert_with(|| PointsDay {
                day,
                ..PointsDay::default()
            });
            figures.count(entry.kind, entry.delta);
        }
        Ok(days.into_values().collect())
    }
}

#[async_trait]
impl PackageRepository for MemoryPoints {
    async fn insert(
        &self,
        draft: &PackageDraft,
        now: DateTime<Utc>,
    ) -> Result<Package, RepositoryError> {
        let mut state = self.state();
        let package = Package {
            id: state.packages.iter().map(|p| p.id).max().unwrap_or(0) + 1,
            name: draft.name.trim().to_owned(),
            description: draft.description.clone(),
            amount: draft.amount,
            points: draft.points,
            bonus_points: draft.bonus_points,
            active: draft.active,
            sort_order: draft.sort_order,
            created_at: now,
            updated_at: now,
        };
        state.packages.push(package.clone());
        Ok(package)
    }

    async fn update(
        &self,
        id: i64,
        draft: &PackageDraft,
        now: DateTime<Utc>,
    ) -> Result<Option<Package>, RepositoryError> {
        let mut state = self.state();
        let Some(package) = state.packages.iter_mut().find(|p| p.id == id) else {
            return Ok(None);
        };
        package.name = draft.name.trim().to_owned();
        package.description = draft.description.clone();
        package.amount = draft.amount;
        package.points = draft.points;
        package.bonus_points = draft.bonus_points;
        package.active = draft.active;
        package.sort_order = draft.sort_order;
        package.updated_at = now;
        Ok(Some(package.clone()))
    }

    async fn find(&self, id: i64) -> Result<Option<Package>, RepositoryError> {
        Ok(self.state().packages.iter().find(|p| p.id == id).cloned())
    }

    async fn list(&self, only_active: bool) -> Result<Vec<Package>, RepositoryError> {
        let mut packages: Vec<Package> = self
            .state()
            .packages
            .iter()
            .filter(|p| !only_active || p.active)
            .cloned()
            .collect();
        packages.sort_by_key(|p| (p.sort_order, p.id));
        Ok(packages)
    }

    async fn delete_unsold(&self, id: i64) -> Result<bool, RepositoryError> {
        let mut state = self.state();
        if state.orders.iter().any(|order| order.package_id == id) {
            return Ok(false);
        }
        let before = state.packages.len();
        state.packages.retain(|p| p.id != id);
        Ok(state.packages.len() < before)
    }
}

#[async_trait]
impl PointsOrderRepository for MemoryPoints {
    async fn insert(&self, order: &PointsOrder) -> Result<(), RepositoryError> {
        let mut state = self.state();
        if state.orders.iter().any(|o| o.order_no == order.order_no) {
            return Err(RepositoryError::Duplicate(format!(
                "points order {}",
                order.order_no
            )));
        }
        state.orders.push(order.clone());
        Ok(())
    }

    async fn find(&self, order_no: &OrderNumber) -> Result<Option<PointsOrder>, RepositoryError> {
        Ok(self
            .state()
            .orders
            .iter()
            .find(|o| &o.order_no == order_no)
            .cloned())
    }

    async fn apply(&self, change: &PointsOrderChange) -> Result<CasOutcome, RepositoryError> {
        let mut state = self.state();
        let Some(stored) = state
            .orders
            .iter_mut()
            .find(|o| o.order_no == change.order.order_no)
        else {
            return Ok(CasOutcome::Lost);
        };
        if stored.status != change.expected_status || stored.version != change.expected_version {
            return Ok(CasOutcome::Lost);
        }
        *stored = change.order.clone();
        Ok(CasOutcome::Won)
    }

    async fn list(
        &self,
        filter: &PointsOrderFilter,
        page: PageRequest,
    ) -> Result<Page<PointsOrder>, RepositoryError> {
        let orders: Vec<PointsOrder> = self
            .state()
            .orders
            .iter()
            .rev()
            .filter(|o| filter.user.as_ref().is_none_or(|user| &o.user == user))
            .filter(|o| filter.status.is_none_or(|status| o.status == status))
            .filter(|o| filter.package_id.is_none_or(|id| o.package_id == id))
            .filter(|o| filter.created_from.is_none_or(|from| o.created_at >= from))
            .filter(|o| {
                filter
                    .created_before
                    .is_none_or(|before| o.created_at < before)
            })
            .cloned()
            .collect();
        Ok(page_of(orders, page))
    }

    async fn package_sold(&self, package_id: i64) -> Result<bool, RepositoryError> {
        Ok(self
            .state()
            .orders
            .iter()
            .any(|o| o.package_id == package_id))
    }

    async fn sales(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<SalesDay>, RepositoryError> {
        let mut days: BTreeMap<Option<NaiveDate>, SalesDay> = BTreeMap::new();
        for order in self.state().orders.iter() {
            let Some(paid_at) = order.paid_at.filter(|at| *at >= from && *at < before) else {
                continue;
            };
            if !order.status.money_received() {
                continue;
            }
            let day = china_day(paid_at);
            let figures = days.entry(day).or_insert_with(|| SalesDay {
                day,
                ..SalesDay::default()
            });
            figures.orders += 1;
            figures.revenue = Fen::new(figures.revenue.value() + order.amount.value());
        }
        Ok(days.into_values().collect())
    }
}
