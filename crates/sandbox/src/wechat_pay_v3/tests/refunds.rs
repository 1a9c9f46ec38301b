//! Refunds: limits, reuse of `out_refund_no`, settling after the delay, and REFUND.*
//! notifications.

use super::*;

fn refund_request(out_refund_no: &str, refund: i64, notify_url: &str) -> Value {
    json!({
        "out_trade_no": "ORDER-REFUND", "out_refund_no": out_refund_no, "reason": "top-up failed",
        "notify_url": notify_url,
        "amount": { "refund": refund, "total": 1000, "currency": "CNY" },
    })
}

async fn paid(sim: &RunningWechatPayV3Sim, merchant: &Merchant) {
    merchant
        .create_jsapi("ORDER-REFUND", 1000, "https://m.example/pay")
        .await;
    let quiet = V3PayOptions {
        no_notify: true,
        ..V3PayOptions::default()
    };
    sim.pay("ORDER-REFUND", &quiet).await.expect("paid");
}

#[tokio::test]
async fn a_refund_settles_after_the_delay_and_is_notified() {
    let receiver = NotifyReceiver::start(vec![200]).await;
    let sim = start().await;
    let merchant = Merchant::of(&sim);
    let keys = sim.keys();
    paid(&sim, &merchant).await;

    let answer = merchant
        .post(
            "/v3/refund/domestic/refunds",
            &refund_request("R-1", 400, &receiver.url),
        )
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.json());
    verify_answer(&keys, &answer).expect("signed");
    let body = answer.json();
    assert_eq!(body["status"], "PROCESSING");
    assert_eq!(body["amount"]["refund"], 400);
    assert_eq!(body["out_trade_no"], "ORDER-REFUND");
    assert_eq!(
        merchant.query("ORDER-REFUND").await.json()["trade_state"],
        "REFUND"
    );

    let notified = sim
        .wait_for(Duration::from_secs(10), |ledger| {
            ledger
                .notifications
                .iter()
                .any(|notification| notification.acknowledged)
        })
        .await;
    assert!(notified);
    let delivered = receiver.delivered();
    assert_eq!(delivered.len(), 1);
    verify_signed(&keys, &delivered[0].headers, &delivered[0].body).expect("signed");
    let envelope: Value = serde_json::from_slice(&delivered[0].body).expect("json");
    assert_eq!(envelope["event_type"], "REFUND.SUCCESS");
    assert_eq!(envelope["resource"]["original_type"], "refund");
    let resource = resource_of(&keys, &delivered[0]);
    assert_eq!(resource["refund_status"], "SUCCESS");
    assert_eq!(resource["out_refund_no"], "R-1");
    assert_eq!(resource["refund_id"], body["refund_id"]);
    assert_eq!(resource["amount"]["refund"], 400);
    assert!(resource["success_time"].is_string());

    let query = merchant.get("/v3/refund/domestic/refunds/R-1").await;
    assert_eq!(query.json()["status"], "SUCCESS");
    verify_answer(&keys, &query).expect("signed");
    sim.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn refunds_keep_their_limits_and_their_numbers() {
    let sim = start().await;
    let merchant = Merchant::of(&sim);
    let url = "/v3/refund/domestic/refunds";
    let unpaid_answer = {
        merchant
            .create_jsapi("ORDER-REFUND", 1000, "https://m.example/pay")
            .await;
        merchant
            .post(url, &refund_request("R-0", 100, "https://m.example/r"))
            .await
    };
    assert_eq!(unpaid_answer.json()["code"], "INVALID_REQUEST");
    let quiet = V3PayOptions {
        no_notify: true,
        ..V3PayOptions::default()
    };
    sim.pay("ORDER-REFUND", &quiet).await.expect("paid");

    let first = merchant
        .post(url, &refund_request("R-1", 600, "https://m.example/r"))
        .await;
    assert_eq!(first.status, 200);
    let again = merchant
        .post(url, &refund_request("R-1", 600, "https://m.example/r"))
        .await;
    assert_eq!(
        again.json()["refund_id"],
        first.json()["refund_id"],
        "answered again, not refunded twice"
    );
    let reused = merchant
        .post(url, &refund_request("R-1", 300, "https://m.example/r"))
        .await;
    assert_eq!(
        (reused.status, reused.json()["code"].clone()),
        (400, json!("INVALID_REQUEST"))
    );
    let too_much = merchant
        .post(url, &refund_request("R-2", 401, "https://m.example/r"))
        .await;
    assert_eq!(too_much.json()["code"], "INVALID_REQUEST");
    let mut wrong_total = refund_request("R-2", 100, "https://m.example/r");
    wrong_total["amount"]["total"] = json!(999);
    assert_eq!(
        merchant.post(url, &wrong_total).await.json()["detail"]["field"],
        "amount.total"
    );
    let mut unknown = refund_request("R-2", 100, "https://m.example/r");
    unknown["out_trade_no"] = json!("ORDER-NOPE");
    let unknown = merchant.post(url, &unknown).await;
    assert_eq!(
        (unknown.status, unknown.json()["code"].clone()),
        (404, json!("RESOURCE_NOT_EXISTS"))
    );

    sim.inject_fault("refund", V3ApiFault::NotEnough, 1);
    let broke = merchant
        .post(url, &refund_request("R-2", 400, "https://m.example/r"))
        .await;
    assert_eq!(
        (broke.status, broke.json()["code"].clone()),
        (403, json!("NOT_ENOUGH"))
    );
    let rest = merchant
        .post(url, &refund_request("R-2", 400, "https://m.example/r"))
        .await;
    assert_eq!(rest.status, 200);
    let missing = merchant.get("/v3/refund/domestic/refunds/R-9").await;
    assert_eq!(
        (missing.status, missing.json()["code"].clone()),
        (404, json!("RESOURCE_NOT_EXISTS"))
    );
    assert_eq!(sim.ledger().refunds.len(), 2);
    sim.stop().await;
}

#[tokio::test]
async fn abnormal_is_not_final_and_a_closed_refund_frees_its_amount() {
    let receiver = NotifyReceiver::start(vec![200]).await;
    let sim = WechatPayV3Simulator::start(WechatPayV3SimConfig {
        refund_delay: None,
        ..fast_config()
    })
    .await
    .expect("starts");
    let merchant = Merchant::of(&sim);
    let keys = sim.keys();
    paid(&sim, &merchant).await;
    let url = "/v3/refund/domestic/refunds";
    merchant
        .post(url, &refund_request("R-1", 1000, &receiver.url))
        .await;

    sim.set_refund_status("R-1", V3RefundStatus::Abnormal)
        .await
        .expect("abnormal");
    sim.set_refund_status("R-1", V3RefundStatus::Closed)
        .await
        .expect("closed after abnormal");
    let final_state = sim.set_refund_status("R-1", V3RefundStatus::Success).await;
    assert!(final_state.expect_err("CLOSED is final").starts_with("409"));
    let notified = sim
        .wait_for(Duration::from_secs(10), |ledger| {
            ledger
                .notifications
                .iter()
                .filter(|notification| notification.acknowledged)
                .count()
                == 2
        })
        .await;
    assert!(notified);
    let events: Vec<(Value, Value)> = receiver
        .delivered()
        .iter()
        .map(|delivered| {
            let envelope: Value = serde_json::from_slice(&delivered.body).expect("json");
            (
                envelope["event_type"].clone(),
                resource_of(&keys, delivered)["refund_status"].clone(),
            )
        })
        .collect();
    assert!(
        events.contains(&(json!("REFUND.ABNORMAL"), json!("ABNORMAL"))),
        "{events:?}"
    );
    assert!(
        events.contains(&(json!("REFUND.CLOSED"), json!("CLOSED"))),
        "{events:?}"
    );

    let again = merchant
        .post(url, &refund_request("R-2", 1000, &receiver.url))
        .await;
    assert_eq!(
        again.status,
        200,
        "a closed refund holds no amount: {:?}",
        again.json()
    );
    assert_eq!(
        sim.ledger().refund("R-2").expect("refund").status,
        V3RefundStatus::Processing
    );
    sim.stop().await;
    receiver.stop().await;
}
