//! Each stage on its own: its rule, its rounding, and its edge cases.

use super::*;

fn discounts_of(quote: &PriceQuote, pick: impl Fn(&Discounts) -> i64) -> Vec<i64> {
    quote
        .lines
        .iter()
        .map(|line| pick(&line.discounts))
        .collect()
}

#[test]
fn nothing_selected_is_refused() {
    assert_eq!(
        quote(&request(vec![]), &rules()),
        Err(PricingError::NothingSelected)
    );
    let mut unselected = item(1, 100, 1);
    unselected.selected = false;
    assert_eq!(
        quote(&request(vec![unselected]), &rules()),
        Err(PricingError::NothingSelected)
    );
}

#[test]
fn bad_lines_are_refused() {
    let zero = item(1, 100, 0);
    assert!(matches!(
        quote(&request(vec![zero]), &rules()),
        Err(PricingError::InvalidItem { sku_id: 1, .. })
    ));
    let mut negative = item(2, 100, 1);
    negative.unit_price = -1;
    assert!(matches!(
        quote(&request(vec![negative]), &rules()),
        Err(PricingError::InvalidItem { sku_id: 2, .. })
    ));
    assert_eq!(
        quote(&request(vec![item(3, 1, 1), item(3, 2, 1)]), &rules()),
        Err(PricingError::DuplicateSku(3))
    );
}

#[test]
fn huge_quantities_are_an_error_not_an_overflow() {
    assert_eq!(
        quote(&request(vec![item(1, 2, i64::MAX / 2 + 1)]), &rules()),
        Err(PricingError::Overflow)
    );
    assert_eq!(
        quote(
            &request(vec![item(1, 1, i64::MAX), item(2, 1, 1)]),
            &rules()
        ),
        Err(PricingError::Overflow)
    );
    // At the limit itself everything still adds up.
    let mut req = request(vec![item(1, 1, i64::MAX)]);
    req.items[0].weight_grams = 0;
    let q = quote(&req, &rules()).unwrap();
    assert_eq!(q.totals.pay, i64::MAX);
    assert_consistent(&q);
}

#[test]
fn a_single_item_keeps_its_price_without_rules() {
    let q = quote(&request(vec![item(7, 1999, 2)]), &rules()).unwrap();
    assert_eq!(q.lines.len(), 1);
    assert_eq!(q.totals.goods, 3998);
    assert_eq!(q.totals.pay, 3998);
    assert_eq!(q.totals.discount_total, 0);
    assert_consistent(&q);
}

#[test]
fn the_activity_stage_changes_nothing_yet() {
    let mut draft = PriceDraft::new(&request(vec![item(1, 500, 2)])).unwrap();
    let before = draft.clone();
    ActivityStage.apply(&mut draft).unwrap();
    assert_eq!(draft, before);
}

#[test]
fn the_member_rate_is_rounded_down_on_each_line() {
    let mut req = request(vec![item(1, 999, 1), item(2, 1001, 1), item(3, 1, 1)]);
    req.member = Some(MemberDiscount {
        level: 2,
        pay_percent: 95,
    });
    let q = quote(&req, &rules()).unwrap();
    // 49.95 → 49, 50.05 → 50, 0.05 → 0.
    assert_eq!(discounts_of(&q, |d| d.member), vec![49, 50, 0]);
    assert_consistent(&q);

    req.member = Some(MemberDiscount {
        level: 9,
        pay_percent: 1,
    });
    let q = quote(&req, &rules()).unwrap();
    assert_eq!(discounts_of(&q, |d| d.member), vec![989, 990, 0]);
    assert_consistent(&q);

    for bad in [0, 101, -5] {
        req.member = Some(MemberDiscount {
            level: 1,
            pay_percent: bad,
        });
        assert!(matches!(
            quote(&req, &rules()),
            Err(PricingError::InvalidRule {
                stage: Stage::MemberDiscount,
                ..
            })
        ));
    }
}

fn full_reduction(scope: Scope, tiers: &[(i64, i64)]) -> FullReduction {
    FullReduction {
        id: 1,
        scope,
        tiers: tiers
            .iter()
            .map(|&(threshold, reduction)| Tier {
                threshold,
                reduction,
            })
            .collect(),
    }
}

#[test]
fn full_reduction_takes_the_best_tier_reached_split_by_price() {
    let mut rules = rules();
    rules.full_reductions = vec![full_reduction(Scope::All, &[(10000, 500), (15000, 1200)])];
    let q = quote(&request(vec![item(1, 3000, 3), item(2, 6001, 1)]), &rules).unwrap();
    // 15001 reaches 15000: 1200 split 9000 : 6001.
    assert_eq!(q.totals.discounts.full_reduction, 1200);
    assert_eq!(discounts_of(&q, |d| d.full_reduction), vec![719, 481]);
    assert_consistent(&q);

    let q = quote(&request(vec![item(1, 9999, 1)]), &rules).unwrap();
    assert_eq!(q.totals.discounts.full_reduction, 0, "below every tier");
}

#[test]
fn full_reduction_counts_only_what_it_covers_after_the_member_price() {
    let mut rules = rules();
    rules.full_reductions = vec![full_reduction(Scope::Categories(vec![2]), &[(1000, 100)])];
    let mut other = item(2, 1050, 1);
    other.category_id = 2;
    let mut req = request(vec![item(1, 5000, 1), other]);
    let q = quote(&req, &rules).unwrap();
    assert_eq!(discounts_of(&q, |d| d.full_reduction), vec![0, 100]);
    // At 90 % the covered line pays 945: below the threshold.
    req.member = Some(MemberDiscount {
        level: 1,
        pay_percent: 90,
    });
    let q = quote(&req, &rules).unwrap();
    assert_eq!(q.totals.discounts.full_reduction, 0);
}

#[test]
fn a_reduction_larger_than_the_goods_leaves_one_fen() {
    let mut rules = rules();
    rules.full_reductions = vec![full_reduction(Scope::All, &[(0, 1_000_000)])];
    let q = quote(&request(vec![item(1, 300, 1), item(2, 200, 1)]), &rules).unwrap();
    assert_eq!(q.totals.discounts.full_reduction, 499);
    assert_eq!(q.totals.pay, 1);
    assert_consistent(&q);

    rules.full_reductions[0].tiers[0].reduction = -1;
    assert!(matches!(
        quote(&request(vec![item(1, 300, 1)]), &rules),
        Err(PricingError::InvalidRule { .. })
    ));
}

fn coupon(kind: CouponKind, min_spend: i64, scope: Scope) -> Coupon {
    Coupon {
        id: 42,
        kind,
        min_spend,
        scope,
    }
}

#[test]
fn an_amount_coupon_is_split_over_the_items_it_covers() {
    let mut other = item(3, 5000, 1);
    other.spu_id = 99;
    let mut req = request(vec![item(1, 100, 1), item(2, 200, 1), other]);
    req.coupon = Some(coupon(
        CouponKind::Amount { off: 100 },
        300,
        Scope::Spus(vec![10, 20]),
    ));
    let q = quote(&req, &rules()).unwrap();
    assert_eq!(discounts_of(&q, |d| d.coupon), vec![33, 67, 0]);
    assert_eq!(q.coupon_id, Some(42));
    assert_consistent(&q);
}

#[test]
fn a_coupon_worth_more_than_the_goods_takes_them_but_one_fen() {
    let mut req = request(vec![item(1, 1, 1), item(2, 1, 1), item(3, 1, 1)]);
    req.coupon = Some(coupon(CouponKind::Amount { off: 10_000 }, 0, Scope::All));
    let q = quote(&req, &rules()).unwrap();
    assert_eq!(q.totals.discounts.coupon, 2);
    assert_eq!(q.totals.pay, 1);
    // The remainder cannot all land on the last 1-fen line: no line goes negative.
    assert_eq!(discounts_of(&q, |d| d.coupon), vec![0, 1, 1]);
    assert_consistent(&q);
}

#[test]
fn a_coupon_never_takes_more_than_the_items_it_covers() {
    let mut other = item(2, 1000, 1);
    other.category_id = 2;
    let mut req = request(vec![item(1, 300, 1), other]);
    req.coupon = Some(coupon(
        CouponKind::Amount { off: 5000 },
        0,
        Scope::Categories(vec![1]),
    ));
    let q = quote(&req, &rules()).unwrap();
    assert_eq!(discounts_of(&q, |d| d.coupon), vec![300, 0]);
    assert_eq!(q.totals.pay, 1000);
}

#[test]
fn a_percent_coupon_rounds_down_and_respects_its_cap() {
    let mut req = request(vec![item(1, 999, 1), item(2, 1000, 1)]);
    req.coupon = Some(coupon(
        CouponKind::Percent {
            pay_percent: 85,
            max_off: None,
        },
        0,
        Scope::All,
    ));
    let q = quote(&req, &rules()).unwrap();
    // 15 % of 1999 = 299.85 → 299.
    assert_eq!(q.totals.discounts.coupon, 299);
    assert_consistent(&q);
    req.coupon = Some(coupon(
        CouponKind::Percent {
            pay_percent: 85,
            max_off: Some(200),
        },
        0,
        Scope::All,
    ));
    assert_eq!(quote(&req, &rules()).unwrap().totals.discounts.coupon, 200);
}

#[test]
fn a_coupon_that_does_not_apply_is_refused() {
    let mut req = request(vec![item(1, 100, 1)]);
    req.coupon = Some(coupon(
        CouponKind::Amount { off: 10 },
        0,
        Scope::Categories(vec![9]),
    ));
    assert_eq!(
        quote(&req, &rules()),
        Err(PricingError::CouponNotApplicable { coupon_id: 42 })
    );
    req.coupon = Some(coupon(CouponKind::Amount { off: 10 }, 101, Scope::All));
    assert_eq!(
        quote(&req, &rules()),
        Err(PricingError::CouponBelowMinimum {
            coupon_id: 42,
            min_spend: 101,
            eligible: 100
        })
    );
    for kind in [
        CouponKind::Amount { off: -1 },
        CouponKind::Percent {
            pay_percent: 101,
            max_off: None,
        },
        CouponKind::Percent {
            pay_percent: 50,
            max_off: Some(-1),
        },
    ] {
        req.coupon = Some(coupon(kind, 0, Scope::All));
        assert!(matches!(
            quote(&req, &rules()),
            Err(PricingError::InvalidRule {
                stage: Stage::Coupon,
                ..
            })
        ));
    }
}

fn with_points(max_share_percent: i64) -> PriceRules {
    PriceRules {
        points_deduction: Some(PointsDeduction {
            points_per_fen: 10,
            max_share_percent,
        }),
        ..rules()
    }
}

#[test]
fn points_pay_whole_fen_only() {
    let mut req = request(vec![item(1, 1000, 1), item(2, 3000, 1)]);
    req.points_offered = Some(1009);
    let q = quote(&req, &with_points(50)).unwrap();
    assert_eq!(q.totals.discounts.points, 100);
    assert_eq!(q.totals.points_used, 1000, "the 9 odd points stay");
    assert_eq!(discounts_of(&q, |d| d.points), vec![25, 75]);
    assert_eq!(
        q.lines.iter().map(|l| l.points_used).collect::<Vec<_>>(),
        vec![250, 750]
    );
    assert_consistent(&q);
}

#[test]
fn points_pay_at_most_their_share_and_never_everything() {
    let mut req = request(vec![item(1, 4000, 1)]);
    req.points_offered = Some(1_000_000);
    let q = quote(&req, &with_points(30)).unwrap();
    assert_eq!(q.totals.discounts.points, 1200);
    assert_eq!(q.totals.points_used, 12000);
    let q = quote(&req, &with_points(100)).unwrap();
    assert_eq!(q.totals.discounts.points, 3999);
    assert_eq!(q.totals.pay, 1);
    assert_consistent(&q);
}

#[test]
fn points_need_a_rule_and_a_sane_offer() {
    let mut req = request(vec![item(1, 4000, 1)]);
    req.points_offered = Some(500);
    assert_eq!(quote(&req, &rules()).unwrap().totals.points_used, 0);
    req.points_offered = Some(-1);
    assert_eq!(
        quote(&req, &with_points(50)),
        Err(PricingError::NegativePoints(-1))
    );
    req.points_offered = Some(i64::MAX);
    let q = quote(&req, &with_points(50)).unwrap();
    assert_eq!(q.totals.points_used, 20000);
    let mut bad = with_points(50);
    bad.points_deduction = Some(PointsDeduction {
        points_per_fen: 0,
        max_share_percent: 50,
    });
    assert!(matches!(
        quote(&req, &bad),
        Err(PricingError::InvalidRule { .. })
    ));
}

#[test]
fn points_given_are_a_rate_of_the_goods_paid_rounded_down() {
    let rules = PriceRules {
        points_given: Some(PointsGiven { points_per_yuan: 3 }),
        ..rules()
    };
    let q = quote(&request(vec![item(1, 1099, 1), item(2, 2250, 1)]), &rules).unwrap();
    // 33.49 yuan × 3 = 100.47 → 100 points, split by what each line pays.
    assert_eq!(q.totals.points_given, 100);
    assert_eq!(
        q.lines.iter().map(|l| l.points_given).collect::<Vec<_>>(),
        vec![32, 68]
    );
}

#[test]
fn free_goods_cost_nothing_and_take_no_discount() {
    let mut req = request(vec![item(1, 0, 3)]);
    req.coupon = Some(coupon(CouponKind::Amount { off: 10 }, 0, Scope::All));
    req.member = Some(MemberDiscount {
        level: 1,
        pay_percent: 50,
    });
    let q = quote(&req, &rules()).unwrap();
    assert_eq!(q.totals.pay, 0);
    assert_eq!(q.totals.discount_total, 0);
    assert_consistent(&q);
}
