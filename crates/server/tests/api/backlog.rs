//! A backlog of paid orders: one recharge run drains all of it, top-ups in flight stay
//! bounded by `TOPUP_CONCURRENCY`, and stopping (SIGTERM) claims nothing new while the
//! claimed top-ups finish.

use std::time::Duration;

use elife_sandbox::unitel::Faults;
use elife_server::jobs::Job;
use futures::StreamExt;
use serde_json::json;

use crate::helpers::*;

/// What a crash left behind, as in the torture test: paid, never claimed.
const BACKLOG: usize = 1000;

/// Orders created and paid through the callback, `concurrency` at a time.
async fn paid_orders(app: &TestApp, prefix: &str, count: usize) -> Vec<String> {
    futures::stream::iter(0..count)
        .map(|i| async move {
            let openid = format!("o-{prefix}-{i}");
            let order = app
                .create_order(&openid, VOICE_NUMBER, "voice", Some("ST3000"))
                .await;
            let number = order["orderNumber"].as_str().unwrap().to_owned();
            assert_eq!(app.create_payment(&openid, &number).await.status, 201);
            let paid = app.pay(&number, json!({"no_callback": true})).await;
            let transaction = paid["transaction_id"].as_str().unwrap();
            let reply = app
                .callback(
                    "/payment/callback",
                    &callback_body(&order, transaction, 625),
                    true,
                )
                .await;
            assert_eq!(reply.body["errcode"], 0, "{}", reply.body);
            number
        })
        .buffer_unordered(16)
        .collect()
        .await
}

async fn count(app: &TestApp, filter: &str) -> u64 {
    let reply = app
        .admin_get(&format!("/admin/orders?{filter}&limit=1"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["data"]["pagination"]["total"]
        .as_u64()
        .unwrap_or_default()
}

#[tokio::test]
async fn one_recharge_run_tops_up_a_whole_backlog_left_by_a_crash() {
    let crashed = spawn_app().await;
    // Stops claiming as a killed instance would: payments are recorded, nothing is sent.
    crashed.top_ups.stop_claiming();
    let orders = paid_orders(&crashed, "backlog", BACKLOG).await;
    assert_eq!(
        count(&crashed, "paymentStatus=paid&rechargeStatus=pending").await,
        BACKLOG as u64
    );

    let restarted = spawn_second_instance(&crashed).await;
    restarted.clock.advance(chrono::Duration::minutes(1));
    restarted.run_job(Job::Recharge).await;

    assert_eq!(
        count(&restarted, "rechargeStatus=success").await,
        BACKLOG as u64,
        "one run drains the whole queue, not one page of it"
    );
    let ledger = restarted.sandbox.unitel.ledger();
    assert_eq!(ledger.entries.len(), BACKLOG);
    for number in &orders {
        assert_eq!(restarted.top_ups(number), 1, "order {number}");
        assert_eq!(crashed.top_ups(number), 0, "order {number}");
    }
}

#[tokio::test]
async fn stopping_claims_nothing_new_and_lets_claimed_top_ups_finish() {
    let app = spawn_app_with(&[("TOPUP_CONCURRENCY", "2")]).await;
    app.sandbox
        .unitel
        .set_faults(Faults {
            latency_ms: 400,
            ..Faults::default()
        })
        .unwrap();
    let orders = paid_orders(&app, "stop", 6).await;

    // Two claimed (held 400 ms at Unitel), four waiting for a permit, never more in flight.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let submitting = count(&app, "rechargeStatus=submitting").await;
        assert!(submitting <= 2, "{submitting} top-ups in flight");
        if submitting == 2 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "nothing claimed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    app.stop().await;

    // The claimed ones finished; the others were never claimed, so they are not unknown.
    // Another instance on the same database sees it, then takes the rest up.
    let next = spawn_second_instance(&app).await;
    assert_eq!(count(&next, "rechargeStatus=success").await, 2);
    assert_eq!(count(&next, "rechargeStatus=pending").await, 4);
    assert_eq!(app.sandbox.unitel.ledger().entries.len(), 2);
    next.clock.advance(chrono::Duration::minutes(1));
    next.run_job(Job::Recharge).await;
    assert_eq!(count(&next, "rechargeStatus=success").await, 6);
    for number in &orders {
        assert_eq!(
            app.top_ups(number) + next.top_ups(number),
            1,
            "order {number}"
        );
    }
}

#[tokio::test]
async fn a_stopped_instance_hands_its_job_leases_over_at_once() {
    let first = spawn_app().await;
    let second = spawn_second_instance(&first).await;
    first.run_job(Job::Recharge).await;
    assert!(
        !second.jobs.run_once(Job::Recharge).await.expect("job runs"),
        "the lease is held by the first instance"
    );
    first.stop().await;
    assert!(
        second.jobs.run_once(Job::Recharge).await.expect("job runs"),
        "a stopped instance's lease must not have to expire first"
    );
}
