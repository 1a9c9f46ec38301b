//! What a points order does when the payments core tells it something: paid → the points
//! and the bonus are credited (each once, whatever the repeats); closed → the order closes;
//! refunded → the order records it; a refund that failed → the points it took go back.

use std::sync::Arc;

use async_trait::async_trait;

use crate::money::Fen;
use crate::payments::{Fulfilment, FulfilmentError, FulfilmentEvent, FulfilmentMessage};
use crate::ports::{CasOutcome, Clock};
use crate::services::ServiceError;

use super::ledger::{EntryKind, PostOutcome};
use super::orders::{PointsOrder, PointsOrderRepository, PointsOrderStatus};
use super::service::PointsService;
use super::shop::purchase_reference;

/// Lost compare-and-sets tolerated before the message is left for the relay.
const MAX_RACE_RETRIES: usize = 5;

pub struct PointsFulfilment {
    orders: Arc<dyn PointsOrderRepository>,
    points: Arc<PointsService>,
    clock: Arc<dyn Clock>,
}

impl PointsFulfilment {
    pub fn new(
        orders: Arc<dyn PointsOrderRepository>,
        points: Arc<PointsService>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        PointsFulfilment {
            orders,
            points,
            clock,
        }
    }

    async fn apply(&self, message: &FulfilmentMessage) -> Result<(), ServiceError> {
        for _ in 0..MAX_RACE_RETRIES {
            let Some(order) = self.orders.find(&message.out_trade_no).await? else {
                tracing::error!(order = %message.out_trade_no, event = %message.event, "payment news for an unknown points order");
                return Ok(());
            };
            match self.step(&order, message).await? {
                Step::Done => return Ok(()),
                Step::Raced => continue,
            }
        }
        Err(ServiceError::Unavailable(format!(
            "points order {} kept changing; payment news deferred",
            message.out_trade_no
        )))
    }

    async fn step(
        &self,
        order: &PointsOrder,
        message: &FulfilmentMessage,
    ) -> Result<Step, ServiceError> {
        let now = self.clock.now();
        match message.event {
            FulfilmentEvent::Paid => {
                if order.status == PointsOrderStatus::Pending {
                    let change = order.changed(now, |next| {
                        next.status = PointsOrderStatus::Paid;
                        next.transaction_id = message.transaction_id.clone();
                        next.paid_at = message.paid_at.or(Some(now));
                    });
                    if self.orders.apply(&change).await? == CasOutcome::Lost {
                        return Ok(Step::Raced);
                    }
                }
                // Also when the order was marked paid by an earlier delivery that died
                // before crediting: each posting happens once, whatever the repeats.
                self.credit(order).await?;
                Ok(Step::Done)
            }
            FulfilmentEvent::Closed => match order.status {
                PointsOrderStatus::Pending => {
                    let change = order.changed(now, |next| next.status = PointsOrderStatus::Closed);
                    Ok(match self.orders.apply(&change).await? {
                        CasOutcome::Won => Step::Done,
                        CasOutcome::Lost => Step::Raced,
                    })
                }
                PointsOrderStatus::Paid
                | PointsOrderStatus::Closed
                | PointsOrderStatus::PartlyRefunded
                | PointsOrderStatus::Refunded => Ok(Step::Done),
            },
            FulfilmentEvent::Refunded => match order.status {
                PointsOrderStatus::Paid | PointsOrderStatus::PartlyRefunded
                    if order.refunded != message.refunded =>
                {
                    let status = if message.in_full {
                        PointsOrderStatus::Refunded
                    } else {
                        PointsOrderStatus::PartlyRefunded
                    };
                    let change = order.changed(now, |next| {
                        next.status = status;
                        next.refunded = message.refunded;
                    });
                    Ok(match self.orders.apply(&change).await? {
                        CasOutcome::Won => Step::Done,
                        CasOutcome::Lost => Step::Raced,
                    })
                }
                // A payment after close given back: no points were ever credited.
                PointsOrderStatus::Paid
                | PointsOrderStatus::PartlyRefunded
                | PointsOrderStatus::Pending
                | PointsOrderStatus::Closed
                | PointsOrderStatus::Refunded => Ok(Step::Done),
            },
            FulfilmentEvent::RefundFailed => {
                // The points this refund took go back (once).
                let before = message.refunded;
                let after = Fen::new(before.value() + message.amount.value());
                let take_back = order.points_taken_back(after) - order.points_taken_back(before);
                if take_back > 0 {
                    let reference = super::ledger::Reference::new(
                        "points_refund_undone",
                        format!("{}:{}", order.order_no, after.value()),
                    );
                    self.points
                        .post(
                            &order.user,
                            EntryKind::RefundReversal,
                            reference,
                            take_back,
                            "the refund failed: points given back",
                        )
                        .await?;
                }
                Ok(Step::Done)
            }
            FulfilmentEvent::Refunding | FulfilmentEvent::Flagged => Ok(Step::Done),
        }
    }

    async fn credit(&self, order: &PointsOrder) -> Result<(), ServiceError> {
        let reference = purchase_reference(&order.order_no);
        let note = format!("package {} (order {})", order.package_name, order.order_no);
        let postings = [
            (EntryKind::PackagePurchase, order.points),
            (EntryKind::Bonus, order.bonus_points),
        ];
        for (kind, points) in postings {
            if points <= 0 {
                continue;
            }
            match self
                .points
                .post(&order.user, kind, reference.clone(), points, &note)
                .await?
            {
                PostOutcome::Posted(_) | PostOutcome::AlreadyPosted(_) => {}
                PostOutcome::Insufficient { .. } => {
                    return Err(ServiceError::Unavailable(format!(
                        "crediting order {} was refused",
                        order.order_no
                    )));
                }
            }
        }
        Ok(())
    }
}

enum Step {
    Done,
    Raced,
}

#[async_trait]
impl Fulfilment for PointsFulfilment {
    async fn fulfil(&self, message: &FulfilmentMessage) -> Result<(), FulfilmentError> {
        self.apply(message)
            .await
            .map_err(|error| FulfilmentError::Retry(error.to_string()))
    }
}
