//! `PAY_CHANNEL=v3`: the real app against the WeChat Pay API v3 simulator. Payments are
//! created with signed requests, the simulator pays and posts signed, encrypted
//! notifications to `/payment/notify/wechat`, and every way a notification can be wrong
//! (tampered body, wrong serial, old timestamp, probe) changes nothing; a replay is a
//! duplicate; certificates and the public key are both trusted during a switch-over.

use std::time::Duration;

use chrono::Utc;
use elife_domain::money::Fen;
use elife_domain::order::{OpenId, OrderNumber};
use elife_domain::payments::{GoodsKind, PayOrderDraft};
use elife_sandbox::wechat_pay_v3::{
    RunningWechatPayV3Sim, SignatureFault, SigningMode, V3Ledger, V3PayOptions, V3TradeState,
};
use elife_wechatpay::MerchantPrivateKey;
use serde_json::{Value, json};

use crate::helpers::*;

const WAIT: Duration = Duration::from_secs(15);

async fn spawn_v3() -> TestApp {
    spawn_app_with(&[("PAY_CHANNEL", "v3")]).await
}

fn simulator(app: &TestApp) -> &RunningWechatPayV3Sim {
    app.sandbox
        .wechat_pay_v3
        .as_ref()
        .expect("the v3 simulator runs with PAY_CHANNEL=v3")
}

/// An order of `openid` with its JSAPI payment created; answers the order number and the
/// `wx.requestPayment` parameters.
async fn order_with_payment(app: &TestApp, openid: &str) -> (String, Value) {
    let order = app
        .create_order(openid, VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    let reply = app.create_payment(openid, &number).await;
    assert_success_envelope(&reply, 201);
    (number, reply.body["data"].clone())
}

/// Pays in the simulator and waits until its notification was acknowledged.
async fn pay_and_wait(app: &TestApp, number: &str) -> String {
    let paid = simulator(app)
        .pay(number, &V3PayOptions::default())
        .await
        .expect("paid");
    let id = paid["notification_id"].as_str().unwrap().to_owned();
    wait_acknowledged(app, &id).await;
    id
}

async fn wait_acknowledged(app: &TestApp, notification_id: &str) {
    let acknowledged = simulator(app)
        .wait_for(WAIT, |ledger: &V3Ledger| {
            ledger
                .notification(notification_id)
                .is_some_and(|notification| notification.acknowledged)
        })
        .await;
    assert!(
        acknowledged,
        "{:#?}",
        simulator(app).ledger().notification(notification_id)
    );
}

/// The merchant's answer to a notification sent once (a fault or a replay).
fn answered(sent: &Value) -> (u16, Value) {
    let attempt = &sent["attempt"];
    let status = attempt["http_status"].as_u64().expect("answered") as u16;
    let body = attempt["response_body"]
        .as_str()
        .map(|text| serde_json::from_str(text).unwrap_or(Value::String(text.to_owned())))
        .unwrap_or(Value::Null);
    (status, body)
}

fn assert_refused_unverified(sent: &Value) {
    let (status, body) = answered(sent);
    assert_eq!(status, 401, "{sent}");
    assert_eq!(body["code"], "FAIL", "{sent}");
    assert!(body["message"].is_string(), "{sent}");
}

async fn log_rows(app: &TestApp, number: &str) -> Vec<Value> {
    let log = app.admin_get("/admin/notifications?limit=100").await;
    log.body["data"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|record| record["orderNumber"] == number)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_jsapi_payment_is_signed_notified_and_topped_up_exactly_once() {
    let app = spawn_v3().await;
    let (number, params) = order_with_payment(&app, "o-v3").await;

    // The wire answer of /payment/create: wx.requestPayment, signed by the merchant.
    let keys = simulator(&app).keys();
    assert_eq!(params["appId"], keys.appid.as_str());
    assert_eq!(params["signType"], "RSA");
    let package = params["package"].as_str().unwrap();
    assert!(package.starts_with("prepay_id="), "{params}");
    let message = format!(
        "{}\n{}\n{}\n{}\n",
        params["appId"].as_str().unwrap(),
        params["timeStamp"].as_str().unwrap(),
        params["nonceStr"].as_str().unwrap(),
        package
    );
    // PKCS#1 v1.5 signatures are deterministic: the merchant key signs the same bytes alike.
    let expected = MerchantPrivateKey::from_pem(&keys.merchant_private_key_pem)
        .unwrap()
        .sign_sha256(message.as_bytes())
        .unwrap();
    assert_eq!(params["paySign"], expected.as_str());
    let order_at_wechat = simulator(&app).ledger().order(&number).cloned().unwrap();
    assert_eq!(order_at_wechat.total, 625);
    assert_eq!(order_at_wechat.payer_openid.as_deref(), Some("o-v3"));
    assert!(
        order_at_wechat
            .notify_url
            .ends_with("/payment/notify/wechat"),
        "{}",
        order_at_wechat.notify_url
    );

    let notification_id = pay_and_wait(&app, &number).await;
    let order = app.wait_for_recharge("o-v3", &number, "success").await;
    assert_eq!(order["paymentStatus"], "paid");
    app.settle().await;
    assert_eq!(app.top_ups(&number), 1);

    // 204 without a body, as WeChat Pay expects.
    let ledger = simulator(&app).ledger();
    let attempt = &ledger.notification(&notification_id).unwrap().attempts[0];
    assert_eq!(attempt.http_status, Some(204));
    assert_eq!(attempt.response_body.as_deref().unwrap_or_default(), "");

    // Logged once, as the v3 channel's, in the order's own transaction.
    let rows = log_rows(&app, &number).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["channel"], "wechat_v3");
    assert_eq!(rows[0]["kind"], "payment");
    assert_eq!(rows[0]["outcome"], "processed");
    assert_eq!(
        rows[0]["transactionId"],
        order_at_wechat_transaction(&app, &number).as_str()
    );
    let history = app.admin_order(&number).await;
    assert_eq!(history["order"]["transactionId"], rows[0]["transactionId"]);
    let reasons: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|event| event["reason"].as_str())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|reason| reason.contains("signed notification")),
        "{reasons:?}"
    );
}

fn order_at_wechat_transaction(app: &TestApp, number: &str) -> String {
    simulator(app)
        .ledger()
        .order(number)
        .and_then(|order| order.transaction_id.clone())
        .expect("paid at WeChat")
}

#[tokio::test]
async fn a_replayed_notification_is_a_duplicate_and_tops_up_nothing_more() {
    let app = spawn_v3().await;
    let (number, _) = order_with_payment(&app, "o-replay").await;
    let notification_id = pay_and_wait(&app, &number).await;
    app.wait_for_recharge("o-replay", &number, "success").await;

    let replayed = simulator(&app).replay(&notification_id).await.unwrap();
    let (status, _) = answered(&replayed);
    assert_eq!(status, 204, "{replayed}");
    // A fresh notification of the same payment (new id) is a duplicate too.
    let again = simulator(&app).notify_payment(&number, None).await.unwrap();
    wait_acknowledged(&app, again["notification_id"].as_str().unwrap()).await;

    app.settle().await;
    assert_eq!(app.top_ups(&number), 1);
    let rows = log_rows(&app, &number).await;
    assert_eq!(rows.len(), 1, "one row per transaction: {rows:?}");
    assert_eq!(rows[0]["outcome"], "processed", "the first decision stays");
    assert_eq!(rows[0]["retryCount"], 2, "{rows:?}");
}

#[tokio::test]
async fn forged_stale_and_probe_notifications_change_nothing_and_get_401() {
    let app = spawn_v3().await;
    let (unpaid, _) = order_with_payment(&app, "o-forged").await;

    // Claims of success for an order nobody paid.
    for fault in SignatureFault::ALL {
        let sent = simulator(&app)
            .notify_payment(&unpaid, Some(fault))
            .await
            .unwrap();
        assert_refused_unverified(&sent);
    }
    let order = app.order("o-forged", &unpaid).await;
    assert_eq!(order["paymentStatus"], "unpaid", "{order}");
    assert!(
        log_rows(&app, &unpaid).await.is_empty(),
        "unverifiable notifications are not stored"
    );

    // The same on a paid order: no second top-up, no anomaly, nothing logged.
    let (paid, _) = order_with_payment(&app, "o-forged-paid").await;
    pay_and_wait(&app, &paid).await;
    app.wait_for_recharge("o-forged-paid", &paid, "success")
        .await;
    for fault in SignatureFault::ALL {
        let sent = simulator(&app)
            .notify_payment(&paid, Some(fault))
            .await
            .unwrap();
        assert_refused_unverified(&sent);
    }
    app.settle().await;
    assert_eq!(app.top_ups(&paid), 1);
    let detail = app.admin_order(&paid).await;
    assert!(detail["order"]["anomaly"].is_null(), "{detail}");
    let rows = log_rows(&app, &paid).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["retryCount"], 0, "{rows:?}");

    // Not even a notification-shaped body without the headers gets in.
    let bare = app
        .client
        .post(app.url("/api/payment/notify/wechat"))
        .json(&json!({"id": "x", "event_type": "TRANSACTION.SUCCESS"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 401);
    let body: Value = bare.json().await.unwrap();
    assert_eq!(body["code"], "FAIL");
}

#[tokio::test]
async fn certificates_and_the_public_key_are_both_trusted_during_the_switch_over() {
    let app = spawn_v3().await;
    let sim = simulator(&app);
    let keys = sim.keys();

    sim.set_signing(SigningMode::Both);
    // Answers to our requests alternate between the two keys: creating payments works.
    let mut numbers = Vec::new();
    for openid in ["o-both-1", "o-both-2", "o-both-3"] {
        let (number, params) = order_with_payment(&app, openid).await;
        assert_eq!(params["signType"], "RSA");
        numbers.push((openid, number));
    }
    // Notifications alternate too: each is accepted.
    let mut ids = Vec::new();
    for (_, number) in &numbers {
        ids.push(pay_and_wait(&app, number).await);
    }
    let ledger = sim.ledger();
    let serials: Vec<String> = ids
        .iter()
        .map(|id| {
            ledger.notification(id).unwrap().attempts[0]
                .headers
                .serial
                .clone()
        })
        .collect();
    assert!(serials.contains(&keys.public_key_id), "{serials:?}");
    assert!(serials.contains(&keys.platform_serial_no), "{serials:?}");

    // After the switch, the public key alone.
    sim.set_signing(SigningMode::PublicKey);
    let (openid, number) = ("o-pubkey", order_with_payment(&app, "o-pubkey").await.0);
    let id = pay_and_wait(&app, &number).await;
    let ledger = sim.ledger();
    assert_eq!(
        ledger.notification(&id).unwrap().attempts[0].headers.serial,
        keys.public_key_id
    );
    numbers.push((openid, number));
    for (openid, number) in &numbers {
        app.wait_for_recharge(openid, number, "success").await;
    }
    app.settle().await;
    for (_, number) in &numbers {
        assert_eq!(app.top_ups(number), 1, "{number}");
    }
}

#[tokio::test]
async fn a_native_payment_is_paid_through_the_same_notifications() {
    let app = spawn_v3().await;
    let order = app
        .create_order("o-native", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();

    // Through the payments core, as every kind of goods pays.
    let out_trade_no = OrderNumber::parse(&number).unwrap();
    app.payments
        .collection
        .open(PayOrderDraft {
            out_trade_no: out_trade_no.clone(),
            kind: GoodsKind::TopUp,
            merchant_order_no: number.clone(),
            amount: Fen::new(625),
            payer: OpenId::parse("o-native").unwrap(),
            description: "Unitel Smart Talk".to_owned(),
            time_expire: Utc::now() + chrono::Duration::minutes(20),
        })
        .await
        .expect("a pay order");
    let code_url = app
        .payments
        .collection
        .start_native(&out_trade_no, "127.0.0.1")
        .await
        .expect("a QR code");
    assert!(code_url.starts_with("weixin://"), "{code_url}");

    pay_and_wait(&app, &number).await;
    let paid = app.wait_for_recharge("o-native", &number, "success").await;
    assert_eq!(paid["paymentStatus"], "paid");
    app.settle().await;
    assert_eq!(app.top_ups(&number), 1);
    assert_eq!(
        simulator(&app).ledger().order(&number).unwrap().state,
        V3TradeState::Success
    );
}

#[tokio::test]
async fn a_refund_notification_makes_the_refund_be_synced_from_wechat() {
    let app = spawn_v3().await;
    let (number, _) = order_with_payment(&app, "o-refund").await;
    pay_and_wait(&app, &number).await;
    app.wait_for_recharge("o-refund", &number, "success").await;

    let path = format!("/admin/orders/{number}/refund");
    let refunded = app
        .admin_post(&path, &json!({"reason": "customer asked"}))
        .await;
    assert_success_envelope(&refunded, 201);
    // WeChat Pay answers PROCESSING; the jobs are off in tests, so only the notification
    // (REFUND.SUCCESS after the simulator's delay) can move the order on.
    assert_eq!(
        refunded.body["data"]["outcome"], "in_progress",
        "{}",
        refunded.body
    );

    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let order = app.order("o-refund", &number).await;
        if order["paymentStatus"] == "refunded" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never refunded: {order}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ledger = simulator(&app).ledger();
    let refund_notice = ledger
        .notifications_of(&number)
        .into_iter()
        .find(|notification| notification.event_type == "REFUND.SUCCESS")
        .expect("refund notified");
    assert!(refund_notice.acknowledged);
    assert_eq!(refund_notice.attempts[0].http_status, Some(204));
    let rows = log_rows(&app, &number).await;
    assert!(
        rows.iter()
            .any(|row| row["kind"] == "refund" && row["channel"] == "wechat_v3"),
        "{rows:?}"
    );
}

#[tokio::test]
async fn with_the_cloud_channel_the_notify_endpoints_are_not_enabled() {
    let app = spawn_app().await;
    assert!(app.sandbox.wechat_pay_v3.is_none());
    for path in [
        "/payment/notify/wechat",
        "/payment/notify/wechat/refund",
        "/api/payment/notify/wechat",
        "/api/payment/notify/wechat/refund",
    ] {
        let reply = app.post(path, &json!({})).await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.body);
        assert_eq!(reply.body["code"], "FAIL", "{path}: {}", reply.body);
    }
}
