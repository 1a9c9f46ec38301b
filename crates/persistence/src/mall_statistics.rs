//! The mall's figures for the back office, read from the order, after-sale, stock-ledger and
//! browsing-history tables. Counts and sums are grouped in SQL where the backends agree on
//! the type (a `SUM` is cast to a 64-bit integer per backend: DECIMAL on MySQL and NUMERIC
//! on PostgreSQL otherwise); times are compared as stored (UTC, see `time`), and days are
//! left to the domain.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use elife_domain::catalog::MovementKind;
use elife_domain::catalog::{ProductId, SkuId};
use elife_domain::money::Fen;
use elife_domain::order::OpenId;
use elife_domain::ports::RepositoryError;
use elife_domain::trade::after_sales::AfterSaleStatus;
use elife_domain::trade::statistics::{MallStatisticsRepository, PaidOrder, RefundTotal, SkuUnits};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryResult, QuerySelect,
};
use serde::Deserialize;

use crate::catalog::entities::{products, skus};
use crate::error::{corrupt, map_db_err};
use crate::time::{from_db, to_db};

/// Our clock and the payment channel's may disagree a little: an order's payment time lies
/// within a day of the span from its creation to its last update, which narrows the scan
/// before the exact filter on the payment's own time.
const PAYMENT_SLACK_DAYS: i64 = 1;

/// IDs looked up per statement.
const BATCH: usize = 500;

#[derive(Debug, Clone)]
pub struct SeaOrmMallStatistics {
    db: DatabaseConnection,
}

impl SeaOrmMallStatistics {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmMallStatistics { db }
    }

    async fn rows(&self, statement: &SelectStatement) -> Result<Vec<QueryResult>, RepositoryError> {
        self.db.query_all(statement).await.map_err(map_db_err)
    }
}

fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

/// `SUM(column)` as a 64-bit integer on every backend (0 for no rows is the caller's).
fn sum_i64(backend: DbBackend, column: &str) -> Expr {
    let integer = match backend {
        DbBackend::MySql => "SIGNED",
        // PostgreSQL, SQLite (where the cast is a no-op) and any later backend.
        _ => "BIGINT",
    };
    Expr::cust(format!("CAST(SUM({column}) AS {integer})"))
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, index: usize) -> Result<T, RepositoryError> {
    row.try_get_by_index(index)
        .map_err(|error| corrupt("mall statistics row", error))
}

fn count(value: i64) -> Result<u64, RepositoryError> {
    u64::try_from(value).map_err(|_| corrupt("mall statistics count", value))
}

/// The part of a stored payment the figures need.
#[derive(Deserialize)]
struct StoredPayment {
    paid_at: DateTime<Utc>,
}

#[async_trait]
impl MallStatisticsRepository for SeaOrmMallStatistics {
    async fn placed(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, RepositoryError> {
        let statement = Query::select()
            .expr(col("created_at"))
            .from(Alias::new("mall_orders"))
            .and_where(col("created_at").gte(to_db(from)))
            .and_where(col("created_at").lt(to_db(before)))
            .to_owned();
        self.rows(&statement)
            .await?
            .iter()
            .map(|row| get::<NaiveDateTime>(row, 0).map(from_db))
            .collect()
    }

    async fn paid(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<PaidOrder>, RepositoryError> {
        let slack = TimeDelta::days(PAYMENT_SLACK_DAYS);
        // `payment` is set only on the order it paid; payments given back are elsewhere.
        let statement = Query::select()
            .expr(col("order_no"))
            .expr(col("buyer"))
            .expr(col("pay_fen"))
            .expr(col("payment"))
            .from(Alias::new("mall_orders"))
            .and_where(col("payment").is_not_null())
            .and_where(col("created_at").lt(to_db(before + slack)))
            .and_where(col("updated_at").gte(to_db(from - slack)))
            .to_owned();
        let mut paid = Vec::new();
        for row in self.rows(&statement).await? {
            let order_no: String = get(&row, 0)?;
            let buyer: String = get(&row, 1)?;
            let amount: i64 = get(&row, 2)?;
            let payment: Option<String> = get(&row, 3)?;
            let Some(payment) = payment else {
                continue;
            };
            let what = format!("order {order_no}: payment");
            let stored: StoredPayment =
                serde_json::from_str(&payment).map_err(|error| corrupt(&what, error))?;
            if stored.paid_at < from || stored.paid_at >= before {
                continue;
            }
            paid.push(PaidOrder {
                buyer: OpenId::parse(&buyer)
                    .map_err(|_| RepositoryError::Corrupt(format!("order {order_no}: buyer")))?,
                amount: Fen::new(amount),
                paid_at: stored.paid_at,
            });
        }
        Ok(paid)
    }

    async fn refunded(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<RefundTotal, RepositoryError> {
        let backend = self.db.get_database_backend();
        // `refunded` is final: the after-sale's last update is its refund.
        let statement = Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .expr(sum_i64(backend, "amount_fen"))
            .from(Alias::new("mall_after_sales"))
            .and_where(col("status").eq(AfterSaleStatus::Refunded.as_str()))
            .and_where(col("updated_at").gte(to_db(from)))
            .and_where(col("updated_at").lt(to_db(before)))
            .to_owned();
        let Some(row) = self.rows(&statement).await?.into_iter().next() else {
            return Ok(RefundTotal::default());
        };
        let refunds: i64 = get(&row, 0)?;
        let amount: Option<i64> = get(&row, 1)?;
        Ok(RefundTotal {
            count: count(refunds)?,
            amount: Fen::new(amount.unwrap_or(0)),
        })
    }

    async fn units(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<SkuUnits>, RepositoryError> {
        let backend = self.db.get_database_backend();
        let deduct = MovementKind::Deduct.as_str();
        let restock = MovementKind::AfterSaleRestock.as_str();
        let statement = Query::select()
            .expr(col("sku_id"))
            .expr(col("kind"))
            .expr(sum_i64(backend, "quantity"))
            .from(Alias::new("catalog_stock_ledger"))
            .and_where(col("kind").is_in([deduct, restock]))
            .and_where(col("created_at").gte(to_db(from)))
            .and_where(col("created_at").lt(to_db(before)))
            .group_by_col(Alias::new("sku_id"))
            .group_by_col(Alias::new("kind"))
            .to_owned();
        let mut units: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
        for row in self.rows(&statement).await? {
            let sku: i64 = get(&row, 0)?;
            let kind: String = get(&row, 1)?;
            let quantity: Option<i64> = get(&row, 2)?;
            let quantity = quantity.unwrap_or(0);
            let entry = units.entry(sku).or_default();
            if kind == deduct {
                entry.0 = entry.0.saturating_add(quantity);
            } else if kind == restock {
                entry.1 = entry.1.saturating_add(quantity);
            } else {
                return Err(corrupt("stock movement kind", kind));
            }
        }
        let names = self.products_of(units.keys().copied().collect()).await?;
        Ok(units
            .into_iter()
            .map(|(sku, (deducted, restocked))| {
                let product = names.get(&sku);
                SkuUnits {
                    sku: SkuId(sku),
                    product: product.map(|(id, _)| ProductId(*id)),
                    product_name: product.map(|(_, name)| name.clone()).unwrap_or_default(),
                    deducted,
                    restocked,
                }
            })
            .collect())
    }

    async fn viewers(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        let statement = Query::select()
            .expr(Expr::cust("COUNT(DISTINCT buyer)"))
            .from(Alias::new("shopper_history"))
            .and_where(col("viewed_at").gte(to_db(from)))
            .and_where(col("viewed_at").lt(to_db(before)))
            .to_owned();
        match self.rows(&statement).await?.first() {
            Some(row) => count(get(row, 0)?),
            None => Ok(0),
        }
    }
}

impl SeaOrmMallStatistics {
    /// The product id and name of each SKU of `skus` that exists, by SKU id.
    async fn products_of(
        &self,
        skus: Vec<i64>,
    ) -> Result<BTreeMap<i64, (i64, String)>, RepositoryError> {
        let mut sku_products: BTreeMap<i64, i64> = BTreeMap::new();
        for batch in skus.chunks(BATCH) {
            let rows: Vec<(i64, i64)> = skus::Entity::find()
                .select_only()
                .column(skus::Column::Id)
                .column(skus::Column::ProductId)
                .filter(skus::Column::Id.is_in(batch.iter().copied()))
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(map_db_err)?;
            sku_products.extend(rows);
        }
        let mut product_ids: Vec<i64> = sku_products.values().copied().collect();
        product_ids.sort_unstable();
        product_ids.dedup();
        let mut names: BTreeMap<i64, String> = BTreeMap::new();
        for batch in product_ids.chunks(BATCH) {
            let rows: Vec<(i64, String)> = products::Entity::find()
                .select_only()
                .column(products::Column::Id)
                .column(products::Column::Name)
                .filter(products::Column::Id.is_in(batch.iter().copied()))
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(map_db_err)?;
            names.extend(rows);
        }
        Ok(sku_products
            .into_iter()
            .filter_map(|(sku, product)| {
                names
                    .get(&product)
                    .map(|name| (sku, (product, name.clone())))
            })
            .collect())
    }
}
