//! The price being built: one line per selected item, and the operations stages may apply.
//! Every operation keeps two invariants: a line's discounts never exceed its original total,
//! and the order's goods keep at least the payable floor.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{PriceItem, PriceRequest, PricingError, RegionCode, allocate};

/// The stages in the order they run: yudao's order, which each later issue fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Activity,
    MemberDiscount,
    FullReduction,
    Coupon,
    PointsDeduction,
    Freight,
    PointsGiven,
}

impl Stage {
    pub const ALL: [Stage; 7] = [
        Stage::Activity,
        Stage::MemberDiscount,
        Stage::FullReduction,
        Stage::Coupon,
        Stage::PointsDeduction,
        Stage::Freight,
        Stage::PointsGiven,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Activity => "activity",
            Stage::MemberDiscount => "member_discount",
            Stage::FullReduction => "full_reduction",
            Stage::Coupon => "coupon",
            Stage::PointsDeduction => "points_deduction",
            Stage::Freight => "freight",
            Stage::PointsGiven => "points_given",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stage::ALL
            .into_iter()
            .find(|stage| stage.as_str() == s)
            .ok_or_else(|| format!("unknown pricing stage {s:?}"))
    }
}

/// One pure step of the pipeline.
pub trait PriceStage {
    fn stage(&self) -> Stage;
    fn apply(&self, draft: &mut PriceDraft) -> Result<(), PricingError>;
}

/// The stages that take money off the goods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscountKind {
    Activity,
    Member,
    FullReduction,
    Coupon,
    Points,
}

/// What each discounting stage took, on one line or on the whole order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discounts {
    pub activity: i64,
    pub member: i64,
    pub full_reduction: i64,
    pub coupon: i64,
    pub points: i64,
}

impl Discounts {
    pub fn get(&self, kind: DiscountKind) -> i64 {
        match kind {
            DiscountKind::Activity => self.activity,
            DiscountKind::Member => self.member,
            DiscountKind::FullReduction => self.full_reduction,
            DiscountKind::Coupon => self.coupon,
            DiscountKind::Points => self.points,
        }
    }

    fn slot(&mut self, kind: DiscountKind) -> &mut i64 {
        match kind {
            DiscountKind::Activity => &mut self.activity,
            DiscountKind::Member => &mut self.member,
            DiscountKind::FullReduction => &mut self.full_reduction,
            DiscountKind::Coupon => &mut self.coupon,
            DiscountKind::Points => &mut self.points,
        }
    }

    /// `None` on overflow (only possible when adding up orders, never within a line).
    pub fn total(&self) -> Option<i64> {
        self.activity
            .checked_add(self.member)?
            .checked_add(self.full_reduction)?
            .checked_add(self.coupon)?
            .checked_add(self.points)
    }

    pub(super) fn checked_add(&self, other: &Discounts) -> Option<Discounts> {
        Some(Discounts {
            activity: self.activity.checked_add(other.activity)?,
            member: self.member.checked_add(other.member)?,
            full_reduction: self.full_reduction.checked_add(other.full_reduction)?,
            coupon: self.coupon.checked_add(other.coupon)?,
            points: self.points.checked_add(other.points)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftLine {
    pub item: PriceItem,
    /// `unit_price × quantity`.
    pub original: i64,
    pub discounts: Discounts,
    pub freight: i64,
    pub points_used: i64,
    pub points_given: i64,
}

impl DraftLine {
    /// What the goods on this line still cost, freight excluded. Never negative: every
    /// discount is capped at it.
    pub fn goods_pay(&self) -> i64 {
        // The discounts add up to at most `original`, so neither step can overflow.
        self.original - self.discounts.total().unwrap_or(self.original)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceDraft {
    lines: Vec<DraftLine>,
    region: RegionCode,
    coupon_id: Option<i64>,
    /// The goods of a paying order keep at least one fen: WeChat Pay cannot take 0, and a
    /// free order would bypass the payments core (yudao refuses 0-yuan orders too).
    floor: i64,
}

impl PriceDraft {
    /// The selected lines in sku order, so that the cart's display order changes nothing.
    pub fn new(request: &PriceRequest) -> Result<Self, PricingError> {
        let mut lines = Vec::new();
        let mut goods: i64 = 0;
        for item in request.items.iter().filter(|item| item.selected) {
            let invalid = |reason| PricingError::InvalidItem {
                sku_id: item.sku_id,
                reason,
            };
            if item.quantity < 1 {
                return Err(invalid("quantity must be at least 1"));
            }
            if item.unit_price < 0 {
                return Err(invalid("unit price must not be negative"));
            }
            if item.weight_grams < 0 {
                return Err(invalid("weight must not be negative"));
            }
            let original = item
                .unit_price
                .checked_mul(item.quantity)
                .ok_or(PricingError::Overflow)?;
            goods = goods.checked_add(original).ok_or(PricingError::Overflow)?;
            lines.push(DraftLine {
                item: *item,
                original,
                discounts: Discounts::default(),
                freight: 0,
                points_used: 0,
                points_given: 0,
            });
        }
        if lines.is_empty() {
            return Err(PricingError::NothingSelected);
        }
        lines.sort_by_key(|line| line.item.sku_id);
        if let Some(pair) = lines
            .windows(2)
            .find(|pair| pair[0].item.sku_id == pair[1].item.sku_id)
        {
            return Err(PricingError::DuplicateSku(pair[0].item.sku_id));
        }
        Ok(PriceDraft {
            lines,
            region: request.region.clone(),
            coupon_id: None,
            floor: goods.min(1),
        })
    }

    pub fn lines(&self) -> &[DraftLine] {
        &self.lines
    }

    pub fn region(&self) -> &RegionCode {
        &self.region
    }

    pub fn coupon_id(&self) -> Option<i64> {
        self.coupon_id
    }

    pub fn set_coupon(&mut self, coupon_id: i64) {
        self.coupon_id = Some(coupon_id);
    }

    /// What the goods still cost in all; fits because the originals were added up checked.
    pub fn goods_pay(&self) -> i64 {
        self.lines.iter().map(DraftLine::goods_pay).sum()
    }

    /// What the goods the predicate picks still cost.
    pub fn covered_pay(&self, covers: impl Fn(&PriceItem) -> bool) -> i64 {
        self.lines
            .iter()
            .filter(|line| covers(&line.item))
            .map(DraftLine::goods_pay)
            .sum()
    }

    /// The most any further discount may take.
    pub fn room(&self) -> i64 {
        (self.goods_pay() - self.floor).max(0)
    }

    /// Takes up to `amount` off the goods the predicate picks, split in proportion to what
    /// they still cost; capped at that and at [`PriceDraft::room`]. Returns what was taken.
    pub fn discount(
        &mut self,
        kind: DiscountKind,
        amount: i64,
        covers: impl Fn(&PriceItem) -> bool,
    ) -> i64 {
        let weights: Vec<i64> = self
            .lines
            .iter()
            .map(|line| {
                if covers(&line.item) {
                    line.goods_pay()
                } else {
                    0
                }
            })
            .collect();
        let taken = amount.clamp(0, weights.iter().sum::<i64>().min(self.room()));
        for (line, share) in self.lines.iter_mut().zip(allocate(taken, &weights)) {
            *line.discounts.slot(kind) += share;
        }
        taken
    }

    /// Takes what `off` computes from each line on its own (a rate rounded per line); each
    /// line's amount is capped at what it still costs and the order at its room.
    pub fn discount_each(
        &mut self,
        kind: DiscountKind,
        off: impl Fn(&DraftLine) -> Result<i64, PricingError>,
    ) -> Result<i64, PricingError> {
        let mut room = self.room();
        let mut taken = 0;
        for line in &mut self.lines {
            let share = off(line)?.clamp(0, line.goods_pay().min(room));
            *line.discounts.slot(kind) += share;
            room -= share;
            taken += share;
        }
        Ok(taken)
    }

    /// Adds each line's share of a parcel's freight (shares in line order).
    pub fn add_freight(&mut self, shares: &[i64]) -> Result<(), PricingError> {
        for (line, share) in self.lines.iter_mut().zip(shares) {
            line.freight = line
                .freight
                .checked_add((*share).max(0))
                .ok_or(PricingError::Overflow)?;
        }
        Ok(())
    }

    /// Records the points that paid each line: its points discount times the rate.
    pub fn set_points_used(&mut self, points_per_fen: i64) -> Result<(), PricingError> {
        for line in &mut self.lines {
            line.points_used = line
                .discounts
                .points
                .checked_mul(points_per_fen)
                .ok_or(PricingError::Overflow)?;
        }
        Ok(())
    }

    /// Sets each line's points earned (shares in line order).
    pub fn set_points_given(&mut self, shares: &[i64]) {
        for (line, share) in self.lines.iter_mut().zip(shares) {
            line.points_given = (*share).max(0);
        }
    }
}
