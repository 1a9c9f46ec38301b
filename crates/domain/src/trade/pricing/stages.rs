//! The discount and points stages. Each is pure: it reads its rule and the draft and
//! changes only the draft. Rates are whole percents, applied in i128 and rounded down, so
//! the shop never gives a fraction of a fen more than its rule says.

use super::{
    Coupon, CouponKind, DiscountKind, FullReduction, MemberDiscount, PointsDeduction, PointsGiven,
    PriceDraft, PriceStage, PricingError, Scope, Stage, allocate,
};

/// `amount × percent / 100` rounded down; `percent` in 0..=100 keeps it within `amount`.
pub fn percent_of(amount: i64, percent: i64) -> i64 {
    let share = i128::from(amount.max(0)) * i128::from(percent.clamp(0, 100)) / 100;
    i64::try_from(share).unwrap_or(0)
}

fn invalid(stage: Stage, reason: &'static str) -> PricingError {
    PricingError::InvalidRule { stage, reason }
}

/// Seckill, group buying and bargain prices: the marketing issue fills this in.
pub struct ActivityStage;

impl PriceStage for ActivityStage {
    fn stage(&self) -> Stage {
        Stage::Activity
    }

    fn apply(&self, _draft: &mut PriceDraft) -> Result<(), PricingError> {
        Ok(())
    }
}

/// The member level's rate on every line, rounded down per line (the line keeps the fraction).
pub struct MemberDiscountStage<'a>(pub Option<&'a MemberDiscount>);

impl PriceStage for MemberDiscountStage<'_> {
    fn stage(&self) -> Stage {
        Stage::MemberDiscount
    }

    fn apply(&self, draft: &mut PriceDraft) -> Result<(), PricingError> {
        let Some(member) = self.0 else {
            return Ok(());
        };
        if !(1..=100).contains(&member.pay_percent) {
            return Err(invalid(self.stage(), "pay percent must be 1 to 100"));
        }
        let off_percent = 100 - member.pay_percent;
        draft.discount_each(DiscountKind::Member, |line| {
            Ok(percent_of(line.goods_pay(), off_percent))
        })?;
        Ok(())
    }
}

/// 满减: each activity (in id order) takes its best tier off the goods it covers.
pub struct FullReductionStage<'a>(pub &'a [FullReduction]);

impl PriceStage for FullReductionStage<'_> {
    fn stage(&self) -> Stage {
        Stage::FullReduction
    }

    fn apply(&self, draft: &mut PriceDraft) -> Result<(), PricingError> {
        let mut activities: Vec<&FullReduction> = self.0.iter().collect();
        activities.sort_by_key(|activity| activity.id);
        for activity in activities {
            if activity
                .tiers
                .iter()
                .any(|tier| tier.threshold < 0 || tier.reduction < 0)
            {
                return Err(invalid(self.stage(), "tiers must not be negative"));
            }
            let covered = draft.covered_pay(|item| activity.scope.covers(item));
            if covered == 0 {
                continue;
            }
            if let Some(reduction) = activity.reduction_for(covered) {
                draft.discount(DiscountKind::FullReduction, reduction, |item| {
                    activity.scope.covers(item)
                });
            }
        }
        Ok(())
    }
}

/// The coupon the shopper chose, over the goods it covers; never more than they cost.
pub struct CouponStage<'a>(pub Option<&'a Coupon>);

impl PriceStage for CouponStage<'_> {
    fn stage(&self) -> Stage {
        Stage::Coupon
    }

    fn apply(&self, draft: &mut PriceDraft) -> Result<(), PricingError> {
        let Some(coupon) = self.0 else {
            return Ok(());
        };
        let scope: &Scope = &coupon.scope;
        if coupon.min_spend < 0 {
            return Err(invalid(self.stage(), "minimum spend must not be negative"));
        }
        if !draft.lines().iter().any(|line| scope.covers(&line.item)) {
            return Err(PricingError::CouponNotApplicable {
                coupon_id: coupon.id,
            });
        }
        let eligible = draft.covered_pay(|item| scope.covers(item));
        if eligible < coupon.min_spend {
            return Err(PricingError::CouponBelowMinimum {
                coupon_id: coupon.id,
                min_spend: coupon.min_spend,
                eligible,
            });
        }
        let off = match coupon.kind {
            CouponKind::Amount { off } if off >= 0 => off,
            CouponKind::Percent {
                pay_percent,
                max_off,
            } if (0..=100).contains(&pay_percent) && max_off.is_none_or(|cap| cap >= 0) => {
                let off = percent_of(eligible, 100 - pay_percent);
                max_off.map_or(off, |cap| off.min(cap))
            }
            CouponKind::Amount { .. } | CouponKind::Percent { .. } => {
                return Err(invalid(
                    self.stage(),
                    "amounts must not be negative, percents 0 to 100",
                ));
            }
        };
        draft.discount(DiscountKind::Coupon, off, |item| scope.covers(item));
        draft.set_coupon(coupon.id);
        Ok(())
    }
}

/// Points pay part of the goods: whole fen only, so only multiples of the rate are spent.
pub struct PointsDeductionStage<'a> {
    pub rule: Option<&'a PointsDeduction>,
    pub offered: Option<i64>,
}

impl PriceStage for PointsDeductionStage<'_> {
    fn stage(&self) -> Stage {
        Stage::PointsDeduction
    }

    fn apply(&self, draft: &mut PriceDraft) -> Result<(), PricingError> {
        let offered = self.offered.unwrap_or(0);
        if offered < 0 {
            return Err(PricingError::NegativePoints(offered));
        }
        let Some(rule) = self.rule else {
            return Ok(());
        };
        if rule.points_per_fen < 1 || !(0..=100).contains(&rule.max_share_percent) {
            return Err(invalid(
                self.stage(),
                "points per fen must be at least 1, the share 0 to 100",
            ));
        }
        let most = percent_of(draft.goods_pay(), rule.max_share_percent);
        let fen = (offered / rule.points_per_fen).min(most);
        draft.discount(DiscountKind::Points, fen, |_| true);
        draft.set_points_used(rule.points_per_fen)
    }
}

/// Points the order earns on the goods paid (freight earns none), split over the lines by
/// what they pay, so that a refunded line takes back its own points.
pub struct PointsGivenStage<'a>(pub Option<&'a PointsGiven>);

impl PriceStage for PointsGivenStage<'_> {
    fn stage(&self) -> Stage {
        Stage::PointsGiven
    }

    fn apply(&self, draft: &mut PriceDraft) -> Result<(), PricingError> {
        let Some(rule) = self.0 else {
            return Ok(());
        };
        if rule.points_per_yuan < 0 {
            return Err(invalid(
                self.stage(),
                "points per yuan must not be negative",
            ));
        }
        let earned = i128::from(draft.goods_pay()) * i128::from(rule.points_per_yuan) / 100;
        let earned = i64::try_from(earned).map_err(|_| PricingError::Overflow)?;
        let weights: Vec<i64> = draft.lines().iter().map(|line| line.goods_pay()).collect();
        draft.set_points_given(&allocate(earned, &weights));
        Ok(())
    }
}
