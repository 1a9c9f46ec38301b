//! The audit: the simulators' ledgers (what WeChat took and what Unitel delivered) against
//! the orders table and the points orders' pay orders, after the run; then the points
//! tables (see [`points::audit`]). Every check is computed here from raw data; nothing is
//! taken from the server's own view of itself.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use crate::markdown;

use super::drain::Drain;
use super::ledgers::Ledgers;
use super::money::{MoneyRow, accounted_for, money_rows};
use super::orders::{OrderRow, is_paid_status};
use super::plans::Phase;
use super::points;
use super::points::tables::PointsTables;
use super::workload::Outcome;

/// One line of the audit table.
#[derive(Debug, Clone)]
pub struct Check {
    pub what: String,
    pub value: String,
    pub expected: String,
    /// `None` for a figure that is only reported.
    pub ok: Option<bool>,
}

impl Check {
    pub(super) fn zero(what: &str, count: usize) -> Check {
        Check {
            what: what.to_owned(),
            value: count.to_string(),
            expected: "0".to_owned(),
            ok: Some(count == 0),
        }
    }

    pub(super) fn info(what: &str, value: impl ToString) -> Check {
        Check {
            what: what.to_owned(),
            value: value.to_string(),
            expected: String::new(),
            ok: None,
        }
    }
}

/// The audit's result.
pub struct Audit {
    pub checks: Vec<Check>,
    /// Orders whose top-up outcome is unknown, with why.
    pub unknown: Vec<(String, usize, String)>,
    /// Orders that broke a rule, with what (at most a few listed).
    pub violations: Vec<String>,
}

pub struct AuditInput<'a> {
    pub outcomes: &'a [Outcome],
    /// Top-up orders.
    pub orders: &'a [OrderRow],
    pub points: &'a PointsTables,
    pub unknown_reasons: &'a HashMap<String, String>,
    pub ledgers: &'a Ledgers,
    pub drain: Drain,
}

pub fn audit(input: &AuditInput<'_>) -> Audit {
    let mut checks = Vec::new();
    let mut violations = Vec::new();
    let wechat = &input.ledgers.wechat;
    let top_ups = input.ledgers.top_ups();
    let rows: HashMap<&str, &OrderRow> = input
        .orders
        .iter()
        .map(|row| (row.number.as_str(), row))
        .collect();
    // The money of every order, top-ups and points alike.
    let money = money_rows(input.orders, &input.points.pay_orders);
    let money_of: HashMap<&str, &MoneyRow> =
        money.iter().map(|row| (row.number.as_str(), row)).collect();

    let by_phase = |phase: Phase| {
        input
            .outcomes
            .iter()
            .filter(move |outcome| outcome.plan.phase == phase)
    };
    for phase in [Phase::Main, Phase::Burst, Phase::Late] {
        let planned = by_phase(phase).count();
        let paid = by_phase(phase).filter(|outcome| outcome.paid).count();
        checks.push(Check::info(
            &format!("{} orders: planned / paid by the customer", phase.name()),
            format!("{planned} / {paid}"),
        ));
    }
    let gave_up: Vec<&Outcome> = input
        .outcomes
        .iter()
        .filter(|outcome| outcome.error.is_some())
        .collect();
    checks.push(Check::info(
        "orders the customer gave up on (not paid; see below)",
        gave_up.len(),
    ));
    let retried_creates = input
        .outcomes
        .iter()
        .filter(|outcome| outcome.create_attempts > 1)
        .count();
    checks.push(Check::info(
        "orders created only after retrying (instance down or database cut)",
        retried_creates,
    ));
    let unauthorized: u32 = input
        .outcomes
        .iter()
        .map(|outcome| outcome.unauthorized)
        .sum();
    // A valid caller is never told "not logged in": a storage outage is a retryable 503.
    checks.push(Check::zero(
        "401 answers to valid identity headers (a storage outage must be a 503)",
        unauthorized as usize,
    ));

    // Money received: WeChat's ledger against ours.
    let mut paid_at_wechat: Vec<&String> = wechat
        .states
        .keys()
        .filter(|number| wechat.paid(number))
        .collect();
    paid_at_wechat.sort();
    let mut lost = 0;
    for number in &paid_at_wechat {
        match money_of.get(number.as_str()) {
            Some(row) if accounted_for(row, wechat) => {}
            Some(row) => {
                lost += 1;
                violations.push(format!(
                    "{number}: paid at WeChat, {} here ({:?})",
                    row.status, row.note
                ));
            }
            None => {
                lost += 1;
                violations.push(format!("{number}: paid at WeChat, no such order here"));
            }
        }
    }
    let paid_in_db = money
        .iter()
        .filter(|row| accounted_for(row, wechat))
        .count();
    let phantom: Vec<&MoneyRow> = money
        .iter()
        .filter(|row| is_paid_status(&row.status))
        .filter(|row| !wechat.paid(&row.number))
        .collect();
    for row in &phantom {
        violations.push(format!(
            "{}: {} here, WeChat says {:?}",
            row.number,
            row.status,
            wechat.state(&row.number)
        ));
    }
    checks.push(Check {
        what:
            "paid at WeChat / accounted for in the database (paid, flagged, or refunded at WeChat)"
                .to_owned(),
        value: format!("{} / {}", paid_at_wechat.len(), paid_in_db),
        expected: "equal".to_owned(),
        ok: Some(paid_at_wechat.len() == paid_in_db),
    });
    checks.push(Check::zero(
        "paid at WeChat, not accounted for (lost payments)",
        lost,
    ));
    checks.push(Check::zero(
        "paid in the database, not at WeChat",
        phantom.len(),
    ));

    // Delivery: the Unitel ledger against the orders.
    let max_top_ups = top_ups.values().copied().max().unwrap_or(0);
    let doubled: Vec<(&String, &usize)> = top_ups.iter().filter(|(_, count)| **count > 1).collect();
    for (number, count) in &doubled {
        violations.push(format!("{number}: topped up {count} times"));
    }
    checks.push(Check {
        what: "top-ups per order in the Unitel ledger (max)".to_owned(),
        value: max_top_ups.to_string(),
        expected: "≤ 1".to_owned(),
        ok: Some(max_top_ups <= 1),
    });
    checks.push(Check::zero(
        "orders topped up more than once",
        doubled.len(),
    ));
    let count_of = |number: &str| top_ups.get(number).copied().unwrap_or(0);
    let success_without: Vec<&OrderRow> = input
        .orders
        .iter()
        .filter(|row| {
            row.recharge_status.as_deref() == Some("success") && count_of(&row.number) == 0
        })
        .collect();
    for row in &success_without {
        violations.push(format!("{}: success here, no top-up at Unitel", row.number));
    }
    checks.push(Check::zero(
        "`success` with no top-up in the ledger",
        success_without.len(),
    ));
    let undone_with: Vec<&OrderRow> = input
        .orders
        .iter()
        .filter(|row| {
            row.recharge_status.as_deref() == Some("failed")
                || matches!(row.payment_status.as_str(), "refunding" | "refunded")
        })
        .filter(|row| count_of(&row.number) > 0)
        .collect();
    for row in &undone_with {
        violations.push(format!(
            "{}: {} / {:?} here, yet topped up at Unitel",
            row.number, row.payment_status, row.recharge_status
        ));
    }
    checks.push(Check::zero(
        "`failed` or refunded with a top-up in the ledger",
        undone_with.len(),
    ));
    let strangers: Vec<&String> = top_ups
        .keys()
        .filter(|number| {
            rows.get(number.as_str())
                .is_none_or(|row| !is_paid_status(&row.payment_status))
        })
        .collect();
    for number in &strangers {
        violations.push(format!("{number}: topped up, but not a paid order here"));
    }
    checks.push(Check::zero(
        "top-ups for an order not paid in the database",
        strangers.len(),
    ));

    // Outcomes of the paid orders.
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for row in input
        .orders
        .iter()
        .filter(|row| is_paid_status(&row.payment_status))
    {
        let key = format!(
            "{}/{}",
            row.payment_status,
            row.recharge_status.as_deref().unwrap_or("none")
        );
        *outcomes.entry(key).or_default() += 1;
    }
    checks.push(Check::info(
        "paid top-up orders by payment/recharge status",
        outcomes
            .iter()
            .map(|(key, count)| format!("{key} {count}"))
            .collect::<Vec<_>>()
            .join(", "),
    ));

    // Late payments: on an order the server had closed.
    let late: Vec<&Outcome> = by_phase(Phase::Late)
        .filter(|outcome| outcome.paid)
        .collect();
    let late_rows: Vec<&MoneyRow> = late
        .iter()
        .filter_map(|outcome| money_of.get(outcome.order_number.as_deref()?).copied())
        .collect();
    let late_flagged = late_rows.iter().filter(|row| row.late_flagged).count();
    let late_refunded = late_rows
        .iter()
        .filter(|row| wechat.refunded(&row.number))
        .count();
    let late_dropped: Vec<&&MoneyRow> = late_rows
        .iter()
        .filter(|row| !accounted_for(row, wechat))
        .collect();
    for row in &late_dropped {
        violations.push(format!(
            "{}: paid after close, {} here ({:?}), WeChat says {:?}",
            row.number,
            row.status,
            row.note,
            wechat.state(&row.number)
        ));
    }
    checks.push(Check::info(
        "late payments (after close): paid / flagged (`payment_after_close`, a points pay order's `late_payment`) / refunded at WeChat",
        format!("{} / {late_flagged} / {late_refunded}", late.len()),
    ));
    checks.push(Check::zero(
        "late payments dropped (neither recorded, flagged nor refunded at WeChat)",
        late_dropped.len(),
    ));

    // Points: credited once per paid order, never otherwise; balances equal their ledgers.
    let (points_checks, points_violations) =
        points::audit::checks(input.outcomes, input.points, wechat);
    checks.extend(points_checks);
    violations.extend(points_violations);

    // Top-ups whose outcome is unknown: allowed, listed with why.
    let mut unknown: Vec<(String, usize, String)> = input
        .orders
        .iter()
        .filter(|row| row.recharge_status.as_deref() == Some("unknown"))
        .map(|row| {
            let why = input
                .unknown_reasons
                .get(&row.number)
                .cloned()
                .or_else(|| row.anomaly_details.clone())
                .unwrap_or_else(|| "no reason recorded".to_owned());
            (row.number.clone(), count_of(&row.number), why)
        })
        .collect();
    unknown.sort();
    checks.push(Check::info(
        "orders left `unknown` (listed below; a person decides)",
        format!(
            "{} ({} of them topped up at Unitel)",
            unknown.len(),
            unknown.iter().filter(|(_, count, _)| *count > 0).count()
        ),
    ));

    // Notifications.
    let deliveries = &wechat.deliveries;
    let attempts: u64 = deliveries.iter().map(|delivery| delivery.attempts).sum();
    let acknowledged = deliveries
        .iter()
        .filter(|delivery| delivery.acknowledged)
        .count();
    let retried_ok = deliveries
        .iter()
        .filter(|delivery| delivery.failed_once && delivery.acknowledged)
        .count();
    let abandoned: HashSet<&String> = deliveries
        .iter()
        .filter(|delivery| !delivery.acknowledged)
        .map(|delivery| &delivery.order)
        .collect();
    checks.push(Check::info(
        "payment notifications: acknowledged / sent / attempts",
        format!("{acknowledged} / {} / {attempts}", deliveries.len()),
    ));
    checks.push(Check::info(
        "notifications answered with an error (or unreachable), later retried successfully",
        retried_ok,
    ));
    checks.push(Check::info(
        "orders with a notification WeChat gave up on (recovered by the expiry query)",
        abandoned.len(),
    ));
    for (what, value) in &wechat.figures {
        checks.push(Check::info(what, value));
    }

    checks.extend(input.drain.checks());

    violations.truncate(50);
    Audit {
        checks,
        unknown,
        violations,
    }
}

impl Audit {
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|check| check.ok != Some(false))
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        // No check's text holds a `|`: the table's escaping changes nothing here.
        out.push_str(&markdown::verdict_table(
            ["check", "value", "expected"],
            ["ok", "**FAIL**"],
            self.checks.iter().map(|check| {
                [
                    check.what.as_str(),
                    check.value.as_str(),
                    check.expected.as_str(),
                ]
            }),
            self.checks.iter().map(|check| check.ok),
        ));
        if !self.unknown.is_empty() {
            out.push_str("\nOrders left `unknown` (top-ups in the Unitel ledger; why):\n\n");
            for (number, count, why) in self.unknown.iter().take(40) {
                let _ = writeln!(out, "- `{number}`: {count}; {}", why.replace('\n', " "));
            }
            if self.unknown.len() > 40 {
                let _ = writeln!(out, "- … and {} more", self.unknown.len() - 40);
            }
        }
        if !self.violations.is_empty() {
            out.push_str("\nViolations:\n\n");
            for violation in &self.violations {
                let _ = writeln!(out, "- {violation}");
            }
        }
        out
    }
}
