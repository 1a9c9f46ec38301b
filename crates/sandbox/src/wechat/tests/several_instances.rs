//! Notifications spread over several instances of the service (`callback_base_url` with
//! several URLs), as a load balancer in front of them would.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Receiver, ordered};
use crate::wechat::{PayOptions, RunningWechatSim, WechatPaySimulator, WechatSimConfig};

const ORDERS: usize = 20;

async fn configure(sim: &RunningWechatSim, update: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/__sandbox/wechat/config", sim.url()))
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Orders and pays `ORDERS` orders, then waits until each notification is acknowledged.
async fn pay_all_and_wait(sim: &RunningWechatSim) {
    for index in 0..ORDERS {
        let out_trade_no = format!("ORD{index}");
        ordered(sim, &out_trade_no, 100).await;
        sim.pay(&out_trade_no, &PayOptions::default())
            .await
            .unwrap();
    }
    for index in 0..ORDERS {
        let acknowledged = sim
            .wait_for_acknowledged(&format!("ORD{index}"), 1, Duration::from_secs(5))
            .await;
        assert!(acknowledged, "ORD{index} never acknowledged");
    }
}

#[tokio::test]
async fn deliveries_are_spread_over_every_listed_instance() {
    let first = Receiver::start(0).await;
    let second = Receiver::start(0).await;
    let sim = WechatPaySimulator::start(WechatSimConfig::default())
        .await
        .unwrap();
    let urls = format!(" {}/ ,, {} ", first.url, second.url);
    let config = configure(&sim, json!({"callback_base_url": urls})).await;
    assert_eq!(config["callback_base_url"], urls.as_str(), "kept as given");

    pay_all_and_wait(&sim).await;
    let (to_first, to_second) = (first.received().len(), second.received().len());
    assert_eq!(to_first + to_second, ORDERS);
    assert!(to_first > 0 && to_second > 0, "{to_first} / {to_second}");
    assert!(
        first
            .received()
            .iter()
            .chain(&second.received())
            .all(|received| received.path == "/payment/callback")
    );
    sim.stop().await;
    first.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn retries_reach_a_live_instance_past_a_dead_one() {
    let live = Receiver::start(0).await;
    // A port nobody listens on any more: connection refused.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let sim = WechatPaySimulator::start(WechatSimConfig {
        callback_base_url: Some(format!("{dead},{}", live.url)),
        // Enough retries that no order picks the dead instance every time.
        callback_retry_delays: vec![Duration::from_millis(2); 40],
        ..WechatSimConfig::default()
    })
    .await
    .unwrap();

    pay_all_and_wait(&sim).await;
    assert_eq!(live.received().len(), ORDERS);
    let refused: Vec<_> = sim
        .ledger()
        .callbacks
        .into_iter()
        .filter(|attempt| {
            attempt
                .url
                .as_deref()
                .is_some_and(|url| url.starts_with(&dead))
        })
        .collect();
    assert!(!refused.is_empty(), "the dead instance was never picked");
    assert!(
        refused
            .iter()
            .all(|attempt| !attempt.acknowledged && attempt.error.is_some())
    );
    sim.stop().await;
    live.stop().await;
}
