//! Adversarial races across the money paths: the callback's own dispatch against the
//! every-minute job, two instances on one database, expiry against a payment being
//! created, and many writers on one SQLite file.

use std::time::Duration;

use elife_sandbox::wechat::WechatFault;
use elife_server::jobs::Job;
use futures::future::join_all;
use serde_json::json;

use crate::helpers::*;

async fn unpaid_order(app: &TestApp, openid: &str) -> String {
    let order = app
        .create_order(openid, VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    assert_eq!(app.create_payment(openid, &number).await.status, 201);
    number
}

/// Every callback spawns a dispatch after its answer while the recharge job, which already
/// sees the orders as paid and unclaimed, runs over and over: one top-up per order.
#[tokio::test]
async fn the_callback_dispatch_and_the_recharge_job_top_up_once() {
    let app = spawn_app().await;
    let mut orders = Vec::new();
    for i in 0..5 {
        let openid = format!("o-jobrace-{i}");
        orders.push((openid.clone(), unpaid_order(&app, &openid).await));
    }
    // Payments dated two minutes ago for the job: they are all "paid, never claimed".
    app.clock.advance(chrono::Duration::minutes(2));
    app.sandbox
        .unitel
        .set_faults(elife_sandbox::unitel::Faults {
            latency_ms: 150,
            ..Default::default()
        })
        .unwrap();

    let paying = join_all(orders.iter().map(|(_, number)| app.pay(number, json!({}))));
    let jobs = async {
        for _ in 0..10 {
            app.run_job(Job::Recharge).await;
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    };
    tokio::join!(paying, jobs);

    for (openid, number) in &orders {
        app.wait_for_recharge(openid, number, "success").await;
    }
    app.settle().await;
    for (_, number) in &orders {
        assert_eq!(app.top_ups(number), 1, "order {number}");
    }
}

/// An admin's payment sync on one instance (which dispatches at once) against the recharge
/// job of a second instance on the same database: one top-up across both.
#[tokio::test]
async fn two_instances_dispatch_one_order_once() {
    let first = spawn_app().await;
    let second = spawn_second_instance(&first).await;
    for app in [&first, &second] {
        app.sandbox
            .unitel
            .set_faults(elife_sandbox::unitel::Faults {
                latency_ms: 200,
                ..Default::default()
            })
            .unwrap();
    }
    let number = unpaid_order(&first, "o-two").await;
    first.pay(&number, json!({"no_callback": true})).await;
    // The second instance's clock is ahead: the payment is due for its job at once.
    second.clock.advance(chrono::Duration::minutes(5));

    let sync_path = format!("/admin/orders/{number}/sync-payment");
    let empty = json!({});
    let sync = first.admin_post(&sync_path, &empty);
    let job = async {
        for _ in 0..10 {
            second.jobs.run_once(Job::Recharge).await.expect("job runs");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let (synced, ()) = tokio::join!(sync, job);
    assert_eq!(synced.status, 201, "{}", synced.body);
    first.wait_for_recharge("o-two", &number, "success").await;
    first.settle().await;
    assert_eq!(
        first.top_ups(&number) + second.top_ups(&number),
        1,
        "first instance sent {}, second sent {}",
        first.top_ups(&number),
        second.top_ups(&number)
    );
}

/// Thirty callbacks for thirty orders at once on one SQLite file: every one is recorded
/// (no "database is locked"), acknowledged, and topped up once.
#[tokio::test]
async fn many_concurrent_callbacks_on_one_sqlite_file_are_all_recorded() {
    let app = spawn_app().await;
    let mut orders = Vec::new();
    for i in 0..30 {
        let openid = format!("o-many-{i}");
        let order = app
            .create_order(&openid, VOICE_NUMBER, "voice", Some("ST3000"))
            .await;
        let number = order["orderNumber"].as_str().unwrap().to_owned();
        assert_eq!(app.create_payment(&openid, &number).await.status, 201);
        let paid = app.pay(&number, json!({"no_callback": true})).await;
        let transaction = paid["transaction_id"].as_str().unwrap().to_owned();
        orders.push((openid, number, callback_body(&order, &transaction, 625)));
    }

    let replies = join_all(orders.iter().flat_map(|(_, _, body)| {
        // Each callback twice, as WeChat's retries overlap.
        [
            app.callback("/payment/callback", body, true),
            app.callback("/payment/callback", body, true),
        ]
    }))
    .await;
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["errcode"], 0, "{}", reply.body);
    }
    for (openid, number, _) in &orders {
        app.wait_for_recharge(openid, number, "success").await;
    }
    app.settle().await;
    for (_, number, _) in &orders {
        assert_eq!(app.top_ups(number), 1, "order {number}");
    }
}

/// The expiry job asks WeChat about an order whose `unifiedOrder` is still on its way:
/// WeChat does not know it yet (ORDERNOTEXIST), so the order is closed here without being
/// closed there; the customer then receives payment parameters and pays a closed order.
#[tokio::test]
async fn expiry_never_closes_an_order_whose_payment_is_being_created() {
    let app = spawn_app().await;
    let order = app
        .create_order("o-expiry", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    // The order is just past its expiry when the customer taps "pay".
    app.clock.advance(chrono::Duration::minutes(31));
    app.sandbox
        .wechat
        .inject_fault("unifiedorder", WechatFault::Slow { delay_ms: 1500 }, 1);

    let creating = app.create_payment("o-expiry", &number);
    let expiring = async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        app.run_job(Job::ExpireUnpaid).await;
    };
    let (created, ()) = tokio::join!(creating, expiring);
    let after = app.order("o-expiry", &number).await;

    if created.status == 201 {
        // The customer holds valid payment parameters: paying them must be accepted.
        app.pay(&number, json!({})).await;
        app.settle().await;
        let paid = app.admin_order(&number).await;
        assert_eq!(
            paid["order"]["paymentStatus"], "paid",
            "payment parameters were handed out for an order expiry closed meanwhile \
             (status after expiry: {}); the customer paid a closed order: {paid}",
            after["paymentStatus"]
        );
    } else {
        assert_eq!(after["paymentStatus"], "closed", "{after}");
    }
}

/// Two instances (two connection pools) on one SQLite file, each taking a burst of
/// callbacks while both run their jobs in a loop: no write fails with "database is locked",
/// every callback is acknowledged and every order is topped up once.
#[tokio::test]
async fn two_instances_writing_one_sqlite_file_never_see_it_locked() {
    let first = spawn_app().await;
    let second = spawn_second_instance(&first).await;
    let mut work = Vec::new();
    for (index, app) in [&first, &second].into_iter().enumerate() {
        for i in 0..12 {
            let openid = format!("o-lock-{index}-{i}");
            let order = app
                .create_order(&openid, VOICE_NUMBER, "voice", Some("ST3000"))
                .await;
            let number = order["orderNumber"].as_str().unwrap().to_owned();
            assert_eq!(app.create_payment(&openid, &number).await.status, 201);
            let paid = app.pay(&number, json!({"no_callback": true})).await;
            let transaction = paid["transaction_id"].as_str().unwrap().to_owned();
            work.push((
                app,
                openid,
                number,
                callback_body(&order, &transaction, 625),
            ));
        }
    }

    let callbacks = join_all(
        work.iter()
            .map(|(app, _, _, body)| app.callback("/payment/callback", body, true)),
    );
    let jobs = |app: &'static str, jobs: elife_server::jobs::Jobs| async move {
        for _ in 0..15 {
            for job in [Job::Recharge, Job::ExpireUnpaid, Job::Refunds, Job::Alerts] {
                if let Err(error) = jobs.run_once(job).await {
                    panic!("{app}: job {} failed: {error}", job.name());
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let (replies, (), ()) = tokio::join!(
        callbacks,
        jobs("first", first.jobs.clone()),
        jobs("second", second.jobs.clone())
    );
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    for (app, openid, number, _) in &work {
        app.wait_for_recharge(openid, number, "success").await;
    }
    first.settle().await;
    // Either instance's job may take an order (the callbacks' `timeEnd` is long past), and
    // each instance has its own Unitel simulator: count both.
    for (_, _, number, _) in &work {
        assert_eq!(
            first.top_ups(number) + second.top_ups(number),
            1,
            "order {number}"
        );
    }
}

/// A paid order whose top-up Unitel keeps "pending" for hours is money taken and nothing
/// delivered: the alerts job must name it, as it names failed and unknown top-ups.
#[tokio::test]
async fn a_top_up_stuck_confirming_for_hours_is_alerted() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let webhook = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"errcode": 0})))
        .mount(&webhook)
        .await;
    let app = spawn_app_with(&[("ALERT_WEBHOOK_URL", webhook.uri().as_str())]).await;
    app.sandbox
        .unitel
        .set_faults(elife_sandbox::unitel::Faults {
            top_up: elife_sandbox::unitel::TopUpFault::Pending {
                checks_until_success: 1_000_000,
            },
            ..Default::default()
        })
        .unwrap();
    let number = unpaid_order(&app, "o-stuck").await;
    app.pay(&number, json!({})).await;
    app.wait_for_recharge("o-stuck", &number, "confirming")
        .await;

    app.clock.advance(chrono::Duration::hours(6));
    app.run_job(Job::Recharge).await;
    app.run_job(Job::Alerts).await;

    let bodies: Vec<String> = webhook
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|request| String::from_utf8_lossy(&request.body).into_owned())
        .collect();
    assert_eq!(
        app.order("o-stuck", &number).await["rechargeStatus"],
        "confirming"
    );
    assert!(
        bodies.iter().any(|body| body.contains(&number)),
        "paid six hours ago, still not delivered, and no alert names {number}: {bodies:?}"
    );
}

/// The recharge job confirms the 50 oldest `confirming` top-ups each run, with no
/// progress marker: once 50 are stuck at Unitel, a newer one that Unitel has finished is
/// never asked about again and its paid order never completes.
#[tokio::test]
async fn top_ups_stuck_confirming_do_not_starve_newer_ones() {
    let app = spawn_app().await;
    let pending = |checks_until_success| elife_sandbox::unitel::Faults {
        top_up: elife_sandbox::unitel::TopUpFault::Pending {
            checks_until_success,
        },
        ..Default::default()
    };
    app.sandbox.unitel.set_faults(pending(1_000_000)).unwrap();
    let mut stuck = Vec::new();
    for i in 0..50 {
        let openid = format!("o-stuck-{i}");
        let number = unpaid_order(&app, &openid).await;
        app.pay(&number, json!({})).await;
        stuck.push((openid, number));
    }
    for (openid, number) in &stuck {
        app.wait_for_recharge(openid, number, "confirming").await;
    }
    // Unitel finishes this one at its first check.
    app.sandbox.unitel.set_faults(pending(1)).unwrap();
    let newest = unpaid_order(&app, "o-newest").await;
    app.pay(&newest, json!({})).await;
    app.wait_for_recharge("o-newest", &newest, "confirming")
        .await;

    app.clock.advance(chrono::Duration::minutes(2));
    for _ in 0..3 {
        app.run_job(Job::Recharge).await;
    }
    assert_eq!(
        app.order("o-newest", &newest).await["rechargeStatus"],
        "success",
        "Unitel finished this top-up, but the job only ever asks about the 50 stuck ones"
    );
}

/// Callbacks cut off by the answer bound at random points (mid-query, mid-transaction)
/// must leave every order either untouched or paid with its history, and the database
/// usable: WeChat's retries then pay and top up each once.
#[tokio::test]
async fn callbacks_cut_off_mid_write_leave_the_database_consistent_and_usable() {
    let hasty = spawn_app_with(&[("CALLBACK_TIMEOUT_MS", "15")]).await;
    let mut orders = Vec::new();
    for i in 0..25 {
        let openid = format!("o-cut-{i}");
        let order = hasty
            .create_order(&openid, VOICE_NUMBER, "voice", Some("ST3000"))
            .await;
        let number = order["orderNumber"].as_str().unwrap().to_owned();
        assert_eq!(hasty.create_payment(&openid, &number).await.status, 201);
        let paid = hasty.pay(&number, json!({"no_callback": true})).await;
        let transaction = paid["transaction_id"].as_str().unwrap().to_owned();
        orders.push((openid, number, callback_body(&order, &transaction, 625)));
    }
    let first_round = join_all(
        orders
            .iter()
            .map(|(_, _, body)| hasty.callback("/payment/callback", body, true)),
    )
    .await;
    for reply in &first_round {
        assert!(
            reply.status == 200 || reply.status == 500,
            "{} {}",
            reply.status,
            reply.body
        );
    }
    hasty.settle().await;
    // Every order is whole: unpaid and untouched, or paid with one history row per version.
    for (_, number, _) in &orders {
        let stored = hasty.admin_order(number).await;
        let version = stored["order"]["version"].as_i64().unwrap();
        let events = stored["events"].as_array().unwrap().len() as i64;
        assert_eq!(version, events, "{stored}");
    }

    // WeChat retries, one at a time: each is taken once it is answered within the bound.
    for (_, number, body) in &orders {
        let mut answered = false;
        for _ in 0..50 {
            if hasty.callback("/payment/callback", body, true).await.status == 200 {
                answered = true;
                break;
            }
        }
        assert!(
            answered,
            "order {number}: no retry was ever answered in time"
        );
    }
    hasty.clock.advance(chrono::Duration::minutes(2));
    hasty.run_job(Job::Recharge).await;
    for (openid, number, _) in &orders {
        hasty.wait_for_recharge(openid, number, "success").await;
    }
    hasty.settle().await;
    for (_, number, _) in &orders {
        assert_eq!(hasty.top_ups(number), 1, "order {number}");
    }
}

/// Failed top-ups refunded at once by a person and by the automatic refund job: WeChat
/// receives one refund request per order, for the order's price.
#[tokio::test]
async fn a_person_and_the_refund_job_refund_a_failed_top_up_once() {
    let app = spawn_app_with(&[("AUTO_REFUND", "true")]).await;
    app.sandbox
        .unitel
        .set_faults(elife_sandbox::unitel::Faults {
            top_up: elife_sandbox::unitel::TopUpFault::Failed {
                code: "105".to_owned(),
                msg: "Insufficient dealer balance".to_owned(),
            },
            ..Default::default()
        })
        .unwrap();
    let mut orders = Vec::new();
    for i in 0..5 {
        let openid = format!("o-refund-{i}");
        let number = unpaid_order(&app, &openid).await;
        app.pay(&number, json!({})).await;
        app.wait_for_recharge(&openid, &number, "failed").await;
        orders.push((openid, number));
    }

    let reason = json!({"reason": "top-up failed"});
    let paths: Vec<String> = orders
        .iter()
        .map(|(_, number)| format!("/admin/orders/{number}/refund"))
        .collect();
    let by_person = join_all(paths.iter().map(|path| app.admin_post(path, &reason)));
    let by_job = app.jobs.run_once(Job::Refunds);
    let (replies, job) = tokio::join!(by_person, by_job);
    assert!(job.is_ok(), "{job:?}");
    for reply in &replies {
        assert!(reply.status == 201 || reply.status == 409, "{}", reply.body);
    }

    let ledger = app.sandbox.wechat.ledger();
    for (openid, number) in &orders {
        let refunds: Vec<_> = ledger
            .refunds
            .iter()
            .filter(|refund| &refund.out_trade_no == number)
            .collect();
        assert_eq!(refunds.len(), 1, "{refunds:?}");
        assert_eq!(refunds[0].refund_fee, 625);
        let status = app.order(openid, number).await["paymentStatus"].clone();
        assert!(status == "refunded" || status == "refunding", "{status}");
    }
}

/// Unitel refusing an expired token (401) proves the top-up never ran, exactly like a
/// connection that could not be opened: the order should be queued again and delivered by
/// the next run, not failed (and, with automatic refunds, refunded) for a token glitch.
#[tokio::test]
async fn a_top_up_refused_for_an_expired_token_is_queued_again_and_delivered() {
    let app = spawn_app().await;
    let number = unpaid_order(&app, "o-401").await;
    app.sandbox
        .unitel
        .set_faults(elife_sandbox::unitel::Faults {
            unauthorized_next: 1,
            ..Default::default()
        })
        .unwrap();
    app.pay(&number, json!({})).await;
    assert!(
        app.sandbox
            .wechat
            .wait_for_acknowledged(&number, 1, Duration::from_secs(10))
            .await
    );
    app.settle().await;
    app.clock.advance(chrono::Duration::minutes(2));
    app.run_job(Job::Recharge).await;
    app.settle().await;
    let order = app.order("o-401", &number).await;
    assert_eq!(order["rechargeStatus"], "success", "{order}");
    assert_eq!(app.top_ups(&number), 1);
}
