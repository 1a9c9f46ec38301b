//! The catalog's storage in memory, with the semantics the SQL adapter will have: stock
//! rows locked one by one in ascending SKU order and held until the request is done (as a
//! transaction holds row locks), guarded updates rolled back when any line fails, the
//! ledger's unique keys, and compare-and-set on the tree revision and on row versions.
//!
//! Lock order, always: the stock rows (ascending), then the ledger, then the catalog, then
//! the table of stock rows. The table is only ever held to look rows up or add/remove
//! them. Following one order everywhere is what keeps this adapter free of deadlocks —
//! the same rule the SQL adapter follows for its row locks.

mod products;
mod stock;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::catalog::category::Category;
use crate::catalog::ids::SkuId;
use crate::catalog::product::{Product, Sku};
use crate::catalog::stock::Movement;

/// Categories, products and SKUs. A SKU's `available` here is stale: the stock row is the
/// authority and readers fill it in.
#[derive(Debug, Default)]
pub struct CatalogState {
    pub revision: i64,
    pub categories: Vec<Category>,
    pub products: Vec<Product>,
    pub skus: Vec<Sku>,
}

#[derive(Debug, Default)]
pub struct LedgerState {
    pub movements: Vec<Movement>,
}

/// The `available` column of one SKU.
#[derive(Debug, Default)]
pub struct StockRow {
    pub available: i64,
}

type Row = Arc<Mutex<StockRow>>;
type RowTable = BTreeMap<SkuId, Row>;

#[derive(Debug, Clone, Default)]
pub struct MemoryCatalog {
    catalog: Arc<Mutex<CatalogState>>,
    ledger: Arc<Mutex<LedgerState>>,
    rows: Arc<Mutex<RowTable>>,
}

/// A poisoned lock only means another test thread panicked; the data is still whole
/// because every write below completes before its guard drops.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl MemoryCatalog {
    pub fn new() -> Self {
        MemoryCatalog::default()
    }

    pub fn catalog(&self) -> MutexGuard<'_, CatalogState> {
        lock(&self.catalog)
    }

    pub fn ledger(&self) -> MutexGuard<'_, LedgerState> {
        lock(&self.ledger)
    }

    /// A SKU's `available` now, if it exists.
    pub fn available(&self, sku: SkuId) -> Option<i64> {
        let row = lock(&self.rows).get(&sku).cloned()?;
        let available = lock(&row).available;
        Some(available)
    }

    /// Overwrites a SKU's `available` behind the ledger's back: for tests of the drift
    /// check only.
    pub fn tamper(&self, sku: SkuId, available: i64) {
        let row = lock(&self.rows).get(&sku).cloned();
        if let Some(row) = row {
            lock(&row).available = available;
        }
    }

    /// The rows of `skus`, ascending, or the first SKU that does not exist.
    fn handles(&self, skus: &[SkuId]) -> Result<Vec<(SkuId, Row)>, SkuId> {
        let table = lock(&self.rows);
        let mut wanted: Vec<SkuId> = skus.to_vec();
        wanted.sort();
        wanted.dedup();
        wanted
            .into_iter()
            .map(|sku| table.get(&sku).map(|row| (sku, Arc::clone(row))).ok_or(sku))
            .collect()
    }
}
