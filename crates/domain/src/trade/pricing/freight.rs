//! Freight from templates: each item names its template, the template prices the parcel by
//! the shipping region, by count or by weight (first units at a first fee, then each started
//! block of extra units at an extra fee), free above a threshold. A region no rule covers is
//! not deliverable: refused, never shipped for free by accident.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{PriceDraft, PriceStage, PricingError, Stage, allocate};

/// A GB/T 2260 administrative code: `110105` (a district), `110100` (its city), `110000`
/// (its province); `000000` stands for the whole country.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    pub const NATIONWIDE: &'static str = "000000";

    pub fn parse(raw: &str) -> Result<Self, PricingError> {
        let raw = raw.trim();
        if raw.len() == 6 && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(RegionCode(raw.to_owned()))
        } else {
            Err(PricingError::InvalidRegion(raw.chars().take(16).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This code, then its city, its province and the whole country: most specific first.
    pub fn ancestors(&self) -> Vec<String> {
        let mut codes: Vec<String> = Vec::with_capacity(4);
        for candidate in [
            self.0.clone(),
            format!("{}00", &self.0[..4]),
            format!("{}0000", &self.0[..2]),
            Self::NATIONWIDE.to_owned(),
        ] {
            if !codes.contains(&candidate) {
                codes.push(candidate);
            }
        }
        codes
    }

    /// How closely `area` covers this code: 3 itself, 2 its city, 1 its province, 0 the
    /// whole country; `None` when it does not. (What [`RegionCode::ancestors`] lists,
    /// without allocating: it runs for every parcel of every quote.)
    pub fn covered_by(&self, area: &RegionCode) -> Option<u8> {
        let (code, area) = (self.0.as_bytes(), area.0.as_bytes());
        if code == area {
            Some(3)
        } else if area[..4] == code[..4] && &area[4..] == b"00" {
            Some(2)
        } else if area[..2] == code[..2] && &area[2..] == b"0000" {
            Some(1)
        } else if area == Self::NATIONWIDE.as_bytes() {
            Some(0)
        } else {
            None
        }
    }
}

impl TryFrom<String> for RegionCode {
    type Error = PricingError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        RegionCode::parse(&value)
    }
}

impl From<RegionCode> for String {
    fn from(code: RegionCode) -> Self {
        code.0
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeBy {
    /// Units are items.
    Count,
    /// Units are grams.
    Weight,
}

/// The price of a parcel to the regions listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreightRule {
    pub regions: Vec<RegionCode>,
    pub first_units: i64,
    pub first_fee: i64,
    /// At least 1: each started block of this many units costs `extra_fee`.
    pub extra_units: i64,
    pub extra_fee: i64,
    /// Goods (after discounts) in the parcel worth at least this ship free.
    pub free_over: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreightTemplate {
    pub id: i64,
    pub charge_by: ChargeBy,
    pub rules: Vec<FreightRule>,
}

impl FreightTemplate {
    /// The rule of the most specific region that covers `region`; the first listed on a tie.
    pub fn rule_for(&self, region: &RegionCode) -> Option<&FreightRule> {
        let mut best: Option<(u8, &FreightRule)> = None;
        for rule in &self.rules {
            let closeness = rule
                .regions
                .iter()
                .filter_map(|r| region.covered_by(r))
                .max();
            if let Some(closeness) = closeness
                && best.is_none_or(|(seen, _)| closeness > seen)
            {
                best = Some((closeness, rule));
            }
        }
        best.map(|(_, rule)| rule)
    }
}

impl FreightRule {
    fn check(&self) -> Result<(), PricingError> {
        let invalid = |reason| PricingError::InvalidRule {
            stage: Stage::Freight,
            reason,
        };
        if self.first_units < 0 || self.first_fee < 0 || self.extra_fee < 0 {
            return Err(invalid("units and fees must not be negative"));
        }
        if self.extra_units < 1 {
            return Err(invalid("extra units must be at least 1"));
        }
        if self.free_over.is_some_and(|over| over < 0) {
            return Err(invalid("free-shipping threshold must not be negative"));
        }
        Ok(())
    }

    /// The fee for a parcel of `units`, before the free-shipping threshold.
    pub fn fee(&self, units: i64) -> Result<i64, PricingError> {
        self.check()?;
        if units <= self.first_units {
            return Ok(self.first_fee);
        }
        let over = units - self.first_units;
        let blocks = over / self.extra_units + i64::from(over % self.extra_units != 0);
        blocks
            .checked_mul(self.extra_fee)
            .and_then(|extra| extra.checked_add(self.first_fee))
            .ok_or(PricingError::Overflow)
    }
}

/// One parcel per template; its fee is split over its lines by their units.
pub struct FreightStage<'a> {
    pub templates: &'a [FreightTemplate],
}

impl PriceStage for FreightStage<'_> {
    fn stage(&self) -> Stage {
        Stage::Freight
    }

    fn apply(&self, draft: &mut PriceDraft) -> Result<(), PricingError> {
        let mut parcels: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for (index, line) in draft.lines().iter().enumerate() {
            parcels
                .entry(line.item.freight_template_id)
                .or_default()
                .push(index);
        }
        for (template_id, indexes) in parcels {
            let template = self
                .templates
                .iter()
                .find(|template| template.id == template_id)
                .ok_or(PricingError::MissingFreightTemplate(template_id))?;
            let rule =
                template
                    .rule_for(draft.region())
                    .ok_or_else(|| PricingError::NotDeliverable {
                        template_id,
                        region: draft.region().to_string(),
                    })?;
            let lines = draft.lines();
            let mut units = vec![0; lines.len()];
            let mut counts = vec![0; lines.len()];
            let mut goods: i64 = 0;
            for &index in &indexes {
                let item = &lines[index].item;
                units[index] = match template.charge_by {
                    ChargeBy::Count => item.quantity,
                    ChargeBy::Weight => item
                        .weight_grams
                        .checked_mul(item.quantity)
                        .ok_or(PricingError::Overflow)?,
                };
                counts[index] = item.quantity;
                goods += lines[index].goods_pay();
            }
            let total_units = units
                .iter()
                .try_fold(0i64, |sum, u| sum.checked_add(*u))
                .ok_or(PricingError::Overflow)?;
            let fee = rule.fee(total_units)?;
            if rule.free_over.is_some_and(|over| goods >= over) || fee == 0 {
                continue;
            }
            // Weightless goods still ship: split their parcel's fee by count instead.
            let weights = if total_units > 0 { units } else { counts };
            draft.add_freight(&allocate(fee, &weights))?;
        }
        Ok(())
    }
}
