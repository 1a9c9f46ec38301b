//! What the pipeline prices: the cart's lines, where they ship, and the shopper's choices.
//! Every amount is integer fen (i64); the caller snapshots prices from the catalog and
//! checks ownership of the coupon and the points balance before asking for a quote.

use serde::{Deserialize, Serialize};

use super::RegionCode;

/// One cart line as the catalog priced it at the time of the quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceItem {
    pub sku_id: i64,
    pub spu_id: i64,
    pub category_id: i64,
    /// Fen for one unit.
    pub unit_price: i64,
    pub quantity: i64,
    /// Grams for one unit; freight charged by weight multiplies it by the quantity.
    pub weight_grams: i64,
    pub freight_template_id: i64,
    /// Unselected lines stay in the cart and out of the quote.
    pub selected: bool,
}

/// A member level's price: `pay_percent` of the price (95 = 5 % off, 九五折).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberDiscount {
    pub level: i32,
    /// 1..=100; 100 is no discount. 0 would give goods away and is refused.
    pub pay_percent: i64,
}

/// Which lines a coupon or a full-reduction activity covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "ids")]
pub enum Scope {
    All,
    Categories(Vec<i64>),
    Spus(Vec<i64>),
}

impl Scope {
    pub fn covers(&self, item: &PriceItem) -> bool {
        match self {
            Scope::All => true,
            Scope::Categories(ids) => ids.contains(&item.category_id),
            Scope::Spus(ids) => ids.contains(&item.spu_id),
        }
    }
}

/// A coupon the shopper holds and chose; its validity (owner, unused, not expired) is the
/// coupon context's business, and the order claims it by compare-and-set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    pub id: i64,
    pub kind: CouponKind,
    /// Eligible goods (after the earlier stages) must reach this; 0 for 无门槛券.
    pub min_spend: i64,
    pub scope: Scope,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CouponKind {
    /// 满减券 / 无门槛券: a fixed amount off.
    Amount { off: i64 },
    /// 折扣券: pay `pay_percent` of the eligible goods, at most `max_off` off.
    Percent {
        pay_percent: i64,
        max_off: Option<i64>,
    },
}

/// Everything one checkout asks: the cart, the shipping region and the shopper's choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceRequest {
    pub items: Vec<PriceItem>,
    pub region: RegionCode,
    pub member: Option<MemberDiscount>,
    pub coupon: Option<Coupon>,
    /// The most points the shopper is willing to spend (at most their balance).
    pub points_offered: Option<i64>,
}
