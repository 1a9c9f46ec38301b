//! Every change of a mall order, computed here as a [`MallOrderTransition`]: the repository
//! writes it with a compare-and-set on status and version, together with the events it
//! carries (stock movements, refunds to ask for), in one transaction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Fen;
use crate::order::OrderNumber;

use super::model::{
    Cancellation, MallOrder, OrderError, PaymentRecord, Receipt, Shipment, checked_text,
};
use super::status::{CancelReason, MallOrderStatus, OrderEventKind, ReceiptBy, Verdict};

/// What happens to an order, with its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderEvent {
    /// The payments core says one of our pay orders was paid.
    Paid(PaymentRecord),
    Cancel(CancelReason),
    /// The merchant hands the parcel to a carrier; `auto_confirm_at` is when the job will
    /// confirm receipt if the buyer does not.
    Ship {
        carrier: String,
        tracking_no: String,
        auto_confirm_at: DateTime<Utc>,
    },
    ConfirmReceipt(ReceiptBy),
}

impl OrderEvent {
    pub fn kind(&self) -> OrderEventKind {
        match self {
            OrderEvent::Paid(_) => OrderEventKind::Paid,
            OrderEvent::Cancel(_) => OrderEventKind::Cancel,
            OrderEvent::Ship { .. } => OrderEventKind::Ship,
            OrderEvent::ConfirmReceipt(_) => OrderEventKind::ConfirmReceipt,
        }
    }
}

/// A SKU and how many units of it move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLine {
    pub sku_id: i64,
    pub quantity: u32,
}

/// A payment to give back through the payments core, in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatePayment {
    pub order_no: OrderNumber,
    pub payment: PaymentRecord,
}

/// What a change asks of other contexts, written with it (an outbox, or the stock ledger
/// directly). Stock movements are unique per (order, SKU, kind) in the ledger, so
/// delivering one twice moves nothing twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TradeEvent {
    /// Paid: the reservation made at checkout becomes a sale.
    StockDeduct {
        order_no: OrderNumber,
        lines: Vec<StockLine>,
    },
    /// Cancelled: the reservation goes back to the shelf.
    StockRelease {
        order_no: OrderNumber,
        lines: Vec<StockLine>,
    },
    /// A payment the order will not keep: refund it through the payments core.
    RefundPayment(LatePayment),
}

/// The compare-and-set a repository performs: write `order` only if the stored row still
/// has `expected_status` and `expected_version`; append `events` in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MallOrderTransition {
    pub expected_status: MallOrderStatus,
    pub expected_version: i32,
    pub order: MallOrder,
    pub events: Vec<TradeEvent>,
}

impl MallOrderTransition {
    /// The payment this change keeps only to give back, if it is one.
    pub fn late_payment(&self) -> Option<&LatePayment> {
        self.events.iter().find_map(|event| match event {
            TradeEvent::RefundPayment(late) => Some(late),
            TradeEvent::StockDeduct { .. } | TradeEvent::StockRelease { .. } => None,
        })
    }
}

/// What an event does to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Write(Box<MallOrderTransition>),
    /// The same fact is recorded already (a payment message delivered again): nothing to do.
    AlreadyRecorded,
}

impl MallOrder {
    fn stock_lines(&self) -> Vec<StockLine> {
        self.items
            .iter()
            .map(|item| StockLine {
                sku_id: item.sku_id,
                quantity: item.quantity,
            })
            .collect()
    }

    fn changed(
        &self,
        status: MallOrderStatus,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut MallOrder),
    ) -> MallOrderTransition {
        let mut next = self.clone();
        next.status = status;
        change(&mut next);
        next.updated_at = now;
        next.version = self.version + 1;
        MallOrderTransition {
            expected_status: self.status,
            expected_version: self.version,
            order: next,
            events: Vec::new(),
        }
    }

    /// A payment kept only to be refunded (the order stays as it is).
    fn give_back(&self, payment: &PaymentRecord, now: DateTime<Utc>) -> Decision {
        let seen = |record: &PaymentRecord| record.transaction_id == payment.transaction_id;
        if self.payment.as_ref().is_some_and(seen) || self.returned_payments.iter().any(seen) {
            return Decision::AlreadyRecorded;
        }
        let mut transition = self.changed(self.status, now, |order| {
            order.returned_payments.push(payment.clone());
        });
        transition
            .events
            .push(TradeEvent::RefundPayment(LatePayment {
                order_no: self.order_no.clone(),
                payment: payment.clone(),
            }));
        Decision::Write(Box::new(transition))
    }

    /// The one way an order changes. Refused (nothing to write) when the status does not
    /// take the event or its data is wrong.
    pub fn decide(&self, event: &OrderEvent, now: DateTime<Utc>) -> Result<Decision, OrderError> {
        let verdict = self.status.on(event.kind())?;
        let refused = || {
            OrderError::Transition(super::status::OrderTransitionError {
                from: self.status,
                event: event.kind(),
            })
        };
        let next = match (verdict, event) {
            (Verdict::To(next), _) => next,
            (Verdict::LatePayment | Verdict::AlreadyPaid, OrderEvent::Paid(payment)) => {
                return Ok(self.give_back(payment, now));
            }
            (
                Verdict::LatePayment | Verdict::AlreadyPaid,
                OrderEvent::Cancel(_) | OrderEvent::Ship { .. } | OrderEvent::ConfirmReceipt(_),
            ) => return Err(refused()),
        };
        let transition = match event {
            OrderEvent::Paid(payment) => {
                if payment.pay_order != self.pay_order || payment.amount != self.totals.pay {
                    return Err(OrderError::PaymentMismatch(format!(
                        "order {} expects {} on {}, got {} on {}",
                        self.order_no,
                        self.totals.pay,
                        self.pay_order,
                        payment.amount,
                        payment.pay_order
                    )));
                }
                let mut transition = self.changed(next, now, |order| {
                    order.payment = Some(payment.clone());
                });
                transition.events.push(TradeEvent::StockDeduct {
                    order_no: self.order_no.clone(),
                    lines: self.stock_lines(),
                });
                transition
            }
            OrderEvent::Cancel(reason) => {
                if *reason == CancelReason::Timeout && now < self.pay_deadline {
                    return Err(OrderError::NotDue(format!(
                        "order {} may be paid until {}",
                        self.order_no, self.pay_deadline
                    )));
                }
                let mut transition = self.changed(next, now, |order| {
                    order.cancellation = Some(Cancellation {
                        reason: *reason,
                        at: now,
                    });
                });
                transition.events.push(TradeEvent::StockRelease {
                    order_no: self.order_no.clone(),
                    lines: self.stock_lines(),
                });
                transition
            }
            OrderEvent::Ship {
                carrier,
                tracking_no,
                auto_confirm_at,
            } => {
                let shipment = Shipment {
                    carrier: checked_text("carrier", carrier, true)?,
                    tracking_no: checked_text("tracking number", tracking_no, true)?,
                    at: now,
                };
                if *auto_confirm_at <= now {
                    return Err(OrderError::Invalid(
                        "automatic receipt must come after shipping".to_owned(),
                    ));
                }
                self.changed(next, now, |order| {
                    order.shipment = Some(shipment);
                    order.auto_confirm_at = Some(*auto_confirm_at);
                })
            }
            OrderEvent::ConfirmReceipt(by) => {
                let due = self.auto_confirm_at.is_some_and(|at| at <= now);
                if *by == ReceiptBy::Automatic && !due {
                    return Err(OrderError::NotDue(format!(
                        "order {} is not due for automatic receipt",
                        self.order_no
                    )));
                }
                self.changed(next, now, |order| {
                    order.receipt = Some(Receipt { by: *by, at: now });
                })
            }
        };
        Ok(Decision::Write(Box::new(transition)))
    }
}

/// The amount a late payment gives back.
impl LatePayment {
    pub fn amount(&self) -> Fen {
        self.payment.amount
    }
}
