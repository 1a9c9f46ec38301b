//! The quote a shopper sees: per-line amounts, order totals, and a fingerprint of both that
//! the order compares with the one it recomputes.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Discounts, PriceDraft, PricingError, RegionCode};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteLine {
    pub sku_id: i64,
    pub spu_id: i64,
    pub unit_price: i64,
    pub quantity: i64,
    /// `unit_price × quantity`.
    pub original: i64,
    /// Each stage's share of its discount on this line.
    pub discounts: Discounts,
    /// This line's share of its parcel's freight.
    pub freight: i64,
    /// `original − discounts + freight`: what a refund of the whole line may give back.
    pub pay: i64,
    pub points_used: i64,
    pub points_given: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteTotals {
    pub goods: i64,
    pub discounts: Discounts,
    pub discount_total: i64,
    pub freight: i64,
    /// `goods − discount_total + freight`, and the sum of the lines' `pay`.
    pub pay: i64,
    pub points_used: i64,
    pub points_given: i64,
}

/// SHA-256 (hex) of the quote's canonical encoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What a client sent back; anything but 64 lowercase hex characters can match no quote.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let valid = raw.len() == 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| Fingerprint(raw.to_owned()))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceQuote {
    /// In sku order.
    pub lines: Vec<QuoteLine>,
    pub totals: QuoteTotals,
    pub region: RegionCode,
    pub coupon_id: Option<i64>,
    pub fingerprint: Fingerprint,
}

impl PriceQuote {
    pub(super) fn from_draft(draft: PriceDraft) -> Result<Self, PricingError> {
        let overflow = || PricingError::Overflow;
        let mut lines = Vec::with_capacity(draft.lines().len());
        let mut totals = QuoteTotals {
            goods: 0,
            discounts: Discounts::default(),
            discount_total: 0,
            freight: 0,
            pay: 0,
            points_used: 0,
            points_given: 0,
        };
        for line in draft.lines() {
            let pay = line
                .goods_pay()
                .checked_add(line.freight)
                .ok_or_else(overflow)?;
            totals.goods = totals
                .goods
                .checked_add(line.original)
                .ok_or_else(overflow)?;
            totals.discounts = totals
                .discounts
                .checked_add(&line.discounts)
                .ok_or_else(overflow)?;
            totals.freight = totals
                .freight
                .checked_add(line.freight)
                .ok_or_else(overflow)?;
            totals.pay = totals.pay.checked_add(pay).ok_or_else(overflow)?;
            totals.points_used = (totals.points_used)
                .checked_add(line.points_used)
                .ok_or_else(overflow)?;
            totals.points_given = (totals.points_given)
                .checked_add(line.points_given)
                .ok_or_else(overflow)?;
            lines.push(QuoteLine {
                sku_id: line.item.sku_id,
                spu_id: line.item.spu_id,
                unit_price: line.item.unit_price,
                quantity: line.item.quantity,
                original: line.original,
                discounts: line.discounts,
                freight: line.freight,
                pay,
                points_used: line.points_used,
                points_given: line.points_given,
            });
        }
        totals.discount_total = totals.discounts.total().ok_or_else(overflow)?;
        let mut quote = PriceQuote {
            lines,
            totals,
            region: draft.region().clone(),
            coupon_id: draft.coupon_id(),
            fingerprint: Fingerprint(String::new()),
        };
        quote.fingerprint = quote.compute_fingerprint();
        Ok(quote)
    }

    /// Refuses when this (recomputed) quote is not the one the shopper saw.
    pub fn ensure_matches(&self, seen: &Fingerprint) -> Result<(), PricingError> {
        if &self.fingerprint == seen {
            Ok(())
        } else {
            Err(PricingError::QuoteChanged)
        }
    }

    /// Every field of the quote in a fixed order under a version tag, each integer as the
    /// LEB128 of its zigzag: one encoding per value and self-delimiting, so the bytes are
    /// canonical whatever serde, field names or map order do; and short, because SHA-256
    /// costs per block (and is slow in debug builds, where the property test runs).
    fn compute_fingerprint(&self) -> Fingerprint {
        fn put(bytes: &mut Vec<u8>, values: &[i64]) {
            for &value in values {
                let mut rest = ((value << 1) ^ (value >> 63)) as u64;
                while rest >= 0x80 {
                    bytes.push((rest & 0x7f) as u8 | 0x80);
                    rest >>= 7;
                }
                bytes.push(rest as u8);
            }
        }
        let mut bytes = Vec::with_capacity(64 + self.lines.len() * 48);
        bytes.extend_from_slice(b"elife.price-quote.v1\0");
        bytes.extend_from_slice(self.region.as_str().as_bytes());
        put(
            &mut bytes,
            &[
                i64::from(self.coupon_id.is_some()),
                self.coupon_id.unwrap_or(0),
                self.lines.len() as i64,
            ],
        );
        for line in &self.lines {
            let d = &line.discounts;
            put(
                &mut bytes,
                &[
                    line.sku_id,
                    line.spu_id,
                    line.unit_price,
                    line.quantity,
                    line.original,
                    d.activity,
                    d.member,
                    d.full_reduction,
                    d.coupon,
                    d.points,
                    line.freight,
                    line.pay,
                    line.points_used,
                    line.points_given,
                ],
            );
        }
        let t = &self.totals;
        let d = &t.discounts;
        put(
            &mut bytes,
            &[
                t.goods,
                d.activity,
                d.member,
                d.full_reduction,
                d.coupon,
                d.points,
                t.discount_total,
                t.freight,
                t.pay,
                t.points_used,
                t.points_given,
            ],
        );
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(64);
        for byte in Sha256::digest(&bytes) {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
        Fingerprint(hex)
    }
}
