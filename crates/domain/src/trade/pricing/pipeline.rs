//! The pipeline: the stages in their fixed order over one draft.

use super::quote::Fingerprint;
use super::{
    ActivityStage, CouponStage, FreightStage, FullReductionStage, MemberDiscountStage,
    PointsDeductionStage, PointsGivenStage, PriceDraft, PriceQuote, PriceRequest, PriceRules,
    PriceStage, PricingError, Stage,
};

/// The stages for one request, in [`Stage::ALL`] order (a test holds them to it).
pub fn stages<'a>(
    request: &'a PriceRequest,
    rules: &'a PriceRules,
) -> [Box<dyn PriceStage + 'a>; 7] {
    [
        Box::new(ActivityStage),
        Box::new(MemberDiscountStage(request.member.as_ref())),
        Box::new(FullReductionStage(&rules.full_reductions)),
        Box::new(CouponStage(request.coupon.as_ref())),
        Box::new(PointsDeductionStage {
            rule: rules.points_deduction.as_ref(),
            offered: request.points_offered,
        }),
        Box::new(FreightStage {
            templates: &rules.freight_templates,
        }),
        Box::new(PointsGivenStage(rules.points_given.as_ref())),
    ]
}

/// Prices the selected items of a cart. Pure: the same request and rules give the same
/// quote and fingerprint, whatever the order of the cart's lines.
pub fn quote(request: &PriceRequest, rules: &PriceRules) -> Result<PriceQuote, PricingError> {
    let mut draft = PriceDraft::new(request)?;
    for (stage, expected) in stages(request, rules).iter().zip(Stage::ALL) {
        debug_assert_eq!(stage.stage(), expected);
        stage.apply(&mut draft)?;
    }
    PriceQuote::from_draft(draft)
}

/// What order creation calls: prices the cart again from current data and refuses unless
/// the result is exactly the quote the shopper saw.
pub fn requote(
    request: &PriceRequest,
    rules: &PriceRules,
    seen: &Fingerprint,
) -> Result<PriceQuote, PricingError> {
    let quote = quote(request, rules)?;
    quote.ensure_matches(seen)?;
    Ok(quote)
}
