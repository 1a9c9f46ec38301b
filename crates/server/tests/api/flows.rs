//! Whole purchases as the mini-program makes them, ending in a top-up in the simulator.

use std::time::Duration;

use elife_domain::ports::Clock;
use elife_sandbox::unitel::{Faults, TopUpFault};
use elife_server::jobs::Job;
use serde_json::json;

use crate::helpers::*;

async fn buy(app: &TestApp, openid: &str, number: &str, kind: &str, code: Option<&str>) -> String {
    let order = app.create_order(openid, number, kind, code).await;
    let order_number = order["orderNumber"].as_str().unwrap().to_owned();
    let params = app.create_payment(openid, &order_number).await;
    assert_eq!(params.status, 201, "{}", params.body);
    app.pay(&order_number, json!({})).await;
    order_number
}

#[tokio::test]
async fn a_voice_top_up_is_paid_and_delivered_once() {
    let app = spawn_app().await;
    let number = buy(&app, "o-voice", VOICE_NUMBER, "voice", Some("ST3000")).await;
    let order = app.wait_for_recharge("o-voice", &number, "success").await;
    assert_eq!(order["paymentStatus"], "paid");
    assert!(order["paidAt"].is_string());
    assert!(order["rechargeAt"].is_string());
    assert!(order["seqId"].is_string());
    assert_eq!(app.top_ups(&number), 1);

    let history = app.admin_order(&number).await;
    let events: Vec<String> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["to"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(events, ["paid/pending", "paid/submitting", "paid/success"]);
}

#[tokio::test]
async fn a_data_package_is_paid_and_delivered() {
    let app = spawn_app().await;
    let number = buy(&app, "o-data", DATA_NUMBER, "data", Some("data3gb2d")).await;
    let order = app.wait_for_recharge("o-data", &number, "success").await;
    assert_eq!(order["productRechargeType"], "data");
    assert_eq!(order["productPriceTg"], "3500");
    assert_eq!(app.top_ups(&number), 1);
}

#[tokio::test]
async fn a_postpaid_bill_is_paid_for_exactly_what_is_owed() {
    let app = spawn_app().await;
    let number = buy(&app, "o-post", POSTPAID_OWING, "postpaid", None).await;
    let order = app.wait_for_recharge("o-post", &number, "success").await;
    assert_eq!(order["productRechargeType"], "postpaid");
    assert_eq!(order["productPriceTg"], "74220");
    // 74 220 / 480 = 154.625 -> 154.63
    assert_eq!(order["productPriceRmb"], "154.63");
    assert!(order["productUnit"].is_null());
    let ledger = app.sandbox.unitel.ledger();
    let entries = ledger.for_journal(&number);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].amount, 74_220);
}

#[tokio::test]
async fn a_lost_answer_ends_unknown_and_is_never_sent_again() {
    let app = spawn_app().await;
    let order = app
        .create_order("o-lost", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    app.create_payment("o-lost", &number).await;
    app.sandbox
        .unitel
        .set_faults(Faults {
            top_up: TopUpFault::ApplyThenDrop { hold_ms: 50 },
            ..Faults::default()
        })
        .unwrap();
    app.pay(&number, json!({})).await;
    app.wait_for_recharge("o-lost", &number, "unknown").await;
    assert_eq!(app.top_ups(&number), 1, "applied once by the simulator");

    app.sandbox.unitel.set_faults(Faults::default()).unwrap();
    app.clock.advance(chrono::Duration::minutes(30));
    app.run_job(Job::Recharge).await;
    app.settle().await;
    let order = app.order("o-lost", &number).await;
    assert_eq!(order["rechargeStatus"], "unknown");
    assert_eq!(
        app.top_ups(&number),
        1,
        "an unknown top-up must never be re-sent"
    );
    let admin = app.admin_order(&number).await;
    assert_eq!(
        admin["order"]["anomaly"]["kind"],
        "recharge_outcome_unknown"
    );
}

#[tokio::test]
async fn a_provider_timeout_ends_unknown_and_is_never_sent_again() {
    let app = spawn_app_with(&[("UNITEL_TIMEOUT", "1000")]).await;
    let order = app
        .create_order("o-slow", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    app.create_payment("o-slow", &number).await;
    app.sandbox
        .unitel
        .set_faults(Faults {
            latency_ms: 2500,
            ..Faults::default()
        })
        .unwrap();
    app.pay(&number, json!({})).await;
    app.wait_for_recharge("o-slow", &number, "unknown").await;

    app.sandbox.unitel.set_faults(Faults::default()).unwrap();
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let sent = app.top_ups(&number);
    assert!(sent <= 1, "{sent} top-ups");
    app.clock.advance(chrono::Duration::minutes(30));
    app.run_job(Job::Recharge).await;
    app.settle().await;
    assert_eq!(
        app.order("o-slow", &number).await["rechargeStatus"],
        "unknown"
    );
    assert_eq!(app.top_ups(&number), sent, "re-sent after a timeout");
}

#[tokio::test]
async fn an_expired_order_paid_without_callback_is_found_by_query_and_delivered() {
    let app = spawn_app().await;
    let order = app
        .create_order("o-late", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    app.create_payment("o-late", &number).await;
    app.pay(&number, json!({"no_callback": true})).await;
    app.settle().await;
    assert_eq!(
        app.order("o-late", &number).await["paymentStatus"],
        "unpaid"
    );

    app.clock.advance(chrono::Duration::minutes(31));
    app.sandbox
        .wechat
        .advance_clock(Duration::from_secs(31 * 60));
    app.run_job(Job::ExpireUnpaid).await;
    let found = app.order("o-late", &number).await;
    assert_eq!(found["paymentStatus"], "paid", "{found}");

    app.run_job(Job::Recharge).await;
    app.wait_for_recharge("o-late", &number, "success").await;
    assert_eq!(app.top_ups(&number), 1);
}

#[tokio::test]
async fn an_expired_unpaid_order_is_closed_here_and_at_wechat() {
    let app = spawn_app().await;
    let order = app
        .create_order("o-gone", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    app.create_payment("o-gone", &number).await;

    app.clock.advance(chrono::Duration::minutes(31));
    app.sandbox
        .wechat
        .advance_clock(Duration::from_secs(31 * 60));
    app.run_job(Job::ExpireUnpaid).await;
    let closed = app.order("o-gone", &number).await;
    assert_eq!(closed["paymentStatus"], "closed", "{closed}");
    assert!(closed["closedAt"].is_string());

    let again = app.create_payment("o-gone", &number).await;
    assert_error_envelope(&again, 409, "/payment/create");
    assert_eq!(app.top_ups(&number), 0);
}

#[tokio::test]
async fn a_job_runs_on_one_instance_at_a_time() {
    let first = spawn_app().await;
    let second = spawn_second_instance(&first).await;
    assert!(first.jobs.run_once(Job::Recharge).await.unwrap());
    assert!(
        !second.jobs.run_once(Job::Recharge).await.unwrap(),
        "the second instance must not run a job whose lease is held"
    );
    // The holder renews its own lease.
    assert!(first.jobs.run_once(Job::Recharge).await.unwrap());
}

#[tokio::test]
async fn a_payment_whose_callback_never_came_is_found_in_the_statement_and_delivered_once() {
    let app = spawn_app().await;
    let order = app
        .create_order("o-silent", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    app.create_payment("o-silent", &number).await;
    app.pay(&number, json!({"no_callback": true})).await;
    app.settle().await;
    assert_eq!(
        app.order("o-silent", &number).await["paymentStatus"],
        "unpaid"
    );

    // WeChat dates its statement by the China day of the payment (its own clock); the job
    // reconciles the previous China day, so move our clock to noon of the day after.
    let paid_at = app
        .sandbox
        .wechat
        .ledger()
        .orders
        .iter()
        .find(|sim| sim.out_trade_no == number)
        .and_then(|sim| sim.paid_at)
        .expect("paid in the simulator");
    let china = chrono_tz::Asia::Shanghai;
    let next_day = paid_at
        .with_timezone(&china)
        .date_naive()
        .succ_opt()
        .unwrap();
    let noon = next_day
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_local_timezone(china)
        .unwrap()
        .with_timezone(&chrono::Utc);
    app.clock.advance(noon - app.clock.now());

    // The payment found is news for the top-up like any other: it starts at once.
    app.run_job(Job::Reconcile).await;
    let found = app.order("o-silent", &number).await;
    assert_eq!(found["paymentStatus"], "paid", "{found}");
    app.wait_for_recharge("o-silent", &number, "success").await;

    // Neither the recharge job nor a second reconciliation delivers it again.
    app.clock.advance(chrono::Duration::minutes(2));
    app.run_job(Job::Recharge).await;
    app.run_job(Job::Reconcile).await;
    app.settle().await;
    assert_eq!(app.top_ups(&number), 1);
}
