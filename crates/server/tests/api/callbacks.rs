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
    let before = app.admin_order(number).await;

    // Never paid at WeChat: the forged notification is acknowledged (no retries) but not
    // trusted: no payment, no anomaly, no event on the order.
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
    assert_eq!(app.admin_order(number).await, before);
    assert_eq!(app.top_ups(number), 0);

    let anomalies = app.admin_get("/admin/orders?onlyAnomalies=true").await;
    assert_eq!(anomalies.body["data"]["pagination"]["total"], 0);
    let unconfirmed = app
        .admin_get("/admin/notifications?outcome=unconfirmed")
        .await;
    assert_eq!(
        unconfirmed.body["data"]["pagination"]["total"], 1,
        "{}",
        unconfirmed.body
    );
    let record = &unconfirmed.body["data"]["data"][0];
    assert_eq!(record["orderNumber"], number, "{record}");
    assert_eq!(
        record["transactionId"], "4200000000000000000000000001",
        "{record}"
    );
    let rejected = app.admin_get("/admin/notifications?outcome=rejected").await;
    assert_eq!(
        rejected.body["data"]["pagination"]["total"], 0,
        "{}",
        rejected.body
    );
}

#[tokio::test]
async fn an_amount_wechat_does_not_confirm_is_ignored_and_the_payment_found_by_query() {
    let app = spawn_app().await;
    let order = unpaid_order(&app, "o-cheap").await;
    let number = order["orderNumber"].as_str().unwrap();
    // Paid 625 fen at WeChat; the notification claims 1 fen.
    app.pay(number, json!({"callback_total_fee": 1})).await;
    assert!(
        app.sandbox
            .wechat
            .wait_for_acknowledged(number, 1, std::time::Duration::from_secs(10))
            .await
    );
    let after = app.admin_order(number).await;
    assert_eq!(after["order"]["paymentStatus"], "unpaid", "{after}");
    assert!(after["order"]["anomaly"].is_null(), "{after}");
    assert_eq!(after["order"]["version"], 0, "{after}");
    assert_eq!(app.top_ups(number), 0);
    let unconfirmed = app
        .admin_get("/admin/notifications?outcome=unconfirmed")
        .await;
    assert_eq!(
        unconfirmed.body["data"]["pagination"]["total"], 1,
        "{}",
        unconfirmed.body
    );

    // WeChat's own record, asked for, is the payment: taken once, topped up once.
    let synced = app
        .admin_post(&format!("/admin/orders/{number}/sync-payment"), &json!({}))
        .await;
    assert_success_envelope(&synced, 201);
    assert_eq!(synced.body["data"]["paymentStatus"], "paid");
    assert!(synced.body["data"]["anomaly"].is_null(), "{}", synced.body);
    app.wait_for_recharge("o-cheap", number, "success").await;
    app.settle().await;
    assert_eq!(app.top_ups(number), 1);
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

    // The body we cannot read is rejected; the callback for an order we do not have
    // proves nothing (the daily statement would find such a payment): unconfirmed.
    let log = app.admin_get("/admin/notifications?outcome=rejected").await;
    assert_eq!(log.body["data"]["pagination"]["total"], 1, "{}", log.body);
    let log = app
        .admin_get("/admin/notifications?outcome=unconfirmed")
        .await;
    assert_eq!(log.body["data"]["pagination"]["total"], 1, "{}", log.body);
    let stats = app.admin_get("/admin/notifications/stats").await;
    let counts = stats.body["data"].as_array().unwrap();
    for expected in [
        json!({"key": "rejected", "count": 1}),
        json!({"key": "unconfirmed", "count": 1}),
    ] {
        assert!(counts.contains(&expected), "{}", stats.body);
    }
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

/// `elife_payment_callbacks_total{outcome=..}` now (the recorder is shared by every app of
/// the test process, so compare before and after).
async fn callbacks_counted(app: &TestApp, outcome: &str) -> u64 {
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let series = format!("elife_payment_callbacks_total{{outcome=\"{outcome}\"}} ");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&series))
        .map_or(0, |value| value.trim().parse::<f64>().unwrap() as u64)
}

/// The bodies posted to the alert webhook (every alert goes there).
async fn alerts_sent(webhook: &wiremock::MockServer) -> Vec<String> {
    webhook
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|request| String::from_utf8_lossy(&request.body).into_owned())
        .collect()
}

/// The measurement of the forged-callback hole: forgeries naming real orders, sent as any
/// mini-program user could (`X-WX-SOURCE` is all it takes). Before the fix, 20 forged ids
/// gave 20 alerts and 20 order events, and an anomaly forged on an unpaid order stayed
/// after it was genuinely paid. WeChat's record confirms none of them: they change no
/// order, page nobody, and are logged and counted as unconfirmed.
#[tokio::test]
async fn forged_callbacks_change_no_order_and_page_nobody() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let webhook = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"errcode": 0})))
        .mount(&webhook)
        .await;
    let app = spawn_app_with(&[("ALERT_WEBHOOK_URL", webhook.uri().as_str())]).await;

    // A real order, genuinely paid and delivered.
    let order = unpaid_order(&app, "o-victim").await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    let paid = app.pay(&number, json!({})).await;
    let transaction = paid["transaction_id"].as_str().unwrap().to_owned();
    app.wait_for_recharge("o-victim", &number, "success").await;
    app.settle().await;
    let before = app.admin_order(&number).await;
    assert_eq!(before["order"]["transactionId"], transaction.as_str());
    assert!(before["order"]["anomaly"].is_null(), "{before}");
    let alerts_before = alerts_sent(&webhook).await;
    let counted_before = callbacks_counted(&app, "unconfirmed").await;

    let forge = |body: serde_json::Value, path: String| {
        let app = &app;
        async move {
            let reply = app.callback(&path, &body, true).await;
            // Acknowledged, so that WeChat would not retry it.
            assert_eq!(reply.status, 200, "{}", reply.body);
            assert_eq!(reply.body["errcode"], 0, "{}", reply.body);
        }
    };
    let on_the_paid_order = format!("/payment/callback/{number}");
    // 20 other transaction ids for the paid order.
    for n in 0..20 {
        let forged = format!("42000000000000000000009{n:05}");
        forge(
            callback_body(&order, &forged, 625),
            on_the_paid_order.clone(),
        )
        .await;
    }
    // A wrong totalFee.
    forge(
        callback_body(&order, "4200000000000000000000888801", 1),
        on_the_paid_order.clone(),
    )
    .await;
    // A wrong attach.
    let mut wrong_attach = callback_body(&order, "4200000000000000000000888802", 625);
    wrong_attach["attach"] =
        json!(json!({"orderNumber": "ORD1760754386127zzzzzzzzzzzz"}).to_string());
    forge(wrong_attach, on_the_paid_order.clone()).await;
    // The URL names another order than the body.
    forge(
        callback_body(&order, "4200000000000000000000888803", 625),
        "/payment/callback/ORD1760754386127zzzzzzzzzzzz".to_owned(),
    )
    .await;
    // The real transaction with a wrong totalFee: a repeat of what is recorded, which
    // cannot rewrite the record of the genuine callback.
    forge(
        callback_body(&order, &transaction, 1),
        on_the_paid_order.clone(),
    )
    .await;

    // An anomaly forged on an unpaid order, which is then genuinely paid.
    let unpaid = unpaid_order(&app, "o-later").await;
    let unpaid_number = unpaid["orderNumber"].as_str().unwrap().to_owned();
    forge(
        callback_body(&unpaid, "4200000000000000000000888804", 1),
        format!("/payment/callback/{unpaid_number}"),
    )
    .await;
    let forged_on = app.admin_order(&unpaid_number).await;
    assert_eq!(forged_on["order"]["paymentStatus"], "unpaid", "{forged_on}");
    assert!(forged_on["order"]["anomaly"].is_null(), "{forged_on}");
    assert_eq!(forged_on["order"]["version"], 0, "{forged_on}");
    app.pay(&unpaid_number, json!({})).await;
    app.wait_for_recharge("o-later", &unpaid_number, "success")
        .await;
    app.settle().await;

    // The paid order reads exactly as before: same transaction, no anomaly, no new event.
    let after = app.admin_order(&number).await;
    assert_eq!(after, before);
    assert_eq!(
        after["events"].as_array().map(Vec::len),
        before["events"].as_array().map(Vec::len)
    );
    assert_eq!(app.top_ups(&number), 1);
    // The later order ends paid and delivered, with no anomaly.
    let later = app.admin_order(&unpaid_number).await;
    assert_eq!(later["order"]["paymentStatus"], "paid", "{later}");
    assert_eq!(later["order"]["rechargeStatus"], "success", "{later}");
    assert!(later["order"]["anomaly"].is_null(), "{later}");
    assert_eq!(app.top_ups(&unpaid_number), 1);
    let anomalies = app.admin_get("/admin/orders?onlyAnomalies=true").await;
    assert_eq!(
        anomalies.body["data"]["pagination"]["total"], 0,
        "{}",
        anomalies.body
    );

    // Nobody was paged.
    let alerts_after = alerts_sent(&webhook).await;
    assert_eq!(alerts_after.len(), alerts_before.len(), "{alerts_after:?}");

    // Every forgery is in the log as unconfirmed; the genuine callbacks stay processed.
    let unconfirmed = app
        .admin_get("/admin/notifications?outcome=unconfirmed&limit=100")
        .await;
    assert_eq!(
        unconfirmed.body["data"]["pagination"]["total"], 24,
        "{}",
        unconfirmed.body
    );
    let rows = unconfirmed.body["data"]["data"].as_array().unwrap();
    assert!(
        rows.iter()
            .all(|row| row["outcome"] == "unconfirmed"
                && row["transactionId"] != transaction.as_str()),
        "{rows:?}"
    );
    let processed = app
        .admin_get("/admin/notifications?outcome=processed&limit=100")
        .await;
    let processed = processed.body["data"]["data"].as_array().unwrap().clone();
    let genuine = processed
        .iter()
        .find(|row| row["transactionId"] == transaction.as_str())
        .unwrap_or_else(|| panic!("the genuine callback's record: {processed:?}"));
    assert_eq!(genuine["orderNumber"], number.as_str());
    assert_eq!(genuine["retryCount"], 1, "{genuine}");
    assert!(
        processed
            .iter()
            .any(|row| row["orderNumber"] == unpaid_number.as_str()),
        "{processed:?}"
    );

    // Counted.
    let counted = callbacks_counted(&app, "unconfirmed").await;
    assert!(
        counted >= counted_before + 24 && counted >= 20,
        "elife_payment_callbacks_total{{outcome=\"unconfirmed\"}} went from {counted_before} to {counted}"
    );
}
