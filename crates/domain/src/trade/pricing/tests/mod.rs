//! The pipeline through its public functions: each stage's rules and edge cases, the quote
//! and its fingerprint, and random carts.

mod freight;
mod pipeline;
mod properties;
mod stages;

use super::*;

pub(super) fn region(code: &str) -> RegionCode {
    RegionCode::parse(code).unwrap()
}

/// A selected line on template 1, 100 g a unit.
pub(super) fn item(sku_id: i64, unit_price: i64, quantity: i64) -> PriceItem {
    PriceItem {
        sku_id,
        spu_id: sku_id * 10,
        category_id: 1,
        unit_price,
        quantity,
        weight_grams: 100,
        freight_template_id: 1,
        selected: true,
    }
}

pub(super) fn request(items: Vec<PriceItem>) -> PriceRequest {
    PriceRequest {
        items,
        region: region("110105"),
        member: None,
        coupon: None,
        points_offered: None,
    }
}

/// Template 1 ships everywhere for free: tests of other stages see no freight.
pub(super) fn free_shipping() -> FreightTemplate {
    FreightTemplate {
        id: 1,
        charge_by: ChargeBy::Count,
        rules: vec![FreightRule {
            regions: vec![region(RegionCode::NATIONWIDE)],
            first_units: 1,
            first_fee: 0,
            extra_units: 1,
            extra_fee: 0,
            free_over: None,
        }],
    }
}

pub(super) fn rules() -> PriceRules {
    PriceRules {
        freight_templates: vec![free_shipping()],
        ..PriceRules::default()
    }
}

/// Lines and totals agree, nothing is negative, and pay = goods − discounts + freight.
pub(super) fn assert_consistent(quote: &PriceQuote) {
    let t = &quote.totals;
    let mut sum = Discounts::default();
    for line in &quote.lines {
        let d = &line.discounts;
        for value in [
            d.activity,
            d.member,
            d.full_reduction,
            d.coupon,
            d.points,
            line.freight,
            line.pay,
            line.points_used,
            line.points_given,
        ] {
            assert!(value >= 0, "negative amount on line {line:?}");
        }
        assert!(
            d.total().unwrap() <= line.original,
            "line over-discounted {line:?}"
        );
        assert_eq!(line.pay, line.original - d.total().unwrap() + line.freight);
        sum = sum.checked_add(d).unwrap();
    }
    assert_eq!(sum, t.discounts);
    assert_eq!(t.goods, quote.lines.iter().map(|l| l.original).sum::<i64>());
    assert_eq!(
        t.freight,
        quote.lines.iter().map(|l| l.freight).sum::<i64>()
    );
    assert_eq!(t.pay, quote.lines.iter().map(|l| l.pay).sum::<i64>());
    assert_eq!(t.discount_total, t.discounts.total().unwrap());
    assert_eq!(t.pay, t.goods - t.discount_total + t.freight);
    assert!(t.pay >= 0);
    if t.goods > 0 {
        assert!(t.pay - t.freight >= 1, "the goods keep at least one fen");
    }
}
