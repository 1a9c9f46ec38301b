//! The simulator driven over HTTP, as the adapter and the server drive it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use chrono::{FixedOffset, Utc};
use serde_json::{Value, json};

use super::*;

mod lookups;
mod several_instances;

/// A notification as the receiver saw it.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    source: Option<String>,
    content_type: Option<String>,
    body: Value,
}

/// A stand-in for the elife server: answers an error to the first `failures` notifications,
/// then `{"errcode":0}`.
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    handle: ServerHandle,
}

impl Receiver {
    async fn start(failures: usize) -> Receiver {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let shared = received.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = HttpServer::new(move || {
            let shared = shared.clone();
            App::new().default_service(web::to(move |request: HttpRequest, body: web::Bytes| {
                let shared = shared.clone();
                async move {
                    let header = |name: &str| {
                        request
                            .headers()
                            .get(name)
                            .and_then(|value| value.to_str().ok())
                            .map(str::to_owned)
                    };
                    let mut received = shared.lock().unwrap();
                    received.push(Received {
                        path: request.path().to_owned(),
                        source: header("x-wx-source"),
                        content_type: header("content-type"),
                        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                    });
                    if received.len() <= failures {
                        // Both ways of failing: a 500, and a 200 with a non-zero errcode.
                        if received.len() % 2 == 1 {
                            HttpResponse::InternalServerError().body("db down")
                        } else {
                            HttpResponse::Ok().json(json!({"errcode": 1, "errmsg": "retry"}))
                        }
                    } else {
                        HttpResponse::Ok().json(json!({"errcode": 0, "errmsg": "OK"}))
                    }
                }
            }))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver {
            url,
            received,
            handle,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    async fn stop(self) {
        self.handle.stop(false).await;
    }
}

fn fast_config() -> WechatSimConfig {
    WechatSimConfig {
        callback_retry_delays: vec![Duration::from_millis(10); 4],
        ..WechatSimConfig::default()
    }
}

async fn call(sim: &RunningWechatSim, api: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/{api}", sim.base_url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{api}");
    response.json().await.unwrap()
}

fn unified_order(out_trade_no: &str, total_fee: i64) -> Value {
    json!({
        "body": "Unitel 5000", "openid": "o-user-1", "out_trade_no": out_trade_no,
        "spbill_create_ip": "1.2.3.4", "env_id": "prod-1", "sub_mch_id": "1712734762",
        "total_fee": total_fee, "callback_type": 2,
        "container": {"service": "elife", "path": "/payment/callback"},
        "attach": format!("{{\"orderNumber\":\"{out_trade_no}\"}}"),
    })
}

fn order_ref(out_trade_no: &str) -> Value {
    json!({"out_trade_no": out_trade_no, "sub_mch_id": "1712734762", "nonce_str": "n"})
}

fn refund(out_trade_no: &str, out_refund_no: &str, total_fee: i64, refund_fee: i64) -> Value {
    json!({
        "body": "refund", "out_trade_no": out_trade_no, "out_refund_no": out_refund_no,
        "env_id": "prod-1", "sub_mch_id": "1712734762", "total_fee": total_fee,
        "refund_fee": refund_fee, "callback_type": 2,
        "container": {"service": "elife", "path": "/payment/refund-callback"},
    })
}

fn err_code(answer: &Value) -> &str {
    answer["respdata"]["err_code"].as_str().unwrap_or("")
}

async fn ordered(sim: &RunningWechatSim, out_trade_no: &str, total_fee: i64) {
    let answer = call(sim, "unifiedOrder", unified_order(out_trade_no, total_fee)).await;
    assert_eq!(answer["respdata"]["result_code"], "SUCCESS", "{answer}");
}

#[tokio::test]
async fn requires_json_content_type() {
    let sim = WechatPaySimulator::start(fast_config()).await.unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/unifiedOrder", sim.base_url()))
        .body(unified_order("ORD1", 1).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().is_empty());
    assert!(sim.ledger().orders.is_empty());
    sim.stop().await;
}

#[tokio::test]
async fn unified_order_answers_a_payment_object_and_is_idempotent() {
    let sim = WechatPaySimulator::start(fast_config()).await.unwrap();
    let first = call(&sim, "unifiedOrder", unified_order("ORD1", 625)).await;
    assert_eq!(first["errcode"], 0);
    let respdata = &first["respdata"];
    assert_eq!(respdata["return_code"], "SUCCESS");
    let prepay_id = respdata["prepay_id"].as_str().unwrap().to_owned();
    let payment = &respdata["payment"];
    assert_eq!(payment["package"], format!("prepay_id={prepay_id}"));
    for field in ["appId", "timeStamp", "nonceStr", "signType", "paySign"] {
        assert!(payment[field].is_string(), "{field}");
    }
    // The same order again gets the same prepay id; other parameters are refused.
    let again = call(&sim, "unifiedOrder", unified_order("ORD1", 625)).await;
    assert_eq!(again["respdata"]["prepay_id"], prepay_id.as_str());
    let changed = call(&sim, "unifiedOrder", unified_order("ORD1", 700)).await;
    assert_eq!(err_code(&changed), "OUT_TRADE_NO_USED");
    // Wrong types are refused by the open interface itself.
    let mut fractional = unified_order("ORD2", 1);
    fractional["total_fee"] = json!(0.01);
    let refused = call(&sim, "unifiedOrder", fractional).await;
    assert_eq!(refused["errcode"], 40097);
    let mut no_container = unified_order("ORD3", 1);
    no_container.as_object_mut().unwrap().remove("container");
    let refused = call(&sim, "unifiedOrder", no_container).await;
    assert_eq!(refused["respdata"]["return_code"], "FAIL");
    assert_eq!(sim.ledger().orders.len(), 1);
    sim.stop().await;
}

#[tokio::test]
async fn unbound_merchant_gets_the_acceptance_error() {
    let sim = WechatPaySimulator::start(WechatSimConfig {
        bound_sub_mch_ids: vec!["999".to_owned()],
        ..fast_config()
    })
    .await
    .unwrap();
    let answer = call(&sim, "unifiedOrder", unified_order("ORD1", 1)).await;
    assert_eq!(answer["respdata"]["return_code"], "FAIL");
    assert_eq!(answer["respdata"]["return_msg"], "受理关系不存在");
    sim.stop().await;
}

#[tokio::test]
async fn an_order_past_its_time_expire_cannot_be_paid() {
    let sim = WechatPaySimulator::start(fast_config()).await.unwrap();
    // Expires ten minutes from now, in China time.
    let expiry = chrono::Utc::now() + chrono::Duration::minutes(10);
    let china = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let mut order = unified_order("ORD-EXP", 100);
    order["time_expire"] = json!(
        expiry
            .with_timezone(&china)
            .format("%Y%m%d%H%M%S")
            .to_string()
    );
    let answer = call(&sim, "unifiedOrder", order).await;
    assert_eq!(answer["respdata"]["result_code"], "SUCCESS", "{answer}");

    sim.advance_clock(Duration::from_secs(11 * 60));
    let refused = sim.pay("ORD-EXP", &PayOptions::default()).await;
    assert!(refused.unwrap_err().starts_with("409"));
    let query = call(&sim, "queryorder", order_ref("ORD-EXP")).await;
    assert_eq!(query["respdata"]["trade_state"], "NOTPAY");

    let mut malformed = unified_order("ORD-BAD", 100);
    malformed["time_expire"] = json!("2025-10-18 10:00");
    let answer = call(&sim, "unifiedOrder", malformed).await;
    assert_eq!(err_code(&answer), "PARAM_ERROR", "{answer}");
    sim.stop().await;
}

#[tokio::test]
async fn closes_only_five_minutes_after_creation_and_late_payments_still_land() {
    let sim = WechatPaySimulator::start(fast_config()).await.unwrap();
    ordered(&sim, "ORD1", 100).await;
    let query = call(&sim, "queryorder", order_ref("ORD1")).await;
    assert_eq!(query["respdata"]["trade_state"], "NOTPAY");

    let early = call(&sim, "closeorder", order_ref("ORD1")).await;
    assert_eq!(err_code(&early), "SYSTEMERROR");
    sim.advance_clock(Duration::from_secs(301));
    let closed = call(&sim, "closeorder", order_ref("ORD1")).await;
    assert_eq!(closed["respdata"]["result_code"], "SUCCESS");
    let again = call(&sim, "closeorder", order_ref("ORD1")).await;
    assert_eq!(err_code(&again), "ORDERCLOSED");
    let query = call(&sim, "queryorder", order_ref("ORD1")).await;
    assert_eq!(query["respdata"]["trade_state"], "CLOSED");

    let refused = sim.pay("ORD1", &PayOptions::default()).await;
    assert!(refused.unwrap_err().starts_with("409"));
    let late = PayOptions {
        late: true,
        no_callback: true,
        ..PayOptions::default()
    };
    let paid = sim.pay("ORD1", &late).await.unwrap();
    let query = call(&sim, "queryorder", order_ref("ORD1")).await;
    assert_eq!(query["respdata"]["trade_state"], "SUCCESS");
    assert_eq!(query["respdata"]["transaction_id"], paid["transaction_id"]);
    assert_eq!(query["respdata"]["total_fee"], 100);
    let close_paid = call(&sim, "closeorder", order_ref("ORD1")).await;
    assert_eq!(err_code(&close_paid), "ORDERPAID");
    let unknown = call(&sim, "queryorder", order_ref("ORD-nope")).await;
    assert_eq!(err_code(&unknown), "ORDERNOTEXIST");
    sim.stop().await;
}

#[tokio::test]
async fn retries_the_notification_until_the_service_answers_errcode_zero() {
    let receiver = Receiver::start(3).await;
    let sim = WechatPaySimulator::start(WechatSimConfig {
        callback_base_url: Some(receiver.url.clone()),
        ..fast_config()
    })
    .await
    .unwrap();
    ordered(&sim, "ORD1", 625).await;
    let paid = sim.pay("ORD1", &PayOptions::default()).await.unwrap();
    assert!(
        sim.wait_for_acknowledged("ORD1", 1, Duration::from_secs(5))
            .await
    );

    let received = receiver.received();
    assert_eq!(
        received.len(),
        4,
        "three refusals, then the acknowledgement"
    );
    for notification in &received {
        assert_eq!(notification.path, "/payment/callback");
        assert_eq!(notification.source.as_deref(), Some("wxpay"));
        assert_eq!(
            notification.content_type.as_deref(),
            Some("application/json")
        );
        let body = &notification.body;
        assert_eq!(body["returnCode"], "SUCCESS");
        assert_eq!(body["resultCode"], "SUCCESS");
        assert_eq!(body["outTradeNo"], "ORD1");
        assert_eq!(body["totalFee"], 625);
        assert_eq!(body["transactionId"], paid["transaction_id"]);
        assert_eq!(body["attach"], r#"{"orderNumber":"ORD1"}"#);
        assert_eq!(body["timeEnd"].as_str().unwrap().len(), 14);
    }
    let attempts: Vec<(u32, bool)> = sim
        .ledger()
        .callbacks
        .iter()
        .map(|attempt| (attempt.attempt, attempt.acknowledged))
        .collect();
    assert_eq!(
        attempts,
        vec![(1, false), (2, false), (3, false), (4, true)]
    );
    sim.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn gives_up_after_the_schedule_and_waits_for_a_configured_receiver() {
    let receiver = Receiver::start(usize::MAX).await;
    let sim = WechatPaySimulator::start(WechatSimConfig {
        callback_retry_delays: vec![Duration::from_millis(5); 2],
        ..fast_config()
    })
    .await
    .unwrap();
    ordered(&sim, "ORD1", 1).await;
    sim.pay("ORD1", &PayOptions::default()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // No receiver configured: every attempt fails without a request.
    let callbacks = sim.ledger().callbacks;
    assert_eq!(callbacks.len(), 3);
    assert!(callbacks.iter().all(|attempt| attempt.url.is_none()));

    // Configured at run time over HTTP; a receiver that always fails is tried 3 times.
    let response = reqwest::Client::new()
        .post(format!("{}/__sandbox/wechat/config", sim.url()))
        .json(&json!({"callback_base_url": receiver.url}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let redelivered = reqwest::Client::new()
        .post(format!("{}/__sandbox/pay/ORD1/redeliver", sim.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(redelivered.status(), 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.received().len(), 3);
    assert!(
        !sim.ledger()
            .callbacks
            .iter()
            .any(|attempt| attempt.acknowledged)
    );
    sim.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn delivers_duplicates_wrong_amounts_delays_or_nothing_on_request() {
    let receiver = Receiver::start(0).await;
    let sim = WechatPaySimulator::start(WechatSimConfig {
        callback_base_url: Some(receiver.url.clone()),
        ..fast_config()
    })
    .await
    .unwrap();
    for (order, fee) in [
        ("ORD-dup", 100),
        ("ORD-wrong", 100),
        ("ORD-late", 100),
        ("ORD-none", 100),
    ] {
        ordered(&sim, order, fee).await;
    }
    let duplicates = PayOptions {
        copies: 3,
        ..PayOptions::default()
    };
    sim.pay("ORD-dup", &duplicates).await.unwrap();
    assert!(
        sim.wait_for_acknowledged("ORD-dup", 3, Duration::from_secs(5))
            .await
    );

    let delayed = PayOptions {
        delay_ms: 300,
        ..PayOptions::default()
    };
    sim.pay("ORD-late", &delayed).await.unwrap();
    let wrong = PayOptions {
        callback_total_fee: Some(1),
        ..PayOptions::default()
    };
    sim.pay("ORD-wrong", &wrong).await.unwrap();
    let silent = PayOptions {
        no_callback: true,
        ..PayOptions::default()
    };
    let paid_silently = sim.pay("ORD-none", &silent).await.unwrap();
    assert_eq!(paid_silently["callbacks"], 0);
    assert!(
        sim.wait_for_acknowledged("ORD-late", 1, Duration::from_secs(5))
            .await
    );

    let received = receiver.received();
    let orders: Vec<&str> = received
        .iter()
        .map(|notification| notification.body["outTradeNo"].as_str().unwrap())
        .collect();
    assert_eq!(
        orders,
        vec!["ORD-dup", "ORD-dup", "ORD-dup", "ORD-wrong", "ORD-late"]
    );
    assert_eq!(received[3].body["totalFee"], 1);
    // Only the notification lies: WeChat's own record keeps the real amount.
    let query = call(&sim, "queryorder", order_ref("ORD-wrong")).await;
    assert_eq!(query["respdata"]["total_fee"], 100);
    let query = call(&sim, "queryorder", order_ref("ORD-none")).await;
    assert_eq!(query["respdata"]["trade_state"], "SUCCESS");
    let transactions: std::collections::HashSet<&Value> = received[..3]
        .iter()
        .map(|notification| &notification.body["transactionId"])
        .collect();
    assert_eq!(
        transactions.len(),
        1,
        "duplicates carry the same transaction"
    );
    sim.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn refunds_keep_their_limits() {
    let sim = WechatPaySimulator::start(WechatSimConfig {
        refund_processing: Duration::from_secs(60),
        ..fast_config()
    })
    .await
    .unwrap();
    ordered(&sim, "ORD1", 100).await;
    let unpaid = call(&sim, "refund", refund("ORD1", "R0", 100, 10)).await;
    assert_eq!(err_code(&unpaid), "ERROR");
    let no_pay = PayOptions {
        no_callback: true,
        ..PayOptions::default()
    };
    sim.pay("ORD1", &no_pay).await.unwrap();

    let zero = call(&sim, "refund", refund("ORD1", "R0", 100, 0)).await;
    assert_eq!(err_code(&zero), "PARAM_ERROR");
    let wrong_total = call(&sim, "refund", refund("ORD1", "R0", 99, 10)).await;
    assert_eq!(err_code(&wrong_total), "PARAM_ERROR");
    let first = call(&sim, "refund", refund("ORD1", "R1", 100, 60)).await;
    assert_eq!(first["respdata"]["result_code"], "SUCCESS");
    let refund_id = first["respdata"]["refund_id"].clone();
    let too_much = call(&sim, "refund", refund("ORD1", "R2", 100, 50)).await;
    assert_eq!(err_code(&too_much), "ERROR");
    // Asked again, the same refund is answered again, not made twice.
    let repeated = call(&sim, "refund", refund("ORD1", "R1", 100, 60)).await;
    assert_eq!(repeated["respdata"]["refund_id"], refund_id);
    let reused_number = call(&sim, "refund", refund("ORD1", "R1", 100, 10)).await;
    assert_eq!(err_code(&reused_number), "PARAM_ERROR");
    let rest = call(&sim, "refund", refund("ORD1", "R2", 100, 40)).await;
    assert_eq!(rest["respdata"]["result_code"], "SUCCESS");
    let ledger = sim.ledger();
    assert_eq!(ledger.refunds.len(), 2);
    assert_eq!(ledger.orders[0].refunded_fee, 100);
    assert_eq!(ledger.orders[0].state, SimTradeState::Refund);

    let query = json!({"out_refund_no": "R1", "sub_mch_id": "1712734762"});
    let processing = call(&sim, "queryrefund", query.clone()).await;
    assert_eq!(processing["respdata"]["refund_status_0"], "PROCESSING");
    sim.advance_clock(Duration::from_secs(61));
    let done = call(&sim, "queryrefund", query.clone()).await;
    assert_eq!(done["respdata"]["refund_status_0"], "SUCCESS");
    assert_eq!(done["respdata"]["refund_id_0"], refund_id);
    let forced = reqwest::Client::new()
        .post(format!("{}/__sandbox/wechat/refunds/R1/status", sim.url()))
        .json(&json!({"status": "CHANGE"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forced.status(), 204);
    let changed = call(&sim, "queryrefund", query).await;
    assert_eq!(changed["respdata"]["refund_status_0"], "CHANGE");
    let missing = call(
        &sim,
        "queryrefund",
        json!({"out_refund_no": "R9", "sub_mch_id": "1712734762"}),
    )
    .await;
    assert_eq!(err_code(&missing), "REFUNDNOTEXIST");
    let query = call(&sim, "queryorder", order_ref("ORD1")).await;
    assert_eq!(query["respdata"]["trade_state"], "REFUND");
    sim.stop().await;
}

#[tokio::test]
async fn at_most_fifty_refunds_per_order() {
    let sim = WechatPaySimulator::start(fast_config()).await.unwrap();
    ordered(&sim, "ORD1", 100).await;
    let no_pay = PayOptions {
        no_callback: true,
        ..PayOptions::default()
    };
    sim.pay("ORD1", &no_pay).await.unwrap();
    for number in 0..50 {
        let answer = call(
            &sim,
            "refund",
            refund("ORD1", &format!("R{number}"), 100, 1),
        )
        .await;
        assert_eq!(answer["respdata"]["result_code"], "SUCCESS", "{number}");
    }
    let fifty_first = call(&sim, "refund", refund("ORD1", "R50", 100, 1)).await;
    assert_eq!(err_code(&fifty_first), "ERROR");
    sim.stop().await;
}

#[tokio::test]
async fn statement_lists_payments_and_refunds_of_the_day() {
    let sim = WechatPaySimulator::start(fast_config()).await.unwrap();
    ordered(&sim, "ORD1", 1042).await;
    ordered(&sim, "ORD2", 1).await;
    let no_pay = PayOptions {
        no_callback: true,
        ..PayOptions::default()
    };
    let paid = sim.pay("ORD1", &no_pay).await.unwrap();
    call(&sim, "refund", refund("ORD1", "R1", 1042, 42)).await;

    let china = FixedOffset::east_opt(8 * 3600).unwrap();
    let today = Utc::now()
        .with_timezone(&china)
        .format("%Y%m%d")
        .to_string();
    let answer = call(
        &sim,
        "downloadbill",
        json!({"bill_date": today, "bill_type": "ALL", "sub_mch_id": "1712734762"}),
    )
    .await;
    let text = answer["respdata"].as_str().unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].starts_with("交易时间,公众账号ID,"));
    assert_eq!(lines[0].split(',').count(), 27);
    let payment: Vec<&str> = lines[1].split(",`").collect();
    assert_eq!(payment.len(), 27);
    assert_eq!(payment[5], paid["transaction_id"].as_str().unwrap());
    assert_eq!(payment[6], "ORD1");
    assert_eq!(payment[9], "SUCCESS");
    assert_eq!(payment[12], "10.42");
    let refund_line: Vec<&str> = lines[2].split(",`").collect();
    assert_eq!(refund_line[9], "REFUND");
    assert_eq!(refund_line[15], "R1");
    assert_eq!(refund_line[16], "0.42");
    assert!(lines[3].starts_with("总交易单数,"));
    assert!(lines[4].starts_with("`2,`10.42,`0.42,"), "{}", lines[4]);

    let refunds_only = call(
        &sim,
        "downloadbill",
        json!({"bill_date": today, "bill_type": "REFUND"}),
    )
    .await;
    assert_eq!(
        refunds_only["respdata"].as_str().unwrap().lines().count(),
        4
    );
    let other_day = call(&sim, "downloadbill", json!({"bill_date": "20200101"})).await;
    assert_eq!(other_day["respdata"]["return_msg"], "No Bill Exist");
    assert_eq!(other_day["respdata"]["error_code"], "20002");
    sim.stop().await;
}

#[tokio::test]
async fn injected_faults_fail_calls_and_a_lost_answer_still_applies() {
    let sim = WechatPaySimulator::start(fast_config()).await.unwrap();
    sim.inject_fault("unifiedOrder", WechatFault::SystemBusy, 1);
    let busy = call(&sim, "unifiedOrder", unified_order("ORD1", 1)).await;
    assert_eq!(busy["errcode"], -1);
    assert!(sim.ledger().orders.is_empty());

    let armed = reqwest::Client::new()
        .post(format!("{}/__sandbox/wechat/faults", sim.url()))
        .json(&json!({"api": "unifiedOrder", "fault": "lost_answer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(armed.status(), 204);
    let lost = reqwest::Client::new()
        .post(format!("{}/unifiedOrder", sim.base_url()))
        .header("content-type", "application/json")
        .body(unified_order("ORD1", 1).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(lost.status(), 500);
    assert_eq!(
        sim.ledger().orders.len(),
        1,
        "applied although the answer was lost"
    );

    sim.inject_fault("*", WechatFault::NotBound, 1);
    let not_bound = call(&sim, "queryorder", order_ref("ORD1")).await;
    assert_eq!(not_bound["respdata"]["return_msg"], "受理关系不存在");
    let normal = call(&sim, "queryorder", order_ref("ORD1")).await;
    assert_eq!(normal["respdata"]["trade_state"], "NOTPAY");

    let ledger: Value = reqwest::get(format!("{}/__sandbox/wechat/ledger", sim.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ledger["orders"][0]["out_trade_no"], "ORD1");
    assert_eq!(ledger["orders"][0]["state"], "NOTPAY");
    sim.stop().await;
}
