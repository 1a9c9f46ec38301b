//! The admin's callback log: callbacks sent through the sandbox, then listed with filters
//! and counted per China day.

use chrono::{Days, NaiveDate, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::helpers::*;

/// Today in China, and the days around it (so that a run across midnight still holds).
fn china_today() -> NaiveDate {
    (Utc::now() + TimeDelta::hours(8)).date_naive()
}

fn day(offset: i64) -> String {
    let today = china_today();
    let day = if offset >= 0 {
        today.checked_add_days(Days::new(offset.unsigned_abs()))
    } else {
        today.checked_sub_days(Days::new(offset.unsigned_abs()))
    };
    day.expect("a representable day").to_string()
}

async fn paid_order(app: &TestApp, openid: &str) -> String {
    let order = app
        .create_order(openid, VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    assert_eq!(app.create_payment(openid, &number).await.status, 201);
    app.pay(&number, json!({})).await;
    app.wait_for_recharge(openid, &number, "success").await;
    assert!(
        app.sandbox
            .wechat
            .wait_for_acknowledged(&number, 1, std::time::Duration::from_secs(10))
            .await,
        "the callback must be acknowledged (and so logged)"
    );
    app.settle().await;
    number
}

/// An unpaid order and a callback WeChat never sent for it: logged as unconfirmed.
async fn forged_callback(app: &TestApp, openid: &str, transaction_id: &str) -> String {
    let order = app
        .create_order(openid, VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    assert_eq!(app.create_payment(openid, &number).await.status, 201);
    let reply = app
        .callback(
            "/payment/callback",
            &callback_body(&order, transaction_id, 625),
            true,
        )
        .await;
    assert_eq!(reply.body["errcode"], 0, "{}", reply.body);
    number
}

/// The order numbers listed and the total.
async fn listed(app: &TestApp, query: &str) -> (Vec<String>, u64) {
    let reply = app.admin_get(&format!("/admin/notifications{query}")).await;
    assert_success_envelope(&reply, 200);
    let data = &reply.body["data"];
    let numbers = data["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|record| record["orderNumber"].as_str().unwrap_or("-").to_owned())
        .collect();
    let total = data["pagination"]["total"].as_u64().expect("a total");
    (numbers, total)
}

fn refused(reply: &Reply, path: &str) -> String {
    assert_error_envelope(reply, 400, path);
    reply.body["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_callback_log_is_listed_by_channel_kind_verdict_order_and_day() {
    let app = spawn_app().await;
    let paid = paid_order(&app, "o-log-paid").await;
    let forged = forged_callback(&app, "o-log-forged", "4200000000000000000000000091").await;
    // An unreadable body: rejected, naming no order.
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

    let (all, total) = listed(&app, "").await;
    assert_eq!(total, 3, "{all:?}");
    // Newest first.
    assert_eq!(all, vec!["-".to_owned(), forged.clone(), paid.clone()]);

    assert_eq!(
        listed(&app, "?verdict=processed").await,
        (vec![paid.clone()], 1)
    );
    // The older name of the parameter still works, and agrees with the new one.
    assert_eq!(
        listed(&app, "?outcome=unconfirmed&verdict=unconfirmed").await,
        (vec![forged.clone()], 1)
    );
    assert_eq!(
        listed(&app, &format!("?order={paid}")).await,
        (vec![paid.clone()], 1)
    );
    assert_eq!(
        listed(&app, &format!("?order={paid}&verdict=rejected")).await,
        (Vec::new(), 0)
    );
    assert_eq!(listed(&app, "?kind=payment").await.1, 3);
    assert_eq!(listed(&app, "?kind=refund").await.1, 0);
    assert_eq!(listed(&app, "?channel=wechat_cloud").await.1, 3);
    assert_eq!(listed(&app, "?channel=wechat_v3").await.1, 0);
    assert_eq!(
        listed(&app, &format!("?from={}&to={}", day(-1), day(1)))
            .await
            .1,
        3
    );
    assert_eq!(listed(&app, &format!("?to={}", day(-2))).await.1, 0);
    assert_eq!(listed(&app, &format!("?from={}", day(2))).await.1, 0);
    assert_eq!(
        listed(&app, "?channel=wechat_cloud&kind=payment&page=2&limit=2").await,
        (vec![paid.clone()], 3)
    );

    // Every problem of a search, in one 400.
    let path = "/admin/notifications?verdict=bogus&kind=chargeback&channel=Cloud";
    let message = refused(&app.admin_get(path).await, path);
    for expected in [
        "outcome \"bogus\" is not a callback outcome",
        "kind \"chargeback\" is not a callback kind: payment or refund",
        "channel \"Cloud\" is not a channel name",
    ] {
        assert!(message.contains(expected), "{message}");
    }
    let path = "/admin/notifications?verdict=processed&outcome=rejected";
    let message = refused(&app.admin_get(path).await, path);
    assert!(message.contains("give one"), "{message}");
    let path = format!("/admin/notifications?from={}&to={}", day(1), day(-1));
    let message = refused(&app.admin_get(&path).await, &path);
    assert!(
        message.starts_with("the period must start before it ends"),
        "{message}"
    );
    let path = "/admin/notifications?from=18/10/2025";
    let message = refused(&app.admin_get(path).await, path);
    assert_eq!(message, "from must be a date YYYY-MM-DD");
}

fn outcomes(value: &Value) -> Value {
    json!({
        "received": value["received"], "processed": value["processed"],
        "duplicate": value["duplicate"], "rejected": value["rejected"],
        "unconfirmed": value["unconfirmed"], "error": value["error"], "total": value["total"],
    })
}

#[tokio::test]
async fn callback_statistics_count_each_china_day_by_verdict() {
    let app = spawn_app().await;
    paid_order(&app, "o-stats-paid").await;
    forged_callback(&app, "o-stats-forged", "4200000000000000000000000092").await;
    forged_callback(&app, "o-stats-forged-2", "4200000000000000000000000093").await;

    let path = format!(
        "/admin/notifications/statistics?from={}&to={}",
        day(-1),
        day(1)
    );
    let reply = app.admin_get(&path).await;
    assert_success_envelope(&reply, 200);
    let data = &reply.body["data"];
    let days = data["days"].as_array().expect("days");
    assert_eq!(
        days.iter().map(|d| d["date"].clone()).collect::<Vec<_>>(),
        vec![json!(day(-1)), json!(day(0)), json!(day(1))],
        "{data}"
    );
    let expected = json!({
        "received": 0, "processed": 1, "duplicate": 0, "rejected": 0,
        "unconfirmed": 2, "error": 0, "total": 3,
    });
    assert_eq!(outcomes(&days[1]["outcomes"]), expected, "{data}");
    assert_eq!(outcomes(&data["outcomes"]), expected, "{data}");
    assert_eq!(days[0]["outcomes"]["total"], 0, "{data}");
    assert!(days[0]["processing"]["averageMs"].is_null(), "{data}");
    // Every decided callback has a processing time.
    assert_eq!(data["processing"]["timed"], 3, "{data}");
    assert!(data["processing"]["averageMs"].is_i64(), "{data}");
    assert_eq!(days[1]["processing"], data["processing"], "{data}");
    assert!(data["channel"].is_null(), "{data}");

    let path = format!(
        "/admin/notifications/statistics?from={}&to={}&channel=wechat_v3",
        day(0),
        day(0)
    );
    let reply = app.admin_get(&path).await;
    assert_success_envelope(&reply, 200);
    let data = &reply.body["data"];
    assert_eq!(data["channel"], "wechat_v3", "{data}");
    assert_eq!(data["days"].as_array().map(Vec::len), Some(1), "{data}");
    assert_eq!(data["outcomes"]["total"], 0, "{data}");

    // The period is required, ordered and at most 93 days.
    let path = "/admin/notifications/statistics";
    let message = refused(&app.admin_get(path).await, path);
    assert_eq!(message, "from should not be empty, to should not be empty");
    let path = format!(
        "/admin/notifications/statistics?from={}&to={}",
        day(0),
        day(-1)
    );
    let message = refused(&app.admin_get(&path).await, &path);
    assert!(
        message.starts_with("the period must start before it ends"),
        "{message}"
    );
    let path = format!(
        "/admin/notifications/statistics?from={}&to={}",
        day(-93),
        day(0)
    );
    let message = refused(&app.admin_get(&path).await, &path);
    assert_eq!(
        message,
        "statistics cover at most 93 days; the period asked spans 94 days"
    );
    let path = format!(
        "/admin/notifications/statistics?from={}&to={}&channel=wechat-v3",
        day(0),
        day(0)
    );
    let message = refused(&app.admin_get(&path).await, &path);
    assert!(message.starts_with("channel \"wechat-v3\""), "{message}");
}

#[tokio::test]
async fn a_notification_wechat_did_not_confirm_is_retried_once_it_does() {
    let app = spawn_app().await;
    let number = forged_callback(&app, "o-retry", "4200000000000000000000000099").await;
    let listed = app
        .admin_get(&format!("/admin/notifications?order={number}"))
        .await;
    assert_success_envelope(&listed, 200);
    let record = &listed.body["data"]["data"][0];
    assert_eq!(record["outcome"], "unconfirmed", "{}", listed.body);
    let id = record["id"].as_i64().expect("an id");
    let path = format!("/admin/notifications/{id}/retry");

    // WeChat still knows no payment: the retry records that, and changes no order.
    let early = app.admin_post(&path, &json!({})).await;
    assert_success_envelope(&early, 200);
    assert_eq!(early.body["data"]["outcome"], "unconfirmed");
    assert_eq!(
        app.order("o-retry", &number).await["paymentStatus"],
        "unpaid"
    );

    // The payer pays; WeChat's callback is lost. The retry finds the payment.
    app.pay(&number, json!({"no_callback": true})).await;
    let retried = app.admin_post(&path, &json!({})).await;
    assert_success_envelope(&retried, 200);
    assert_eq!(
        retried.body["data"]["outcome"], "processed",
        "{}",
        retried.body
    );
    app.wait_for_recharge("o-retry", &number, "success").await;

    // Again: decided already, nothing happens twice.
    let again = app.admin_post(&path, &json!({})).await;
    assert_success_envelope(&again, 200);
    app.settle().await;
    assert_eq!(app.top_ups(&number), 1);

    for bad in ["0", "abc", "-3"] {
        let reply = app
            .admin_post(&format!("/admin/notifications/{bad}/retry"), &json!({}))
            .await;
        assert_error_envelope(&reply, 400, &format!("/admin/notifications/{bad}/retry"));
    }
    let missing = app
        .admin_post("/admin/notifications/999999/retry", &json!({}))
        .await;
    assert_eq!(missing.status, 404, "{}", missing.body);
}
