//! The points back office and the edges of the points API: packages written, changed,
//! deleted or (once sold) deactivated; adjustments with a reason, never below zero; the
//! order list's filters; and every input refused with the reason.

use chrono::{FixedOffset, Utc};
use serde_json::json;

use crate::admin_support::audit_rows;
use crate::helpers::*;
use crate::points_support::*;

fn china_today() -> chrono::NaiveDate {
    let china = FixedOffset::east_opt(8 * 3600).unwrap();
    Utc::now().with_timezone(&china).date_naive()
}

#[tokio::test]
async fn points_packages_are_written_changed_and_deleted_or_deactivated_once_sold() {
    let app = spawn_app().await;
    let path = "/admin/points/packages";
    let empty = app.admin_post(path, &json!({})).await;
    assert_error_envelope(&empty, 400, path);
    assert_eq!(
        empty.body["message"],
        "name should not be empty, amountFen should not be empty, points should not be empty"
    );
    let wrong = app
        .admin_post(path, &json!({"name": "x", "amountFen": 0, "points": -1}))
        .await;
    assert_error_envelope(&wrong, 400, path);
    let message = wrong.body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("amount") && message.contains("points"),
        "{message}"
    );

    let sold = create_package(
        &app,
        json!({"name": "sold", "amountFen": 1000, "points": 100, "sortOrder": 2}),
    )
    .await;
    let unsold = create_package(
        &app,
        json!({"name": "unsold", "amountFen": 500, "points": 50, "sortOrder": 1}),
    )
    .await;
    let (sold_id, unsold_id) = (sold["id"].as_i64().unwrap(), unsold["id"].as_i64().unwrap());
    assert_eq!(sold["active"], true);
    assert_eq!(sold["bonusPoints"], 0);
    let names = |reply: &Reply| -> Vec<String> {
        reply.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|package| package["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(&app.get("/api/payment/packages").await),
        ["unsold", "sold"]
    );

    // Changed: the whole package is written again; an order keeps what it bought.
    let shopper = Shopper::with_headers("o-admin-packages");
    let purchase = shopper.buy(&app, sold_id, "jsapi").await;
    let changed = app
        .admin_put(
            &format!("{path}/{sold_id}"),
            &json!({"name": "sold", "amountFen": 2000, "points": 100, "bonusPoints": 5, "sortOrder": 2}),
        )
        .await;
    assert_success_envelope(&changed, 200);
    assert_eq!(changed.body["data"]["amountYuan"], "20");
    let order_no = purchase["order"]["orderNo"].as_str().unwrap();
    let order = shopper.order(&app, order_no).await;
    assert_eq!(order["amountFen"], 1000, "{order}");
    assert_eq!(order["bonusPoints"], 0, "{order}");
    for missing in [format!("{path}/999999"), format!("{path}/abc")] {
        let reply = app
            .admin_put(&missing, &json!({"name": "x", "amountFen": 1, "points": 1}))
            .await;
        assert_error_envelope(&reply, 404, &missing);
    }

    // Deleted when nobody bought it; deactivated (kept, off sale) when somebody did.
    let delete = |id: i64| {
        let app = &app;
        async move {
            let response = app
                .client
                .delete(app.url(&format!("{path}/{id}")))
                .bearer_auth(ADMIN_TOKEN)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, deleted) = delete(unsold_id).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["data"]["outcome"], "deleted");
    assert!(deleted["data"]["package"].is_null());
    let (status, kept) = delete(sold_id).await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!(kept["data"]["outcome"], "deactivated");
    assert_eq!(kept["data"]["package"]["active"], false);
    let (status, _) = delete(unsold_id).await;
    assert_eq!(status, 404);

    assert!(names(&app.get("/api/payment/packages").await).is_empty());
    for id in [sold_id, unsold_id] {
        let gone = format!("/api/payment/packages/{id}");
        assert_error_envelope(&app.get(&gone).await, 404, &gone);
    }
    let not_sold = shopper
        .post(&app, "/api/payment/orders", &json!({"packageId": sold_id}))
        .await;
    assert_error_envelope(&not_sold, 404, "/api/payment/orders");
    let all = app.admin_get(path).await;
    assert_success_envelope(&all, 200);
    assert_eq!(names(&all), ["sold"]);

    // Two written, one changed, one deleted, one deactivated.
    assert_eq!(
        audit_rows(&app, "action=points_package.change").await.len(),
        5
    );
}

#[tokio::test]
async fn an_admin_adjusts_points_with_a_reason_and_never_below_zero() {
    let app = spawn_app().await;
    let path = "/admin/points/accounts/o-adjusted/adjust";
    for (body, problem) in [
        (json!({"delta": 30}), "reason should not be empty"),
        (json!({"reason": "gift"}), "delta should not be empty"),
        (json!({"delta": 0, "reason": "gift"}), "at least one point"),
    ] {
        let reply = app.admin_post(path, &body).await;
        assert_error_envelope(&reply, 400, path);
        let message = reply.body["message"].as_str().unwrap_or_default();
        assert!(message.contains(problem), "{message}");
    }

    let gift = app
        .admin_post(path, &json!({"delta": 30, "reason": "welcome gift"}))
        .await;
    assert_success_envelope(&gift, 201);
    assert_eq!(gift.body["data"]["entry"]["kind"], "admin_adjustment");
    assert_eq!(gift.body["data"]["entry"]["balanceAfter"], 30);
    assert_eq!(gift.body["data"]["account"]["balance"], 30);

    let too_much = app
        .admin_post(path, &json!({"delta": -31, "reason": "correction"}))
        .await;
    assert_error_envelope(&too_much, 409, path);
    assert!(
        too_much.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("30"),
        "{}",
        too_much.body
    );
    let all_of_it = app
        .admin_post(path, &json!({"delta": -30, "reason": "correction"}))
        .await;
    assert_success_envelope(&all_of_it, 201);
    assert_eq!(all_of_it.body["data"]["account"]["balance"], 0);

    let shopper = Shopper::with_headers("o-adjusted");
    assert_eq!(shopper.balance(&app).await, 0);
    let entries = shopper.ledger(&app).await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0]["delta"], -30);
    assert_eq!(entries[0]["note"], "correction");
    let audited = audit_rows(&app, "action=points.adjust").await;
    assert_eq!(audited.len(), 2, "{audited:?}");
    assert_eq!(audited[1]["reason"], "welcome gift");
    assert_eq!(audited[1]["targetId"], "o-adjusted");

    // An operator may look but not adjust.
    let operator = crate::admin_support::token_of(&app, "operator").await;
    let looked = crate::admin_support::call(
        &app,
        "GET",
        "/admin/points/accounts/o-adjusted",
        Some(&operator),
        None,
    )
    .await;
    assert_success_envelope(&looked, 200);
    assert_eq!(looked.body["data"]["ledger"]["pagination"]["total"], 2);
    let refused = crate::admin_support::call(
        &app,
        "POST",
        path,
        Some(&operator),
        Some(&json!({"delta": 5, "reason": "x"})),
    )
    .await;
    assert_error_envelope(&refused, 403, path);
}

#[tokio::test]
async fn admins_find_points_orders_by_status_package_buyer_and_day() {
    let app = spawn_app().await;
    let first = ten_yuan_package(&app).await;
    let second = create_package(
        &app,
        json!({"name": "small", "amountFen": 100, "points": 10}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let alice = Shopper::with_headers("o-alice");
    let bob = Shopper::with_headers("o-bob");
    let paid = alice.buy(&app, first, "jsapi").await;
    let paid_no = paid["order"]["orderNo"].as_str().unwrap().to_owned();
    alice.buy(&app, second, "jsapi").await;
    bob.buy(&app, second, "jsapi").await;
    app.pay(&paid_no, json!({})).await;
    alice.wait_for_balance(&app, 120).await;

    let today = china_today();
    let tomorrow = today.succ_opt().unwrap();
    for (query, expected) in [
        (String::new(), 3),
        ("status=paid".to_owned(), 1),
        ("status=pending".to_owned(), 2),
        (format!("packageId={second}"), 2),
        ("openid=o-alice".to_owned(), 2),
        (format!("openid=o-bob&packageId={first}"), 0),
        (format!("from={today}&to={today}"), 3),
        (format!("from={tomorrow}"), 0),
    ] {
        let reply = app
            .admin_get(&format!("/admin/points/orders?{query}"))
            .await;
        assert_success_envelope(&reply, 200);
        assert_eq!(
            reply.body["data"]["pagination"]["total"], expected,
            "{query}: {}",
            reply.body
        );
    }
    let listed = app.admin_get("/admin/points/orders?status=paid").await;
    assert_eq!(listed.body["data"]["data"][0]["openid"], "o-alice");
    for query in ["status=lost", "packageId=abc", "from=18/10/2025", "page=0"] {
        let path = format!("/admin/points/orders?{query}");
        assert_error_envelope(&app.admin_get(&path).await, 400, &path);
    }

    let detail = admin_points_order(&app, &paid_no).await;
    assert_eq!(detail["order"]["status"], "paid");
    assert_eq!(detail["payment"]["status"], "paid");
    assert_eq!(detail["payment"]["channel"], "cloud");
    assert_eq!(detail["payment"]["amountFen"], 1000);
    for missing in ["nonsense", "ORD1760754386127zzzzzzzzzzzz"] {
        let path = format!("/admin/points/orders/{missing}");
        assert_error_envelope(&app.admin_get(&path).await, 404, &path);
        let refund = format!("{path}/refund");
        let reply = app.admin_post(&refund, &json!({"reason": "x"})).await;
        assert_error_envelope(&reply, 404, &refund);
    }
    let pending = app.admin_get("/admin/points/orders?openid=o-bob").await;
    let pending_no = pending.body["data"]["data"][0]["orderNo"].as_str().unwrap();
    let refund = format!("/admin/points/orders/{pending_no}/refund");
    let reply = app.admin_post(&refund, &json!({"reason": "x"})).await;
    assert_error_envelope(&reply, 409, &refund);
    let too_much = format!("/admin/points/orders/{paid_no}/refund");
    let reply = app
        .admin_post(&too_much, &json!({"amountFen": 1001, "reason": "x"}))
        .await;
    assert_error_envelope(&reply, 400, &too_much);
}

#[tokio::test]
async fn points_requests_are_refused_with_the_reason() {
    let app = spawn_app().await;
    let package_id = ten_yuan_package(&app).await;
    let orders = "/api/payment/orders";
    let anonymous = app.post(orders, &json!({"packageId": package_id})).await;
    assert_error_envelope(&anonymous, 401, orders);
    for path in ["/api/points/account", "/api/points/ledger", orders] {
        assert_error_envelope(&app.get(path).await, 401, path);
    }
    for (body, status, problem) in [
        (json!({}), 400, "packageId should not be empty"),
        (
            json!({"packageId": package_id, "channel": "card"}),
            400,
            "channel \"card\" must be jsapi or native",
        ),
        (json!({"packageId": "one"}), 400, "invalid JSON body"),
        (
            json!({"packageId": 999_999}),
            404,
            "package 999999 not found",
        ),
    ] {
        let reply = app.user_post("o-refused", orders, &body).await;
        assert_error_envelope(&reply, status, orders);
        let message = reply.body["message"].as_str().unwrap_or_default();
        assert!(message.contains(problem), "{message}");
    }
    let missing = "/api/payment/packages/abc";
    assert_error_envelope(&app.get(missing).await, 404, missing);
    let ledger = "/api/points/ledger?page=0";
    assert_error_envelope(&app.user_get("o-refused", ledger).await, 400, ledger);
    let unknown = "/api/payment/orders/ORD1760754386127zzzzzzzzzzzz";
    assert_error_envelope(&app.user_get("o-refused", unknown).await, 404, unknown);

    for query in [
        "from=2025-13-01",
        "from=2025-10-20&to=2025-10-10",
        "from=2025-01-01&to=2025-12-31",
    ] {
        let path = format!("/admin/points/statistics?{query}");
        assert_error_envelope(&app.admin_get(&path).await, 400, &path);
    }
    let figures = app
        .admin_get("/admin/points/statistics?from=2025-10-01&to=2025-10-31")
        .await;
    assert_success_envelope(&figures, 200);
    assert_eq!(figures.body["data"]["from"], "2025-10-01");
    assert_eq!(figures.body["data"]["to"], "2025-10-31");
    assert!(figures.body["data"]["days"].as_array().unwrap().is_empty());
}
