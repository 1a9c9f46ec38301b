//! The figures from the repository's rows: sums, the per-day series and the top sellers
//! are computed here so that every backend gives the same answer.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{Days, NaiveDate, TimeDelta};

use crate::catalog::ProductId;
use crate::money::Fen;
use crate::services::ServiceError;

use super::model::{
    Conversion, MAX_PERIOD_DAYS, MAX_TOP, MallDay, MallFigures, MallStatisticsQuery, ProductSales,
    SkuUnits, china_day,
};
use super::ports::MallStatisticsRepository;

pub struct MallStatistics {
    repository: Arc<dyn MallStatisticsRepository>,
}

impl MallStatistics {
    pub fn new(repository: Arc<dyn MallStatisticsRepository>) -> Self {
        MallStatistics { repository }
    }

    /// The figures of `[query.from, query.before)`.
    pub async fn figures(&self, query: &MallStatisticsQuery) -> Result<MallFigures, ServiceError> {
        check(query)?;
        let (from, before) = (query.from, query.before);
        let placed = self.repository.placed(from, before).await?;
        let paid = self.repository.paid(from, before).await?;
        let refunds = self.repository.refunded(from, before).await?;
        let units = self.repository.units(from, before).await?;
        let viewers = self.repository.viewers(from, before).await?;

        let mut days = empty_days(query);
        for at in &placed {
            if let Some(day) = days.get_mut(&china_day(*at)) {
                day.orders_placed += 1;
            }
        }
        let mut paid_amount = 0i64;
        let mut buyers = BTreeSet::new();
        for order in &paid {
            paid_amount = paid_amount.saturating_add(order.amount.value());
            buyers.insert(order.buyer.as_str());
            if let Some(day) = days.get_mut(&china_day(order.paid_at)) {
                day.orders_paid += 1;
                day.paid_amount =
                    Fen::new(day.paid_amount.value().saturating_add(order.amount.value()));
            }
        }
        let units_deducted = units
            .iter()
            .fold(0i64, |sum, sku| sum.saturating_add(sku.deducted));
        let units_restocked = units
            .iter()
            .fold(0i64, |sum, sku| sum.saturating_add(sku.restocked));
        Ok(MallFigures {
            from,
            before,
            orders_placed: count(placed.len()),
            orders_paid: count(paid.len()),
            paid_amount: Fen::new(paid_amount),
            refunds,
            units_deducted,
            units_restocked,
            top_products: top_products(&units, query.top),
            top_skus: top_skus(units, query.top),
            days: days.into_values().collect(),
            conversion: Conversion {
                buyers: count(buyers.len()),
                viewers,
            },
        })
    }
}

fn check(query: &MallStatisticsQuery) -> Result<(), ServiceError> {
    if query.from >= query.before {
        return Err(ServiceError::Validation(
            "the period must start before it ends".to_owned(),
        ));
    }
    if query.before - query.from > TimeDelta::days(MAX_PERIOD_DAYS) {
        return Err(ServiceError::Validation(format!(
            "the period may cover at most {MAX_PERIOD_DAYS} days"
        )));
    }
    if query.top == 0 || query.top > MAX_TOP {
        return Err(ServiceError::Validation(format!(
            "top must be 1 to {MAX_TOP}"
        )));
    }
    Ok(())
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// A zero day for every China day from the period's first instant to its last.
fn empty_days(query: &MallStatisticsQuery) -> BTreeMap<NaiveDate, MallDay> {
    let first = china_day(query.from);
    let last = china_day(query.before - TimeDelta::microseconds(1));
    let mut days = BTreeMap::new();
    let mut day = first;
    while day <= last {
        days.insert(
            day,
            MallDay {
                day,
                orders_placed: 0,
                orders_paid: 0,
                paid_amount: Fen::ZERO,
            },
        );
        match day.checked_add_days(Days::new(1)) {
            Some(next) => day = next,
            None => break,
        }
    }
    days
}

/// Most sold first; ties by id, so the list is the same on every run.
fn top_skus(mut units: Vec<SkuUnits>, top: usize) -> Vec<SkuUnits> {
    units.sort_by(|a, b| b.sold().cmp(&a.sold()).then(a.sku.cmp(&b.sku)));
    units.truncate(top);
    units
}

fn top_products(units: &[SkuUnits], top: usize) -> Vec<ProductSales> {
    let mut products: BTreeMap<ProductId, ProductSales> = BTreeMap::new();
    for sku in units {
        // A SKU whose row is gone has no product to count it under.
        let Some(product) = sku.product else {
            continue;
        };
        let sales = products.entry(product).or_insert_with(|| ProductSales {
            product,
            name: sku.product_name.clone(),
            deducted: 0,
            restocked: 0,
            sold: 0,
        });
        sales.deducted = sales.deducted.saturating_add(sku.deducted);
        sales.restocked = sales.restocked.saturating_add(sku.restocked);
        sales.sold = sales.deducted.saturating_sub(sales.restocked);
    }
    let mut products: Vec<ProductSales> = products.into_values().collect();
    products.sort_by(|a, b| b.sold.cmp(&a.sold).then(a.product.cmp(&b.product)));
    products.truncate(top);
    products
}
