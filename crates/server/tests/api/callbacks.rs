//! The payment callback: duplicates, concurrency, forgeries and malformed bodies.

use serde_json::json;

use crate::helpers::*;

async fn unpaid_order(app: &TestApp, openid: &str) -> serde_json::Value {
    let order = app
        .create_order(openid, VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap();
    assert_eq!(app.create_payment(openid, number).await.status, 201);
    order
}

#[tokio::test]
async fn duplicate_callbacks_top_up_exactly_once() {
    let app = spawn_app().await;
    let order = unpaid_order(&app, "o-dup").await;
    let number = order["orderNumber"].as_str().unwrap();
    app.pay(number, json!({"copies": 5})).await;
    app.wait_for_recharge("o-dup", number, "success").await;
    assert!(
        app.sandbox
            .wechat
            .wait_for_acknowledged(number, 5, std::time::Duration::from_secs(10))
            .await,
        "every copy must be acknowledged"
    );
    app.settle().await;
    assert_eq!(app.top_ups(number), 1);

    // The log keeps one row per WeChat transaction and counts the retries.
    let log = app.admin_get("/admin/notifications?limit=100").await;
    let records: Vec<&serde_json::Value> = log.body["data"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|record| record["orderNumber"] == number)
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["retryCount"], 4, "{records:?}");
    let outcome = records[0]["outcome"].as_str().unwrap_or_default();
    assert!(
        outcome == "processed" || outcome == "duplicate",
        "{outcome}"
    );
}

#[tokio::test]
async fn concurrent_callbacks_top_up_exactly_once() {
    let app = spawn_app().await;
    let order = unpaid_order(&app, "o-race").await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    let paid = app.pay(&number, json!({"no_callback": true})).await;
    let transaction = paid["transaction_id"].as_str().unwrap().to_owned();
    let body = callback_body(&order, &transaction, 625);

    let calls = (0..8).map(|i| {
        let path = if i % 2 == 0 {
            "/payment/callback".to_owned()
        } else {
            format!("/payment/callback/{number}")
        };
        let body = body.clone();
        let app = &app;
        async move { app.callback(&path, &body, true).await }
    });
    let replies = futures::future::join_all(calls).await;
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["errcode"], 0, "{}", reply.body);
    }
    app.wait_for_recharge("o-race", &number, "success").await;
    app.settle().await;
    assert_eq!(app.top_ups(&number), 1);
}

#[tokio::test]
async fn a_callback_wechat_does_not_confirm_changes_nothing_and_is_recorded() {
    let app = spawn_app().await;
    let order = unpaid_order(&app, "o-forged").await;
    let number = order["orderNumber"].as_str().unwrap();

    // Never paid at WeChat: the forged notification is acknowledged (no retries) but not trusted.
    let forged = app
        .callback(
            "/payment/callback",
            &callback_body(&order, "4200000000000000000000000001", 625),
            true,
        )
        .await;
    assert_eq!(forged.status, 200, "{}", forged.body);
    assert_eq!(forged.body["errcode"], 0);
    let after = app.order("o-forged", number).await;
    assert_eq!(after["paymentStatus"], "unpaid");
    assert!(after["rechargeStatus"].is_null());
    let admin = app.admin_order(number).await;
    assert_eq!(
        admin["order"]["anomaly"]["kind"], "unconfirmed_payment",
        "{admin}"
    );
    assert_eq!(app.top_ups(number), 0);

    let anomalies = app.admin_get("/admin/orders?onlyAnomalies=true").await;
    assert_eq!(anomalies.body["data"]["pagination"]["total"], 1);
    let rejected = app.admin_get("/admin/notifications?outcome=rejected").await;
    assert_eq!(
        rejected.body["data"]["pagination"]["total"], 1,
        "{}",
        rejected.body
    );
}

#[tokio::test]
async fn a_wrong_amount_is_an_anomaly_not_a_payment() {
    let app = spawn_app().await;
    let order = unpaid_order(&app, "o-cheap").await;
    let number = order["orderNumber"].as_str().unwrap();
    app.pay(number, json!({"callback_total_fee": 1})).await;
    assert!(
        app.sandbox
            .wechat
            .wait_for_acknowledged(number, 1, std::time::Duration::from_secs(10))
            .await
    );
    let after = app.order("o-cheap", number).await;
    assert_eq!(after["paymentStatus"], "unpaid");
    let admin = app.admin_order(number).await;
    assert_eq!(
        admin["order"]["anomaly"]["kind"], "amount_mismatch",
        "{admin}"
    );
    assert_eq!(app.top_ups(number), 0);
}

#[tokio::test]
async fn callbacks_not_from_cloud_hosting_are_refused() {
    let app = spawn_app().await;
    let order = unpaid_order(&app, "o-direct").await;
    let number = order["orderNumber"].as_str().unwrap();
    let paid = app.pay(number, json!({"no_callback": true})).await;
    let transaction = paid["transaction_id"].as_str().unwrap();
    let reply = app
        .callback(
            "/payment/callback",
            &callback_body(&order, transaction, 625),
            false,
        )
        .await;
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert_ne!(reply.body["errcode"], 0);
    assert_eq!(
        app.order("o-direct", number).await["paymentStatus"],
        "unpaid"
    );
    // Not stored: the notification log cannot be filled from outside.
    let log = app.admin_get("/admin/notifications").await;
    assert_eq!(log.body["data"]["pagination"]["total"], 0, "{}", log.body);
}

#[tokio::test]
async fn unreadable_and_unknown_callbacks_are_acknowledged_and_logged() {
    let app = spawn_app().await;
    let garbage = app
        .client
        .post(app.url("/payment/callback"))
        .header("X-WX-SOURCE", "wxpay")
        .header("Content-Type", "application/json")
        .body("not json at all")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 200);
    let body: serde_json::Value = garbage.json().await.unwrap();
    assert_eq!(body["errcode"], 0);

    let unknown = json!({"orderNumber": "ORD1760754386127zzzzzzzzzzzz"});
    let reply = app
        .callback(
            "/payment/callback",
            &callback_body(&unknown, "4200000000000000000000000002", 100),
            true,
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["errcode"], 0);

    let log = app.admin_get("/admin/notifications?outcome=rejected").await;
    assert_eq!(log.body["data"]["pagination"]["total"], 2, "{}", log.body);
    let stats = app.admin_get("/admin/notifications/stats").await;
    assert!(
        stats.body["data"]
            .as_array()
            .unwrap()
            .contains(&json!({"key": "rejected", "count": 2})),
        "{}",
        stats.body
    );
}

#[tokio::test]
async fn a_callback_that_cannot_be_confirmed_now_is_retried_by_wechat() {
    let app = spawn_app().await;
    let order = unpaid_order(&app, "o-retry").await;
    let number = order["orderNumber"].as_str().unwrap();
    // WeChat's order query fails once: the first delivery must not be acknowledged.
    app.sandbox
        .wechat
        .inject_fault("queryorder", elife_sandbox::wechat::WechatFault::Http500, 1);
    app.pay(number, json!({})).await;
    app.wait_for_recharge("o-retry", number, "success").await;
    let attempts: Vec<bool> = app
        .sandbox
        .wechat
        .ledger()
        .callbacks
        .iter()
        .filter(|attempt| attempt.out_trade_no == number)
        .map(|attempt| attempt.acknowledged)
        .collect();
    assert_eq!(attempts.first(), Some(&false), "{attempts:?}");
    assert_eq!(attempts.last(), Some(&true), "{attempts:?}");
    app.settle().await;
    assert_eq!(app.top_ups(number), 1);
}

#[tokio::test]
async fn a_slow_confirmation_is_answered_within_the_bound() {
    let app = spawn_app_with(&[("CALLBACK_TIMEOUT_MS", "1000")]).await;
    let order = unpaid_order(&app, "o-bound").await;
    let number = order["orderNumber"].as_str().unwrap();
    let paid = app.pay(number, json!({"no_callback": true})).await;
    let transaction = paid["transaction_id"].as_str().unwrap();
    app.sandbox.wechat.inject_fault(
        "queryorder",
        elife_sandbox::wechat::WechatFault::Slow { delay_ms: 3000 },
        1,
    );
    let started = std::time::Instant::now();
    let reply = app
        .callback(
            "/payment/callback",
            &callback_body(&order, transaction, 625),
            true,
        )
        .await;
    assert!(started.elapsed() < std::time::Duration::from_millis(2500));
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert_ne!(reply.body["errcode"], 0);

    // WeChat's retry, once the query answers in time, is taken.
    let retry = app
        .callback(
            "/payment/callback",
            &callback_body(&order, transaction, 625),
            true,
        )
        .await;
    assert_eq!(retry.status, 200, "{}", retry.body);
    app.wait_for_recharge("o-bound", number, "success").await;
    app.settle().await;
    assert_eq!(app.top_ups(number), 1);
}

#[tokio::test]
async fn refund_notices_are_logged_and_acknowledged() {
    let app = spawn_app().await;
    let notice = json!({"returnCode": "SUCCESS", "outTradeNo": "ORD1760754386127zzzzzzzzzzzz",
        "outRefundNo": "ORD1760754386127zzzzzzzzzzzzR3", "refundId": "50300000000001", "refundStatus": "SUCCESS"});
    let reply = app
        .callback("/payment/refund-callback", &notice, true)
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["errcode"], 0);

    let refused = app
        .callback("/payment/refund-callback", &notice, false)
        .await;
    assert_eq!(refused.status, 403);

    let log = app
        .admin_get("/admin/notifications?outcome=processed")
        .await;
    assert_eq!(log.body["data"]["pagination"]["total"], 1, "{}", log.body);
}
