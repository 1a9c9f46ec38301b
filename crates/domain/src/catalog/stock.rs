//! Stock: a SKU's `available` changes only with a row of the append-only stock ledger, by
//! a guarded update in the same transaction, so it can never go negative; every movement
//! is unique per (reference, SKU, kind) and therefore idempotent.
//!
//! The effect of each kind on `available` (its delta), for a quantity q > 0:
//! inbound ±q (an admin's signed adjustment; opening stock is one), reserve −q, release +q,
//! deduct 0 (the reserve already took the units: paying turns a reservation into a sale),
//! after-sale restock +q. A SKU starts at zero, so `available = Σ delta` at all times.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::payments::UnknownName;
use crate::ports::RepositoryError;

use super::ids::{SkuId, StockRef};
use super::status::named;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// An admin's adjustment, positive or negative, audited by the caller.
    Inbound,
    /// Units held for an unpaid order.
    Reserve,
    /// An unpaid order's units given back (cancelled, timed out).
    Release,
    /// A paid order's reserved units become sold.
    Deduct,
    /// Units a buyer returned, back on the shelf.
    AfterSaleRestock,
}

impl MovementKind {
    pub const ALL: [MovementKind; 5] = [
        MovementKind::Inbound,
        MovementKind::Reserve,
        MovementKind::Release,
        MovementKind::Deduct,
        MovementKind::AfterSaleRestock,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Inbound => "inbound",
            MovementKind::Reserve => "reserve",
            MovementKind::Release => "release",
            MovementKind::Deduct => "deduct",
            MovementKind::AfterSaleRestock => "after_sale_restock",
        }
    }

    /// Whether `delta` is this kind's effect for `quantity` units.
    pub fn fits(self, quantity: i64, delta: i64) -> bool {
        quantity > 0
            && match self {
                MovementKind::Inbound => delta == quantity || delta == -quantity,
                MovementKind::Reserve => delta == -quantity,
                MovementKind::Release | MovementKind::AfterSaleRestock => delta == quantity,
                MovementKind::Deduct => delta == 0,
            }
    }

    /// Release and deduct both settle a reservation, and only one of them may: adapters
    /// key them on (order, SKU) together so that a cancel racing a payment cannot do both.
    pub fn settles(self) -> bool {
        match self {
            MovementKind::Release | MovementKind::Deduct => true,
            MovementKind::Inbound | MovementKind::Reserve | MovementKind::AfterSaleRestock => false,
        }
    }
}

named!(MovementKind, "stock movement kind");

/// Units of one SKU in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StockLine {
    pub sku: SkuId,
    pub quantity: i64,
}

impl StockLine {
    pub fn new(sku: SkuId, quantity: i64) -> Self {
        StockLine { sku, quantity }
    }
}

/// One row of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    /// Ascending in the order movements were written.
    pub id: i64,
    pub sku: SkuId,
    pub kind: MovementKind,
    /// The event: the order for reserve, release and deduct; the after-sale for a
    /// restock; the adjustment for inbound. Unique with (sku, kind).
    pub reference: StockRef,
    /// The order it belongs to (for a restock, the order of the after-sale); none for
    /// inbound.
    pub order: Option<StockRef>,
    /// Units moved, always positive.
    pub quantity: i64,
    /// The effect on `available` (see the module's table).
    pub delta: i64,
    /// The SKU's `available` right after this movement.
    pub available_after: i64,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// A SKU's stock now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLevel {
    pub sku: SkuId,
    pub available: i64,
    pub low_stock_threshold: i64,
}

/// Low stock: `available` at or below the threshold. A threshold of 0 warns when sold out.
pub fn is_low(available: i64, threshold: i64) -> bool {
    available <= threshold
}

/// A movement took the SKU from above its threshold to at or below it: the one moment to
/// warn, so that a hundred concurrent sales do not send a hundred alerts.
pub fn crossed_low(before: i64, after: i64, threshold: i64) -> bool {
    !is_low(before, threshold) && is_low(after, threshold)
}

/// Why nothing moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum StockRefusal {
    /// The guarded update found fewer units than asked; no SKU of the request changed.
    Insufficient {
        sku: SkuId,
        available: i64,
        wanted: i64,
    },
    UnknownSku {
        sku: SkuId,
    },
    /// Release, deduct or restock for an order that reserved nothing.
    NotReserved,
    /// The order's reservation was given back: it can be neither deducted (a late
    /// payment is refunded instead) nor reserved again under the same order.
    Released,
    /// The order was paid: its units come back only through an after-sale restock.
    Deducted,
    /// A repeated reserve (or restock) with other lines than the first.
    DifferentLines,
    /// A restock of more units than the order had deducted and not yet restocked.
    ExceedsSold {
        sku: SkuId,
        sold: i64,
        restocked: i64,
        wanted: i64,
    },
}

impl fmt::Display for StockRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StockRefusal::Insufficient {
                sku,
                available,
                wanted,
            } => write!(f, "SKU {sku} has {available} available, {wanted} wanted"),
            StockRefusal::UnknownSku { sku } => write!(f, "SKU {sku} does not exist"),
            StockRefusal::NotReserved => f.write_str("the order reserved no stock"),
            StockRefusal::Released => f.write_str("the order's stock was already released"),
            StockRefusal::Deducted => f.write_str("the order's stock was already sold"),
            StockRefusal::DifferentLines => {
                f.write_str("a repeat of a stock movement with different lines")
            }
            StockRefusal::ExceedsSold {
                sku,
                sold,
                restocked,
                wanted,
            } => write!(
                f,
                "SKU {sku}: {sold} sold, {restocked} restocked already, {wanted} more asked"
            ),
        }
    }
}

/// What became of a movement request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockOutcome {
    /// Written now, one movement per SKU in ascending SKU order.
    Applied(Vec<Movement>),
    /// The same request was applied before: nothing changed; the earlier movements.
    Repeated(Vec<Movement>),
    Refused(StockRefusal),
}

impl StockOutcome {
    /// The movements that stand for the request, whether written now or before.
    pub fn movements(&self) -> Option<&[Movement]> {
        match self {
            StockOutcome::Applied(movements) | StockOutcome::Repeated(movements) => Some(movements),
            StockOutcome::Refused(_) => None,
        }
    }
}

/// How a SKU's stock disagrees with its ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "problem")]
pub enum DriftReason {
    /// `available` is not the sum of the deltas.
    Sum,
    /// A movement of another SKU was among this SKU's.
    ForeignMovement { movement: i64 },
    /// A movement's delta is not its kind's effect for its quantity.
    BadDelta { movement: i64 },
    /// The running sum went below zero at this movement.
    Negative { movement: i64 },
    /// A movement's recorded `available_after` is not the running sum.
    BadAfter { movement: i64 },
}

/// A SKU whose stock does not follow from its ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    pub sku: SkuId,
    pub available: i64,
    pub ledger_sum: i64,
    pub reason: DriftReason,
}

/// The invariant: replayed in id order, the movements never take the SKU below zero, each
/// delta is its kind's, each `available_after` is the running sum, and the sum is
/// `available` (a SKU starts at zero). Used by tests and by the nightly check.
pub fn check_stock(sku: SkuId, movements: &[Movement], available: i64) -> Result<(), Drift> {
    let mut ordered: Vec<&Movement> = movements.iter().collect();
    ordered.sort_by_key(|movement| movement.id);
    let ledger_sum = ordered
        .iter()
        .fold(0i64, |sum, movement| sum.saturating_add(movement.delta));
    let drift = |reason| Drift {
        sku,
        available,
        ledger_sum,
        reason,
    };
    let mut running = 0i64;
    for movement in ordered {
        let id = movement.id;
        if movement.sku != sku {
            return Err(drift(DriftReason::ForeignMovement { movement: id }));
        }
        if !movement.kind.fits(movement.quantity, movement.delta) {
            return Err(drift(DriftReason::BadDelta { movement: id }));
        }
        running = running.saturating_add(movement.delta);
        if running < 0 {
            return Err(drift(DriftReason::Negative { movement: id }));
        }
        if movement.available_after != running {
            return Err(drift(DriftReason::BadAfter { movement: id }));
        }
    }
    if running == available {
        Ok(())
    } else {
        Err(drift(DriftReason::Sum))
    }
}

/// The stock ledger and the `available` column it guards. Every write is one transaction:
/// SKU rows touched in ascending id order by guarded updates whose rows-affected count is
/// checked, the ledger rows inserted under their unique keys, and everything rolled back
/// when any step fails, so a request applies all of its lines or none.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait StockLedger: Send + Sync {
    /// Holds `lines` (normalised: see `stock_plan::normalize_lines`) for `order`. A repeat
    /// answers the first outcome.
    async fn reserve(
        &self,
        order: &StockRef,
        lines: &[StockLine],
        at: DateTime<Utc>,
    ) -> Result<StockOutcome, RepositoryError>;

    /// Gives back everything `order` reserved (the quantities come from its reserve
    /// movements, never from the caller).
    async fn release(
        &self,
        order: &StockRef,
        at: DateTime<Utc>,
    ) -> Result<StockOutcome, RepositoryError>;

    /// Marks everything `order` reserved as sold, and adds it to the products' sales.
    async fn deduct(
        &self,
        order: &StockRef,
        at: DateTime<Utc>,
    ) -> Result<StockOutcome, RepositoryError>;

    /// Puts units of a paid `order` back, under the after-sale's reference.
    async fn restock(
        &self,
        after_sale: &StockRef,
        order: &StockRef,
        lines: &[StockLine],
        at: DateTime<Utc>,
    ) -> Result<StockOutcome, RepositoryError>;

    /// An admin's signed adjustment of one SKU (the caller records the audit entry).
    async fn inbound(
        &self,
        reference: &StockRef,
        sku: SkuId,
        delta: i64,
        note: &str,
        at: DateTime<Utc>,
    ) -> Result<StockOutcome, RepositoryError>;

    /// The stock of the SKUs that exist among `skus`, by id.
    async fn levels(&self, skus: &[SkuId]) -> Result<Vec<StockLevel>, RepositoryError>;

    /// A SKU's movements, oldest first.
    async fn movements(&self, sku: SkuId) -> Result<Vec<Movement>, RepositoryError>;

    /// Every movement that belongs to `order` (restocks included), oldest first.
    async fn order_movements(&self, order: &StockRef) -> Result<Vec<Movement>, RepositoryError>;

    /// SKUs whose `available` is not the sum of their ledger (at most `limit`), read in
    /// one consistent snapshot.
    async fn drifted(&self, limit: u64) -> Result<Vec<Drift>, RepositoryError>;

    /// Orders that reserved before `before` and were neither released nor deducted since,
    /// oldest first, at most `limit`: what checkout must look at when an order row may
    /// never have been written (a crash between reserving and storing).
    async fn open_reservations(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<StockRef>, RepositoryError>;
}
