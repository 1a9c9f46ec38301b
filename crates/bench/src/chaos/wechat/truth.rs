//! What WeChat's ledger says, in the same shape on both channels: the trade state of each
//! order and every payment notification it retries until answered.

use std::collections::HashMap;

use serde_json::Value;

/// WeChat's side of the story, read from its simulator's ledger.
#[derive(Debug, Clone, Default)]
pub struct WechatTruth {
    /// Trade state per order number (`NOTPAY`, `SUCCESS`, `REFUND`, `CLOSED`).
    pub states: HashMap<String, String>,
    /// Every payment notification WeChat retries until answered (one per copy).
    pub deliveries: Vec<Delivery>,
    /// A callback went to a URL list unsplit: the simulator takes one callback URL only.
    pub unsplit_callback_urls: bool,
    /// Refunds WeChat is still processing, and their notifications not finished yet (on a
    /// channel whose ledger shows them).
    pub refunds_unsettled: usize,
    /// Figures of this channel only (replays, refund notifications, refunds), for the report.
    pub figures: Vec<(String, String)>,
}

/// One notification copy and its delivery attempts.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The order (`out_trade_no`) it notifies.
    pub order: String,
    pub attempts: u64,
    /// At least one attempt was answered with an error or not answered.
    pub failed_once: bool,
    pub acknowledged: bool,
    /// Acknowledged, or WeChat stopped retrying it.
    pub finished: bool,
}

impl WechatTruth {
    /// True when WeChat refunded (part of) the order's payment.
    pub fn refunded(&self, number: &str) -> bool {
        self.state(number) == Some("REFUND")
    }

    /// True when WeChat took the order's money (kept or refunded since).
    pub fn paid(&self, number: &str) -> bool {
        matches!(self.state(number), Some("SUCCESS" | "REFUND"))
    }

    pub fn state(&self, number: &str) -> Option<&str> {
        self.states.get(number).map(String::as_str)
    }
}

/// `out_trade_no` → `state` of a ledger's `orders` (the same fields on both simulators).
pub fn trade_states(orders: &Value) -> HashMap<String, String> {
    orders
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

/// `"A 3, B 1"`: how many of each, in name order.
pub fn tally<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for name in names {
        *counts.entry(name).or_default() += 1;
    }
    if counts.is_empty() {
        return "none".to_owned();
    }
    counts
        .iter()
        .map(|(name, count)| format!("{name} {count}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn states_come_from_the_orders_and_refunded_money_was_taken() {
        let truth = WechatTruth {
            states: trade_states(&json!([
                {"out_trade_no": "A", "state": "SUCCESS"},
                {"out_trade_no": "B", "state": "REFUND"},
                {"out_trade_no": "C", "state": "CLOSED"},
                {"state": "SUCCESS"},
            ])),
            ..WechatTruth::default()
        };
        assert_eq!(truth.states.len(), 3);
        assert!(truth.paid("A") && !truth.refunded("A"));
        assert!(truth.paid("B") && truth.refunded("B"));
        assert!(!truth.paid("C") && !truth.paid("unknown"));
    }

    #[test]
    fn tally_counts_in_name_order() {
        assert_eq!(
            tally(["SUCCESS", "PROCESSING", "SUCCESS"].into_iter()),
            "PROCESSING 1, SUCCESS 2"
        );
        assert_eq!(tally(std::iter::empty()), "none");
    }
}
