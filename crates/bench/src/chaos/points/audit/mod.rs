//! The audit of points: every paid points order credited its points and its bonus exactly
//! once; nothing credited for an order not paid, closed, or paid late (that money is given
//! back); every balance the sum of its ledger, each ledger row's balance its account's
//! running sum, and none negative. Computed from the raw tables only.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::super::audit::Check;
use super::super::orders::is_paid_status;
use super::super::plans::Phase;
use super::super::wechat::{WechatTruth, tally};
use super::super::workload::Outcome;
use super::tables::{LedgerRow, PointsOrderRow, PointsPayRow, PointsTables};

/// The reference a points order's credits are posted under (`biz_type`).
const ORDER_REFERENCE: &str = "points_order";
const PURCHASE: &str = "package_purchase";
const BONUS: &str = "bonus";

/// The points checks, and the orders or accounts that broke a rule.
pub fn checks(
    outcomes: &[Outcome],
    tables: &PointsTables,
    wechat: &WechatTruth,
) -> (Vec<Check>, Vec<String>) {
    let mut checks = Vec::new();
    let mut violations = Vec::new();

    let planned: Vec<&Outcome> = outcomes
        .iter()
        .filter(|outcome| outcome.plan.goods.is_points())
        .collect();
    let by_phase: Vec<String> = [Phase::Main, Phase::Burst, Phase::Late]
        .into_iter()
        .map(|phase| {
            let of_phase = planned.iter().filter(|outcome| outcome.plan.phase == phase);
            let paid = of_phase.clone().filter(|outcome| outcome.paid).count();
            format!("{} {} / {paid}", phase.name(), of_phase.count())
        })
        .collect();
    let retried = planned
        .iter()
        .filter(|outcome| outcome.create_attempts > 1)
        .count();
    checks.push(Check::info(
        "points orders: planned / paid by the customer, per phase; created only after retrying",
        format!("{}; {retried}", by_phase.join(", ")),
    ));
    // The packages are on sale and the customer is logged in: the server has no reason to
    // refuse (a storage outage is a 503, retried).
    let refused: Vec<&&Outcome> = planned.iter().filter(|outcome| outcome.refused).collect();
    for outcome in refused.iter().take(5) {
        violations.push(format!(
            "points order #{} refused: {}",
            outcome.plan.index,
            outcome.error.as_deref().unwrap_or("")
        ));
    }
    checks.push(Check::zero(
        "points orders refused by the server (4xx; the package is on sale)",
        refused.len(),
    ));

    let pay: HashMap<&str, &PointsPayRow> = tables
        .pay_orders
        .iter()
        .map(|row| (row.number.as_str(), row))
        .collect();
    let orders: HashMap<&str, &PointsOrderRow> = tables
        .orders
        .iter()
        .map(|row| (row.number.as_str(), row))
        .collect();
    let statuses: Vec<String> = tables
        .orders
        .iter()
        .map(|order| {
            let pay_status = pay.get(order.number.as_str()).map_or("none", |pay| {
                if pay.late_payment {
                    "late"
                } else {
                    pay.status.as_str()
                }
            });
            format!("{}/{pay_status}", order.status)
        })
        .collect();
    checks.push(Check::info(
        "points orders by status / pay order status (`late`: paid after close)",
        tally(statuses.iter().map(String::as_str)),
    ));
    // An instance that dies between the order and its pay order leaves an order nobody can
    // pay; it is never credited (a figure, not a fault of money).
    let without_pay_order = tables
        .orders
        .iter()
        .filter(|order| !pay.contains_key(order.number.as_str()))
        .count();
    checks.push(Check::info(
        "points orders with no pay order (the instance died before the payment was opened)",
        without_pay_order,
    ));

    // The faults met: notifications of points orders that an instance killed or the database
    // cut answered with an error first.
    let notified = wechat
        .deliveries
        .iter()
        .filter(|delivery| pay.contains_key(delivery.order.as_str()));
    checks.push(Check::info(
        "points payment notifications: sent / answered with an error first, then acknowledged",
        format!(
            "{} / {}",
            notified.clone().count(),
            notified
                .filter(|delivery| delivery.failed_once && delivery.acknowledged)
                .count()
        ),
    ));

    // Paid: the core received the money and kept it.
    let money_kept = |number: &str| {
        pay.get(number)
            .is_some_and(|pay| is_paid_status(&pay.status) && !pay.late_payment)
    };
    let disagree: BTreeSet<&str> = pay
        .keys()
        .chain(orders.keys())
        .copied()
        .filter(|number| money_kept(number) != orders.get(number).is_some_and(|order| order.paid()))
        .collect();
    for number in &disagree {
        violations.push(format!(
            "{number}: points order {}, pay order {}",
            orders
                .get(number)
                .map_or("missing", |order| order.status.as_str()),
            pay.get(number).map_or("missing".to_owned(), |pay| format!(
                "{}{}",
                pay.status,
                if pay.late_payment { " (late)" } else { "" }
            ))
        ));
    }
    checks.push(Check::zero(
        "points orders paid in the core and not here, or here and not in the core",
        disagree.len(),
    ));

    // Credits per order: (kind → rows) under the order's reference.
    let mut credits: HashMap<&str, BTreeMap<&str, Vec<&LedgerRow>>> = HashMap::new();
    for row in tables
        .ledger
        .iter()
        .filter(|row| row.biz_type == ORDER_REFERENCE)
    {
        credits
            .entry(row.biz_id.as_str())
            .or_default()
            .entry(row.kind.as_str())
            .or_default()
            .push(row);
    }
    let rows_of = |number: &str, kind: &str| -> Vec<&LedgerRow> {
        credits
            .get(number)
            .and_then(|kinds| kinds.get(kind))
            .cloned()
            .unwrap_or_default()
    };
    let mut paid_orders: Vec<&PointsOrderRow> = tables
        .orders
        .iter()
        .filter(|order| money_kept(&order.number))
        .collect();
    paid_orders.sort_by(|a, b| a.number.cmp(&b.number));
    let exactly = |rows: &[&LedgerRow], delta: i64| {
        if delta > 0 {
            rows.len() == 1 && rows[0].delta == delta
        } else {
            rows.is_empty()
        }
    };
    let mut purchase_wrong = 0;
    let mut bonus_wrong = 0;
    for order in &paid_orders {
        let purchase = rows_of(&order.number, PURCHASE);
        if !exactly(&purchase, order.points) {
            purchase_wrong += 1;
            violations.push(format!(
                "{}: paid, {} points, credited {:?}",
                order.number,
                order.points,
                deltas(&purchase)
            ));
        }
        let bonus = rows_of(&order.number, BONUS);
        if !exactly(&bonus, order.bonus_points) {
            bonus_wrong += 1;
            violations.push(format!(
                "{}: paid, {} bonus points, credited {:?}",
                order.number,
                order.bonus_points,
                deltas(&bonus)
            ));
        }
    }
    checks.push(Check::zero(
        "paid points orders without exactly one purchase credit of their points",
        purchase_wrong,
    ));
    checks.push(Check::zero(
        "paid points orders without exactly one bonus credit of their bonus (none without a bonus)",
        bonus_wrong,
    ));
    let mut unpaid_credited: Vec<&str> = credits
        .keys()
        .copied()
        .filter(|number| !money_kept(number))
        .collect();
    unpaid_credited.sort_unstable();
    for number in &unpaid_credited {
        violations.push(format!(
            "{number}: credited, but its pay order is {}",
            pay.get(number).map_or("missing".to_owned(), |pay| format!(
                "{}{}",
                pay.status,
                if pay.late_payment {
                    " (late payment)"
                } else {
                    ""
                }
            ))
        ));
    }
    checks.push(Check::zero(
        "orders credited points without being paid (pay order unpaid or closed, a late payment, or none)",
        unpaid_credited.len(),
    ));
    let purchase_rows = tables.ledger.iter().filter(|row| row.kind == PURCHASE);
    let bonus_rows = tables.ledger.iter().filter(|row| row.kind == BONUS);
    checks.push(Check::info(
        "points credited: purchase rows / bonus rows / points in all",
        format!(
            "{} / {} / {}",
            purchase_rows.clone().count(),
            bonus_rows.clone().count(),
            purchase_rows
                .chain(bonus_rows)
                .map(|row| row.delta)
                .sum::<i64>()
        ),
    ));

    let (drifted, chain_broken) = balances(tables, &mut violations);
    checks.push(Check::zero(
        "points accounts whose balance is not the sum of their ledger",
        drifted,
    ));
    checks.push(Check::zero(
        "ledger rows whose balance after is not their account's running sum",
        chain_broken,
    ));
    let negative = tables
        .accounts
        .iter()
        .filter(|(_, balance)| *balance < 0)
        .count()
        + tables
            .ledger
            .iter()
            .filter(|row| row.balance_after < 0)
            .count();
    checks.push(Check::zero(
        "negative points balances (accounts and ledger rows)",
        negative,
    ));
    (checks, violations)
}

/// Accounts whose balance is not their ledger's sum (an account missing for a ledger
/// counts), and ledger rows that do not continue their account's running sum.
fn balances(tables: &PointsTables, violations: &mut Vec<String>) -> (usize, usize) {
    let mut sums: BTreeMap<&str, i64> = BTreeMap::new();
    let mut chain_broken = 0;
    for row in &tables.ledger {
        let running = sums.entry(row.openid.as_str()).or_default();
        *running += row.delta;
        if row.balance_after != *running {
            chain_broken += 1;
            violations.push(format!(
                "ledger row {} of {}: balance after {}, running sum {}",
                row.id, row.openid, row.balance_after, running
            ));
        }
    }
    let accounts: BTreeMap<&str, i64> = tables
        .accounts
        .iter()
        .map(|(openid, balance)| (openid.as_str(), *balance))
        .collect();
    let openids: BTreeSet<&str> = accounts.keys().chain(sums.keys()).copied().collect();
    let mut drifted = 0;
    for openid in openids {
        let (balance, sum) = (accounts.get(openid), sums.get(openid).copied().unwrap_or(0));
        if balance != Some(&sum) {
            drifted += 1;
            violations.push(format!(
                "account {openid}: balance {balance:?}, ledger sum {sum}"
            ));
        }
    }
    (drifted, chain_broken)
}

fn deltas(rows: &[&LedgerRow]) -> Vec<i64> {
    rows.iter().map(|row| row.delta).collect()
}

#[cfg(test)]
mod tests;
