//! Freight templates: regions, count and weight, thresholds, parcels.

use super::*;

fn rule(regions: &[&str], first: (i64, i64), extra: (i64, i64)) -> FreightRule {
    FreightRule {
        regions: regions.iter().map(|code| region(code)).collect(),
        first_units: first.0,
        first_fee: first.1,
        extra_units: extra.0,
        extra_fee: extra.1,
        free_over: None,
    }
}

fn template(id: i64, charge_by: ChargeBy, rules: Vec<FreightRule>) -> FreightTemplate {
    FreightTemplate {
        id,
        charge_by,
        rules,
    }
}

fn shipping(templates: Vec<FreightTemplate>) -> PriceRules {
    PriceRules {
        freight_templates: templates,
        ..PriceRules::default()
    }
}

#[test]
fn region_codes_are_six_digits_and_know_their_ancestors() {
    assert_eq!(
        region("110105").ancestors(),
        vec!["110105", "110100", "110000", "000000"]
    );
    assert_eq!(region("440000").ancestors(), vec!["440000", "000000"]);
    let district = region("110105");
    let closeness = |area| district.covered_by(&region(area));
    assert_eq!(
        [
            "110105", "110100", "110000", "000000", "110108", "120000", "310105"
        ]
        .map(closeness),
        [Some(3), Some(2), Some(1), Some(0), None, None, None]
    );
    for bad in ["", "11010", "1101050", "11010a", "１１０１０５"] {
        assert!(matches!(
            RegionCode::parse(bad),
            Err(PricingError::InvalidRegion(_))
        ));
    }
    assert!(serde_json::from_str::<RegionCode>("\"12345x\"").is_err());
    assert_eq!(
        serde_json::from_str::<RegionCode>("\"310000\"").unwrap(),
        region("310000")
    );
}

#[test]
fn by_count_the_first_units_then_each_started_block() {
    let rules = shipping(vec![template(
        1,
        ChargeBy::Count,
        vec![rule(&["000000"], (1, 800), (2, 300))],
    )]);
    let fee = |quantity| {
        quote(&request(vec![item(1, 100, quantity)]), &rules)
            .unwrap()
            .totals
            .freight
    };
    assert_eq!(fee(1), 800);
    assert_eq!(fee(2), 1100);
    assert_eq!(fee(3), 1100);
    assert_eq!(fee(4), 1400);
}

#[test]
fn by_weight_the_fee_is_split_by_weight() {
    let rules = shipping(vec![template(
        1,
        ChargeBy::Weight,
        vec![rule(&["110000"], (1000, 1000), (500, 300))],
    )]);
    let mut heavy = item(2, 100, 1);
    heavy.weight_grams = 700;
    let mut light = item(1, 100, 1);
    light.weight_grams = 300;
    let mut extra = item(3, 100, 2);
    extra.weight_grams = 200;
    // 1400 g: 1000 + one started block of 500 = 1300 fen.
    let q = quote(&request(vec![heavy, light, extra]), &rules).unwrap();
    assert_eq!(q.totals.freight, 1300);
    assert_eq!(
        q.lines.iter().map(|l| l.freight).collect::<Vec<_>>(),
        vec![278, 650, 372]
    );
    assert_consistent(&q);
}

#[test]
fn weightless_goods_still_pay_the_first_fee_split_by_count() {
    let rules = shipping(vec![template(
        1,
        ChargeBy::Weight,
        vec![rule(&["000000"], (1000, 1000), (500, 300))],
    )]);
    let mut a = item(1, 100, 1);
    a.weight_grams = 0;
    let mut b = item(2, 100, 3);
    b.weight_grams = 0;
    let q = quote(&request(vec![a, b]), &rules).unwrap();
    assert_eq!(
        q.lines.iter().map(|l| l.freight).collect::<Vec<_>>(),
        vec![250, 750]
    );
}

#[test]
fn the_most_specific_region_wins() {
    let rules = shipping(vec![template(
        1,
        ChargeBy::Count,
        vec![
            rule(&["000000"], (1, 2000), (1, 0)),
            rule(&["110000"], (1, 1000), (1, 0)),
            rule(&["110105", "310101"], (1, 500), (1, 0)),
        ],
    )]);
    let fee = |code| {
        let mut req = request(vec![item(1, 100, 1)]);
        req.region = region(code);
        quote(&req, &rules).unwrap().totals.freight
    };
    assert_eq!(fee("110105"), 500);
    assert_eq!(fee("110108"), 1000);
    assert_eq!(fee("650102"), 2000);
}

#[test]
fn an_uncovered_region_is_not_deliverable() {
    let rules = shipping(vec![template(
        1,
        ChargeBy::Count,
        vec![rule(&["310000"], (1, 500), (1, 100))],
    )]);
    assert_eq!(
        quote(&request(vec![item(1, 100, 1)]), &rules),
        Err(PricingError::NotDeliverable {
            template_id: 1,
            region: "110105".to_owned()
        })
    );
    let mut other = item(1, 100, 1);
    other.freight_template_id = 7;
    assert_eq!(
        quote(&request(vec![other]), &rules),
        Err(PricingError::MissingFreightTemplate(7))
    );
}

#[test]
fn the_free_threshold_looks_at_the_goods_after_discounts() {
    let mut free = rule(&["000000"], (1, 800), (1, 100));
    free.free_over = Some(10_000);
    let rules = shipping(vec![template(1, ChargeBy::Count, vec![free])]);
    let mut req = request(vec![item(1, 10_000, 1)]);
    assert_eq!(quote(&req, &rules).unwrap().totals.freight, 0);
    req.coupon = Some(Coupon {
        id: 1,
        kind: CouponKind::Amount { off: 1 },
        min_spend: 0,
        scope: Scope::All,
    });
    assert_eq!(quote(&req, &rules).unwrap().totals.freight, 800);
}

#[test]
fn each_template_is_its_own_parcel() {
    let rules = shipping(vec![
        template(
            1,
            ChargeBy::Count,
            vec![rule(&["000000"], (1, 500), (1, 100))],
        ),
        template(
            2,
            ChargeBy::Count,
            vec![rule(&["000000"], (1, 700), (1, 100))],
        ),
    ]);
    let mut second = item(2, 100, 2);
    second.freight_template_id = 2;
    let q = quote(&request(vec![item(1, 100, 1), second]), &rules).unwrap();
    assert_eq!(
        q.lines.iter().map(|l| l.freight).collect::<Vec<_>>(),
        vec![500, 800]
    );
    assert_eq!(q.totals.pay, 300 + 1300);
}

#[test]
fn bad_rules_and_huge_weights_are_refused() {
    let rules = shipping(vec![template(
        1,
        ChargeBy::Weight,
        vec![rule(&["000000"], (1, 500), (0, 100))],
    )]);
    assert!(matches!(
        quote(&request(vec![item(1, 100, 2)]), &rules),
        Err(PricingError::InvalidRule {
            stage: Stage::Freight,
            ..
        })
    ));
    let rules = shipping(vec![template(
        1,
        ChargeBy::Weight,
        vec![rule(&["000000"], (1, 500), (1, 100))],
    )]);
    let mut heavy = item(1, 1, i64::MAX / 2);
    heavy.weight_grams = 3;
    assert_eq!(
        quote(&request(vec![heavy]), &rules),
        Err(PricingError::Overflow)
    );
    // Units fit, but the fee for them does not.
    let mut heavy = item(1, 1, i64::MAX / 4);
    heavy.weight_grams = 2;
    assert_eq!(
        quote(&request(vec![heavy]), &rules),
        Err(PricingError::Overflow)
    );
}
