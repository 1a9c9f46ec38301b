//! What a stock request does, decided from the movements already in the ledger: the one
//! set of rules every ledger adapter follows (in memory and in SQL alike). Adapters read
//! the order's movements, call a `plan_*` function and execute what it returns, in order,
//! by guarded updates.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::ids::{SkuId, StockRef};
use super::stock::{Movement, MovementKind, StockLine, StockRefusal};

/// Distinct SKUs in one request at most.
pub const MAX_LINES: usize = 100;
/// Units of one SKU in one request at most.
pub const MAX_QUANTITY: i64 = 100_000;

/// A request that is wrong in itself, whatever the stock.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StockError {
    #[error("a stock reference has 1 to 64 printable characters, got {0:?}")]
    BadReference(String),
    #[error("a stock request names at least one SKU")]
    NoLines,
    #[error("a stock request names at most {MAX_LINES} SKUs")]
    TooManyLines,
    #[error("SKU {sku}: quantity must be between 1 and {MAX_QUANTITY}, got {quantity}")]
    BadQuantity { sku: SkuId, quantity: i64 },
    #[error("an adjustment moves between 1 and {MAX_QUANTITY} units either way, got {0}")]
    BadAdjustment(i64),
}

/// The lines merged per SKU and sorted by SKU id: the order every adapter locks rows in,
/// so two requests naming the same SKUs in opposite orders cannot deadlock.
pub fn normalize_lines(lines: &[StockLine]) -> Result<Vec<StockLine>, StockError> {
    if lines.is_empty() {
        return Err(StockError::NoLines);
    }
    let mut merged: BTreeMap<SkuId, i64> = BTreeMap::new();
    for line in lines {
        if line.quantity <= 0 || line.quantity > MAX_QUANTITY {
            return Err(StockError::BadQuantity {
                sku: line.sku,
                quantity: line.quantity,
            });
        }
        let total = merged.entry(line.sku).or_default();
        *total += line.quantity;
        if *total > MAX_QUANTITY {
            return Err(StockError::BadQuantity {
                sku: line.sku,
                quantity: *total,
            });
        }
    }
    if merged.len() > MAX_LINES {
        return Err(StockError::TooManyLines);
    }
    Ok(merged
        .into_iter()
        .map(|(sku, quantity)| StockLine { sku, quantity })
        .collect())
}

pub fn check_adjustment(delta: i64) -> Result<(), StockError> {
    if delta == 0 || delta.unsigned_abs() > MAX_QUANTITY.unsigned_abs() {
        Err(StockError::BadAdjustment(delta))
    } else {
        Ok(())
    }
}

/// The guarded update: `available + delta` when it stays at or above zero (the SQL
/// adapter's `… SET available = available + ? WHERE id = ? AND available + ? >= 0`).
pub fn guarded(available: i64, delta: i64) -> Option<i64> {
    available.checked_add(delta).filter(|after| *after >= 0)
}

/// A movement to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedMovement {
    pub sku: SkuId,
    pub kind: MovementKind,
    pub reference: StockRef,
    pub order: Option<StockRef>,
    pub quantity: i64,
    pub delta: i64,
}

impl PlannedMovement {
    /// The ledger row once written.
    pub fn written(
        &self,
        id: i64,
        available_after: i64,
        note: &str,
        at: DateTime<Utc>,
    ) -> Movement {
        Movement {
            id,
            sku: self.sku,
            kind: self.kind,
            reference: self.reference.clone(),
            order: self.order.clone(),
            quantity: self.quantity,
            delta: self.delta,
            available_after,
            note: note.to_owned(),
            created_at: at,
        }
    }
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Write these, in this (ascending SKU) order, all or none.
    Apply(Vec<PlannedMovement>),
    /// Done before: answer these, write nothing.
    Repeat(Vec<Movement>),
    Refuse(StockRefusal),
}

fn of_kind<'a>(
    movements: &'a [Movement],
    kind: MovementKind,
    reference: &StockRef,
) -> Vec<&'a Movement> {
    let mut found: Vec<&Movement> = movements
        .iter()
        .filter(|m| m.kind == kind && &m.reference == reference)
        .collect();
    found.sort_by_key(|m| m.sku);
    found
}

fn lines_of(movements: &[&Movement]) -> Vec<StockLine> {
    movements
        .iter()
        .map(|m| StockLine::new(m.sku, m.quantity))
        .collect()
}

fn owned(movements: Vec<&Movement>) -> Vec<Movement> {
    movements.into_iter().cloned().collect()
}

fn planned(
    lines: &[StockLine],
    kind: MovementKind,
    reference: &StockRef,
    order: Option<&StockRef>,
    sign: i64,
) -> Plan {
    Plan::Apply(
        lines
            .iter()
            .map(|line| PlannedMovement {
                sku: line.sku,
                kind,
                reference: reference.clone(),
                order: order.cloned(),
                quantity: line.quantity,
                delta: sign * line.quantity,
            })
            .collect(),
    )
}

/// Reserve `lines` (normalised) for `order`, given the order's movements. A repeat with
/// the same lines answers the first reservation; once released, the order is spent.
pub fn plan_reserve(order: &StockRef, lines: &[StockLine], existing: &[Movement]) -> Plan {
    let reserved = of_kind(existing, MovementKind::Reserve, order);
    if reserved.is_empty() {
        return planned(lines, MovementKind::Reserve, order, Some(order), -1);
    }
    if !of_kind(existing, MovementKind::Release, order).is_empty() {
        return Plan::Refuse(StockRefusal::Released);
    }
    if lines_of(&reserved) == lines {
        Plan::Repeat(owned(reserved))
    } else {
        Plan::Refuse(StockRefusal::DifferentLines)
    }
}

/// Give back what `order` reserved, unless it was paid.
pub fn plan_release(order: &StockRef, existing: &[Movement]) -> Plan {
    let reserved = of_kind(existing, MovementKind::Reserve, order);
    if reserved.is_empty() {
        return Plan::Refuse(StockRefusal::NotReserved);
    }
    if !of_kind(existing, MovementKind::Deduct, order).is_empty() {
        return Plan::Refuse(StockRefusal::Deducted);
    }
    let released = of_kind(existing, MovementKind::Release, order);
    if !released.is_empty() {
        return Plan::Repeat(owned(released));
    }
    planned(
        &lines_of(&reserved),
        MovementKind::Release,
        order,
        Some(order),
        1,
    )
}

/// Turn what `order` reserved into sold units, unless it was released (a payment that
/// arrives after the cancel is refunded by trade, the stock stays where it is).
pub fn plan_deduct(order: &StockRef, existing: &[Movement]) -> Plan {
    let reserved = of_kind(existing, MovementKind::Reserve, order);
    if reserved.is_empty() {
        return Plan::Refuse(StockRefusal::NotReserved);
    }
    if !of_kind(existing, MovementKind::Release, order).is_empty() {
        return Plan::Refuse(StockRefusal::Released);
    }
    let deducted = of_kind(existing, MovementKind::Deduct, order);
    if !deducted.is_empty() {
        return Plan::Repeat(owned(deducted));
    }
    planned(
        &lines_of(&reserved),
        MovementKind::Deduct,
        order,
        Some(order),
        0,
    )
}

/// Put back `lines` (normalised) of a paid `order` under `after_sale`: never more of a SKU
/// than the order deducted minus what earlier after-sales put back.
pub fn plan_restock(
    after_sale: &StockRef,
    order: &StockRef,
    lines: &[StockLine],
    existing: &[Movement],
) -> Plan {
    let earlier = of_kind(existing, MovementKind::AfterSaleRestock, after_sale);
    if !earlier.is_empty() {
        return if lines_of(&earlier) == lines {
            Plan::Repeat(owned(earlier))
        } else {
            Plan::Refuse(StockRefusal::DifferentLines)
        };
    }
    if of_kind(existing, MovementKind::Reserve, order).is_empty() {
        return Plan::Refuse(StockRefusal::NotReserved);
    }
    let deducted = of_kind(existing, MovementKind::Deduct, order);
    for line in lines {
        let sold: i64 = deducted
            .iter()
            .filter(|m| m.sku == line.sku)
            .map(|m| m.quantity)
            .sum();
        let restocked: i64 = existing
            .iter()
            .filter(|m| m.kind == MovementKind::AfterSaleRestock && m.sku == line.sku)
            .filter(|m| m.order.as_ref() == Some(order))
            .map(|m| m.quantity)
            .sum();
        if restocked + line.quantity > sold {
            return Plan::Refuse(StockRefusal::ExceedsSold {
                sku: line.sku,
                sold,
                restocked,
                wanted: line.quantity,
            });
        }
    }
    planned(
        lines,
        MovementKind::AfterSaleRestock,
        after_sale,
        Some(order),
        1,
    )
}

/// An admin's adjustment of `sku` by `delta` (checked with [`check_adjustment`]), given the
/// SKU's inbound movements under `reference`.
pub fn plan_inbound(reference: &StockRef, sku: SkuId, delta: i64, existing: &[Movement]) -> Plan {
    let earlier = existing
        .iter()
        .find(|m| m.kind == MovementKind::Inbound && &m.reference == reference && m.sku == sku);
    match earlier {
        Some(earlier) if earlier.delta == delta => Plan::Repeat(vec![earlier.clone()]),
        Some(_) => Plan::Refuse(StockRefusal::DifferentLines),
        None => Plan::Apply(vec![PlannedMovement {
            sku,
            kind: MovementKind::Inbound,
            reference: reference.clone(),
            order: None,
            quantity: delta.abs(),
            delta,
        }]),
    }
}
