//! The jobs that tell people: orders needing attention, the daily figures (with the check
//! of every points balance and every SKU's stock against its ledger), and the daily reconciliation against
//! WeChat's statement.

use elife_domain::ports::{Alert, AlertLevel, StatisticsQuery};
use elife_domain::services::{AttentionAlert, ServiceError};

use super::Jobs;
use super::scheduler::{previous_china_day, previous_day};
use crate::metrics_names;

impl Jobs {
    /// What counts, the alert's level and its repeats are the domain's rule.
    pub(super) async fn alerts(&self) -> Result<(), ServiceError> {
        match self.inner.attention.check().await? {
            AttentionAlert::Sent(level) => tracing::info!(?level, "attention alert sent"),
            // Logged by the domain; the next run sends it again.
            AttentionAlert::NotDelivered => {}
            AttentionAlert::Clear | AttentionAlert::Repeat => {}
        }
        Ok(())
    }

    pub(super) async fn daily_report(&self) -> Result<(), ServiceError> {
        let now = self.inner.ports.clock.now();
        let (from, before) = previous_day(now, self.inner.settings.report_timezone);
        let stats = self
            .inner
            .statistics
            .order_statistics(&StatisticsQuery {
                from: Some(from),
                before: Some(before),
                appid: None,
            })
            .await?;
        let view = crate::http::views::OverviewView::new(&stats, now);
        let body = serde_json::to_string_pretty(&view).unwrap_or_default();
        tracing::info!(report = %body, "daily report");
        let alert = Alert {
            level: AlertLevel::Warning,
            title: format!(
                "daily report {}",
                from.with_timezone(&self.inner.settings.report_timezone)
                    .date_naive()
            ),
            body,
        };
        if let Err(error) = self.inner.ports.alerts.send(&alert).await {
            tracing::warn!(%error, "daily report not delivered");
        }
        // Every points balance against the sum of its ledger; the domain alerts on a drift.
        match self.inner.payments.points.service.check_ledgers().await {
            Ok(drifted) if drifted.is_empty() => {
                tracing::info!("points balances agree with their ledgers");
            }
            Ok(drifted) => {
                tracing::error!(
                    accounts = drifted.len(),
                    "points balances disagree with their ledgers"
                );
            }
            Err(error) => tracing::error!(%error, "points ledgers not checked"),
        }
        // Every SKU's stock against its ledger (`available = Σ movements`); the domain
        // alerts on a drift.
        match self.inner.mall.stock.check_ledger().await {
            Ok(drifted) if drifted.is_empty() => {
                tracing::info!("stock agrees with its ledger");
            }
            Ok(drifted) => {
                tracing::error!(skus = drifted.len(), "stock disagrees with its ledger");
            }
            Err(error) => tracing::error!(%error, "stock ledger not checked"),
        }
        // Stock reserved for orders a crash kept from being stored goes back on the shelf.
        match self.inner.mall.checkout.release_abandoned(500).await {
            Ok(0) => {}
            Ok(released) => tracing::warn!(released, "abandoned reservations released"),
            Err(error) => tracing::warn!(%error, "abandoned reservations not checked"),
        }
        // The search index orders by sales, which payments move: rebuilt once a day.
        match self.inner.mall.search.rebuild().await {
            Ok(indexed) => tracing::info!(indexed, "search index rebuilt"),
            Err(error) => tracing::warn!(%error, "search index not rebuilt"),
        }
        // Sessions that ended or expired more than a day ago keep nothing anyone needs.
        match self.inner.sessions.purge_expired().await {
            Ok(purged) => tracing::info!(purged, "expired sessions purged"),
            Err(error) => tracing::warn!(%error, "expired sessions not purged"),
        }
        Ok(())
    }

    /// Holds yesterday's WeChat statement against our orders: a payment whose callback
    /// never came is recorded as paid (the recharge job then tops it up); mismatches are
    /// alerted by the domain.
    pub(super) async fn reconcile(&self) -> Result<(), ServiceError> {
        let day = previous_china_day(self.inner.ports.clock.now());
        let report = self.inner.payments.collection.reconcile(day).await?;
        for (outcome, count) in [
            ("matched", report.matched),
            ("recovered", report.recovered),
            ("mismatch", report.mismatches.len()),
        ] {
            metrics::counter!(metrics_names::RECONCILED_PAYMENTS, "outcome" => outcome)
                .increment(count as u64);
        }
        let mismatched: Vec<&str> = report
            .mismatches
            .iter()
            .map(|mismatch| mismatch.order_number.as_str())
            .collect();
        if mismatched.is_empty() {
            tracing::info!(
                %day,
                entries = report.entries,
                matched = report.matched,
                recovered = report.recovered,
                "WeChat statement reconciled"
            );
        } else {
            tracing::error!(
                %day,
                entries = report.entries,
                matched = report.matched,
                recovered = report.recovered,
                mismatches = ?mismatched,
                "WeChat statement reconciled with mismatches"
            );
        }
        Ok(())
    }
}
