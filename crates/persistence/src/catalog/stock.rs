//! [`StockLedger`] on SeaORM: the writes go through [`super::stock_apply`]; the reads
//! (levels, movements, the drift check) are plain queries.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::catalog::stock_plan::{
    plan_deduct, plan_inbound, plan_release, plan_reserve, plan_restock,
};
use elife_domain::catalog::{
    Drift, Movement, MovementKind, SkuId, StockLedger, StockLevel, StockLine, StockOutcome,
    StockRef, check_stock,
};
use elife_domain::ports::RepositoryError;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IsolationLevel,
    QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait,
};

use super::entities::{skus, stock_ledger as ledger};
use super::stock_apply::{Scope, apply};
use crate::error::{corrupt, map_db_err};
use crate::time::{from_db, to_db};

#[derive(Clone)]
pub struct SeaOrmStockLedger {
    db: DatabaseConnection,
}

impl SeaOrmStockLedger {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmStockLedger { db }
    }
}

pub(super) fn movement_from_row(row: ledger::Model) -> Result<Movement, RepositoryError> {
    let kind: MovementKind = row
        .kind
        .parse()
        .map_err(|_| corrupt("stock movement kind", &row.kind))?;
    let reference =
        StockRef::parse(&row.reference).map_err(|_| corrupt("stock reference", row.id))?;
    let order = row
        .order_ref
        .as_deref()
        .map(StockRef::parse)
        .transpose()
        .map_err(|_| corrupt("stock order reference", row.id))?;
    Ok(Movement {
        id: row.id,
        sku: SkuId(row.sku_id),
        kind,
        reference,
        order,
        quantity: row.quantity,
        delta: row.delta,
        available_after: row.available_after,
        note: row.note,
        created_at: from_db(row.created_at),
    })
}

#[async_trait]
impl StockLedger for SeaOrmStockLedger {
    async fn reserve(
        &self,
        order: &StockRef,
        lines: &[StockLine],
        at: DateTime<Utc>,
    ) -> Result<StockOutcome, RepositoryError> {
        apply(&self.db, Scope::Order(order.as_str()), "", at, |existing| {
            plan_reserve(order, lines, existing)
        })
        .await
    }

    async fn release(
        &self,
        order: &StockRef,
        at: DateTime<Utc>,
    ) -> Result<StockOutcome, RepositoryError> {
        apply(&self.db, Scope::Order(order.as_str()), "", at, |existing| {
            plan_release(order, existing)
        })
        .await
    }

    async fn deduct(
        &self,
        order: &StockRef,
        at: DateTime<Utc>,
    ) -> Result<StockOutcome, RepositoryError> {
        apply(&self.db, Scope::Order(order.as_str()), "", at, |existing| {
            plan_deduct(order, existing)
        })
        .await
    }

    async fn restock(
        &self,
        after_sale: &StockRef,
        order: &StockRef,
        lines: &[StockLine],
        at: DateTime<Utc>,
    ) -> Result<StockOutcome, RepositoryError> {
        // The after-sale's own restocks carry the order too, so the order's movements are
        // all the plan needs.
        apply(&self.db, Scope::Order(order.as_str()), "", at, |existing| {
            plan_restock(after_sale, order, lines, existing)
        })
        .await
    }

    async fn inbound(
        &self,
        reference: &StockRef,
        sku: SkuId,
        delta: i64,
        note: &str,
        at: DateTime<Utc>,
    ) -> Result<StockOutcome, RepositoryError> {
        let scope = Scope::Inbound {
            reference: reference.as_str(),
            sku,
        };
        apply(&self.db, scope, note, at, |existing| {
            plan_inbound(reference, sku, delta, existing)
        })
        .await
    }

    async fn levels(&self, skus: &[SkuId]) -> Result<Vec<StockLevel>, RepositoryError> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, i64, i64)> = skus::Entity::find()
            .select_only()
            .column(skus::Column::Id)
            .column(skus::Column::Available)
            .column(skus::Column::LowStockThreshold)
            .filter(skus::Column::Id.is_in(skus.iter().map(|sku| sku.value())))
            .order_by_asc(skus::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, available, low_stock_threshold)| StockLevel {
                sku: SkuId(id),
                available,
                low_stock_threshold,
            })
            .collect())
    }

    async fn movements(&self, sku: SkuId) -> Result<Vec<Movement>, RepositoryError> {
        ledger::Entity::find()
            .filter(ledger::Column::SkuId.eq(sku.value()))
            .order_by_asc(ledger::Column::Id)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(movement_from_row)
            .collect()
    }

    async fn order_movements(&self, order: &StockRef) -> Result<Vec<Movement>, RepositoryError> {
        super::stock_apply::read_scope(&self.db, &Scope::Order(order.as_str())).await
    }

    async fn drifted(&self, limit: u64) -> Result<Vec<Drift>, RepositoryError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        // One snapshot, so that a SKU and its movements are read at one point in time:
        // SQLite's transaction and MySQL's REPEATABLE READ give it; PostgreSQL's default
        // READ COMMITTED would see a movement committed between the two reads.
        let isolation = (self.db.get_database_backend() == DbBackend::Postgres)
            .then_some(IsolationLevel::RepeatableRead);
        let txn = self
            .db
            .begin_with_config(isolation, None)
            .await
            .map_err(map_db_err)?;
        let mut drifts = Vec::new();
        let mut after = i64::MIN;
        'pages: loop {
            let page: Vec<(i64, i64)> = skus::Entity::find()
                .select_only()
                .column(skus::Column::Id)
                .column(skus::Column::Available)
                .filter(skus::Column::Id.gt(after))
                .order_by_asc(skus::Column::Id)
                .limit(super::BATCH)
                .into_tuple()
                .all(&txn)
                .await
                .map_err(map_db_err)?;
            let Some((last, _)) = page.last() else { break };
            after = *last;
            for (id, available) in page {
                let sku = SkuId(id);
                let rows = ledger::Entity::find()
                    .filter(ledger::Column::SkuId.eq(id))
                    .order_by_asc(ledger::Column::Id)
                    .all(&txn)
                    .await
                    .map_err(map_db_err)?;
                let movements = rows
                    .into_iter()
                    .map(movement_from_row)
                    .collect::<Result<Vec<_>, _>>()?;
                if let Err(drift) = check_stock(sku, &movements, available) {
                    drifts.push(drift);
                    if drifts.len() as u64 >= limit {
                        break 'pages;
                    }
                }
            }
        }
        txn.rollback().await.map_err(map_db_err)?;
        Ok(drifts)
    }

    async fn open_reservations(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<StockRef>, RepositoryError> {
        let backend = self.db.get_database_backend();
        let placeholder = if backend == DbBackend::Postgres {
            "$1"
        } else {
            "?"
        };
        // A reservation is settled by exactly one release or deduct row of its order.
        let sql = format!(
            "SELECT r.reference FROM catalog_stock_ledger r \
             WHERE r.kind = '{reserve}' AND r.created_at < {placeholder} \
             AND NOT EXISTS (SELECT 1 FROM catalog_stock_ledger s \
                 WHERE s.order_ref = r.reference AND s.settlement IS NOT NULL) \
             GROUP BY r.reference ORDER BY MIN(r.id) LIMIT {limit}",
            reserve = MovementKind::Reserve.as_str(),
        );
        let statement = Statement::from_sql_and_values(backend, sql, [to_db(before).into()]);
        let rows = self.db.query_all_raw(statement).await.map_err(map_db_err)?;
        rows.iter()
            .map(|row| {
                let raw: String = row.try_get("", "reference").map_err(map_db_err)?;
                StockRef::parse(&raw).map_err(|error| corrupt("ledger reference", error))
            })
            .collect()
    }
}
