//! Hostile input: every malformed request gets a clear 4xx envelope and changes nothing.

use serde_json::json;

use crate::helpers::*;

/// A rate with more decimals or digits than can be stored exactly is the admin's mistake,
/// not a storage outage: it must be a 400 saying why, and the active rate must not change.
#[tokio::test]
async fn an_exchange_rate_that_cannot_be_stored_exactly_is_a_400() {
    let app = spawn_app().await;
    let before = app.get("/exchange-rate/current").await;
    for rate in [json!("480.12345"), json!("1000000"), json!(480.000001)] {
        let reply = app
            .admin_put("/admin/exchange-rate", &json!({ "rate": rate }))
            .await;
        assert_error_envelope(&reply, 400, "/admin/exchange-rate");
    }
    let after = app.get("/exchange-rate/current").await;
    assert_eq!(before.body["data"], after.body["data"]);
}

#[tokio::test]
async fn malformed_requests_get_4xx_envelopes() {
    let app = spawn_app().await;
    let order = app
        .create_order("o-hostile", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();

    let reply = app
        .user_post("o-hostile", "/payment/create", &json!({"orderNumber": 123}))
        .await;
    assert_error_envelope(&reply, 400, "/payment/create");

    let reply = app
        .user_post(
            "o-hostile",
            "/orders",
            &json!({"phoneNumber": "８８１１２２３３", "productOperator": "Unitel",
                    "rechargeType": "voice", "productCode": "ST3000"}),
        )
        .await;
    assert_error_envelope(&reply, 400, "/orders");

    let reply = app
        .user_post(
            "o-hostile",
            "/orders",
            &json!({"phoneNumber": VOICE_NUMBER, "productOperator": "Unitel",
                    "rechargeType": "voice", "productCode": "NO-SUCH-CARD"}),
        )
        .await;
    assert_error_envelope(&reply, 400, "/orders");

    let reply = app.admin_get("/admin/orders?limit=0").await;
    assert_error_envelope(&reply, 400, "/admin/orders?limit=0");

    let missing = "ORD1760754386127zzzzzzzzzzzz";
    let path = format!("/admin/orders/{missing}/resolve");
    let reply = app
        .admin_post(&path, &json!({"resolution": "succeeded", "reason": "x"}))
        .await;
    assert_error_envelope(&reply, 404, &path);

    let path = format!("/admin/orders/{number}/resolve");
    let reply = app
        .admin_post(&path, &json!({"resolution": "succeeded", "reason": "x"}))
        .await;
    assert_error_envelope(&reply, 409, &path);

    let path = format!("/admin/orders/{number}/refund");
    let reply = app.admin_post(&path, &json!({"reason": "  "})).await;
    assert_error_envelope(&reply, 400, &path);
    let reply = app.admin_post(&path, &json!({"reason": "why not"})).await;
    assert_error_envelope(&reply, 409, &path);

    let long = format!("/admin/orders/{}", "A".repeat(5000));
    let reply = app.admin_get(&long).await;
    assert_eq!(reply.status, 404, "{}", reply.body);

    // None of it touched the order.
    let stored = app.admin_order(&number).await;
    assert_eq!(stored["order"]["paymentStatus"], "unpaid");
    assert_eq!(stored["order"]["version"], 0, "{stored}");
}

#[tokio::test]
async fn hostile_callbacks_are_acknowledged_or_refused_never_a_500() {
    let app = spawn_app().await;
    let order = app
        .create_order("o-cb", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    assert_eq!(app.create_payment("o-cb", &number).await.status, 201);

    // An absurd amount for a real order: WeChat does not confirm it; acknowledged, nothing
    // paid, nothing written.
    let reply = app
        .callback(
            "/payment/callback",
            &callback_body(&order, "4200000000000000000000000001", i64::MAX),
            true,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    // Bytes that are not UTF-8.
    let reply = app
        .client
        .post(app.url("/payment/callback"))
        .header("X-WX-SOURCE", "wxpay")
        .header("content-type", "application/json")
        .body(vec![0xff, 0xfe, b'{', 0x80])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200);

    // The URL names another order than the body.
    let path = "/payment/callback/ORD1760754386127zzzzzzzzzzzz";
    let reply = app
        .callback(
            path,
            &callback_body(&order, "4200000000000000000000000002", 625),
            true,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    app.settle().await;
    let stored = app.admin_order(&number).await;
    assert_eq!(stored["order"]["paymentStatus"], "unpaid", "{stored}");
    assert!(stored["order"]["anomaly"].is_null(), "{stored}");
    assert_eq!(stored["order"]["version"], 0, "{stored}");
    assert_eq!(app.top_ups(&number), 0);
}

#[tokio::test]
async fn statistics_filters_are_checked() {
    let app = spawn_app().await;
    for path in [
        "/statistics?startDate=2025-13-01",
        "/statistics/revenue?endDate=yesterday",
        "/statistics/orders?startDate=2025-02-30",
    ] {
        let reply = app.admin_get(path).await;
        assert_error_envelope(&reply, 400, path);
    }
    // Inverted or extreme ranges are empty, not errors.
    for path in [
        "/statistics?startDate=2025-10-10&endDate=2025-10-01",
        "/statistics/revenue?startDate=0001-01-01&endDate=9999-12-31",
        "/statistics/users?appid=%00%27%22",
    ] {
        let reply = app.admin_get(path).await;
        assert_success_envelope(&reply, 200);
    }
}

/// Made-up methods and paths, sent by anyone without credentials, must not grow
/// `/metrics`: labels come from a closed set.
#[tokio::test]
async fn made_up_methods_and_paths_do_not_grow_the_metrics() {
    let app = spawn_app().await;
    let long = "Z".repeat(4000);
    for i in 0..40 {
        let method = reqwest::Method::from_bytes(format!("MADEUP{i}").as_bytes()).unwrap();
        let _ = app
            .client
            .request(method, app.url(&format!("/no-such-path-{i}")))
            .send()
            .await
            .unwrap();
    }
    let method = reqwest::Method::from_bytes(long.as_bytes()).unwrap();
    let _ = app.client.request(method, app.url("/health")).send().await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !metrics.contains("MADEUP"),
        "a made-up method became a label"
    );
    assert!(!metrics.contains("ZZZZ"), "a made-up method became a label");
    assert!(
        !metrics.contains("no-such-path"),
        "a raw path became a label"
    );
    assert!(metrics.contains(r#"method="other""#), "{metrics}");
}
