//! The mall's jobs: deadlines (unpaid orders cancelled after asking WeChat, shipped orders
//! received after N days) and the trade outbox (stock movements and late-payment refunds
//! after commit). Both run every `MALL_JOB_INTERVAL_MS` under a lease; the due orders are
//! found by indexed due-time columns, the persistent schedule that survives restarts.

use elife_domain::services::ServiceError;

use super::Jobs;

/// Orders one run acts on per queue; the next run (a second later) continues.
const DEADLINE_BATCH: u64 = 200;
/// Outbox messages one run delivers at most.
const RELAY_BATCH: u64 = 500;

impl Jobs {
    pub(super) async fn mall_deadlines(&self) -> Result<(), ServiceError> {
        let orders = &self.inner.mall.orders;
        let cancelled = orders.cancel_expired(DEADLINE_BATCH).await?;
        let received = orders.confirm_due(DEADLINE_BATCH).await?;
        if cancelled.examined + received.examined > 0 {
            tracing::info!(
                cancelled = cancelled.changed,
                cancel_left = cancelled.left,
                received = received.changed,
                receipt_left = received.left,
                "mall deadlines"
            );
        }
        // What the cancels released is delivered now, not a run later: other buyers wait.
        self.trade_relay().await
    }

    pub(super) async fn trade_relay(&self) -> Result<(), ServiceError> {
        let report = self.inner.mall.relay.run_once(RELAY_BATCH).await?;
        if report.examined > 0 {
            tracing::debug!(
                delivered = report.delivered,
                retried = report.retried,
                "trade outbox"
            );
        }
        Ok(())
    }
}
