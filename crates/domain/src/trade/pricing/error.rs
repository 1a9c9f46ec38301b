//! Why a cart cannot be priced, or why an order refuses its quote.

use super::Stage;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("no item is selected")]
    NothingSelected,
    #[error("item {sku_id}: {reason}")]
    InvalidItem { sku_id: i64, reason: &'static str },
    #[error("sku {0} appears on two lines")]
    DuplicateSku(i64),
    /// Refused rather than wrapped: a cart worth more than i64 fen is not a real cart.
    #[error("the amounts are too large to price")]
    Overflow,
    #[error("region code must be 6 digits, got {0:?}")]
    InvalidRegion(String),
    #[error("{stage} rule is invalid: {reason}")]
    InvalidRule { stage: Stage, reason: &'static str },
    #[error("points to spend must not be negative, got {0}")]
    NegativePoints(i64),
    #[error("coupon {coupon_id} applies to none of the selected items")]
    CouponNotApplicable { coupon_id: i64 },
    #[error("coupon {coupon_id} needs {min_spend} fen of eligible goods, the cart has {eligible}")]
    CouponBelowMinimum {
        coupon_id: i64,
        min_spend: i64,
        eligible: i64,
    },
    #[error("freight template {0} does not exist")]
    MissingFreightTemplate(i64),
    #[error("freight template {template_id} does not deliver to region {region}")]
    NotDeliverable { template_id: i64, region: String },
    /// The order's recomputed price is not the one the shopper saw: quote again.
    #[error("the price changed since the quote; quote again")]
    QuoteChanged,
}
