//! Delivers the trade outbox after commit: stock movements to the catalog's stock ledger,
//! late payments back through the payments core. Storage or the core busy: tried again
//! later, after a growing pause; anything that will not get better by repeating is logged
//! for a person and acknowledged, so that it never blocks the messages behind it.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::catalog::{SkuId, StockLedger, StockLine, StockOutcome, StockRef, StockService};
use crate::order::OrderNumber;
use crate::ports::{Alerts, Clock};
use crate::services::ServiceError;
use crate::trade::after_sales::{AfterSaleEffect, AfterSaleKey};
use crate::trade::orders::{MallOrderService, TradeEvent, TradePayments};

use super::{PendingMessage, TradeMessage, TradeOutbox};

/// The stock service as the relay holds it (any ledger, alerts and clock).
pub type TradeStock = StockService<dyn StockLedger, dyn Alerts, dyn Clock>;

/// The pause before the next attempt: `first × 2^(attempts)`, at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: Duration::seconds(30),
            max: Duration::hours(1),
        }
    }
}

impl Backoff {
    /// When a message that failed `attempts` times before this failure is tried again.
    pub fn next_attempt(self, attempts: u32, now: DateTime<Utc>) -> DateTime<Utc> {
        let factor = 1i32.checked_shl(attempts.min(20)).unwrap_or(i32::MAX);
        let pause = self.first.checked_mul(factor).unwrap_or(self.max);
        now + pause.min(self.max)
    }
}

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayReport {
    pub examined: usize,
    pub delivered: usize,
    /// Failed this time; due again after their pause.
    pub retried: usize,
}

/// How one delivery ended.
enum Delivery {
    Done,
    Retry(String),
}

pub struct TradeRelay {
    outbox: Arc<dyn TradeOutbox>,
    stock: Arc<TradeStock>,
    payments: Arc<dyn TradePayments>,
    clock: Arc<dyn Clock>,
    backoff: Backoff,
}

fn stock_ref(raw: &str) -> Result<StockRef, ServiceError> {
    StockRef::parse(raw).map_err(ServiceError::from)
}

/// The ledger's reference of an order's reservation: its number.
fn order_ref(order_no: &OrderNumber) -> Result<StockRef, ServiceError> {
    stock_ref(order_no.as_str())
}

/// The ledger's reference of an after-sale's restock: its key (`ORD…-line-seq`).
fn after_sale_ref(key: &AfterSaleKey) -> Result<StockRef, ServiceError> {
    stock_ref(&key.to_string())
}

/// Storage or an upstream busy: later. Anything else will not change by repeating.
fn settled(what: &str, result: Result<(), ServiceError>) -> Delivery {
    match result {
        Ok(()) => Delivery::Done,
        Err(
            error @ (ServiceError::Unavailable(_)
            | ServiceError::Upstream(_)
            | ServiceError::Conflict(_)),
        ) => Delivery::Retry(error.to_string()),
        Err(error @ (ServiceError::Validation(_) | ServiceError::NotFound(_))) => {
            tracing::error!(message = what, %error, "trade message refused: acknowledged, needs a person");
            Delivery::Done
        }
    }
}

/// A refusal of the ledger: the movement cannot happen and never will. `Released` or
/// `Deducted` means the reservation was settled the other way already (the order's state
/// machine lets only one of them be written, so this is a repeat of an old message).
fn stock_moved(what: &str, outcome: StockOutcome) -> Result<(), ServiceError> {
    match outcome {
        StockOutcome::Applied(_) | StockOutcome::Repeated(_) => Ok(()),
        StockOutcome::Refused(refusal) => {
            tracing::warn!(message = what, %refusal, "stock movement refused: already settled or nothing to move");
            Ok(())
        }
    }
}

impl TradeRelay {
    pub fn new(
        outbox: Arc<dyn TradeOutbox>,
        stock: Arc<TradeStock>,
        payments: Arc<dyn TradePayments>,
        clock: Arc<dyn Clock>,
        backoff: Backoff,
    ) -> Self {
        TradeRelay {
            outbox,
            stock,
            payments,
            clock,
            backoff,
        }
    }

    /// Delivers up to `limit` due messages, oldest first.
    pub async fn run_once(&self, limit: u64) -> Result<RelayReport, ServiceError> {
        let pending = self.outbox.pending(self.clock.now(), limit).await?;
        let mut report = RelayReport {
            examined: pending.len(),
            ..RelayReport::default()
        };
        for message in pending {
            match self.deliver(&message.message).await {
                Delivery::Done => {
                    self.outbox.delivered(message.id, self.clock.now()).await?;
                    report.delivered += 1;
                }
                Delivery::Retry(error) => {
                    self.retry_later(&message, &error).await?;
                    report.retried += 1;
                }
            }
        }
        Ok(report)
    }

    async fn retry_later(&self, message: &PendingMessage, error: &str) -> Result<(), ServiceError> {
        let next = self
            .backoff
            .next_attempt(message.attempts, self.clock.now());
        tracing::warn!(
            id = message.id,
            attempts = message.attempts + 1,
            error,
            "trade message deferred"
        );
        Ok(self.outbox.failed(message.id, error, next).await?)
    }

    async fn deliver(&self, message: &TradeMessage) -> Delivery {
        match message {
            TradeMessage::Order(TradeEvent::StockDeduct { order_no, .. }) => {
                let result = match order_ref(order_no) {
                    Ok(reference) => self.stock.deduct(&reference).await,
                    Err(error) => Err(error),
                };
                settled(
                    "stock deduct",
                    result.and_then(|o| stock_moved("stock deduct", o)),
                )
            }
            TradeMessage::Order(TradeEvent::StockRelease { order_no, .. }) => {
                let result = match order_ref(order_no) {
                    Ok(reference) => self.stock.release(&reference).await,
                    Err(error) => Err(error),
                };
                settled(
                    "stock release",
                    result.and_then(|o| stock_moved("stock release", o)),
                )
            }
            TradeMessage::Order(TradeEvent::RefundPayment(late)) => settled(
                "late payment refund",
                MallOrderService::give_back(self.payments.as_ref(), late).await,
            ),
            TradeMessage::AfterSale(AfterSaleEffect::Restock {
                after_sale,
                sku_id,
                quantity,
            }) => {
                let result = self.restock(after_sale, *sku_id, *quantity).await;
                settled(
                    "after-sale restock",
                    result.and_then(|o| stock_moved("after-sale restock", o)),
                )
            }
            // Sent by `AfterSaleService::start_refund` itself right after the change is
            // written (and left refunding until the payments core reports), so that one
            // refund is never sent twice: the message is the record, nothing to deliver.
            TradeMessage::AfterSale(AfterSaleEffect::Refund { .. }) => Delivery::Done,
        }
    }

    async fn restock(
        &self,
        key: &AfterSaleKey,
        sku_id: i64,
        quantity: u32,
    ) -> Result<StockOutcome, ServiceError> {
        let line = StockLine::new(SkuId(sku_id), i64::from(quantity));
        self.stock
            .restock(&after_sale_ref(key)?, &order_ref(&key.order_no)?, &[line])
            .await
    }
}
