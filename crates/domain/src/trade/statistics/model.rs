//! The figures and the rows they are made of.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{ProductId, SkuId};
use crate::money::Fen;
use crate::order::OpenId;

/// The longest period one request may cover: the orders of the period are read whole.
pub const MAX_PERIOD_DAYS: i64 = 93;
/// The most top sellers one request may ask for.
pub const MAX_TOP: usize = 50;

/// China Standard Time, which has no daylight saving: the merchant's business day.
const UTC_PLUS_8_SECS: i32 = 8 * 3600;

/// The China (UTC+8) day of an instant.
pub fn china_day(at: DateTime<Utc>) -> NaiveDate {
    match FixedOffset::east_opt(UTC_PLUS_8_SECS) {
        Some(china) => at.with_timezone(&china).date_naive(),
        // Unreachable: +8 h is a valid offset. UTC is the harmless fallback.
        None => at.date_naive(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MallStatisticsQuery {
    pub from: DateTime<Utc>,
    pub before: DateTime<Utc>,
    /// How many top products and SKUs to list: 1 to [`MAX_TOP`].
    pub top: usize,
}

/// An order paid in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidOrder {
    pub buyer: OpenId,
    /// The order's total to pay (what the payment collected).
    pub amount: Fen,
    pub paid_at: DateTime<Utc>,
}

/// After-sales refunded in the period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundTotal {
    pub count: u64,
    pub amount: Fen,
}

/// One SKU's movements out and back in the period, from the stock ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuUnits {
    pub sku: SkuId,
    /// None when the SKU row is gone (the catalog never deletes a SKU with movements).
    pub product: Option<ProductId>,
    /// Empty when the product is unknown.
    pub product_name: String,
    /// Σ quantity of deduct movements: units paid for.
    pub deducted: i64,
    /// Σ quantity of after-sale restock movements: units returned to the shelf.
    pub restocked: i64,
}

impl SkuUnits {
    /// Units sold net of returns.
    pub fn sold(&self) -> i64 {
        self.deducted.saturating_sub(self.restocked)
    }
}

/// A product's units in the period, over its SKUs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductSales {
    pub product: ProductId,
    pub name: String,
    pub deducted: i64,
    pub restocked: i64,
    /// `deducted - restocked`.
    pub sold: i64,
}

/// One China day of the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MallDay {
    pub day: NaiveDate,
    pub orders_placed: u64,
    pub orders_paid: u64,
    pub paid_amount: Fen,
}

/// Shoppers who paid over shoppers who viewed a product, as integers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversion {
    /// Distinct buyers with an order paid in the period.
    pub buyers: u64,
    /// Distinct shoppers who viewed a product in the period.
    pub viewers: u64,
}

impl Conversion {
    /// `buyers / viewers` in basis points (1/100 of a percent), rounded down; none without
    /// viewers. May pass 10 000: a buyer can pay without a recorded view (a shared link).
    pub fn basis_points(&self) -> Option<u64> {
        if self.viewers == 0 {
            return None;
        }
        let ratio = u128::from(self.buyers) * 10_000 / u128::from(self.viewers);
        Some(u64::try_from(ratio).unwrap_or(u64::MAX))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MallFigures {
    pub from: DateTime<Utc>,
    pub before: DateTime<Utc>,
    pub orders_placed: u64,
    pub orders_paid: u64,
    pub paid_amount: Fen,
    pub refunds: RefundTotal,
    /// Σ deducted over every SKU.
    pub units_deducted: i64,
    /// Σ restocked over every SKU.
    pub units_restocked: i64,
    /// Products by units sold (net), most first, then by id; at most `top`.
    pub top_products: Vec<ProductSales>,
    /// SKUs by units sold (net), most first, then by id; at most `top`.
    pub top_skus: Vec<SkuUnits>,
    /// Every China day the period touches, oldest first, days without orders included.
    pub days: Vec<MallDay>,
    pub conversion: Conversion,
}

impl MallFigures {
    /// Units sold net of returns.
    pub fn units_sold(&self) -> i64 {
        self.units_deducted.saturating_sub(self.units_restocked)
    }
}
