use super::super::super::plans::{Goods, Plan};
use super::super::super::wechat::Delivery;
use super::super::tables::{LedgerRow, PointsOrderRow, PointsPayRow, PointsTables};
use super::*;

fn outcome(index: usize, paid: bool, refused: bool) -> Outcome {
    let mut outcome = Outcome::new(Plan {
        index,
        phase: Phase::Main,
        goods: Goods::Points(0),
        copies: 1,
        delay_ms: 0,
        openid: format!("o-{index}"),
        route_seed: 0,
    });
    outcome.paid = paid;
    outcome.refused = refused;
    if refused {
        outcome.error = Some("order refused: HTTP 404".to_owned());
    }
    outcome
}

/// One points order bought by `o-<number>`, its pay order, and nothing credited yet.
fn order(tables: &mut PointsTables, number: &str, status: &str, pay: &str, late: bool) {
    tables.orders.push(PointsOrderRow {
        number: number.to_owned(),
        openid: format!("o-{number}"),
        status: status.to_owned(),
        points: 100,
        bonus_points: if number.starts_with('B') { 20 } else { 0 },
    });
    tables.pay_orders.push(PointsPayRow {
        number: number.to_owned(),
        status: pay.to_owned(),
        late_payment: late,
    });
}

/// A credit under the order's reference, the account's balance following it.
fn credit(tables: &mut PointsTables, number: &str, kind: &str, delta: i64) {
    let openid = format!("o-{number}");
    let before = tables
        .ledger
        .iter()
        .filter(|row| row.openid == openid)
        .map(|row| row.delta)
        .sum::<i64>();
    tables.ledger.push(LedgerRow {
        id: i64::try_from(tables.ledger.len()).unwrap_or(0) + 1,
        openid: openid.clone(),
        kind: kind.to_owned(),
        biz_type: "points_order".to_owned(),
        biz_id: number.to_owned(),
        delta,
        balance_after: before + delta,
    });
    match tables.accounts.iter_mut().find(|(id, _)| *id == openid) {
        Some((_, balance)) => *balance += delta,
        None => tables.accounts.push((openid, delta)),
    }
}

/// Paid with and without a bonus, credited once; one closed, one paid late: no credit.
fn sound() -> PointsTables {
    let mut tables = PointsTables::default();
    order(&mut tables, "B1", "paid", "paid", false);
    credit(&mut tables, "B1", "package_purchase", 100);
    credit(&mut tables, "B1", "bonus", 20);
    order(&mut tables, "N1", "paid", "paid", false);
    credit(&mut tables, "N1", "package_purchase", 100);
    order(&mut tables, "C1", "closed", "closed", false);
    order(&mut tables, "L1", "closed", "refunded", true);
    tables
}

/// B1 notified twice, the first copy answered with an error before it was acknowledged.
fn wechat() -> WechatTruth {
    let delivery = |order: &str, failed_once| Delivery {
        order: order.to_owned(),
        attempts: 2,
        failed_once,
        acknowledged: true,
        finished: true,
    };
    WechatTruth {
        deliveries: vec![
            delivery("B1", true),
            delivery("B1", false),
            delivery("T1", true),
        ],
        ..WechatTruth::default()
    }
}

fn value<'a>(checks: &'a [Check], starts: &str) -> &'a Check {
    checks
        .iter()
        .find(|check| check.what.starts_with(starts))
        .unwrap_or_else(|| panic!("no check {starts:?}"))
}

fn failed(checks: &[Check]) -> Vec<&str> {
    checks
        .iter()
        .filter(|check| check.ok == Some(false))
        .map(|check| check.what.as_str())
        .collect()
}

#[test]
fn credits_once_per_paid_order_and_none_otherwise_pass() {
    let (checks, violations) = checks(&[outcome(1, true, false)], &sound(), &wechat());
    assert!(failed(&checks).is_empty(), "{:?}", failed(&checks));
    assert!(violations.is_empty(), "{violations:?}");
    assert_eq!(value(&checks, "points credited:").value, "2 / 1 / 220");
    assert_eq!(
        value(&checks, "points payment notifications").value,
        "2 / 1"
    );
    assert_eq!(
        value(&checks, "points orders by status").value,
        "closed/closed 1, closed/late 1, paid/paid 2"
    );
}

#[test]
fn a_second_credit_a_missing_bonus_and_a_bonus_without_one_fail() {
    let mut tables = sound();
    credit(&mut tables, "N1", "package_purchase", 100);
    credit(&mut tables, "N1", "bonus", 5);
    tables
        .ledger
        .retain(|row| !(row.biz_id == "B1" && row.kind == "bonus"));
    // The account keeps the bonus the ledger lost: its balance drifted.
    let (checks, violations) = checks(&[], &tables, &WechatTruth::default());
    assert_eq!(
        value(&checks, "paid points orders without exactly one purchase").value,
        "1"
    );
    assert_eq!(
        value(&checks, "paid points orders without exactly one bonus").value,
        "2"
    );
    assert_eq!(value(&checks, "points accounts whose balance").value, "1");
    assert!(
        violations.iter().any(|line| line.starts_with("N1:")),
        "{violations:?}"
    );
}

#[test]
fn points_for_a_closed_or_late_order_or_an_unpaid_one_fail() {
    let mut tables = sound();
    credit(&mut tables, "C1", "package_purchase", 100);
    credit(&mut tables, "L1", "package_purchase", 100);
    credit(&mut tables, "GHOST", "package_purchase", 100);
    let (checks, _) = checks(&[], &tables, &WechatTruth::default());
    assert_eq!(
        value(&checks, "orders credited points without being paid").value,
        "3"
    );
    assert_eq!(failed(&checks).len(), 1, "{:?}", failed(&checks));
}

#[test]
fn a_paid_pay_order_left_pending_here_and_a_refusal_fail() {
    let mut tables = sound();
    order(&mut tables, "N2", "pending", "paid", false);
    tables.pay_orders.push(PointsPayRow {
        number: "N3".to_owned(),
        status: "paid".to_owned(),
        late_payment: false,
    });
    let outcomes = [outcome(1, true, false), outcome(2, false, true)];
    let (checks, violations) = checks(&outcomes, &tables, &WechatTruth::default());
    assert_eq!(
        value(&checks, "points orders paid in the core and not here").value,
        "2"
    );
    assert_eq!(
        value(&checks, "paid points orders without exactly one purchase").value,
        "1",
        "N2 (N3 has no order to credit)"
    );
    assert_eq!(value(&checks, "points orders refused").value, "1");
    assert_eq!(
        value(&checks, "points orders: planned").value,
        "main 2 / 1, burst 0 / 0, late 0 / 0; 0"
    );
    assert!(
        violations
            .iter()
            .any(|line| line.contains("N3: points order missing"))
    );
}

#[test]
fn a_balance_off_its_ledger_a_broken_running_sum_and_a_negative_balance_fail() {
    let mut tables = sound();
    tables.ledger[1].balance_after = 7;
    tables.accounts.push(("o-nobody".to_owned(), -5));
    let (checks, _) = checks(&[], &tables, &WechatTruth::default());
    assert_eq!(value(&checks, "ledger rows whose balance after").value, "1");
    assert_eq!(value(&checks, "points accounts whose balance").value, "1");
    assert_eq!(value(&checks, "negative points balances").value, "1");
    assert!(!failed(&checks).is_empty());
}
