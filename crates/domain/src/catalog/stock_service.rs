//! The stock use cases trade and the back office call: reserve at order creation, release
//! on cancel, deduct on payment, restock after a return, an admin's adjustment, the
//! low-stock warning and the nightly ledger check.

use std::future::Future;
use std::sync::Arc;

use crate::ports::{Alert, AlertLevel, Alerts, Clock, RepositoryError};
use crate::services::ServiceError;

use super::ids::{SkuId, StockRef};
use super::stock::{Drift, StockLedger, StockLevel, StockLine, StockOutcome, crossed_low};
use super::stock_plan::{StockError, check_adjustment, normalize_lines};

/// Attempts of one request when storage is unavailable (a deadlock victim, a dropped
/// connection). Safe because every movement is idempotent: a retry of a request that did
/// commit answers `Repeated`.
pub const MAX_ATTEMPTS: usize = 3;
/// SKUs named in the nightly alert at most.
const DRIFT_NAMED: u64 = 20;

impl From<StockError> for ServiceError {
    fn from(error: StockError) -> Self {
        ServiceError::Validation(error.to_string())
    }
}

/// Generic over the three ports it needs, so it runs on the in-memory ledger, the SQL one
/// or a mock, as a concrete type or behind `dyn`.
pub struct StockService<L: ?Sized, A: ?Sized, C: ?Sized> {
    ledger: Arc<L>,
    alerts: Arc<A>,
    clock: Arc<C>,
}

impl<L, A, C> StockService<L, A, C>
where
    L: StockLedger + ?Sized,
    A: Alerts + ?Sized,
    C: Clock + ?Sized,
{
    pub fn new(ledger: Arc<L>, alerts: Arc<A>, clock: Arc<C>) -> Self {
        StockService {
            ledger,
            alerts,
            clock,
        }
    }

    /// Holds stock for an order: all lines or none. `Refused(Insufficient)` names the first
    /// SKU (by id) that lacked units.
    pub async fn reserve(
        &self,
        order: &StockRef,
        lines: &[StockLine],
    ) -> Result<StockOutcome, ServiceError> {
        let lines = normalize_lines(lines)?;
        let outcome = self
            .retrying(|| self.ledger.reserve(order, &lines, self.clock.now()))
            .await?;
        self.warn_if_low(&outcome).await;
        Ok(outcome)
    }

    /// Gives an unpaid order's stock back; refused once it was paid.
    pub async fn release(&self, order: &StockRef) -> Result<StockOutcome, ServiceError> {
        self.retrying(|| self.ledger.release(order, self.clock.now()))
            .await
    }

    /// Sells what a paid order reserved; refused once it was released, in which case the
    /// caller refunds the payment.
    pub async fn deduct(&self, order: &StockRef) -> Result<StockOutcome, ServiceError> {
        self.retrying(|| self.ledger.deduct(order, self.clock.now()))
            .await
    }

    /// Puts returned units of a paid order back on the shelf, once per after-sale.
    pub async fn restock(
        &self,
        after_sale: &StockRef,
        order: &StockRef,
        lines: &[StockLine],
    ) -> Result<StockOutcome, ServiceError> {
        let lines = normalize_lines(lines)?;
        self.retrying(|| {
            self.ledger
                .restock(after_sale, order, &lines, self.clock.now())
        })
        .await
    }

    /// An admin's adjustment: a reason is required; the caller audits it.
    pub async fn inbound(
        &self,
        reference: &StockRef,
        sku: SkuId,
        delta: i64,
        reason: &str,
    ) -> Result<StockOutcome, ServiceError> {
        check_adjustment(delta)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(ServiceError::Validation(
                "a stock adjustment needs a reason of 1 to 200 characters".to_owned(),
            ));
        }
        let outcome = self
            .retrying(|| {
                self.ledger
                    .inbound(reference, sku, delta, reason, self.clock.now())
            })
            .await?;
        self.warn_if_low(&outcome).await;
        Ok(outcome)
    }

    pub async fn levels(&self, skus: &[SkuId]) -> Result<Vec<StockLevel>, ServiceError> {
        Ok(self.ledger.levels(skus).await?)
    }

    /// The nightly check: every SKU whose stock is not the sum of its ledger, with one
    /// critical alert naming them.
    /// Orders that reserved before `before` and settled nothing since (see
    /// [`StockLedger::open_reservations`]).
    pub async fn open_reservations(
        &self,
        before: chrono::DateTime<chrono::Utc>,
        limit: u64,
    ) -> Result<Vec<StockRef>, ServiceError> {
        Ok(self.ledger.open_reservations(before, limit).await?)
    }

    pub async fn check_ledger(&self) -> Result<Vec<Drift>, ServiceError> {
        let drifted = self.ledger.drifted(DRIFT_NAMED).await?;
        if !drifted.is_empty() {
            let lines: Vec<String> = drifted
                .iter()
                .map(|drift| {
                    format!(
                        "SKU {}: available {} but ledger sums to {} ({:?})",
                        drift.sku, drift.available, drift.ledger_sum, drift.reason
                    )
                })
                .collect();
            self.alert(
                AlertLevel::Critical,
                format!("{} SKU(s) disagree with their stock ledger", drifted.len()),
                lines.join("\n"),
            )
            .await;
        }
        Ok(drifted)
    }

    async fn retrying<'a, F, Fut>(&'a self, attempt: F) -> Result<StockOutcome, ServiceError>
    where
        F: Fn() -> Fut + 'a,
        Fut: Future<Output = Result<StockOutcome, RepositoryError>> + 'a,
    {
        let mut tries = 0;
        loop {
            tries += 1;
            match attempt().await {
                Err(RepositoryError::Unavailable(why)) if tries < MAX_ATTEMPTS => {
                    tracing::warn!(%why, tries, "stock movement retried");
                }
                result => return Ok(result?),
            }
        }
    }

    /// One warning for the SKUs this movement took to their threshold or below. A warning
    /// that cannot be read or delivered is logged, never fatal: the stock has moved.
    async fn warn_if_low(&self, outcome: &StockOutcome) {
        let StockOutcome::Applied(movements) = outcome else {
            return;
        };
        let taken: Vec<SkuId> = movements
            .iter()
            .filter(|m| m.delta < 0)
            .map(|m| m.sku)
            .collect();
        if taken.is_empty() {
            return;
        }
        let levels = match self.ledger.levels(&taken).await {
            Ok(levels) => levels,
            Err(error) => {
                tracing::warn!(%error, "low-stock check skipped");
                return;
            }
        };
        let low: Vec<String> = movements
            .iter()
            .filter_map(|m| {
                let threshold = levels.iter().find(|l| l.sku == m.sku)?.low_stock_threshold;
                let before = m.available_after - m.delta;
                crossed_low(before, m.available_after, threshold).then(|| {
                    format!(
                        "SKU {}: {} left (threshold {threshold})",
                        m.sku, m.available_after
                    )
                })
            })
            .collect();
        if !low.is_empty() {
            self.alert(
                AlertLevel::Warning,
                format!("{} SKU(s) low on stock", low.len()),
                low.join("\n"),
            )
            .await;
        }
    }

    async fn alert(&self, level: AlertLevel, title: String, body: String) {
        let alert = Alert { level, title, body };
        if let Err(error) = self.alerts.send(&alert).await {
            tracing::warn!(%error, "stock alert not delivered");
        }
    }
}
