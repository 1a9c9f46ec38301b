//! The jobs that page through a work queue (recharge, expiry, refunds): each page is the
//! domain's; here only the paging, the cursors and the parallel dispatch of top-ups.

use chrono::Duration;
use elife_domain::order::OrderNumber;
use elife_domain::payments::{ExpiryReport, RefundSweep};
use elife_domain::services::{DispatchOutcome, ServiceError, SweepReport, UnclaimedPage};
use tokio::task::JoinSet;

use super::Jobs;

/// Candidates read per query; a run reads page after page until its queue's end.
const BATCH: u64 = 200;

/// Pages one run of a sweep reads at most, so that a run ends even if the queue refills as
/// fast as it drains; the next run continues from the cursor.
const MAX_PAGES_PER_RUN: usize = 50;

/// The sweeps that page through a work queue. Each keeps a keyset cursor (absent: start
/// from the oldest candidate), so that candidates that stay stuck (e.g. confirming at
/// Unitel for hours) cannot hide newer ones behind a fixed batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Sweep {
    DispatchUnclaimed,
    StaleSubmissions,
    ConfirmPending,
    ExpireUnpaid,
    CloseAbandoned,
    RefundFailed,
    SyncRefunds,
}

/// A page a sweep read: where the next one starts, and how to add it to the run's total.
trait Page: Default {
    fn next(&self) -> &Option<OrderNumber>;
    fn absorb(&mut self, page: Self);
}

impl Page for SweepReport {
    fn next(&self) -> &Option<OrderNumber> {
        &self.next
    }

    fn absorb(&mut self, page: Self) {
        self.examined += page.examined;
        self.changed += page.changed;
        self.next = page.next;
    }
}

impl Page for ExpiryReport {
    fn next(&self) -> &Option<OrderNumber> {
        &self.next
    }

    fn absorb(&mut self, page: Self) {
        self.closed += page.closed;
        self.found_paid += page.found_paid;
        self.skipped += page.skipped;
        self.next = page.next;
    }
}

impl Page for RefundSweep {
    fn next(&self) -> &Option<OrderNumber> {
        &self.next
    }

    fn absorb(&mut self, page: Self) {
        self.examined += page.examined;
        self.finished += page.finished;
        self.next = page.next;
    }
}

impl Jobs {
    /// Drains the recharge queues: every paid order never claimed is dispatched (in
    /// parallel, bounded by `TOPUP_CONCURRENCY`), every stale claim is marked unknown, and
    /// every top-up awaiting confirmation is asked about.
    pub(super) async fn recharge(&self) -> Result<(), ServiceError> {
        let inner = &self.inner;
        // News the payments core could not hand over at once (a crash, a failure) first:
        // a payment it carries makes an order paid, which the dispatch below picks up.
        let relayed = inner.payments.relay.deliver_pending(BATCH).await?;
        if relayed.delivered + relayed.failed > 0 {
            tracing::info!(?relayed, "outbox relay");
        }
        let dispatched = self.dispatch_unclaimed().await?;
        let stale_after = Duration::minutes(inner.settings.stale_submission_minutes);
        let stale = self
            .drain(Sweep::StaleSubmissions, |after| {
                inner
                    .recharge
                    .sweep_stale_submissions(stale_after, after, BATCH)
            })
            .await?;
        let confirmed = self
            .drain(Sweep::ConfirmPending, |after| {
                inner
                    .recharge
                    .confirm_pending(Duration::seconds(30), after, BATCH)
            })
            .await?;
        if dispatched.examined + stale.examined + confirmed.examined > 0 {
            tracing::info!(?dispatched, ?stale, ?confirmed, "recharge job");
        }
        Ok(())
    }

    /// Paid orders nobody claimed: a crash between payment and dispatch, a backlog larger
    /// than the instance's permits, or a provider that was unreachable. Orders paid within
    /// the last interval are left to the dispatch their callback started.
    async fn dispatch_unclaimed(&self) -> Result<SweepReport, ServiceError> {
        let inner = &self.inner;
        let older_than =
            Duration::from_std(inner.settings.recharge_interval).unwrap_or(Duration::seconds(10));
        let mut report = SweepReport::default();
        let mut running = JoinSet::new();
        let mut after = self.cursor(Sweep::DispatchUnclaimed).await;
        for _ in 0..MAX_PAGES_PER_RUN {
            let UnclaimedPage { orders, next } = inner
                .recharge
                .unclaimed(older_than, after.clone(), BATCH)
                .await?;
            report.examined += orders.len();
            for number in orders {
                let top_ups = inner.top_ups.clone();
                running.spawn(async move { top_ups.dispatch(&number).await });
            }
            self.move_cursor(Sweep::DispatchUnclaimed, &next).await;
            after = next;
            if after.is_none() {
                break;
            }
        }
        while let Some(outcome) = running.join_next().await {
            if let Ok(Some(DispatchOutcome::Submitted(_))) = outcome {
                report.changed += 1;
            }
        }
        report.next = after;
        Ok(report)
    }

    pub(super) async fn expire(&self) -> Result<(), ServiceError> {
        let inner = &self.inner;
        let report = self
            .drain(Sweep::ExpireUnpaid, |after| {
                inner.payments.collection.expire_unpaid(after, BATCH)
            })
            .await?;
        let abandoned = self
            .drain(Sweep::CloseAbandoned, |after| {
                inner.payments.top_ups.close_abandoned(after, BATCH)
            })
            .await?;
        if report.closed + report.found_paid + report.skipped + abandoned.changed > 0 {
            tracing::info!(?report, ?abandoned, "expiry job");
        }
        Ok(())
    }

    pub(super) async fn refunds(&self) -> Result<(), ServiceError> {
        let inner = &self.inner;
        let refunded = self
            .drain(Sweep::RefundFailed, |after| {
                inner.payments.top_ups.refund_failed_top_ups(after, BATCH)
            })
            .await?;
        let synced = self
            .drain(Sweep::SyncRefunds, |after| {
                inner
                    .payments
                    .refunds
                    .sync_refunds(Duration::minutes(1), after, BATCH)
            })
            .await?;
        if refunded.examined + synced.examined > 0 {
            tracing::info!(?refunded, ?synced, "refund job");
        }
        Ok(())
    }

    /// Runs `sweep` page after page from its cursor until the queue's end (or the run's page
    /// bound), moving the cursor after each page so that a failed run resumes there.
    async fn drain<R, F, Fut>(&self, sweep: Sweep, mut page: F) -> Result<R, ServiceError>
    where
        R: Page,
        F: FnMut(Option<OrderNumber>) -> Fut,
        Fut: std::future::Future<Output = Result<R, ServiceError>>,
    {
        let mut total = R::default();
        let mut after = self.cursor(sweep).await;
        for _ in 0..MAX_PAGES_PER_RUN {
            let read = page(after.clone()).await?;
            after = read.next().clone();
            self.move_cursor(sweep, &after).await;
            total.absorb(read);
            if after.is_none() {
                break;
            }
        }
        Ok(total)
    }

    /// Where a sweep's run starts (locked only briefly: the jobs run side by side). A run
    /// that fails keeps it, so the next run retries the same page.
    async fn cursor(&self, sweep: Sweep) -> Option<OrderNumber> {
        self.inner.cursors.lock().await.get(&sweep).cloned()
    }

    async fn move_cursor(&self, sweep: Sweep, next: &Option<OrderNumber>) {
        let mut cursors = self.inner.cursors.lock().await;
        match next {
            Some(next) => cursors.insert(sweep, next.clone()),
            None => cursors.remove(&sweep),
        };
    }
}
