//! Top-ups in flight, bounded per instance.
//!
//! Every top-up, whether started after a payment callback or by the recharge job, takes a
//! permit before it claims its order. So a crash leaves at most `TOPUP_CONCURRENCY` claims
//! unanswered (each becomes `unknown`, a person's work); the rest of a backlog stays paid
//! and unclaimed, which any instance's job picks up again. Shutdown closes the permits:
//! waiting top-ups give up unclaimed, claimed ones finish.

use std::sync::Arc;

use elife_domain::order::{Order, OrderNumber};
use elife_domain::services::{DispatchOutcome, RechargeService, ServiceError};
use tokio::sync::Semaphore;

use crate::background::Background;
use crate::metrics_names;

#[derive(Clone)]
pub struct TopUps {
    recharge: Arc<RechargeService>,
    permits: Arc<Semaphore>,
    background: Background,
}

impl TopUps {
    pub fn new(recharge: Arc<RechargeService>, capacity: usize, background: Background) -> Self {
        TopUps {
            recharge,
            permits: Arc::new(Semaphore::new(capacity)),
            background,
        }
    }

    /// Sends the order's top-up once a permit is free; `None` when shutdown began first
    /// (the order stays unclaimed for the recharge job) or dispatching failed.
    pub async fn dispatch(&self, number: &OrderNumber) -> Option<DispatchOutcome> {
        let Ok(_permit) = self.permits.acquire().await else {
            tracing::info!(order = %number, "shutting down: top-up left unclaimed for the recharge job");
            return None;
        };
        // Boxed: see `start_order`.
        count(number, Box::pin(self.recharge.dispatch(number)).await)
    }

    /// Dispatches after the request that paid the order has been answered, with the paid
    /// order as written, which saves reading it back.
    ///
    /// During a burst of callbacks most of these tasks wait for a permit, so the task is
    /// kept small while it waits: the order is boxed, and the dispatch future (SeaORM/sqlx
    /// queries, the Unitel call: many KiB) is allocated only once the permit is held.
    pub fn start_order(&self, order: Order) {
        let top_ups = self.clone();
        let order = Box::new(order);
        self.background.spawn(async move {
            let Ok(_permit) = top_ups.permits.acquire().await else {
                tracing::info!(order = %order.number, "shutting down: top-up left unclaimed for the recharge job");
                return;
            };
            let number = order.number.clone();
            count(&number, Box::pin(top_ups.recharge.dispatch_order(*order)).await);
        });
    }

    /// Stops claiming: top-ups waiting for a permit give up, claimed ones finish.
    pub fn stop_claiming(&self) {
        self.permits.close();
    }
}

/// Counts the outcome of one order's dispatch.
fn count(
    number: &OrderNumber,
    dispatched: Result<DispatchOutcome, ServiceError>,
) -> Option<DispatchOutcome> {
    match dispatched {
        Ok(outcome) => {
            match &outcome {
                DispatchOutcome::Submitted(status) => {
                    metrics::counter!(metrics_names::TOP_UPS, "outcome" => status.as_str())
                        .increment(1);
                    tracing::info!(order = %number, status = status.as_str(), "top-up submitted");
                }
                DispatchOutcome::AlreadyClaimed => {
                    tracing::debug!(order = %number, "top-up already claimed elsewhere")
                }
                DispatchOutcome::NotDispatchable(status) => {
                    tracing::debug!(order = %number, status = status.as_str(), "nothing to dispatch")
                }
            }
            Some(outcome)
        }
        Err(error) => {
            tracing::error!(order = %number, %error, "dispatch failed; the job will retry if unclaimed");
            None
        }
    }
}

impl elife_domain::ports::TopUpQueue for TopUps {
    fn start(&self, order: Order) {
        self.start_order(order);
    }
}
