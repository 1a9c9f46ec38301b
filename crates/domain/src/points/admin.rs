//! The back office of the points shop: packages (a package that sold is deactivated, not
//! deleted) and the figures per day.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::accounts::audit::{AdminAct, AuditAction, AuditLog};
use crate::money::Fen;
use crate::ports::Clock;
use crate::services::ServiceError;

use super::ledger::PointsLedger;
use super::orders::PointsOrderRepository;
use super::packages::{Package, PackageDraft, PackageRepository};

/// What became of a package an admin asked to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    Deleted,
    /// It has orders: kept, and no longer sold.
    Deactivated(Package),
}

/// One UTC+8 day of the shop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShopDay {
    pub day: Option<NaiveDate>,
    pub packages_sold: u64,
    pub revenue: Fen,
    pub points_issued: i64,
    pub points_spent: i64,
    pub points_reversed: i64,
}

pub struct PointsAdmin {
    packages: Arc<dyn PackageRepository>,
    orders: Arc<dyn PointsOrderRepository>,
    ledger: Arc<dyn PointsLedger>,
    audit: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
}

impl PointsAdmin {
    pub fn new(
        packages: Arc<dyn PackageRepository>,
        orders: Arc<dyn PointsOrderRepository>,
        ledger: Arc<dyn PointsLedger>,
        audit: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        PointsAdmin {
            packages,
            orders,
            ledger,
            audit,
            clock,
        }
    }

    pub async fn packages(&self) -> Result<Vec<Package>, ServiceError> {
        Ok(self.packages.list(false).await?)
    }

    pub async fn create(
        &self,
        draft: PackageDraft,
        act: &AdminAct,
    ) -> Result<Package, ServiceError> {
        check(&draft)?;
        let now = self.clock.now();
        let package = self.packages.insert(&draft, now).await?;
        self.audited(act, &package, "created", now).await?;
        Ok(package)
    }

    pub async fn update(
        &self,
        id: i64,
        draft: PackageDraft,
        act: &AdminAct,
    ) -> Result<Package, ServiceError> {
        check(&draft)?;
        let now = self.clock.now();
        let package = self
            .packages
            .update(id, &draft, now)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("package {id} not found")))?;
        self.audited(act, &package, "updated", now).await?;
        Ok(package)
    }

    /// Deletes a package nobody bought; one with orders is deactivated instead.
    pub async fn remove(&self, id: i64, act: &AdminAct) -> Result<Removal, ServiceError> {
        let package = self
            .packages
            .find(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("package {id} not found")))?;
        let now = self.clock.now();
        if self.packages.delete_unsold(id).await? {
            self.audited(act, &package, "deleted", now).await?;
            return Ok(Removal::Deleted);
        }
        let draft = PackageDraft {
            name: package.name.clone(),
            description: package.description.clone(),
            amount: package.amount,
            points: package.points,
            bonus_points: package.bonus_points,
            active: false,
            sort_order: package.sort_order,
        };
        let kept = self
            .packages
            .update(id, &draft, now)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("package {id} not found")))?;
        self.audited(act, &kept, "deactivated: it has orders", now)
            .await?;
        Ok(Removal::Deactivated(kept))
    }

    async fn audited(
        &self,
        act: &AdminAct,
        package: &Package,
        what: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let entry = act.entry(
            AuditAction::PackageChange,
            package.id.to_string(),
            Some(what),
            None,
            Some(serde_json::json!({
                "name": package.name,
                "amountFen": package.amount.value(),
                "points": package.points,
                "bonusPoints": package.bonus_points,
                "active": package.active,
            })),
            now,
        );
        self.audit.record(&entry).await?;
        Ok(())
    }

    /// Packages sold, revenue, and points issued, spent and taken back, per UTC+8 day.
    pub async fn statistics(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<ShopDay>, ServiceError> {
        if from >= before {
            return Err(ServiceError::Validation(
                "the period must start before it ends".to_owned(),
            ));
        }
        if before - from > chrono::Duration::days(93) {
            return Err(ServiceError::Validation(
                "the period may cover at most 93 days".to_owned(),
            ));
        }
        let mut days: BTreeMap<Option<NaiveDate>, ShopDay> = BTreeMap::new();
        for sales in self.orders.sales(from, before).await? {
            let day = days.entry(sales.day).or_default();
            day.day = sales.day;
            day.packages_sold = sales.orders;
            day.revenue = sales.revenue;
        }
        for points in self.ledger.daily(from, before).await? {
            let day = days.entry(points.day).or_default();
            day.day = points.day;
            day.points_issued = points.issued;
            day.points_spent = points.spent;
            day.points_reversed = points.reversed;
        }
        Ok(days.into_values().collect())
    }
}

fn check(draft: &PackageDraft) -> Result<(), ServiceError> {
    let problems = draft.problems();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Validation(problems.join("; ")))
    }
}
