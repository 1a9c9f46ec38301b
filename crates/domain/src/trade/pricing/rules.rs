//! The shop's pricing configuration, loaded by the caller; the pipeline only reads it.

use serde::{Deserialize, Serialize};

use super::{FreightTemplate, Scope};

/// 满 X 减 Y: the highest tier the covered goods reach applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FullReduction {
    pub id: i64,
    pub scope: Scope,
    pub tiers: Vec<Tier>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub threshold: i64,
    pub reduction: i64,
}

impl FullReduction {
    /// The reduction the covered goods earn; `None` below every threshold.
    pub fn reduction_for(&self, covered: i64) -> Option<i64> {
        self.tiers
            .iter()
            .filter(|tier| tier.threshold <= covered)
            .max_by_key(|tier| (tier.threshold, tier.reduction))
            .map(|tier| tier.reduction)
    }
}

/// Points as money: `points_per_fen` points pay one fen, for at most `max_share_percent`
/// of the goods still to pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsDeduction {
    pub points_per_fen: i64,
    pub max_share_percent: i64,
}

/// Points an order earns: `points_per_yuan` for every yuan of goods paid, rounded down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsGiven {
    pub points_per_yuan: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceRules {
    /// Applied in id order, each to the goods it covers.
    pub full_reductions: Vec<FullReduction>,
    pub freight_templates: Vec<FreightTemplate>,
    /// `None`: points cannot pay.
    pub points_deduction: Option<PointsDeduction>,
    /// `None`: orders earn no points.
    pub points_given: Option<PointsGiven>,
}
