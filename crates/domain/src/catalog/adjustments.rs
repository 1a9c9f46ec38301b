//! A person's correction of a SKU's stock (a count, damage, goods received): one inbound
//! movement of the stock ledger under a reference of its own, and an audit row naming who,
//! why, and the stock it left.
//!
//! The ledger and the audit trail are separate ports, so the two are not one transaction.
//! The reference makes that safe: an adjustment repeated under the same reference moves
//! nothing again (the ledger's unique key), and its audit row is written then if the first
//! attempt's was lost. A client that may retry therefore sends its own key.

use std::sync::Arc;

use rand::Rng;
use serde_json::json;

use crate::accounts::audit::{AdminAct, AuditAction, AuditFilter, AuditLog};
use crate::ports::{Alerts, Clock, PageRequest};
use crate::services::ServiceError;

use super::ids::{SkuId, StockRef};
use super::stock::{Movement, StockLedger, StockOutcome, StockRefusal};
use super::stock_service::StockService;

/// The stock use cases over any storage (the same type trade calls `TradeStock`).
pub type AdjustableStock = StockService<dyn StockLedger, dyn Alerts, dyn Clock>;

/// What every adjustment's reference starts with, so that the ledger tells them apart from
/// orders and after-sales.
pub const REFERENCE_PREFIX: &str = "adj-";
/// Characters of a client's key at most (the reference holds 64 with the prefix).
pub const MAX_KEY_LEN: usize = StockRef::MAX_LEN - REFERENCE_PREFIX.len();
const RANDOM_LEN: usize = 16;
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// An admin's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjustmentRequest {
    pub sku: SkuId,
    /// Units to add (positive) or take (negative); stock never goes below zero.
    pub delta: i64,
    pub reason: String,
    /// The client's idempotency key: the same key and SKU make the same adjustment. One is
    /// drawn at random when absent (then a retry adjusts again).
    pub key: Option<String>,
}

/// What an adjustment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockAdjustment {
    pub reference: StockRef,
    /// The ledger row: its `available_after` is the stock the adjustment left.
    pub movement: Movement,
    /// Applied before under this reference: nothing moved now.
    pub repeated: bool,
}

pub struct StockAdjustments {
    stock: Arc<AdjustableStock>,
    audit: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
}

impl StockAdjustments {
    pub fn new(
        stock: Arc<AdjustableStock>,
        audit: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        StockAdjustments {
            stock,
            audit,
            clock,
        }
    }

    /// Moves the SKU's stock by `delta` and audits it. Refused (nothing moved): an unknown
    /// SKU is not found; too few units, or a key reused with another delta, a conflict.
    pub async fn adjust(
        &self,
        request: &AdjustmentRequest,
        act: &AdminAct,
    ) -> Result<StockAdjustment, ServiceError> {
        let reference = reference(request.key.as_deref())?;
        let outcome = self
            .stock
            .inbound(&reference, request.sku, request.delta, &request.reason)
            .await?;
        let (movements, repeated) = match outcome {
            StockOutcome::Applied(movements) => (movements, false),
            StockOutcome::Repeated(movements) => (movements, true),
            StockOutcome::Refused(refusal) => return Err(refused(request, refusal)),
        };
        let movement = movements
            .into_iter()
            .find(|movement| movement.sku == request.sku)
            .ok_or_else(|| {
                ServiceError::Unavailable(format!(
                    "the stock ledger answered no movement of SKU {}",
                    request.sku
                ))
            })?;
        if !repeated || !self.audited(&reference, &movement).await? {
            self.record(&reference, &movement, act).await?;
        }
        Ok(StockAdjustment {
            reference,
            movement,
            repeated,
        })
    }

    /// Whether the audit row of this adjustment was written (by an earlier attempt).
    async fn audited(
        &self,
        reference: &StockRef,
        movement: &Movement,
    ) -> Result<bool, ServiceError> {
        let filter = AuditFilter {
            action: Some(AuditAction::StockAdjust),
            target_id: Some(movement.sku.to_string()),
            // Each attempt audits after the movement was written; a second of slack for
            // storage that keeps coarser timestamps than the clock.
            from: Some(movement.created_at - chrono::Duration::seconds(1)),
            ..AuditFilter::default()
        };
        let page = PageRequest {
            page: 1,
            limit: PageRequest::MAX_LIMIT,
        };
        let found = self.audit.list(&filter, page).await?;
        Ok(found.items.iter().any(|record| {
            record
                .entry
                .after
                .as_ref()
                .and_then(|after| after.get("reference"))
                .and_then(serde_json::Value::as_str)
                == Some(reference.as_str())
        }))
    }

    async fn record(
        &self,
        reference: &StockRef,
        movement: &Movement,
        act: &AdminAct,
    ) -> Result<(), ServiceError> {
        let entry = act.entry(
            AuditAction::StockAdjust,
            movement.sku.to_string(),
            Some(&movement.note),
            Some(json!({ "available": movement.available_after - movement.delta })),
            Some(json!({
                "available": movement.available_after,
                "delta": movement.delta,
                "reference": reference.as_str(),
                "movementId": movement.id,
            })),
            self.clock.now(),
        );
        self.audit.record(&entry).await?;
        Ok(())
    }
}

/// The ledger reference of an adjustment: the client's key, or a random one.
pub fn reference(key: Option<&str>) -> Result<StockRef, ServiceError> {
    let key = match key.map(str::trim).filter(|key| !key.is_empty()) {
        Some(key) if key.len() <= MAX_KEY_LEN => key.to_owned(),
        Some(_) => {
            return Err(ServiceError::Validation(format!(
                "an adjustment key has at most {MAX_KEY_LEN} characters"
            )));
        }
        None => {
            let mut rng = rand::rng();
            (0..RANDOM_LEN)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect()
        }
    };
    StockRef::parse(&format!("{REFERENCE_PREFIX}{key}")).map_err(|_| {
        ServiceError::Validation(
            "an adjustment key has printable ASCII characters without spaces".to_owned(),
        )
    })
}

fn refused(request: &AdjustmentRequest, refusal: StockRefusal) -> ServiceError {
    match refusal {
        StockRefusal::UnknownSku { sku } => ServiceError::NotFound(format!("SKU {sku} not found")),
        StockRefusal::DifferentLines => ServiceError::Conflict(format!(
            "this key was used for another adjustment of SKU {}: use a new key",
            request.sku
        )),
        refusal @ (StockRefusal::Insufficient { .. }
        | StockRefusal::NotReserved
        | StockRefusal::Released
        | StockRefusal::Deducted
        | StockRefusal::ExceedsSold { .. }) => {
            ServiceError::Conflict(format!("stock not adjusted: {refusal}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::audit::{AuditActor, AuditTargetType};
    use crate::accounts::fakes::AuditRows;
    use crate::catalog::memory::MemoryCatalog;
    use crate::catalog::{CategoryId, ProductDraft, ProductRepository, SkuDraft, SkuStatus};
    use crate::money::Fen;
    use crate::ports::{Alert, AlertError};
    use crate::testing::t0;
    use async_trait::async_trait;
    use chrono::{DateTime, Utc};

    struct Fixed;

    impl Clock for Fixed {
        fn now(&self) -> DateTime<Utc> {
            t0()
        }
    }

    struct Quiet;

    #[async_trait]
    impl Alerts for Quiet {
        async fn send(&self, _: &Alert) -> Result<(), AlertError> {
            Ok(())
        }
    }

    async fn setup() -> (StockAdjustments, MemoryCatalog, AuditRows, SkuId) {
        let catalog = MemoryCatalog::new();
        let draft = ProductDraft {
            category: CategoryId(1),
            name: "保温杯".to_owned(),
            description: String::new(),
            detail: String::new(),
            images: Vec::new(),
        };
        let sku = SkuDraft {
            specs: Vec::new(),
            price: Fen::new(1990),
            original_price: Fen::new(1990),
            low_stock_threshold: 0,
            status: SkuStatus::Enabled,
        };
        let (_, skus) = ProductRepository::insert(&catalog, &draft, &[sku], t0())
            .await
            .unwrap();
        let ledger: Arc<dyn StockLedger> = Arc::new(catalog.clone());
        let stock = Arc::new(StockService::new(
            ledger,
            Arc::new(Quiet) as Arc<dyn Alerts>,
            Arc::new(Fixed) as Arc<dyn Clock>,
        ));
        let audit = AuditRows::default();
        let adjustments = StockAdjustments::new(stock, Arc::new(audit.clone()), Arc::new(Fixed));
        (adjustments, catalog, audit, skus[0].id)
    }

    fn act() -> AdminAct {
        AdminAct::new(AuditActor::break_glass(), Some("req-1".to_owned()))
    }

    fn request(sku: SkuId, delta: i64, key: Option<&str>) -> AdjustmentRequest {
        AdjustmentRequest {
            sku,
            delta,
            reason: "stocktake".to_owned(),
            key: key.map(str::to_owned),
        }
    }

    #[tokio::test]
    async fn an_adjustment_moves_stock_and_is_audited_once_per_key() {
        let (adjustments, catalog, audit, sku) = setup().await;
        let first = adjustments
            .adjust(&request(sku, 12, Some("count-1")), &act())
            .await
            .unwrap();
        assert!(!first.repeated);
        assert_eq!(first.reference.as_str(), "adj-count-1");
        assert_eq!(first.movement.available_after, 12);
        assert_eq!(catalog.available(sku), Some(12));

        let again = adjustments
            .adjust(&request(sku, 12, Some("count-1")), &act())
            .await
            .unwrap();
        assert!(again.repeated);
        assert_eq!(catalog.available(sku), Some(12), "a repeat moves nothing");

        let rows = audit.all();
        assert_eq!(rows.len(), 1, "one audit row per adjustment: {rows:?}");
        assert_eq!(rows[0].action, AuditAction::StockAdjust);
        assert_eq!(rows[0].target_type, AuditTargetType::MallSku);
        assert_eq!(rows[0].target_id, sku.to_string());
        assert_eq!(rows[0].reason.as_deref(), Some("stocktake"));
        assert_eq!(rows[0].request_id.as_deref(), Some("req-1"));
        assert_eq!(rows[0].after.as_ref().unwrap()["available"], 12);
    }

    #[tokio::test]
    async fn a_repeat_writes_the_audit_row_a_first_attempt_lost() {
        let (adjustments, catalog, audit, sku) = setup().await;
        // The movement landed but its audit row did not (a crash between the two).
        catalog
            .inbound(&reference(Some("lost")).unwrap(), sku, 5, "stocktake", t0())
            .await
            .unwrap();
        let repeated = adjustments
            .adjust(&request(sku, 5, Some("lost")), &act())
            .await
            .unwrap();
        assert!(repeated.repeated);
        assert_eq!(audit.all().len(), 1);
    }

    #[tokio::test]
    async fn refusals_move_nothing_and_audit_nothing() {
        let (adjustments, catalog, audit, sku) = setup().await;
        let short = adjustments.adjust(&request(sku, -1, None), &act()).await;
        assert!(matches!(short, Err(ServiceError::Conflict(_))), "{short:?}");
        let unknown = adjustments
            .adjust(&request(SkuId(999), 1, None), &act())
            .await;
        assert!(
            matches!(unknown, Err(ServiceError::NotFound(_))),
            "{unknown:?}"
        );
        adjustments
            .adjust(&request(sku, 3, Some("k")), &act())
            .await
            .unwrap();
        let reused = adjustments
            .adjust(&request(sku, 4, Some("k")), &act())
            .await;
        assert!(
            matches!(reused, Err(ServiceError::Conflict(_))),
            "{reused:?}"
        );
        let zero = adjustments.adjust(&request(sku, 0, None), &act()).await;
        assert!(matches!(zero, Err(ServiceError::Validation(_))), "{zero:?}");
        let mut no_reason = request(sku, 1, None);
        no_reason.reason = "  ".to_owned();
        let no_reason = adjustments.adjust(&no_reason, &act()).await;
        assert!(matches!(no_reason, Err(ServiceError::Validation(_))));
        let bad_key = adjustments
            .adjust(&request(sku, 1, Some("has space")), &act())
            .await;
        assert!(matches!(bad_key, Err(ServiceError::Validation(_))));
        assert_eq!(catalog.available(sku), Some(3));
        assert_eq!(audit.all().len(), 1);
    }

    #[test]
    fn references_without_a_key_differ() {
        let a = reference(None).unwrap();
        let b = reference(None).unwrap();
        assert_ne!(a, b);
        assert!(a.as_str().starts_with(REFERENCE_PREFIX));
        assert!(reference(Some(&"k".repeat(MAX_KEY_LEN))).is_ok());
        assert!(reference(Some(&"k".repeat(MAX_KEY_LEN + 1))).is_err());
    }
}
