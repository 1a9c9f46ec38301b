//! The simulators' ledgers: what WeChat took and notified, what Unitel delivered.

use std::collections::HashMap;

use serde_json::Value;

use crate::cluster::Simulators;
use crate::shop;

use super::error::ChaosError;

/// What the simulators' ledgers say.
pub struct Ledgers {
    pub wechat: Value,
    pub unitel: Value,
}

impl Ledgers {
    pub async fn fetch(
        http: &reqwest::Client,
        simulators: &Simulators,
    ) -> Result<Ledgers, ChaosError> {
        let get = |url: String| async move {
            let unreachable = |source| ChaosError::Unreachable {
                url: url.clone(),
                source,
            };
            http.get(&url)
                .send()
                .await
                .map_err(unreachable)?
                .json::<Value>()
                .await
                .map_err(unreachable)
        };
        Ok(Ledgers {
            wechat: get(shop::wechat_ledger_url(&simulators.wechat_url)).await?,
            unitel: get(shop::unitel_ledger_url(&simulators.unitel_url)).await?,
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
