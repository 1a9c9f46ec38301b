//! An after-sale: one application about one item of a paid order, and the rules that keep
//! an item's refunds within what was paid for it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Fen;
use crate::order::{OpenId, OrderNumber};
use crate::trade::orders::{MAX_TEXT, MallOrder, MallOrderStatus, Owned, Shipment};

use super::status::{AfterSaleKind, AfterSaleStatus, AfterSaleTransitionError};

/// An after-sale is the `seq`-th application about line `line` of an order. The key is
/// also the guard against stale applications: `seq` is one more than the item's
/// applications as read, and storing a key twice is refused, so an application decided
/// on an outdated view of the item is never stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AfterSaleKey {
    pub order_no: OrderNumber,
    pub line: u32,
    pub seq: u32,
}

impl AfterSaleKey {
    /// Reads `ORD…-line-seq`, as [`fmt::Display`] writes it.
    pub fn parse(raw: &str) -> Option<AfterSaleKey> {
        let mut parts = raw.trim().rsplitn(3, '-');
        let seq = parts.next()?.parse().ok()?;
        let line = parts.next()?.parse().ok()?;
        let order_no = OrderNumber::parse(parts.next()?).ok()?;
        Some(AfterSaleKey {
            order_no,
            line,
            seq,
        })
    }
}

impl fmt::Display for AfterSaleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.order_no, self.line, self.seq)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AfterSale {
    pub key: AfterSaleKey,
    pub buyer: OpenId,
    /// The pay order that paid the order: refunds go back through it.
    pub pay_order: OrderNumber,
    pub sku_id: i64,
    pub kind: AfterSaleKind,
    pub reason: String,
    pub amount: Fen,
    /// Units sent back (return and refund); 0 for a refund only.
    pub quantity: u32,
    pub status: AfterSaleStatus,
    pub reject_reason: Option<String>,
    pub return_shipment: Option<Shipment>,
    /// Why the last refund failed.
    pub refund_failure: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Owned for AfterSale {
    fn owner(&self) -> &OpenId {
        &self.buyer
    }
}

/// What the buyer asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub line: u32,
    pub kind: AfterSaleKind,
    pub reason: String,
    pub amount: Fen,
    /// Units to send back; ignored (0) for a refund only.
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AfterSaleError {
    #[error("{0}")]
    Invalid(String),
    /// The order or item does not allow it now.
    #[error("{0}")]
    NotAllowed(String),
    #[error(transparent)]
    Transition(#[from] AfterSaleTransitionError),
}

/// What an item's after-sales hold so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ItemLedger {
    /// Σ amounts of after-sales open or refunded: never more than the item's pay price.
    pub committed: Fen,
    pub refunded: Fen,
    /// Σ units of returns open or refunded.
    pub returned: u32,
    pub open: bool,
    /// The `seq` of the item's next application.
    pub next_seq: u32,
}

impl ItemLedger {
    pub fn of(line: u32, after_sales: &[AfterSale]) -> ItemLedger {
        let mut ledger = ItemLedger {
            next_seq: 1,
            ..ItemLedger::default()
        };
        for after_sale in after_sales.iter().filter(|a| a.key.line == line) {
            ledger.next_seq = ledger.next_seq.max(after_sale.key.seq.saturating_add(1));
            if after_sale.status.commits_amount() {
                ledger.committed = Fen::new(ledger.committed.value() + after_sale.amount.value());
                ledger.returned = ledger.returned.saturating_add(after_sale.quantity);
            }
            if after_sale.status == AfterSaleStatus::Refunded {
                ledger.refunded = Fen::new(ledger.refunded.value() + after_sale.amount.value());
            }
            ledger.open |= after_sale.status.is_open();
        }
        ledger
    }
}

/// An order as the shopper sees it: its status, or 售后中 while an after-sale is open.
/// Derived from the after-sales each time rather than stored on the order, so the two can
/// never disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderBadge {
    pub status: MallOrderStatus,
    pub after_sale_open: bool,
}

impl OrderBadge {
    pub fn of(order: &MallOrder, after_sales: &[AfterSale]) -> OrderBadge {
        OrderBadge {
            status: order.status,
            after_sale_open: after_sales
                .iter()
                .any(|a| a.key.order_no == order.order_no && a.status.is_open()),
        }
    }

    pub fn label_zh(self) -> &'static str {
        if self.after_sale_open {
            "售后中"
        } else {
            self.status.label_zh()
        }
    }
}

fn not_allowed(message: String) -> AfterSaleError {
    AfterSaleError::NotAllowed(message)
}

impl AfterSale {
    /// Decides an application against the order and the after-sales it has (all of them,
    /// as read together): the order paid and not cancelled, goods shipped for a return,
    /// no other after-sale of the item open, the amount within what remains of the item's
    /// pay price, the units within what remains of its quantity.
    pub fn apply(
        order: &MallOrder,
        existing: &[AfterSale],
        application: &Application,
        now: DateTime<Utc>,
    ) -> Result<AfterSale, AfterSaleError> {
        let shipped = match order.status {
            MallOrderStatus::Paid => false,
            MallOrderStatus::Shipped | MallOrderStatus::Completed => true,
            MallOrderStatus::Unpaid | MallOrderStatus::Cancelled => {
                return Err(not_allowed(format!(
                    "order {} is {}: only a paid order has after-sales",
                    order.order_no, order.status
                )));
            }
        };
        let Some(payment) = &order.payment else {
            return Err(not_allowed(format!(
                "order {} has no payment",
                order.order_no
            )));
        };
        let Some(item) = order.item(application.line) else {
            return Err(AfterSaleError::Invalid(format!(
                "order {} has no line {}",
                order.order_no, application.line
            )));
        };
        let ledger = ItemLedger::of(item.line, existing);
        if ledger.open {
            return Err(not_allowed(format!(
                "line {} of order {} has an after-sale in progress",
                item.line, order.order_no
            )));
        }
        let reason = application.reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_TEXT {
            return Err(AfterSaleError::Invalid(format!(
                "a reason of 1 to {MAX_TEXT} characters is required"
            )));
        }
        let remaining = item.pay_price.value() - ledger.committed.value();
        let amount = application.amount.value();
        if amount <= 0 || amount > remaining {
            return Err(AfterSaleError::Invalid(format!(
                "the amount must be between 1 fen and the {remaining} fen that remain of line {}",
                item.line
            )));
        }
        let quantity = match application.kind {
            AfterSaleKind::RefundOnly => 0,
            AfterSaleKind::ReturnAndRefund => {
                if !shipped {
                    return Err(not_allowed(format!(
                        "order {} is not shipped yet: ask for a refund only",
                        order.order_no
                    )));
                }
                let left = item.quantity.saturating_sub(ledger.returned);
                if application.quantity == 0 || application.quantity > left {
                    return Err(AfterSaleError::Invalid(format!(
                        "between 1 and {left} units of line {} can be sent back",
                        item.line
                    )));
                }
                application.quantity
            }
        };
        Ok(AfterSale {
            key: AfterSaleKey {
                order_no: order.order_no.clone(),
                line: item.line,
                seq: ledger.next_seq,
            },
            buyer: order.buyer.clone(),
            pay_order: payment.pay_order.clone(),
            sku_id: item.sku_id,
            kind: application.kind,
            reason: reason.to_owned(),
            amount: application.amount,
            quantity,
            status: AfterSaleStatus::Applied,
            reject_reason: None,
            return_shipment: None,
            refund_failure: None,
            created_at: now,
            updated_at: now,
            version: 0,
        })
    }
}
