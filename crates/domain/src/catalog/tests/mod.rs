//! The catalog through its rules, the in-memory adapter (which keeps the SQL adapter's
//! guarded updates, row-lock order and unique keys) and the real services.

mod admin;
mod categories;
mod concurrency;
mod products;
mod properties;
mod stock_rules;
mod stock_service;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::catalog::memory::MemoryCatalog;
use crate::catalog::{
    CategoryId, ProductDraft, ProductRepository, SkuDraft, SkuId, SkuStatus, SpecValue,
    StockLedger, StockOutcome, StockRef, StockService,
};
use crate::money::Fen;
use crate::ports::{Alert, AlertError, Alerts, Clock};
use crate::testing::t0;

pub(super) struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        t0()
    }
}

/// Alerts kept for inspection; refused when `down`.
#[derive(Default)]
pub(super) struct RecordedAlerts {
    pub sent: Mutex<Vec<Alert>>,
    pub down: Mutex<bool>,
}

impl RecordedAlerts {
    pub fn sent(&self) -> Vec<Alert> {
        self.sent.lock().unwrap().clone()
    }
}

#[async_trait]
impl Alerts for RecordedAlerts {
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        if *self.down.lock().unwrap() {
            return Err(AlertError("webhook down".to_owned()));
        }
        self.sent.lock().unwrap().push(alert.clone());
        Ok(())
    }
}

pub(super) type Service = StockService<MemoryCatalog, RecordedAlerts, FixedClock>;

pub(super) fn service(catalog: &MemoryCatalog) -> (Service, Arc<RecordedAlerts>) {
    let alerts = Arc::new(RecordedAlerts::default());
    let service = StockService::new(
        Arc::new(catalog.clone()),
        Arc::clone(&alerts),
        Arc::new(FixedClock),
    );
    (service, alerts)
}

pub(super) fn r(raw: &str) -> StockRef {
    StockRef::parse(raw).unwrap()
}

pub(super) fn sku_draft(value: &str, price: i64, threshold: i64) -> SkuDraft {
    SkuDraft {
        specs: vec![SpecValue {
            name: "颜色".to_owned(),
            value: value.to_owned(),
        }],
        price: Fen::new(price),
        original_price: Fen::new(price + 100),
        low_stock_threshold: threshold,
        status: SkuStatus::Enabled,
    }
}

pub(super) fn product_draft(category: CategoryId) -> ProductDraft {
    ProductDraft {
        category,
        name: "保温杯".to_owned(),
        description: "316 不锈钢".to_owned(),
        detail: "<p>详情</p>".to_owned(),
        images: vec!["https://img.example.com/cup.jpg".to_owned()],
    }
}

/// A product with one SKU per entry of `stock`, each stocked with that many units through
/// an inbound movement (threshold 0).
pub(super) async fn stocked(catalog: &MemoryCatalog, stock: &[i64]) -> Vec<SkuId> {
    let drafts: Vec<SkuDraft> = (0..stock.len())
        .map(|n| sku_draft(&format!("色{n}"), 1990, 0))
        .collect();
    let (_, skus) =
        ProductRepository::insert(catalog, &product_draft(CategoryId(1)), &drafts, t0())
            .await
            .unwrap();
    for (sku, units) in skus.iter().zip(stock) {
        if *units > 0 {
            let outcome = catalog
                .inbound(
                    &r(&format!("open-{}", sku.id)),
                    sku.id,
                    *units,
                    "opening",
                    t0(),
                )
                .await
                .unwrap();
            assert!(matches!(outcome, StockOutcome::Applied(_)), "{outcome:?}");
        }
    }
    skus.into_iter().map(|sku| sku.id).collect()
}

/// Asserts the ledger invariant for every SKU of the adapter.
pub(super) async fn assert_invariant(catalog: &MemoryCatalog) {
    let drifted = catalog.drifted(100).await.unwrap();
    assert!(
        drifted.is_empty(),
        "stock drifted from its ledger: {drifted:?}"
    );
}
