//! Checkout pricing: a pure pipeline over integer fen, in yudao's stage order — activity,
//! member discount, full reduction, coupon, points deduction, freight, points given.
//!
//! Every discount is split over the lines it covers by [`allocate`] (proportional, rounded
//! down, remainder on the last line, never past a line's price), so lines and totals agree
//! to the fen and a line's `pay` bounds its refund. Amounts are checked: a cart too large
//! for i64 is refused, never wrapped.
//!
//! A paying order keeps at least 1 fen of goods (discounts stop there; freight comes on
//! top): WeChat Pay cannot charge 0, and a free order would bypass the payments core. A cart
//! whose goods cost 0 to begin with stays at 0.
//!
//! The quote carries a fingerprint; order creation prices the cart again with [`requote`]
//! and refuses when the price the shopper saw has changed.

mod allocate;
mod draft;
mod error;
mod freight;
mod pipeline;
mod quote;
mod request;
mod rules;
mod stages;

#[cfg(test)]
mod tests;

pub use allocate::allocate;
pub use draft::{DiscountKind, Discounts, DraftLine, PriceDraft, PriceStage, Stage};
pub use error::PricingError;
pub use freight::{ChargeBy, FreightRule, FreightStage, FreightTemplate, RegionCode};
pub use pipeline::{quote, requote, stages};
pub use quote::{Fingerprint, PriceQuote, QuoteLine, QuoteTotals};
pub use request::{Coupon, CouponKind, MemberDiscount, PriceItem, PriceRequest, Scope};
pub use rules::{FullReduction, PointsDeduction, PointsGiven, PriceRules, Tier};
pub use stages::{
    ActivityStage, CouponStage, FullReductionStage, MemberDiscountStage, PointsDeductionStage,
    PointsGivenStage, percent_of,
};
