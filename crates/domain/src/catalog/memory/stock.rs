//! The stock ledger in memory: lock the request's rows in ascending SKU order, then the
//! ledger; decide with the shared `plan_*` rules; apply guarded updates one by one and roll
//! all of them back if one fails; append the movements under the ledger's unique keys.

use std::sync::MutexGuard;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::catalog::ids::{SkuId, StockRef};
use crate::catalog::stock::{
    Drift, Movement, MovementKind, StockLedger, StockLevel, StockLine, StockOutcome, StockRefusal,
    check_stock,
};
use crate::catalog::stock_plan::{
    Plan, PlannedMovement, guarded, normalize_lines, plan_deduct, plan_inbound, plan_release,
    plan_reserve, plan_restock,
};
use crate::ports::RepositoryError;

use super::{LedgerState, MemoryCatalog, StockRow, lock};

/// Rounds of "look up the rows, lock them, decide" before giving up: a release can find
/// the order's reservation only after it locked, and must then lock again.
const ROUNDS: usize = 3;

enum Request<'a> {
    Reserve(&'a StockRef, Vec<StockLine>),
    Release(&'a StockRef),
    Deduct(&'a StockRef),
    Restock(&'a StockRef, &'a StockRef, Vec<StockLine>),
    Inbound(&'a StockRef, SkuId, i64),
}

impl Request<'_> {
    /// The SKUs to lock: the request's own, or those the order reserved.
    fn skus(&self, ledger: &LedgerState) -> Vec<SkuId> {
        match self {
            Request::Reserve(_, lines) | Request::Restock(_, _, lines) => {
                lines.iter().map(|line| line.sku).collect()
            }
            Request::Release(order) | Request::Deduct(order) => ledger
                .movements
                .iter()
                .filter(|m| m.kind == MovementKind::Reserve && &m.reference == *order)
                .map(|m| m.sku)
                .collect(),
            Request::Inbound(_, sku, _) => vec![*sku],
        }
    }

    fn plan(&self, ledger: &LedgerState) -> Plan {
        let of_order = |order: &StockRef| -> Vec<Movement> {
            ledger
                .movements
                .iter()
                .filter(|m| m.order.as_ref() == Some(order))
                .cloned()
                .collect()
        };
        match self {
            Request::Reserve(order, lines) => plan_reserve(order, lines, &of_order(order)),
            Request::Release(order) => plan_release(order, &of_order(order)),
            Request::Deduct(order) => plan_deduct(order, &of_order(order)),
            Request::Restock(after_sale, order, lines) => {
                plan_restock(after_sale, order, lines, &of_order(order))
            }
            Request::Inbound(reference, sku, delta) => {
                plan_inbound(reference, *sku, *delta, &ledger.movements)
            }
        }
    }

    fn note(&self) -> &'static str {
        match self {
            Request::Reserve(..) => "order created",
            Request::Release(..) => "order cancelled",
            Request::Deduct(..) => "order paid",
            Request::Restock(..) => "after-sale received",
            Request::Inbound(..) => "",
        }
    }
}

/// The ledger's unique keys: (reference, SKU, kind), and one settlement (release or
/// deduct) per (order, SKU).
fn collides(ledger: &LedgerState, planned: &PlannedMovement) -> bool {
    ledger.movements.iter().any(|m| {
        m.sku == planned.sku
            && ((m.reference == planned.reference && m.kind == planned.kind)
                || (m.kind.settles() && planned.kind.settles() && m.order == planned.order))
    })
}

impl MemoryCatalog {
    fn execute(
        &self,
        request: Request<'_>,
        note: &str,
        at: DateTime<Utc>,
    ) -> Result<StockOutcome, RepositoryError> {
        for _ in 0..ROUNDS {
            let skus = request.skus(&self.ledger());
            let handles = match self.handles(&skus) {
                Ok(handles) => handles,
                Err(sku) => return Ok(StockOutcome::Refused(StockRefusal::UnknownSku { sku })),
            };
            // Held until the end of the round, like a transaction's row locks.
            let mut rows: Vec<(SkuId, MutexGuard<'_, StockRow>)> =
                handles.iter().map(|(sku, row)| (*sku, lock(row))).collect();
            let mut ledger = self.ledger();
            let planned = match request.plan(&ledger) {
                Plan::Repeat(movements) => return Ok(StockOutcome::Repeated(movements)),
                Plan::Refuse(refusal) => return Ok(StockOutcome::Refused(refusal)),
                Plan::Apply(planned) => planned,
            };
            if planned
                .iter()
                .any(|p| !rows.iter().any(|(sku, _)| *sku == p.sku))
            {
                continue;
            }
            return self.apply(&mut rows, &mut ledger, &planned, note, at);
        }
        Err(RepositoryError::Unavailable(
            "stock rows kept changing while being locked".to_owned(),
        ))
    }

    fn apply(
        &self,
        rows: &mut [(SkuId, MutexGuard<'_, StockRow>)],
        ledger: &mut LedgerState,
        planned: &[PlannedMovement],
        note: &str,
        at: DateTime<Utc>,
    ) -> Result<StockOutcome, RepositoryError> {
        // (row index, value before) for the rollback.
        let mut undo: Vec<(usize, i64)> = Vec::new();
        let mut afters = Vec::new();
        let mut refusal = None;
        for p in planned {
            let Some(index) = rows.iter().position(|(sku, _)| *sku == p.sku) else {
                refusal = Some(StockRefusal::UnknownSku { sku: p.sku });
                break;
            };
            let row = &mut rows[index].1;
            // The guarded update; "no row affected" ends the request.
            match guarded(row.available, p.delta) {
                Some(after) => {
                    undo.push((index, row.available));
                    row.available = after;
                    afters.push(after);
                }
                None => {
                    refusal = Some(StockRefusal::Insufficient {
                        sku: p.sku,
                        available: row.available,
                        wanted: p.quantity,
                    });
                    break;
                }
            }
        }
        let duplicate = planned.iter().find(|p| collides(ledger, p));
        if refusal.is_some() || duplicate.is_some() {
            for (index, before) in undo.into_iter().rev() {
                rows[index].1.available = before;
            }
        }
        if let Some(refusal) = refusal {
            return Ok(StockOutcome::Refused(refusal));
        }
        if let Some(p) = duplicate {
            return Err(RepositoryError::Duplicate(format!(
                "stock movement {} {} of SKU {}",
                p.kind, p.reference, p.sku
            )));
        }
        let mut written = Vec::with_capacity(planned.len());
        for (p, after) in planned.iter().zip(afters) {
            let id = ledger.movements.len() as i64 + 1;
            let movement = p.written(id, after, note, at);
            ledger.movements.push(movement.clone());
            written.push(movement);
        }
        if planned.iter().any(|p| p.kind == MovementKind::Deduct) {
            let mut catalog = self.catalog();
            for p in planned {
                let product = catalog
                    .skus
                    .iter()
                    .find(|s| s.id == p.sku)
                    .map(|s| s.product);
                if let Some(product) = catalog.products.iter_mut().find(|x| Some(x.id) == product) {
                    product.sales += p.quantity;
                }
            }
        }
        Ok(StockOutcome::Applied(written))
    }
}

fn normalized(lines: &[StockLine]) -> Result<Vec<StockLine>, RepositoryError> {
    normalize_lines(lines)
        .map_err(|error| RepositoryError::Corrupt(format!("stock request not normalised: {error}")))
}

#[async_trait]
impl StockLedger for MemoryCatalog {
    async fn reserve(
        &self,
        order: &StockRef,
        lines: &[StockLine],
        at: DateTime<Utc>,
    ) -> Result<StockOutcome, RepositoryError> {
        let request = Request::Reserve(order, normalized(lines)?);
        let note = request.note();
        self.execute(request, note, at)
    }

    async fn release(
        &self,
        order: &StockRef,
        at: DateTime<Utc>,
    ) -> Result<StockOutcome, RepositoryError> {
        let request = Request::Release(order);
        let note = request.note();
        self.execute(request, note, at)
    }

    async fn deduct(
        &self,
        order: &StockRef,
        at: DateTime<Utc>,
    ) -> Result<StockOutcome, RepositoryError> {
        let request = Request::Deduct(order);
        let note = request.note();
        self.execute(request, note, at)
    }

    async fn restock(
        &self,
        after_sale: &StockRef,
        order: &StockRef,
        lines: &[StockLine],
        at: DateTime<Utc>,
    ) -> Result<StockOutcome, RepositoryError> {
        let request = Request::Restock(after_sale, order, normalized(lines)?);
        let note = request.note();
        self.execute(request, note, at)
    }

    async fn inbound(
        &self,
        reference: &StockRef,
        sku: SkuId,
        delta: i64,
        note: &str,
        at: DateTime<Utc>,
    ) -> Result<StockOutcome, RepositoryError> {
        self.execute(Request::Inbound(reference, sku, delta), note, at)
    }

    async fn levels(&self, skus: &[SkuId]) -> Result<Vec<StockLevel>, RepositoryError> {
        let thresholds: Vec<(SkuId, i64)> = self
            .catalog()
            .skus
            .iter()
            .filter(|sku| skus.contains(&sku.id))
            .map(|sku| (sku.id, sku.low_stock_threshold))
            .collect();
        let mut levels: Vec<StockLevel> = thresholds
            .into_iter()
            .filter_map(|(sku, low_stock_threshold)| {
                Some(StockLevel {
                    sku,
                    available: self.available(sku)?,
                    low_stock_threshold,
                })
            })
            .collect();
        levels.sort_by_key(|level| level.sku);
        Ok(levels)
    }

    async fn movements(&self, sku: SkuId) -> Result<Vec<Movement>, RepositoryError> {
        Ok(self
            .ledger()
            .movements
            .iter()
            .filter(|m| m.sku == sku)
            .cloned()
            .collect())
    }

    async fn order_movements(&self, order: &StockRef) -> Result<Vec<Movement>, RepositoryError> {
        Ok(self
            .ledger()
            .movements
            .iter()
            .filter(|m| m.order.as_ref() == Some(order))
            .cloned()
            .collect())
    }

    async fn drifted(&self, limit: u64) -> Result<Vec<Drift>, RepositoryError> {
        let all: Vec<SkuId> = lock(&self.rows).keys().copied().collect();
        let handles = self.handles(&all).unwrap_or_default();
        // Every row, then the ledger: one consistent snapshot, in the usual lock order.
        let rows: Vec<(SkuId, MutexGuard<'_, StockRow>)> =
            handles.iter().map(|(sku, row)| (*sku, lock(row))).collect();
        let ledger = self.ledger();
        Ok(rows
            .iter()
            .filter_map(|(sku, row)| {
                let movements: Vec<Movement> = ledger
                    .movements
                    .iter()
                    .filter(|m| m.sku == *sku)
                    .cloned()
                    .collect();
                check_stock(*sku, &movements, row.available).err()
            })
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect())
    }

    async fn open_reservations(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<StockRef>, RepositoryError> {
        let ledger = self.ledger();
        let settled = |order: &StockRef| {
            ledger
                .movements
                .iter()
                .any(|m| m.kind.settles() && m.order.as_ref() == Some(order))
        };
        let mut open: Vec<StockRef> = Vec::new();
        for movement in &ledger.movements {
            let reserved_before =
                movement.kind == MovementKind::Reserve && movement.created_at < before;
            if reserved_before
                && !open.contains(&movement.reference)
                && !settled(&movement.reference)
            {
                open.push(movement.reference.clone());
            }
        }
        open.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(open)
    }
}
