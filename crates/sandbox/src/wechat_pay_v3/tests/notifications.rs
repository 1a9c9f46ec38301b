//! Payment notifications: encrypted and signed, retried on the official schedule, and
//! sent wrong on purpose.

use super::*;

async fn paid_order(sim: &RunningWechatPayV3Sim, receiver: &NotifyReceiver, no: &str) -> String {
    let merchant = Merchant::of(sim);
    let created = merchant.create_jsapi(no, 888, &receiver.url).await;
    assert_eq!(created.status, 200, "{:?}", created.json());
    let paid = sim.pay(no, &V3PayOptions::default()).await.expect("paid");
    paid["notification_id"]
        .as_str()
        .expect("a notification")
        .to_owned()
}

#[tokio::test]
async fn a_payment_is_notified_signed_and_its_resource_decrypts() {
    let receiver = NotifyReceiver::start(vec![204]).await;
    let sim = start().await;
    let keys = sim.keys();
    let id = paid_order(&sim, &receiver, "ORDER-NOTIFY").await;
    assert!(acknowledged(&sim, &id).await);

    let delivered = receiver.delivered();
    assert_eq!(delivered.len(), 1);
    let notification = &delivered[0];
    verify_signed(&keys, &notification.headers, &notification.body).expect("signed");
    assert_eq!(notification.headers["content-type"], "application/json");
    let envelope: Value = serde_json::from_slice(&notification.body).expect("json");
    assert_eq!(envelope["id"], id.as_str());
    assert_eq!(envelope["event_type"], "TRANSACTION.SUCCESS");
    assert_eq!(envelope["resource_type"], "encrypt-resource");
    assert_eq!(envelope["summary"], "支付成功");
    assert_eq!(envelope["resource"]["original_type"], "transaction");
    assert_eq!(envelope["resource"]["associated_data"], "transaction");
    assert!(
        envelope["create_time"]
            .as_str()
            .expect("a time")
            .ends_with("+08:00")
    );
    let resource = resource_of(&keys, notification);
    let order = sim
        .ledger()
        .order("ORDER-NOTIFY")
        .cloned()
        .expect("the order");
    assert_eq!(resource["out_trade_no"], "ORDER-NOTIFY");
    assert_eq!(resource["trade_state"], "SUCCESS");
    assert_eq!(
        resource["transaction_id"].as_str(),
        order.transaction_id.as_deref()
    );
    assert_eq!(resource["amount"]["total"], 888);
    assert_eq!(resource["payer"]["openid"], "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
    assert_eq!(resource["mchid"], keys.mchid.as_str());

    let recorded = sim.ledger().notification(&id).cloned().expect("recorded");
    assert_eq!(recorded.attempts.len(), 1);
    assert_eq!(recorded.attempts[0].http_status, Some(204));
    sim.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn a_refused_notification_is_retried_on_the_official_schedule() {
    // Four refusals (a 500 and three 4xx), then a 200.
    let receiver = NotifyReceiver::start(vec![500, 400, 404, 503, 200]).await;
    let sim = start().await;
    let keys = sim.keys();
    let id = paid_order(&sim, &receiver, "ORDER-RETRY").await;
    assert!(acknowledged(&sim, &id).await);

    let notification = sim.ledger().notification(&id).cloned().expect("recorded");
    let delays: Vec<u64> = notification
        .attempts
        .iter()
        .map(|attempt| attempt.delay_before_ms)
        .collect();
    // 15 s, 15 s, 30 s, 3 min at a time factor of 0.001.
    assert_eq!(delays, vec![0, 15, 15, 30, 180]);
    let statuses: Vec<Option<u16>> = notification
        .attempts
        .iter()
        .map(|attempt| attempt.http_status)
        .collect();
    assert_eq!(
        statuses,
        vec![Some(500), Some(400), Some(404), Some(503), Some(200)]
    );

    let delivered = receiver.delivered();
    assert_eq!(delivered.len(), 5);
    for (pair, scheduled) in delivered.windows(2).zip([15, 15, 30, 180]) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(
            gap >= Duration::from_millis(scheduled),
            "{gap:?} < {scheduled} ms"
        );
        assert!(
            gap < Duration::from_millis(scheduled + 2000),
            "{gap:?} far above {scheduled} ms"
        );
    }
    // The same notification each time, signed afresh.
    let bodies: std::collections::HashSet<&Vec<u8>> = delivered.iter().map(|d| &d.body).collect();
    assert_eq!(bodies.len(), 1);
    for attempt in &delivered {
        verify_signed(&keys, &attempt.headers, &attempt.body).expect("every attempt is signed");
    }
    sim.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn a_merchant_that_never_acknowledges_gets_sixteen_attempts() {
    let receiver = NotifyReceiver::start(vec![500]).await;
    let sim = WechatPayV3Simulator::start(WechatPayV3SimConfig {
        // The whole 24-hour schedule in under a second.
        time_factor: 0.00001,
        ..fast_config()
    })
    .await
    .expect("starts");
    let id = paid_order(&sim, &receiver, "ORDER-GIVEUP").await;
    let gave_up = sim
        .wait_for(Duration::from_secs(20), |ledger| {
            ledger
                .notification(&id)
                .is_some_and(|notification| notification.gave_up)
        })
        .await;
    assert!(gave_up);
    let notification = sim.ledger().notification(&id).cloned().expect("recorded");
    assert_eq!(notification.attempts.len(), RETRY_SCHEDULE.len() + 1);
    assert!(!notification.acknowledged);
    let expected: Vec<u64> = std::iter::once(0)
        .chain(
            RETRY_SCHEDULE
                .iter()
                .map(|pause| u64::try_from(pause.mul_f64(0.00001).as_millis()).expect("small")),
        )
        .collect();
    let delays: Vec<u64> = notification
        .attempts
        .iter()
        .map(|attempt| attempt.delay_before_ms)
        .collect();
    assert_eq!(delays, expected);
    assert_eq!(receiver.delivered().len(), 16);
    sim.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn faulty_notifications_fail_verification_the_way_they_say() {
    let receiver = NotifyReceiver::start(vec![204, 401]).await;
    let sim = start().await;
    let keys = sim.keys();
    let id = paid_order(&sim, &receiver, "ORDER-FORGED").await;
    assert!(acknowledged(&sim, &id).await);
    let genuine = receiver.delivered()[0].clone();

    let cases = [
        (SignatureFault::Probe, "signature probe"),
        (SignatureFault::TamperedBody, "bad signature"),
        (SignatureFault::WrongSerial, "unknown serial"),
        (SignatureFault::SwappedSerial, "bad signature"),
        (SignatureFault::OldTimestamp, "timestamp too old"),
    ];
    for (index, (fault, failure)) in cases.into_iter().enumerate() {
        let sent = sim
            .notify_payment("ORDER-FORGED", Some(fault))
            .await
            .expect("sent");
        assert_eq!(
            sent["attempt"]["http_status"], 401,
            "the merchant's answer is reported"
        );
        let delivered = receiver.delivered()[index + 1].clone();
        let refused = verify_signed(&keys, &delivered.headers, &delivered.body);
        assert_eq!(refused.expect_err("must not verify"), failure, "{fault:?}");
        let resource = resource_of(&keys, &delivered);
        if fault == SignatureFault::TamperedBody {
            assert_eq!(resource["amount"]["total"], 889, "the tampered body lies");
            // The signature is a valid one, over the untampered body.
            let recorded = sim
                .ledger()
                .notification(sent["notification_id"].as_str().expect("id"))
                .cloned()
                .expect("recorded");
            verify_signed(&keys, &delivered.headers, recorded.body.as_bytes())
                .expect("over the real body");
        } else {
            assert_eq!(resource["amount"]["total"], 888);
        }
    }
    let notifications = sim.ledger().notifications_of("ORDER-FORGED").len();
    assert_eq!(
        notifications, 6,
        "every faulty notification is recorded, and sent once"
    );

    let replayed = sim.replay(&id).await.expect("replayed");
    assert_eq!(replayed["attempt"]["replay"], true);
    let replay = receiver.delivered().last().cloned().expect("delivered");
    assert_eq!(replay.body, genuine.body, "the exact bytes");
    for header in [
        "wechatpay-timestamp",
        "wechatpay-nonce",
        "wechatpay-signature",
        "wechatpay-serial",
    ] {
        assert_eq!(replay.headers[header], genuine.headers[header], "{header}");
    }
    verify_signed(&keys, &replay.headers, &replay.body)
        .expect("a replay verifies: only its id betrays it");
    assert!(
        sim.replay("no-such-notification")
            .await
            .expect_err("unknown")
            .starts_with("404")
    );
    sim.stop().await;
    receiver.stop().await;
}

#[tokio::test]
async fn a_forged_notification_about_an_unpaid_order_claims_success() {
    let receiver = NotifyReceiver::start(vec![401]).await;
    let sim = start().await;
    let keys = sim.keys();
    Merchant::of(&sim)
        .create_jsapi("ORDER-UNPAID", 100, &receiver.url)
        .await;
    let normal = sim.notify_payment("ORDER-UNPAID", None).await;
    assert!(normal.expect_err("not paid").starts_with("409"));
    sim.notify_payment("ORDER-UNPAID", Some(SignatureFault::Probe))
        .await
        .expect("sent");
    let resource = resource_of(&keys, &receiver.delivered()[0]);
    assert_eq!(resource["trade_state"], "SUCCESS");
    assert_eq!(
        sim.ledger().order("ORDER-UNPAID").expect("order").state,
        V3TradeState::NotPay
    );
    sim.stop().await;
    receiver.stop().await;
}
