//! Delivering the outbox to the goods: right after the change that wrote a message, and
//! again by the relay job for whatever a crash or a failure left behind. At least once;
//! each kind of goods fulfils idempotently by merchant order.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;

use crate::order::OrderNumber;
use crate::ports::Clock;
use crate::services::ServiceError;

use super::pay_order::FulfilmentMessage;
use super::ports::{Fulfilment, FulfilmentError, FulfilmentOutbox};
use super::status::GoodsKind;

/// Sends each message to the goods of its kind.
#[derive(Default, Clone)]
pub struct FulfilmentRouter {
    owners: HashMap<GoodsKind, Arc<dyn Fulfilment>>,
}

impl FulfilmentRouter {
    pub fn new() -> Self {
        FulfilmentRouter::default()
    }

    pub fn with(mut self, kind: GoodsKind, owner: Arc<dyn Fulfilment>) -> Self {
        self.owners.insert(kind, owner);
        self
    }
}

#[async_trait]
impl Fulfilment for FulfilmentRouter {
    async fn fulfil(&self, message: &FulfilmentMessage) -> Result<(), FulfilmentError> {
        match self.owners.get(&message.kind) {
            Some(owner) => owner.fulfil(message).await,
            None => Err(FulfilmentError::NoOwner(message.kind.to_string())),
        }
    }
}

/// What one run of the relay job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayReport {
    pub delivered: usize,
    pub failed: usize,
}

pub struct FulfilmentRelay {
    outbox: Arc<dyn FulfilmentOutbox>,
    goods: Arc<dyn Fulfilment>,
    clock: Arc<dyn Clock>,
}

impl FulfilmentRelay {
    /// Messages younger than this are left to the request that wrote them.
    pub const GRACE: Duration = Duration::seconds(10);

    pub fn new(
        outbox: Arc<dyn FulfilmentOutbox>,
        goods: Arc<dyn Fulfilment>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        FulfilmentRelay {
            outbox,
            goods,
            clock,
        }
    }

    /// Delivers the pending messages of one pay order, in order; stops at the first that
    /// fails (a later one must not overtake it). Failures are left for the job.
    pub async fn deliver_for(&self, out_trade_no: &OrderNumber) {
        let pending = match self.outbox.pending_for(out_trade_no).await {
            Ok(pending) => pending,
            Err(error) => {
                tracing::warn!(pay_order = %out_trade_no, %error, "outbox not read; the relay job delivers it");
                return;
            }
        };
        for message in pending {
            if !self.deliver(&message).await {
                return;
            }
        }
    }

    /// The job: every message older than [`Self::GRACE`] still undelivered, page by page.
    /// A pay order whose message failed is skipped for the rest of the run, so its later
    /// messages keep their order.
    pub async fn deliver_pending(&self, limit: u64) -> Result<RelayReport, ServiceError> {
        let before = self.clock.now() - Self::GRACE;
        let mut report = RelayReport::default();
        let mut after = None;
        let mut blocked: Vec<OrderNumber> = Vec::new();
        loop {
            let page = self.outbox.pending(before, after, limit).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            let full = page.len() as u64 >= limit;
            for message in page {
                if blocked.contains(&message.out_trade_no) {
                    continue;
                }
                if self.deliver(&message).await {
                    report.delivered += 1;
                } else {
                    report.failed += 1;
                    blocked.push(message.out_trade_no.clone());
                }
            }
            if !full {
                break;
            }
        }
        Ok(report)
    }

    async fn deliver(&self, message: &FulfilmentMessage) -> bool {
        match self.goods.fulfil(message).await {
            Ok(()) => {
                if let Err(error) = self.outbox.delivered(message.id, self.clock.now()).await {
                    // Delivered again later: fulfilment is idempotent.
                    tracing::warn!(message = message.id, %error, "delivery not recorded");
                }
                true
            }
            Err(error) => {
                tracing::warn!(
                    pay_order = %message.out_trade_no,
                    event = %message.event,
                    %error,
                    "fulfilment deferred"
                );
                if let Err(store_error) = self
                    .outbox
                    .failed(message.id, &error.to_string(), self.clock.now())
                    .await
                {
                    tracing::warn!(message = message.id, error = %store_error, "failure not recorded");
                }
                false
            }
        }
    }
}
