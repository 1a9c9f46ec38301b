//! Admin endpoints: the credential, statistics, resolution, refunds, the exchange rate.

use elife_sandbox::unitel::{Faults, TopUpFault};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn admin_endpoints_need_the_admin_token() {
    let app = spawn_app().await;
    for path in [
        "/statistics",
        "/statistics/users",
        "/statistics/orders",
        "/statistics/revenue",
        "/admin/orders",
        "/admin/notifications",
        "/admin/notifications/stats",
    ] {
        let anonymous = app.get(path).await;
        assert_error_envelope(&anonymous, 401, path);
        let wrong = app
            .client
            .get(app.url(path))
            .bearer_auth("not-the-token")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{path}");
        // A mini-program user is not an admin.
        let user = app.user_get("o-user", path).await;
        assert_eq!(user.status, 401, "{path}");
        assert_success_envelope(&app.admin_get(path).await, 200);
    }
}

#[tokio::test]
async fn statistics_count_orders_revenue_and_success_rate() {
    let app = spawn_app().await;
    let order = app
        .create_order("o-s", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap();
    app.create_payment("o-s", number).await;
    app.pay(number, json!({})).await;
    app.wait_for_recharge("o-s", number, "success").await;
    app.create_order("o-s", DATA_NUMBER, "data", Some("data3gb2d"))
        .await;

    let overview = app.admin_get("/statistics").await;
    let data = &overview.body["data"];
    assert_eq!(data["totalOrders"], 2);
    assert_eq!(data["totalUsers"], 1);
    assert_eq!(data["revenueFen"], 625);
    assert_eq!(data["rechargeSuccessRate"], 100.0);
    assert_eq!(data["pendingBacklog"], 0);

    let orders = app.admin_get("/statistics/orders").await;
    assert_eq!(orders.body["data"]["totalOrders"], 2);
    let revenue = app.admin_get("/statistics/revenue").await;
    assert_eq!(revenue.body["data"]["totalRevenueFen"], 625);
    let users = app.admin_get("/statistics/users").await;
    assert_eq!(users.body["data"]["totalUsers"], 1);
    let invalid = app.admin_get("/statistics?startDate=18-10-2025").await;
    assert_eq!(invalid.status, 400);
}

#[tokio::test]
async fn an_unknown_top_up_is_resolved_by_a_person() {
    let app = spawn_app().await;
    let order = app
        .create_order("o-r", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    app.create_payment("o-r", &number).await;
    app.sandbox
        .unitel
        .set_faults(Faults {
            top_up: TopUpFault::ApplyThenDrop { hold_ms: 20 },
            ..Faults::default()
        })
        .unwrap();
    app.pay(&number, json!({})).await;
    app.wait_for_recharge("o-r", &number, "unknown").await;

    let unknown = app.admin_get("/admin/orders?rechargeStatus=unknown").await;
    assert_eq!(unknown.body["data"]["pagination"]["total"], 1);
    let by_anomaly = app
        .admin_get("/admin/orders?anomaly=recharge_outcome_unknown")
        .await;
    assert_eq!(by_anomaly.body["data"]["pagination"]["total"], 1);

    let path = format!("/admin/orders/{number}/resolve");
    let incomplete = app.admin_post(&path, &json!({"resolution": "maybe"})).await;
    assert_error_envelope(&incomplete, 400, &path);
    assert_eq!(
        incomplete.body["message"],
        "resolution must be succeeded or failed, reason should not be empty"
    );
    let resolved = app
        .admin_post(
            &path,
            &json!({"resolution": "succeeded", "reason": "Unitel ledger shows the top-up"}),
        )
        .await;
    assert_success_envelope(&resolved, 201);
    assert_eq!(resolved.body["data"]["rechargeStatus"], "success");
    let again = app
        .admin_post(
            &path,
            &json!({"resolution": "failed", "reason": "second thoughts"}),
        )
        .await;
    assert_error_envelope(&again, 409, &path);

    let detail = app.admin_order(&number).await;
    let last = detail["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "admin:break-glass");
    let missing = app
        .admin_post(
            "/admin/orders/ORD1760754386127zzzzzzzzzzzz/resolve",
            &json!({"resolution": "failed", "reason": "x"}),
        )
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn a_failed_top_up_is_refunded_by_an_admin() {
    let app = spawn_app().await;
    let order = app
        .create_order("o-f", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    app.create_payment("o-f", &number).await;
    app.sandbox
        .unitel
        .set_faults(Faults {
            top_up: TopUpFault::Failed {
                code: "105".to_owned(),
                msg: "Insufficient dealer balance".to_owned(),
            },
            ..Faults::default()
        })
        .unwrap();
    app.pay(&number, json!({})).await;
    app.wait_for_recharge("o-f", &number, "failed").await;

    let path = format!("/admin/orders/{number}/refund");
    let no_reason = app.admin_post(&path, &json!({})).await;
    assert_error_envelope(&no_reason, 400, &path);
    let refunded = app
        .admin_post(&path, &json!({"reason": "top-up failed"}))
        .await;
    assert_success_envelope(&refunded, 201);
    let outcome = refunded.body["data"]["outcome"]
        .as_str()
        .unwrap_or_default();
    assert!(
        outcome == "refunded" || outcome == "in_progress",
        "{}",
        refunded.body
    );
    let status = app.order("o-f", &number).await["paymentStatus"].clone();
    assert!(status == "refunded" || status == "refunding", "{status}");
    let twice = app.admin_post(&path, &json!({"reason": "again"})).await;
    assert_eq!(twice.status, 409, "{}", twice.body);
}

#[tokio::test]
async fn the_exchange_rate_is_changed_by_an_admin_and_prices_new_orders() {
    let app = spawn_app().await;
    for bad in [json!({"rate": -1}), json!({"rate": "abc"}), json!({})] {
        let reply = app.admin_put("/admin/exchange-rate", &bad).await;
        assert_error_envelope(&reply, 400, "/admin/exchange-rate");
    }
    let anonymous = app
        .client
        .put(app.url("/admin/exchange-rate"))
        .json(&json!({"rate": 500}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let updated = app
        .admin_put("/admin/exchange-rate", &json!({"rate": "500"}))
        .await;
    assert_success_envelope(&updated, 200);
    assert_eq!(
        app.get("/exchange-rate/current").await.body["data"]["rate"],
        500.0
    );
    let order = app
        .create_order("o-x", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    // Prisma's decimal strings carry no trailing zeros.
    assert_eq!(order["productPriceRmb"], "6");
}

#[tokio::test]
async fn an_admin_can_ask_wechat_about_a_payment_that_never_called_back() {
    let app = spawn_app().await;
    let order = app
        .create_order("o-q", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    app.create_payment("o-q", &number).await;
    app.pay(&number, json!({"no_callback": true})).await;

    let path = format!("/admin/orders/{number}/sync-payment");
    let synced = app.admin_post(&path, &json!({})).await;
    assert_success_envelope(&synced, 201);
    assert_eq!(synced.body["data"]["paymentStatus"], "paid");
    app.wait_for_recharge("o-q", &number, "success").await;
    assert_eq!(app.top_ups(&number), 1);

    // The sandbox shortcuts show the same in the simulators' ledgers.
    let unitel = app.get("/__sandbox/unitel/ledger").await;
    assert_eq!(unitel.status, 200);
    assert_eq!(unitel.body["entries"].as_array().map(Vec::len), Some(1));
    let wechat = app.get("/__sandbox/wechat/ledger").await;
    assert_eq!(wechat.status, 200);
}

#[tokio::test]
async fn orders_are_filtered_by_kind() {
    let app = spawn_app().await;
    app.create_order("o-k", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    app.create_order("o-k", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    app.create_order("o-k", DATA_NUMBER, "data", Some("data3gb2d"))
        .await;

    let count = |reply: &Reply| reply.body["data"]["pagination"]["total"].clone();
    assert_eq!(count(&app.admin_get("/admin/orders?kind=voice").await), 2);
    assert_eq!(count(&app.admin_get("/admin/orders?kind=data").await), 1);
    assert_eq!(
        count(&app.admin_get("/admin/orders?kind=postpaid").await),
        0
    );
    let wrong = app.admin_get("/admin/orders?kind=gold").await;
    assert_eq!(wrong.status, 400);
    assert!(
        wrong.body["message"]
            .as_str()
            .unwrap()
            .contains("not voice, data or postpaid")
    );
}
