//! Every change of an after-sale as a compare-and-set on its status and version, with the
//! effects it asks of other contexts, written in the same transaction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Fen;
use crate::order::OrderNumber;
use crate::trade::orders::{MAX_TEXT, Shipment};

use super::model::{AfterSale, AfterSaleError, AfterSaleKey};
use super::status::{AfterSaleEventKind, AfterSaleStatus};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterSaleEvent {
    Approve,
    Reject {
        reason: String,
    },
    ShipBack {
        carrier: String,
        tracking_no: String,
    },
    Receive,
    StartRefund,
    RefundSucceeded,
    RefundFailed {
        reason: String,
    },
    Cancel,
}

impl AfterSaleEvent {
    pub fn kind(&self) -> AfterSaleEventKind {
        match self {
            AfterSaleEvent::Approve => AfterSaleEventKind::Approve,
            AfterSaleEvent::Reject { .. } => AfterSaleEventKind::Reject,
            AfterSaleEvent::ShipBack { .. } => AfterSaleEventKind::ShipBack,
            AfterSaleEvent::Receive => AfterSaleEventKind::Receive,
            AfterSaleEvent::StartRefund => AfterSaleEventKind::StartRefund,
            AfterSaleEvent::RefundSucceeded => AfterSaleEventKind::RefundSucceeded,
            AfterSaleEvent::RefundFailed { .. } => AfterSaleEventKind::RefundFailed,
            AfterSaleEvent::Cancel => AfterSaleEventKind::Cancel,
        }
    }
}

/// What a change asks of other contexts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AfterSaleEffect {
    /// The goods came back: onto the shelf again (the stock ledger's after-sale restock,
    /// unique per after-sale).
    Restock {
        after_sale: AfterSaleKey,
        sku_id: i64,
        quantity: u32,
    },
    /// Give `amount` back through the payments core on `pay_order`.
    Refund {
        after_sale: AfterSaleKey,
        pay_order: OrderNumber,
        amount: Fen,
    },
}

/// Written only if the stored after-sale still has `expected_status` and
/// `expected_version`, with `effects`, in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterSaleTransition {
    pub expected_status: AfterSaleStatus,
    pub expected_version: i32,
    pub after_sale: AfterSale,
    pub effects: Vec<AfterSaleEffect>,
}

fn text(field: &str, value: &str) -> Result<String, AfterSaleError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > MAX_TEXT {
        return Err(AfterSaleError::Invalid(format!(
            "{field} of 1 to {MAX_TEXT} characters is required"
        )));
    }
    Ok(value.to_owned())
}

impl AfterSale {
    /// The one way an after-sale changes; refused when its status (and kind) do not take
    /// the event or the event's data is wrong.
    pub fn decide(
        &self,
        event: &AfterSaleEvent,
        now: DateTime<Utc>,
    ) -> Result<AfterSaleTransition, AfterSaleError> {
        let status = self.status.on(self.kind, event.kind())?;
        let mut next = self.clone();
        next.status = status;
        next.updated_at = now;
        next.version = self.version + 1;
        let mut effects = Vec::new();
        match event {
            AfterSaleEvent::Approve | AfterSaleEvent::Cancel | AfterSaleEvent::RefundSucceeded => {}
            AfterSaleEvent::Reject { reason } => {
                next.reject_reason = Some(text("a reason", reason)?);
            }
            AfterSaleEvent::ShipBack {
                carrier,
                tracking_no,
            } => {
                next.return_shipment = Some(Shipment {
                    carrier: text("the carrier", carrier)?,
                    tracking_no: text("the tracking number", tracking_no)?,
                    at: now,
                });
            }
            AfterSaleEvent::Receive => effects.push(AfterSaleEffect::Restock {
                after_sale: self.key.clone(),
                sku_id: self.sku_id,
                quantity: self.quantity,
            }),
            AfterSaleEvent::StartRefund => {
                next.refund_failure = None;
                effects.push(AfterSaleEffect::Refund {
                    after_sale: self.key.clone(),
                    pay_order: self.pay_order.clone(),
                    amount: self.amount,
                });
            }
            AfterSaleEvent::RefundFailed { reason } => {
                next.refund_failure = Some(reason.chars().take(MAX_TEXT).collect());
            }
        }
        Ok(AfterSaleTransition {
            expected_status: self.status,
            expected_version: self.version,
            after_sale: next,
            effects,
        })
    }
}
