//! Cloud Hosting's open interface: the WeChat simulator of the `elife sandbox` process pays,
//! then delivers each notification copy to one of the instances at random (as Cloud
//! Hosting's load balancer would) and retries it until answered `errcode 0`.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::cluster::Simulators;
use crate::shop;

use super::truth::{Delivery, WechatTruth, trade_states};
use super::{CallbackRouting, Payment};
use crate::chaos::control::{get_json, post_ok, post_payer};
use crate::chaos::error::ChaosError;
use crate::chaos::proxy::TcpProxy;

/// WeChat's compressed retry schedule: about 37 s of retries over 17 attempts, so that a
/// notification outlives a kill and a database cut, as real WeChat's (hours) does.
pub const RETRY_DELAYS_MS: [u64; 16] = [
    200, 300, 500, 800, 1000, 1500, 2000, 3000, 3000, 3000, 3000, 3000, 4000, 4000, 4000, 4000,
];

/// Attempts of one copy before the simulator gives up.
const MAX_ATTEMPTS: u64 = RETRY_DELAYS_MS.len() as u64 + 1;

#[derive(Debug, Clone)]
pub struct CloudHosting {
    /// Base of the simulator (`/__sandbox/...` control paths hang off it).
    url: String,
}

impl CloudHosting {
    /// Points the simulator's callbacks at the instances, with the compressed schedule.
    pub async fn start(
        http: &reqwest::Client,
        simulators: &Simulators,
        instance_urls: &[String],
    ) -> Result<CloudHosting, ChaosError> {
        let url = simulators.wechat_url.clone();
        post_ok(
            http,
            &shop::wechat_config_url(&url),
            &json!({
                "callback_base_url": instance_urls.join(","),
                "callback_retry_delays_ms": RETRY_DELAYS_MS,
            }),
        )
        .await?;
        Ok(CloudHosting { url })
    }

    pub fn description() -> String {
        format!(
            "Cloud Hosting's open interface (simulator of `elife sandbox`): each notification copy retried until `errcode 0`, {} attempts over {:.1} s",
            MAX_ATTEMPTS,
            RETRY_DELAYS_MS.iter().sum::<u64>() as f64 / 1000.0
        )
    }

    /// The simulator schedules the copies and the delay itself; answers the copies.
    pub async fn pay(
        &self,
        http: &reqwest::Client,
        number: &str,
        payment: &Payment,
    ) -> Result<u32, String> {
        let answer = post_payer(
            http,
            &shop::sandbox_pay_url(&self.url, number),
            &json!({
                "copies": payment.copies,
                "delay_ms": payment.delay_ms,
                "late": payment.late,
            }),
        )
        .await?;
        Ok(u32::try_from(answer["callbacks"].as_u64().unwrap_or(0)).unwrap_or(0))
    }

    pub fn ledger_url(&self) -> String {
        shop::wechat_ledger_url(&self.url)
    }

    /// WeChat closes an order only five minutes after its creation: its clock is moved on.
    pub async fn before_late_payments(&self, http: &reqwest::Client) -> String {
        match post_ok(
            http,
            &shop::wechat_clock_url(&self.url),
            &json!({"advance_seconds": 360}),
        )
        .await
        {
            Ok(()) => {
                "WeChat's clock moved 6 min on (it closes an order 5 min after creation)".to_owned()
            }
            Err(error) => format!("WeChat's clock NOT moved: {error}"),
        }
    }

    /// A simulator without multi-URL callbacks posts to the joined list: detected a few
    /// seconds in, and a balancer is put in front of the instances instead.
    pub async fn route_callbacks(
        &self,
        http: &reqwest::Client,
        instance_urls: &[String],
    ) -> Result<CallbackRouting, ChaosError> {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let unsplit = get_json(http, &self.ledger_url())
            .await
            .is_ok_and(|ledger| truth_of(&ledger).unsplit_callback_urls);
        if !unsplit {
            return Ok(CallbackRouting {
                description: format!(
                    "each attempt to one of the {} instances at random (simulator)",
                    instance_urls.len()
                ),
                balancer: None,
            });
        }
        let upstreams = instance_urls
            .iter()
            .map(|url| url.trim_start_matches("http://").to_owned())
            .collect();
        let balancer = TcpProxy::start(upstreams)
            .await
            .map_err(ChaosError::Balancer)?;
        post_ok(
            http,
            &shop::wechat_config_url(&self.url),
            &json!({"callback_base_url": format!("http://127.0.0.1:{}", balancer.port)}),
        )
        .await?;
        Ok(CallbackRouting {
            description: "FALLBACK: this simulator takes one callback URL; a TCP balancer in front of the instances picks one at random per connection".to_owned(),
            balancer: Some(balancer),
        })
    }
}

/// The Cloud simulator's ledger: `orders`, `refunds` and `callbacks` (one row per attempt of
/// a copy).
pub fn truth_of(ledger: &Value) -> WechatTruth {
    let mut copies: HashMap<(String, u64), Delivery> = HashMap::new();
    let mut unsplit = false;
    for attempt in ledger["callbacks"].as_array().into_iter().flatten() {
        let order = attempt["out_trade_no"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let copy = attempt["copy"].as_u64().unwrap_or(0);
        let delivery = copies
            .entry((order.clone(), copy))
            .or_insert_with(|| Delivery {
                order,
                attempts: 0,
                failed_once: false,
                acknowledged: false,
                finished: false,
            });
        delivery.attempts += 1;
        if attempt["acknowledged"].as_bool() == Some(true) {
            delivery.acknowledged = true;
        } else {
            delivery.failed_once = true;
        }
        delivery.finished = delivery.acknowledged || delivery.attempts >= MAX_ATTEMPTS;
        unsplit |= attempt["url"].as_str().is_some_and(|url| url.contains(','));
    }
    let refunds = ledger["refunds"].as_array().map_or(0, Vec::len);
    WechatTruth {
        states: trade_states(&ledger["orders"]),
        deliveries: copies.into_values().collect(),
        unsplit_callback_urls: unsplit,
        // Its ledger shows no refund status (it is computed when queried).
        refunds_unsettled: 0,
        figures: vec![("refunds at WeChat".to_owned(), refunds.to_string())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(order: &str, copy: u64, acknowledged: bool, url: &str) -> Value {
        json!({"out_trade_no": order, "copy": copy, "acknowledged": acknowledged, "url": url})
    }

    #[test]
    fn copies_are_told_apart_and_finish_when_answered_or_spent() {
        let mut callbacks = vec![
            attempt("A", 1, false, "http://a/cb"),
            attempt("A", 1, true, "http://b/cb"),
            attempt("A", 2, true, "http://a/cb"),
        ];
        callbacks.extend((0..MAX_ATTEMPTS).map(|_| attempt("B", 1, false, "http://a/cb")));
        callbacks.push(attempt("C", 1, false, "http://a/cb"));
        let truth = truth_of(&json!({
            "orders": [{"out_trade_no": "A", "state": "SUCCESS"}],
            "refunds": [{"out_trade_no": "A"}],
            "callbacks": callbacks,
        }));
        let find = |order: &str, attempts: u64| {
            truth
                .deliveries
                .iter()
                .find(|delivery| delivery.order == order && delivery.attempts == attempts)
                .cloned()
                .expect("delivery")
        };
        assert_eq!(truth.deliveries.len(), 4);
        let retried = find("A", 2);
        assert!(retried.failed_once && retried.acknowledged && retried.finished);
        let spent = find("B", MAX_ATTEMPTS);
        assert!(!spent.acknowledged && spent.finished);
        let in_flight = find("C", 1);
        assert!(!in_flight.acknowledged && !in_flight.finished);
        assert!(!truth.unsplit_callback_urls);
        assert_eq!(truth.figures[0].1, "1");
    }

    #[test]
    fn a_joined_url_list_is_noticed() {
        let truth = truth_of(&json!({
            "callbacks": [attempt("A", 1, false, "http://a,http://b/cb")],
        }));
        assert!(truth.unsplit_callback_urls);
    }
}
