//! WeChat Pay API v3 direct: the v3 simulator, run inside this process (so that, like the
//! `elife sandbox` process, it outlives every server crash), with the instances behind a
//! TCP balancer as the one `notify_url` the servers give it. It pays through
//! `/sandbox/v3/pay`, posts signed, encrypted notifications and retries them on the
//! official schedule, compressed to the Cloud run's length.
//!
//! A plan's notification copies become: the first notification (after the plan's delay,
//! if any: paid without notifying, then notified); the 2nd copy a replay of its first
//! attempt (the exact bytes and headers again); the 3rd the payment notified anew (a new
//! notification id, retried like the first).

use std::path::Path;
use std::time::Duration;

use elife_sandbox::wechat_pay_v3::{
    RETRY_SCHEDULE, RunningWechatPayV3Sim, WechatPayV3SimConfig, WechatPayV3Simulator,
};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::chaos::control::post_payer;
use crate::chaos::error::{ChaosError, io};
use crate::chaos::proxy::TcpProxy;

use super::cloud::RETRY_DELAYS_MS;
use super::follow_ups::{FollowUps, Problems};
use super::truth::{Delivery, WechatTruth, tally, trade_states};
use super::{CallbackRouting, Payment};

/// Where the server takes API v3 payment notifications (refunds: the same + `/refund`).
pub const NOTIFY_PATH: &str = "/payment/notify/wechat";

/// How long a replay waits for the first attempt it repeats to have been made.
const REPLAY_WAIT: Duration = Duration::from_secs(30);

/// The official schedule (15 s ... 6 h, about a day) scaled to the Cloud run's retries.
fn time_factor() -> f64 {
    let official: f64 = RETRY_SCHEDULE.iter().map(Duration::as_secs_f64).sum();
    let cloud = RETRY_DELAYS_MS.iter().sum::<u64>() as f64 / 1000.0;
    cloud / official
}

/// What this process runs for the v3 channel; stopped after the servers.
pub struct HostedPayV3 {
    simulator: RunningWechatPayV3Sim,
    /// The `notify_url` of every instance: one of them at random per connection.
    balancer: TcpProxy,
}

impl HostedPayV3 {
    pub async fn stop(self) {
        self.simulator.stop().await;
        drop(self.balancer);
    }
}

/// The v3 side as the workload drives it; clones share the follow-ups.
#[derive(Clone)]
pub struct PayV3 {
    /// The simulator's base: the API (`WECHAT_PAY_API_URL`) and `/sandbox/v3/...`.
    url: String,
    follow_ups: FollowUps,
}

/// A started v3 side: the handle, what runs it, and the servers' merchant settings.
pub struct StartedV3 {
    pub wechat: PayV3,
    pub hosted: HostedPayV3,
    pub server_env: Vec<(String, String)>,
}

impl PayV3 {
    /// Starts the simulator and the balancer in front of `instance_urls`; the public key is
    /// written to `work_dir` for the servers to read.
    pub async fn start(instance_urls: &[String], work_dir: &Path) -> Result<StartedV3, ChaosError> {
        let upstreams = instance_urls
            .iter()
            .map(|url| url.trim_start_matches("http://").to_owned())
            .collect();
        let balancer = TcpProxy::start(upstreams)
            .await
            .map_err(ChaosError::Balancer)?;
        let simulator = WechatPayV3Simulator::start(WechatPayV3SimConfig {
            time_factor: time_factor(),
            ..WechatPayV3SimConfig::default()
        })
        .await?;
        let keys = simulator.keys();
        let public_key = work_dir.join("wechat-pay-v3-public-key.pem");
        std::fs::write(&public_key, &keys.public_key_pem)
            .map_err(io(format!("writing {}", public_key.display())))?;
        let server_env = [
            ("PAY_CHANNEL", "v3".to_owned()),
            ("WECHAT_PAY_APP_ID", keys.appid),
            ("WECHAT_PAY_MCH_ID", keys.mchid),
            ("WECHAT_PAY_SERIAL_NO", keys.merchant_serial_no),
            ("WECHAT_PAY_PRIVATE_KEY", keys.merchant_private_key_pem),
            ("WECHAT_PAY_APIV3_KEY", keys.apiv3_key),
            ("WECHAT_PAY_PUBLIC_KEY_ID", keys.public_key_id),
            (
                "WECHAT_PAY_PUBLIC_KEY_PATH",
                public_key.display().to_string(),
            ),
            (
                "WECHAT_PAY_NOTIFY_URL",
                format!("http://127.0.0.1:{}{NOTIFY_PATH}", balancer.port),
            ),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        Ok(StartedV3 {
            wechat: PayV3 {
                url: simulator.url(),
                follow_ups: FollowUps::default(),
            },
            hosted: HostedPayV3 {
                simulator,
                balancer,
            },
            server_env,
        })
    }

    /// The API base the servers are pointed at.
    pub fn api_url(&self) -> String {
        self.url.clone()
    }

    pub fn description() -> String {
        format!(
            "WeChat Pay API v3 direct (its simulator, in this process): signed, encrypted notifications retried until 2xx on the official schedule × {:.6}, {} attempts over {:.1} s; a 2nd copy is a replay of the first (same bytes and headers), a 3rd the payment notified anew (new id)",
            time_factor(),
            RETRY_SCHEDULE.len() + 1,
            RETRY_SCHEDULE
                .iter()
                .map(Duration::as_secs_f64)
                .sum::<f64>()
                * time_factor()
        )
    }

    fn control(&self, path: &str) -> String {
        format!("{}/sandbox/v3{path}", self.url)
    }

    /// Pays at once; the delayed first notification and the copies follow in the
    /// background. Answers the notifications WeChat will retry (replays are sent once).
    pub async fn pay(
        &self,
        http: &reqwest::Client,
        number: &str,
        payment: &Payment,
    ) -> Result<u32, String> {
        let delayed = payment.delay_ms > 0;
        let answer = post_payer(
            http,
            &self.control(&format!("/pay/{number}")),
            &json!({"late": payment.late, "no_notify": delayed}),
        )
        .await?;
        let first = answer["notification_id"].as_str().map(str::to_owned);
        if delayed || payment.copies > 1 {
            let follow_up = FollowUp {
                http: http.clone(),
                side: self.clone(),
                number: number.to_owned(),
                payment: *payment,
                first,
            };
            self.follow_ups.spawn(follow_up.run());
        }
        Ok(1 + u32::from(payment.copies >= 3))
    }

    pub async fn settle(&self) -> Problems {
        self.follow_ups.settle().await
    }

    pub fn ledger_url(&self) -> String {
        self.control("/ledger")
    }

    /// Nothing to do: WeChat Pay v3 closes an order as soon as it is asked to.
    pub fn before_late_payments() -> String {
        "WeChat Pay v3 closes an order when asked: no clock to move".to_owned()
    }

    /// Set at start: the servers' `notify_url` is the balancer.
    pub fn route_callbacks(instance_urls: &[String]) -> CallbackRouting {
        CallbackRouting {
            description: format!(
                "`notify_url` is a TCP balancer in front of the {} instances: one at random per connection",
                instance_urls.len()
            ),
            balancer: None,
        }
    }

    /// `POST /sandbox/v3/notify/{no}`: the payment notified anew; the notification's id.
    async fn notify(&self, http: &reqwest::Client, number: &str) -> Result<String, String> {
        let answer = post_payer(
            http,
            &self.control(&format!("/notify/{number}")),
            &json!({}),
        )
        .await?;
        answer["notification_id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{number}: no notification_id in {answer}"))
    }

    /// Re-sends the first attempt of notification `id`, once it has been made.
    async fn replay(&self, http: &reqwest::Client, id: &str) -> Result<(), String> {
        let url = self.control(&format!("/notifications/{id}/replay"));
        let deadline = Instant::now() + REPLAY_WAIT;
        loop {
            let last = match http.post(&url).json(&json!({})).send().await {
                Ok(response) if response.status().is_success() => return Ok(()),
                // Not sent yet: its first attempt is still under way.
                Ok(response) if response.status() == reqwest::StatusCode::NOT_FOUND => {
                    "never sent".to_owned()
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let text = response.text().await.unwrap_or_default();
                    return Err(format!("replay of {id}: HTTP {status}: {text}"));
                }
                Err(error) => error.to_string(),
            };
            if Instant::now() >= deadline {
                return Err(format!("replay of {id}: {last} after {REPLAY_WAIT:?}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// One payment's delayed notification and copies.
struct FollowUp {
    http: reqwest::Client,
    side: PayV3,
    number: String,
    payment: Payment,
    /// The notification the payment sent, unless it was delayed.
    first: Option<String>,
}

impl FollowUp {
    async fn run(self) -> Problems {
        let mut problems = Problems::default();
        let first = match self.first {
            Some(id) => Some(id),
            None => {
                tokio::time::sleep(Duration::from_millis(self.payment.delay_ms)).await;
                match self.side.notify(&self.http, &self.number).await {
                    Ok(id) => Some(id),
                    Err(error) => {
                        problems.add(1, error);
                        None
                    }
                }
            }
        };
        if self.payment.copies >= 2
            && let Some(first) = &first
            && let Err(error) = self.side.replay(&self.http, first).await
        {
            problems.add(0, error);
        }
        if self.payment.copies >= 3
            && let Err(error) = self.side.notify(&self.http, &self.number).await
        {
            problems.add(1, error);
        }
        problems
    }
}

/// The v3 simulator's ledger: `orders`, `refunds` and `notifications`, each with its
/// attempts (replays flagged). Payment notifications sent wrong on purpose are not
/// deliveries; there are none in this run.
pub fn truth_of(ledger: &Value) -> WechatTruth {
    let mut deliveries = Vec::new();
    let (mut replays, mut replays_answered) = (0, 0);
    let (mut refund_notices, mut refund_notices_answered, mut refund_attempts) = (0, 0, 0);
    let mut refund_notices_unfinished = 0;
    for notification in ledger["notifications"].as_array().into_iter().flatten() {
        let attempts = notification["attempts"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        let is_replay = |attempt: &&Value| attempt["replay"].as_bool() == Some(true);
        let answered = |attempt: &&Value| attempt["acknowledged"].as_bool() == Some(true);
        replays += attempts.iter().filter(is_replay).count();
        replays_answered += attempts.iter().filter(is_replay).filter(answered).count();
        let sent: Vec<&Value> = attempts.iter().filter(|a| !is_replay(a)).collect();
        let acknowledged = notification["acknowledged"].as_bool() == Some(true);
        match notification["kind"].as_str() {
            Some("transaction") if notification["fault"].is_null() => {
                deliveries.push(Delivery {
                    order: notification["out_trade_no"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    attempts: sent.len() as u64,
                    failed_once: sent.iter().any(|attempt| !answered(attempt)),
                    acknowledged,
                    finished: acknowledged || notification["gave_up"].as_bool() == Some(true),
                });
            }
            Some("refund") => {
                refund_notices += 1;
                refund_notices_answered += usize::from(acknowledged);
                refund_attempts += sent.len();
                let gave_up = notification["gave_up"].as_bool() == Some(true);
                refund_notices_unfinished += usize::from(!acknowledged && !gave_up);
            }
            _ => {}
        }
    }
    let refunds = ledger["refunds"].as_array().map_or(&[][..], Vec::as_slice);
    // PROCESSING moves on by itself; ABNORMAL waits for a person, as at WeChat.
    let processing = refunds
        .iter()
        .filter(|refund| refund["status"].as_str() == Some("PROCESSING"))
        .count();
    let figures = vec![
        (
            "notifications replayed (first attempt's bytes and headers again): sent / answered 2xx"
                .to_owned(),
            format!("{replays} / {replays_answered}"),
        ),
        (
            "refund notifications: answered 2xx / sent / attempts".to_owned(),
            format!("{refund_notices_answered} / {refund_notices} / {refund_attempts}"),
        ),
        (
            "refunds at WeChat by status".to_owned(),
            tally(
                refunds
                    .iter()
                    .map(|refund| refund["status"].as_str().unwrap_or("?")),
            ),
        ),
    ];
    WechatTruth {
        states: trade_states(&ledger["orders"]),
        deliveries,
        unsplit_callback_urls: false,
        refunds_unsettled: processing + refund_notices_unfinished,
        figures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(acknowledged: bool, replay: bool) -> Value {
        json!({"acknowledged": acknowledged, "replay": replay})
    }

    #[test]
    fn payment_notifications_are_deliveries_and_replays_and_refunds_are_figures() {
        let ledger = json!({
            "orders": [
                {"out_trade_no": "A", "state": "SUCCESS"},
                {"out_trade_no": "B", "state": "REFUND"},
            ],
            "refunds": [
                {"out_trade_no": "B", "status": "SUCCESS"},
                {"out_trade_no": "A", "status": "PROCESSING"},
            ],
            "notifications": [
                {"kind": "transaction", "out_trade_no": "A", "fault": null,
                 "acknowledged": true, "gave_up": false,
                 "attempts": [attempt(false, false), attempt(true, false), attempt(true, true)]},
                {"kind": "transaction", "out_trade_no": "B", "fault": null,
                 "acknowledged": false, "gave_up": true,
                 "attempts": [attempt(false, false), attempt(false, true)]},
                {"kind": "transaction", "out_trade_no": "B", "fault": null,
                 "acknowledged": false, "gave_up": false, "attempts": []},
                {"kind": "transaction", "out_trade_no": "A", "fault": "probe",
                 "acknowledged": false, "gave_up": false, "attempts": [attempt(false, false)]},
                {"kind": "refund", "out_trade_no": "B", "fault": null,
                 "acknowledged": true, "gave_up": false, "attempts": [attempt(true, false)]},
            ],
        });
        let truth = truth_of(&ledger);
        assert!(truth.refunded("B") && truth.paid("A"));
        assert_eq!(
            truth.deliveries.len(),
            3,
            "faulty notifications are not deliveries"
        );
        let retried = &truth.deliveries[0];
        assert_eq!(retried.attempts, 2, "replays are not attempts");
        assert!(retried.failed_once && retried.acknowledged && retried.finished);
        let given_up = &truth.deliveries[1];
        assert!(!given_up.acknowledged && given_up.finished);
        assert!(!truth.deliveries[2].finished, "not sent yet");
        let figure = |name: &str| {
            truth
                .figures
                .iter()
                .find(|(what, _)| what.starts_with(name))
                .map(|(_, value)| value.clone())
                .expect("figure")
        };
        assert_eq!(figure("notifications replayed"), "2 / 1");
        assert_eq!(figure("refund notifications"), "1 / 1 / 1");
        assert_eq!(figure("refunds at WeChat"), "PROCESSING 1, SUCCESS 1");
        assert_eq!(truth.refunds_unsettled, 1, "the refund still processing");
    }

    #[test]
    fn the_schedule_is_compressed_to_the_cloud_runs_length() {
        let scaled: f64 = RETRY_SCHEDULE
            .iter()
            .map(Duration::as_secs_f64)
            .sum::<f64>()
            * time_factor();
        let cloud = RETRY_DELAYS_MS.iter().sum::<u64>() as f64 / 1000.0;
        assert!((scaled - cloud).abs() < 1e-6, "{scaled} vs {cloud}");
    }
}
