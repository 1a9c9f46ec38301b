//! The mall order as placed: its items with what was sold and at what price, the address it
//! goes to, its totals, and the pay order that collects the money.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Fen;
use crate::order::{OpenId, OrderNumber};
use crate::payments::{GoodsKind, PayOrderDraft};

use super::china_mobile::ChinaMobile;
use super::status::{CancelReason, MallOrderStatus, ReceiptBy};

/// Bounds that keep an order a sensible size for one row and its items.
pub const MAX_ITEMS: usize = 50;
pub const MAX_QUANTITY: u32 = 9_999;
pub const MAX_TEXT: usize = 200;

/// One line of the order: a SKU as it was sold. Later edits to the product never change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MallOrderItem {
    /// 1-based, stable within the order; after-sales name the item by it.
    pub line: u32,
    pub product_id: i64,
    pub sku_id: i64,
    pub name: String,
    /// The SKU's attributes in words, e.g. `颜色: 红; 尺码: XL`.
    pub spec: String,
    pub image: String,
    pub unit_price: Fen,
    pub quantity: u32,
    /// This line's share of what the buyer pays, from the price quote (discounts and
    /// freight allocated): what its after-sales can give back at most.
    pub pay_price: Fen,
}

/// A line as the checkout hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemDraft {
    pub product_id: i64,
    pub sku_id: i64,
    pub name: String,
    pub spec: String,
    pub image: String,
    pub unit_price: Fen,
    pub quantity: u32,
    pub pay_price: Fen,
}

/// Where the goods go, copied from the shopper's address book when the order was placed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressSnapshot {
    pub receiver: String,
    pub phone: ChinaMobile,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
}

/// Personal data stays out of logs: the phone masked, the name and street withheld.
impl fmt::Debug for AddressSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddressSnapshot")
            .field("receiver", &"<redacted>")
            .field("phone", &self.phone)
            .field("province", &self.province)
            .field("city", &self.city)
            .field("district", &self.district)
            .field("detail", &"<redacted>")
            .finish()
    }
}

/// The quote's totals; `pay = goods - discount + freight = Σ item pay prices`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTotals {
    /// Σ unit price × quantity.
    pub goods: Fen,
    pub discount: Fen,
    pub freight: Fen,
    pub pay: Fen,
}

/// What the checkout asks to place, after the price was recomputed and matched the quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MallOrderDraft {
    pub order_no: OrderNumber,
    pub buyer: OpenId,
    pub items: Vec<ItemDraft>,
    pub address: AddressSnapshot,
    pub totals: OrderTotals,
    /// The payments core's `out_trade_no` for this order (its merchant order no is ours).
    pub pay_order: OrderNumber,
    pub pay_deadline: DateTime<Utc>,
}

/// A payment the payments core confirmed for one of our pay orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub pay_order: OrderNumber,
    pub transaction_id: String,
    pub amount: Fen,
    pub paid_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    pub carrier: String,
    pub tracking_no: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    pub reason: CancelReason,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub by: ReceiptBy,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MallOrder {
    pub order_no: OrderNumber,
    pub buyer: OpenId,
    pub items: Vec<MallOrderItem>,
    pub address: AddressSnapshot,
    pub totals: OrderTotals,
    pub status: MallOrderStatus,
    pub pay_order: OrderNumber,
    pub pay_deadline: DateTime<Utc>,
    /// The payment that paid the order.
    pub payment: Option<PaymentRecord>,
    /// Payments that arrived after cancellation, or in addition to `payment`: each given
    /// back through the payments core, never kept.
    pub returned_payments: Vec<PaymentRecord>,
    pub cancellation: Option<Cancellation>,
    pub shipment: Option<Shipment>,
    /// When the job confirms receipt for the buyer (set on shipping).
    pub auto_confirm_at: Option<DateTime<Utc>>,
    pub receipt: Option<Receipt>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// Why an order cannot be placed or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Transition(#[from] super::status::OrderTransitionError),
    /// A payment that does not belong to this order as placed (another pay order, another
    /// amount): a person must look; nothing changes.
    #[error("payment does not match order: {0}")]
    PaymentMismatch(String),
    /// A timed step asked for before its time.
    #[error("{0}")]
    NotDue(String),
}

fn invalid(message: impl Into<String>) -> OrderError {
    OrderError::Invalid(message.into())
}

pub(super) fn checked_text(field: &str, value: &str, required: bool) -> Result<String, OrderError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(invalid(format!("{field} is required")));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(invalid(format!(
            "{field} is longer than {MAX_TEXT} characters"
        )));
    }
    Ok(value.to_owned())
}

impl MallOrder {
    /// Places an order: checks the quote adds up (a pricing bug must not become a
    /// wrong charge) and numbers the lines.
    pub fn place(draft: MallOrderDraft, now: DateTime<Utc>) -> Result<MallOrder, OrderError> {
        if draft.items.is_empty() || draft.items.len() > MAX_ITEMS {
            return Err(invalid(format!("an order has 1 to {MAX_ITEMS} items")));
        }
        if draft.pay_deadline <= now {
            return Err(invalid("the payment deadline is already past"));
        }
        let mut items = Vec::with_capacity(draft.items.len());
        let mut goods: i64 = 0;
        let mut pay: i64 = 0;
        for (index, item) in draft.items.into_iter().enumerate() {
            let line = u32::try_from(index + 1).map_err(|_| invalid("too many items"))?;
            if item.quantity == 0 || item.quantity > MAX_QUANTITY {
                return Err(invalid(format!(
                    "line {line}: quantity must be 1 to {MAX_QUANTITY}"
                )));
            }
            if item.unit_price.value() < 0 || item.pay_price.value() < 0 {
                return Err(invalid(format!("line {line}: prices cannot be negative")));
            }
            let line_total = item
                .unit_price
                .value()
                .checked_mul(i64::from(item.quantity))
                .ok_or_else(|| invalid(format!("line {line}: amount too large")))?;
            goods = goods
                .checked_add(line_total)
                .ok_or_else(|| invalid("amount too large"))?;
            pay = pay
                .checked_add(item.pay_price.value())
                .ok_or_else(|| invalid("amount too large"))?;
            items.push(MallOrderItem {
                line,
                product_id: item.product_id,
                sku_id: item.sku_id,
                name: checked_text("item name", &item.name, true)?,
                spec: checked_text("item spec", &item.spec, false)?,
                image: item.image.trim().to_owned(),
                unit_price: item.unit_price,
                quantity: item.quantity,
                pay_price: item.pay_price,
            });
        }
        let totals = draft.totals;
        if totals.discount.value() < 0 || totals.freight.value() < 0 {
            return Err(invalid("discount and freight cannot be negative"));
        }
        let expected_pay = goods
            .checked_sub(totals.discount.value())
            .and_then(|rest| rest.checked_add(totals.freight.value()));
        if totals.goods.value() != goods || totals.pay.value() != pay || Some(pay) != expected_pay {
            return Err(invalid(format!(
                "the quote does not add up: goods {goods}, items pay {pay}, totals {totals:?}"
            )));
        }
        // WeChat Pay collects at least 1 fen; a free order would need another flow.
        if pay <= 0 {
            return Err(invalid("an order must cost at least 1 fen"));
        }
        let address = AddressSnapshot {
            receiver: checked_text("receiver", &draft.address.receiver, true)?,
            phone: draft.address.phone,
            province: checked_text("province", &draft.address.province, true)?,
            city: checked_text("city", &draft.address.city, true)?,
            district: checked_text("district", &draft.address.district, false)?,
            detail: checked_text("address detail", &draft.address.detail, true)?,
        };
        Ok(MallOrder {
            order_no: draft.order_no,
            buyer: draft.buyer,
            items,
            address,
            totals,
            status: MallOrderStatus::Unpaid,
            pay_order: draft.pay_order,
            pay_deadline: draft.pay_deadline,
            payment: None,
            returned_payments: Vec::new(),
            cancellation: None,
            shipment: None,
            auto_confirm_at: None,
            receipt: None,
            created_at: now,
            updated_at: now,
            version: 0,
        })
    }

    pub fn item(&self, line: u32) -> Option<&MallOrderItem> {
        self.items.iter().find(|item| item.line == line)
    }

    /// What the checkout asks the payments core to collect for this order.
    pub fn pay_order_draft(&self, description: &str) -> PayOrderDraft {
        PayOrderDraft {
            out_trade_no: self.pay_order.clone(),
            kind: GoodsKind::Mall,
            merchant_order_no: self.order_no.to_string(),
            amount: self.totals.pay,
            payer: self.buyer.clone(),
            description: description.to_owned(),
            time_expire: self.pay_deadline,
        }
    }
}
