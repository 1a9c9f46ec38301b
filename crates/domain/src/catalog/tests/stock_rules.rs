//! The pure stock rules: request normalisation, the kinds' deltas, the plans, low stock
//! and the ledger checker.

use std::str::FromStr;

use crate::catalog::stock_plan::{
    MAX_LINES, Plan, check_adjustment, guarded, normalize_lines, plan_deduct, plan_inbound,
    plan_release, plan_reserve, plan_restock,
};
use crate::catalog::{
    DriftReason, Movement, MovementKind, SkuId, StockError, StockLine, StockRef, StockRefusal,
    check_stock, crossed_low, is_low,
};
use crate::testing::t0;

use super::r;

fn line(sku: i64, quantity: i64) -> StockLine {
    StockLine::new(SkuId(sku), quantity)
}

/// Writes a plan's movements as an adapter would, on top of `ledger`.
fn write(ledger: &mut Vec<Movement>, plan: impl FnOnce(&[Movement]) -> Plan) {
    let plan = plan(ledger);
    let Plan::Apply(planned) = plan else {
        panic!("expected movements to write, got {plan:?}");
    };
    for p in planned {
        let id = ledger.len() as i64 + 1;
        let before: i64 = ledger
            .iter()
            .filter(|m| m.sku == p.sku)
            .map(|m| m.delta)
            .sum();
        ledger.push(p.written(id, before + p.delta, "", t0()));
    }
}

#[test]
fn lines_are_merged_sorted_and_bounded() {
    let lines = normalize_lines(&[line(9, 1), line(2, 3), line(9, 2)]).unwrap();
    assert_eq!(lines, vec![line(2, 3), line(9, 3)]);
    assert_eq!(normalize_lines(&[]), Err(StockError::NoLines));
    assert!(matches!(
        normalize_lines(&[line(1, 0)]),
        Err(StockError::BadQuantity { .. })
    ));
    assert!(normalize_lines(&[line(1, -2)]).is_err());
    assert!(normalize_lines(&[line(1, 60_000), line(1, 60_000)]).is_err());
    let many: Vec<StockLine> = (0..=MAX_LINES as i64).map(|n| line(n, 1)).collect();
    assert_eq!(normalize_lines(&many), Err(StockError::TooManyLines));
    assert!(check_adjustment(0).is_err());
    assert!(check_adjustment(-100_001).is_err());
    assert!(check_adjustment(-5).is_ok());
}

#[test]
fn references_are_short_printable_ascii() {
    assert!(StockRef::parse("ORD1760754386127abcdefghijkl").is_ok());
    for bad in ["", "has space", "订单", &"x".repeat(65)] {
        assert!(StockRef::parse(bad).is_err(), "{bad:?}");
    }
    let json = serde_json::to_string(&r("as-1")).unwrap();
    assert_eq!(serde_json::from_str::<StockRef>(&json).unwrap(), r("as-1"));
    assert!(serde_json::from_str::<StockRef>("\"a b\"").is_err());
}

#[test]
fn every_kind_has_its_delta_and_stored_name() {
    for kind in MovementKind::ALL {
        assert_eq!(MovementKind::from_str(kind.as_str()), Ok(kind));
        assert!(!kind.fits(0, 0), "quantities are positive");
    }
    assert!(MovementKind::Inbound.fits(3, 3) && MovementKind::Inbound.fits(3, -3));
    assert!(MovementKind::Reserve.fits(3, -3) && !MovementKind::Reserve.fits(3, 3));
    assert!(MovementKind::Release.fits(3, 3) && !MovementKind::Release.fits(3, -3));
    assert!(MovementKind::Deduct.fits(3, 0) && !MovementKind::Deduct.fits(3, -3));
    assert!(MovementKind::AfterSaleRestock.fits(3, 3));
    let settling: Vec<MovementKind> = MovementKind::ALL
        .into_iter()
        .filter(|k| k.settles())
        .collect();
    assert_eq!(settling, vec![MovementKind::Release, MovementKind::Deduct]);
    assert_eq!(guarded(3, -3), Some(0));
    assert_eq!(guarded(3, -4), None);
    assert_eq!(guarded(i64::MAX, 1), None);
}

#[test]
fn low_stock_is_at_or_below_the_threshold_and_warned_once_on_crossing() {
    assert!(is_low(5, 5) && is_low(0, 0) && !is_low(6, 5) && !is_low(1, 0));
    assert!(crossed_low(6, 5, 5));
    assert!(crossed_low(12, 2, 5));
    assert!(!crossed_low(5, 4, 5), "already low");
    assert!(!crossed_low(8, 6, 5));
    assert!(!crossed_low(4, 9, 5), "going up");
}

#[test]
fn a_reservation_is_settled_once_either_way() {
    let order = r("o-1");
    let lines = [line(1, 2), line(2, 1)];
    let mut ledger = Vec::new();
    assert_eq!(
        plan_release(&order, &ledger),
        Plan::Refuse(StockRefusal::NotReserved)
    );
    write(&mut ledger, |l| plan_reserve(&order, &lines, l));
    let Plan::Repeat(first) = plan_reserve(&order, &lines, &ledger) else {
        panic!("a repeat answers the first reservation");
    };
    assert_eq!(first.len(), 2);
    assert_eq!(
        plan_reserve(&order, &[line(1, 2)], &ledger),
        Plan::Refuse(StockRefusal::DifferentLines)
    );

    let mut paid = ledger.clone();
    write(&mut paid, |l| plan_deduct(&order, l));
    assert!(
        paid.iter()
            .filter(|m| m.kind == MovementKind::Deduct)
            .all(|m| m.delta == 0)
    );
    assert!(matches!(plan_deduct(&order, &paid), Plan::Repeat(_)));
    assert_eq!(
        plan_release(&order, &paid),
        Plan::Refuse(StockRefusal::Deducted)
    );
    assert!(matches!(
        plan_reserve(&order, &lines, &paid),
        Plan::Repeat(_)
    ));

    let mut cancelled = ledger.clone();
    write(&mut cancelled, |l| plan_release(&order, l));
    assert!(matches!(plan_release(&order, &cancelled), Plan::Repeat(_)));
    assert_eq!(
        plan_deduct(&order, &cancelled),
        Plan::Refuse(StockRefusal::Released),
        "a late payment does not take stock back"
    );
    assert_eq!(
        plan_reserve(&order, &lines, &cancelled),
        Plan::Refuse(StockRefusal::Released)
    );
    for sku in [1, 2] {
        let sum: i64 = cancelled
            .iter()
            .filter(|m| m.sku == SkuId(sku))
            .map(|m| m.delta)
            .sum();
        assert_eq!(sum, 0, "released in full");
    }
}

#[test]
fn restocks_are_bounded_by_what_the_order_sold() {
    let order = r("o-2");
    let mut ledger = Vec::new();
    assert_eq!(
        plan_restock(&r("as-1"), &order, &[line(1, 1)], &ledger),
        Plan::Refuse(StockRefusal::NotReserved)
    );
    write(&mut ledger, |l| plan_reserve(&order, &[line(1, 3)], l));
    assert!(matches!(
        plan_restock(&r("as-1"), &order, &[line(1, 1)], &ledger),
        Plan::Refuse(StockRefusal::ExceedsSold { sold: 0, .. })
    ));
    write(&mut ledger, |l| plan_deduct(&order, l));
    write(&mut ledger, |l| {
        plan_restock(&r("as-1"), &order, &[line(1, 2)], l)
    });
    assert!(matches!(
        plan_restock(&r("as-1"), &order, &[line(1, 2)], &ledger),
        Plan::Repeat(_)
    ));
    assert_eq!(
        plan_restock(&r("as-1"), &order, &[line(1, 1)], &ledger),
        Plan::Refuse(StockRefusal::DifferentLines)
    );
    assert_eq!(
        plan_restock(&r("as-2"), &order, &[line(1, 2)], &ledger),
        Plan::Refuse(StockRefusal::ExceedsSold {
            sku: SkuId(1),
            sold: 3,
            restocked: 2,
            wanted: 2
        })
    );
    assert!(matches!(
        plan_restock(&r("as-2"), &order, &[line(1, 1)], &ledger),
        Plan::Apply(_)
    ));
    assert!(matches!(
        plan_restock(&r("as-3"), &order, &[line(2, 1)], &ledger),
        Plan::Refuse(StockRefusal::ExceedsSold { sold: 0, .. })
    ));
}

#[test]
fn an_adjustment_is_applied_once_per_reference() {
    let mut ledger = Vec::new();
    write(&mut ledger, |l| plan_inbound(&r("adj-1"), SkuId(1), 10, l));
    assert!(matches!(
        plan_inbound(&r("adj-1"), SkuId(1), 10, &ledger),
        Plan::Repeat(_)
    ));
    assert_eq!(
        plan_inbound(&r("adj-1"), SkuId(1), -4, &ledger),
        Plan::Refuse(StockRefusal::DifferentLines)
    );
    assert!(matches!(
        plan_inbound(&r("adj-1"), SkuId(2), 10, &ledger),
        Plan::Apply(_)
    ));
    write(&mut ledger, |l| plan_inbound(&r("adj-2"), SkuId(1), -4, l));
    assert_eq!(ledger[1].quantity, 4);
    assert_eq!(check_stock(SkuId(1), &ledger, 6), Ok(()));
}

#[test]
fn the_checker_finds_every_kind_of_drift() {
    let order = r("o-3");
    let mut ledger = Vec::new();
    write(&mut ledger, |l| plan_inbound(&r("adj"), SkuId(1), 5, l));
    write(&mut ledger, |l| plan_reserve(&order, &[line(1, 2)], l));
    write(&mut ledger, |l| plan_deduct(&order, l));
    assert_eq!(check_stock(SkuId(1), &ledger, 3), Ok(()));
    let reversed: Vec<Movement> = ledger.iter().rev().cloned().collect();
    assert_eq!(
        check_stock(SkuId(1), &reversed, 3),
        Ok(()),
        "replayed by id"
    );

    let reason = |movements: &[Movement], available| {
        check_stock(SkuId(1), movements, available)
            .unwrap_err()
            .reason
    };
    let drift = check_stock(SkuId(1), &ledger, 4).unwrap_err();
    assert_eq!((drift.reason, drift.ledger_sum), (DriftReason::Sum, 3));
    let mut bad = ledger.clone();
    bad[2].delta = -2;
    assert_eq!(reason(&bad, 1), DriftReason::BadDelta { movement: 3 });
    let mut bad = ledger.clone();
    bad[1].available_after = 4;
    assert_eq!(reason(&bad, 3), DriftReason::BadAfter { movement: 2 });
    let mut bad = ledger.clone();
    bad[0].sku = SkuId(2);
    assert_eq!(
        reason(&bad, 3),
        DriftReason::ForeignMovement { movement: 1 }
    );
    let mut bad = ledger.clone();
    bad.swap(0, 1);
    bad[0].id = 1;
    bad[1].id = 2;
    assert_eq!(reason(&bad, 3), DriftReason::Negative { movement: 1 });
}
