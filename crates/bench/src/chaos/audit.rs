//! The audit: the simulators' ledgers (what WeChat took and what Unitel delivered) against
//! the orders table, after the run. Every check is computed here from raw data; nothing is
//! taken from the server's own view of itself.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::Value;

use super::workload::{Outcome, Phase};

/// One row of the orders table, as the audit reads it.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub number: String,
    pub payment_status: String,
    pub recharge_status: Option<String>,
    pub anomaly_reason: Option<String>,
    pub anomaly_details: Option<String>,
}

pub async fn read_orders(
    db: &DatabaseConnection,
    backend: DbBackend,
) -> Result<Vec<OrderRow>, sea_orm::DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT order_number, payment_status, recharge_status, anomaly_reason, anomaly_details FROM orders",
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(OrderRow {
                number: row.try_get("", "order_number")?,
                payment_status: row.try_get("", "payment_status")?,
                recharge_status: row.try_get("", "recharge_status")?,
                anomaly_reason: row.try_get("", "anomaly_reason")?,
                anomaly_details: row.try_get("", "anomaly_details")?,
            })
        })
        .collect()
}

/// The reason of the last event that made each order's top-up `unknown`.
pub async fn unknown_reasons(
    db: &DatabaseConnection,
    backend: DbBackend,
) -> Result<HashMap<String, String>, sea_orm::DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT order_number, reason FROM order_events WHERE to_recharge = 'unknown' ORDER BY id",
        ))
        .await?;
    let mut reasons = HashMap::new();
    for row in rows {
        let number: String = row.try_get("", "order_number")?;
        let reason: String = row.try_get("", "reason")?;
        reasons.insert(number, reason);
    }
    Ok(reasons)
}

/// Paid orders whose top-up has not finished: `(pending, submitting or confirming)`.
pub async fn in_flight(
    db: &DatabaseConnection,
    backend: DbBackend,
) -> Result<(i64, i64), sea_orm::DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT \
               COUNT(CASE WHEN recharge_status = 'pending' THEN 1 END) AS pending, \
               COUNT(CASE WHEN recharge_status IN ('submitting', 'confirming') THEN 1 END) AS busy \
             FROM orders WHERE payment_status = 'paid'",
        ))
        .await?;
    let Some(row) = row else {
        return Ok((0, 0));
    };
    Ok((row.try_get("", "pending")?, row.try_get("", "busy")?))
}

/// `payment_status` values that mean "the money was received".
pub fn is_paid_status(status: &str) -> bool {
    matches!(status, "paid" | "refunding" | "refunded" | "refund_failed")
}

/// What the simulators' ledgers say.
pub struct Ledgers {
    pub wechat: Value,
    pub unitel: Value,
}

impl Ledgers {
    pub async fn fetch(
        http: &reqwest::Client,
        wechat_url: &str,
        unitel_url: &str,
    ) -> Result<Ledgers, String> {
        let get = |url: String| async move {
            http.get(&url)
                .send()
                .await
                .map_err(|error| format!("{url}: {error}"))?
                .json::<Value>()
                .await
                .map_err(|error| format!("{url}: {error}"))
        };
        Ok(Ledgers {
            wechat: get(format!("{wechat_url}/__sandbox/wechat/ledger")).await?,
            unitel: get(format!("{unitel_url}/__sandbox/ledger")).await?,
        })
    }

    /// WeChat's trade state per order number.
    pub fn wechat_states(&self) -> HashMap<String, String> {
        self.wechat["orders"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|order| {
                Some((
                    order["out_trade_no"].as_str()?.to_owned(),
                    order["state"].as_str()?.to_owned(),
                ))
            })
            .collect()
    }

    /// Top-ups applied per journal id (our order number).
    pub fn top_ups(&self) -> HashMap<String, usize> {
        self.unitel["by_journal_id"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(journal, entries)| {
                (
                    journal.clone(),
                    entries.as_array().map(Vec::len).unwrap_or(0),
                )
            })
            .collect()
    }

    /// Delivery attempts per `(order, copy)`: `(attempts, answered with an error at least
    /// once, acknowledged in the end)`.
    pub fn deliveries(&self) -> HashMap<(String, u64), (u64, bool, bool)> {
        let mut copies: HashMap<(String, u64), (u64, bool, bool)> = HashMap::new();
        for attempt in self.wechat["callbacks"].as_array().into_iter().flatten() {
            let key = (
                attempt["out_trade_no"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                attempt["copy"].as_u64().unwrap_or(0),
            );
            let entry = copies.entry(key).or_default();
            entry.0 += 1;
            if attempt["acknowledged"].as_bool() == Some(true) {
                entry.2 = true;
            } else {
                entry.1 = true;
            }
        }
        copies
    }

    /// Callback attempts that went to a URL list unsplit (a simulator without multi-URL
    /// support would post to "http://a,http://b/payment/callback").
    pub fn unsplit_callback_urls(&self) -> bool {
        self.wechat["callbacks"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|attempt| attempt["url"].as_str().is_some_and(|url| url.contains(',')))
    }
}

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
    fn zero(what: &str, count: usize) -> Check {
        Check {
            what: what.to_owned(),
            value: count.to_string(),
            expected: "0".to_owned(),
            ok: Some(count == 0),
        }
    }

    fn info(what: &str, value: impl ToString) -> Check {
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

/// The drain: from the end of the last fault until no paid order is `pending`.
#[derive(Debug, Clone, Copy)]
pub struct Drain {
    pub pending_drained: Option<Duration>,
    pub settled: Option<Duration>,
    pub bound: Duration,
    pub waited: Duration,
    pub pending_left: i64,
    pub busy_left: i64,
}

pub struct AuditInput<'a> {
    pub outcomes: &'a [Outcome],
    pub orders: &'a [OrderRow],
    pub unknown_reasons: &'a HashMap<String, String>,
    pub ledgers: &'a Ledgers,
    pub drain: Drain,
}

pub fn audit(input: &AuditInput<'_>) -> Audit {
    let mut checks = Vec::new();
    let mut violations = Vec::new();
    let states = input.ledgers.wechat_states();
    let top_ups = input.ledgers.top_ups();
    let rows: HashMap<&str, &OrderRow> = input
        .orders
        .iter()
        .map(|row| (row.number.as_str(), row))
        .collect();

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
    let paid_at_wechat: Vec<&String> = states
        .iter()
        .filter(|(_, state)| matches!(state.as_str(), "SUCCESS" | "REFUND"))
        .map(|(number, _)| number)
        .collect();
    let recorded = |row: &OrderRow| {
        is_paid_status(&row.payment_status)
            || (row.payment_status == "closed"
                && row.anomaly_reason.as_deref() == Some("payment_after_close"))
    };
    let mut lost = 0;
    for number in &paid_at_wechat {
        match rows.get(number.as_str()) {
            Some(row) if recorded(row) => {}
            Some(row) => {
                lost += 1;
                violations.push(format!(
                    "{number}: paid at WeChat, {} here (anomaly {:?})",
                    row.payment_status, row.anomaly_reason
                ));
            }
            None => {
                lost += 1;
                violations.push(format!("{number}: paid at WeChat, no such order here"));
            }
        }
    }
    let paid_in_db = input.orders.iter().filter(|row| recorded(row)).count();
    let phantom: Vec<&OrderRow> = input
        .orders
        .iter()
        .filter(|row| is_paid_status(&row.payment_status))
        .filter(|row| {
            !matches!(
                states.get(&row.number).map(String::as_str),
                Some("SUCCESS" | "REFUND")
            )
        })
        .collect();
    for row in &phantom {
        violations.push(format!(
            "{}: {} here, WeChat says {:?}",
            row.number,
            row.payment_status,
            states.get(&row.number)
        ));
    }
    checks.push(Check {
        what: "paid at WeChat / recorded as paid in the database".to_owned(),
        value: format!("{} / {}", paid_at_wechat.len(), paid_in_db),
        expected: "equal".to_owned(),
        ok: Some(paid_at_wechat.len() == paid_in_db),
    });
    checks.push(Check::zero(
        "paid at WeChat, not recorded as paid (lost payments)",
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
        "paid orders by payment/recharge status",
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
    let late_rows: Vec<&OrderRow> = late
        .iter()
        .filter_map(|outcome| rows.get(outcome.order_number.as_deref()?).copied())
        .collect();
    let late_flagged = late_rows
        .iter()
        .filter(|row| row.anomaly_reason.as_deref() == Some("payment_after_close"))
        .count();
    let late_refunded = late_rows
        .iter()
        .filter(|row| states.get(&row.number).map(String::as_str) == Some("REFUND"))
        .count();
    let late_dropped: Vec<&&OrderRow> = late_rows.iter().filter(|row| !recorded(row)).collect();
    checks.push(Check::info(
        "late payments (after close): paid / flagged `payment_after_close` / refunded at WeChat",
        format!("{} / {late_flagged} / {late_refunded}", late.len()),
    ));
    checks.push(Check::zero(
        "late payments dropped (neither paid nor flagged)",
        late_dropped.len(),
    ));

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
    let deliveries = input.ledgers.deliveries();
    let attempts: u64 = deliveries.values().map(|(attempts, _, _)| attempts).sum();
    let retried_ok = deliveries
        .values()
        .filter(|(_, failed, acknowledged)| *failed && *acknowledged)
        .count();
    let abandoned: HashSet<&String> = deliveries
        .iter()
        .filter(|(_, (_, _, acknowledged))| !acknowledged)
        .map(|((number, _), _)| number)
        .collect();
    checks.push(Check::info(
        "callback copies delivered / attempts",
        format!("{} / {attempts}", deliveries.len()),
    ));
    checks.push(Check::info(
        "callbacks answered with an error (or unreachable), later retried successfully",
        retried_ok,
    ));
    checks.push(Check::info(
        "orders with a callback copy WeChat gave up on (recovered by the expiry query)",
        abandoned.len(),
    ));

    // Drain.
    let drain = input.drain;
    let seconds = |duration: Duration| format!("{:.1} s", duration.as_secs_f64());
    checks.push(Check {
        what: "drain time: last fault ended → no paid order `pending`".to_owned(),
        value: match drain.pending_drained {
            Some(time) => seconds(time),
            None => format!(
                "not drained after {} ({} pending)",
                seconds(drain.waited),
                drain.pending_left
            ),
        },
        expected: format!("≤ {}", seconds(drain.bound)),
        ok: Some(
            drain
                .pending_drained
                .is_some_and(|time| time <= drain.bound),
        ),
    });
    checks.push(Check::info(
        "settle time: last fault ended → no paid order pending, submitting or confirming",
        match drain.settled {
            Some(time) => seconds(time),
            None => format!(
                "not settled after {} ({} pending, {} submitting/confirming)",
                seconds(drain.waited),
                drain.pending_left,
                drain.busy_left
            ),
        },
    ));

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
        out.push_str("| check | value | expected | |\n|---|---|---|---|\n");
        for check in &self.checks {
            let mark = match check.ok {
                Some(true) => "ok",
                Some(false) => "**FAIL**",
                None => "",
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {mark} |",
                check.what, check.value, check.expected
            );
        }
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
