//! Signed answers: the downloaded platform certificate, certificate and public-key signing
//! and the switch-over, and answers made wrong on purpose.

use super::*;

#[tokio::test]
async fn the_certificate_download_decrypts_to_the_published_certificate() {
    let sim = start().await;
    let merchant = Merchant::of(&sim);
    let keys = sim.keys();
    let answer = merchant.get("/v3/certificates").await;
    assert_eq!(answer.status, 200);
    verify_answer(&keys, &answer).expect("signed");
    let entry = &answer.json()["data"][0];
    assert_eq!(entry["serial_no"], keys.platform_serial_no.as_str());
    assert_eq!(
        entry["encrypt_certificate"]["associated_data"],
        "certificate"
    );
    let pem = decrypt(&keys.apiv3_key, &entry["encrypt_certificate"]).expect("decrypts");
    let pem = String::from_utf8(pem).expect("text");
    assert_eq!(pem, keys.platform_certificate_pem);
    let certificate = x509_cert::Certificate::from_pem(pem.as_bytes()).expect("a certificate");
    let serial = hex::encode_upper(certificate.tbs_certificate().serial_number().as_bytes());
    assert_eq!(serial, keys.platform_serial_no);
    assert_eq!(serial.len(), 40);
    let effective = entry["effective_time"].as_str().expect("a time");
    let expire = entry["expire_time"].as_str().expect("a time");
    assert!(effective.ends_with("+08:00") && expire > effective);
    sim.stop().await;
}

#[tokio::test]
async fn signing_switches_from_certificate_to_public_key_with_an_overlap() {
    let sim = start().await;
    let merchant = Merchant::of(&sim);
    let keys = sim.keys();
    assert!(keys.public_key_id.starts_with("PUB_KEY_ID_"));
    let serial_of = |answer: &Received| answer.header("Wechatpay-Serial").to_owned();

    let by_certificate = merchant.get("/v3/certificates").await;
    assert_eq!(serial_of(&by_certificate), keys.platform_serial_no);
    verify_answer(&keys, &by_certificate).expect("verifies with the certificate");

    sim.set_signing(SigningMode::Both);
    let mut serials = Vec::new();
    for _ in 0..4 {
        let answer = merchant.get("/v3/certificates").await;
        verify_answer(&keys, &answer).expect("each answer verifies with the key it names");
        serials.push(serial_of(&answer));
    }
    assert!(serials.contains(&keys.platform_serial_no), "{serials:?}");
    assert!(serials.contains(&keys.public_key_id), "{serials:?}");

    let switched = reqwest::Client::new()
        .post(format!("{}/sandbox/v3/config", sim.url()))
        .json(&json!({"signing": "public_key"}))
        .send()
        .await
        .expect("config");
    assert_eq!(switched.status(), 200);
    let by_public_key = merchant.get("/v3/certificates").await;
    assert_eq!(serial_of(&by_public_key), keys.public_key_id);
    verify_answer(&keys, &by_public_key).expect("verifies with the public key");
    // The certificate's key does not verify what the public key's key signed.
    let mut forged = by_public_key.headers.clone();
    forged.insert(
        "wechatpay-serial".to_owned(),
        keys.platform_serial_no.clone(),
    );
    assert!(verify_signed(&keys, &forged, &by_public_key.body).is_err());
    sim.stop().await;
}

#[tokio::test]
async fn answers_made_wrong_on_purpose_fail_verification_the_way_they_say() {
    let sim = start().await;
    let merchant = Merchant::of(&sim);
    let keys = sim.keys();
    merchant
        .create_jsapi("ORDER-FAULTS", 300, "https://m.example/n")
        .await;
    let cases = [
        (V3ApiFault::Probe, "signature probe"),
        (V3ApiFault::TamperedBody, "bad signature"),
        (V3ApiFault::WrongSerial, "unknown serial"),
        (V3ApiFault::SwappedSerial, "bad signature"),
        (V3ApiFault::OldTimestamp, "timestamp too old"),
    ];
    for (fault, failure) in cases {
        sim.inject_fault("query", fault, 1);
        let answer = merchant.query("ORDER-FAULTS").await;
        assert_eq!(answer.status, 200, "{fault:?}");
        assert_eq!(
            verify_answer(&keys, &answer).expect_err("must not verify"),
            failure,
            "{fault:?}"
        );
        if fault == V3ApiFault::TamperedBody {
            assert_eq!(
                answer.json()["amount"]["total"],
                301,
                "the tampered body lies"
            );
        }
        if fault == V3ApiFault::Probe {
            assert!(
                answer
                    .header("Wechatpay-Signature")
                    .starts_with("WECHATPAY/SIGNTEST_")
            );
        }
    }
    let normal = merchant.query("ORDER-FAULTS").await;
    verify_answer(&keys, &normal).expect("faults are used up");
    sim.stop().await;
}

#[tokio::test]
async fn system_errors_refuse_and_a_lost_answer_still_applies() {
    let sim = start().await;
    let merchant = Merchant::of(&sim);
    let keys = sim.keys();
    sim.inject_fault("jsapi", V3ApiFault::SystemError, 1);
    let refused = merchant
        .create_jsapi("ORDER-LOST", 100, "https://m.example/n")
        .await;
    assert_eq!(
        (refused.status, refused.json()["code"].clone()),
        (500, json!("SYSTEM_ERROR"))
    );
    verify_answer(&keys, &refused).expect("signed");
    assert!(sim.ledger().orders.is_empty());

    let armed = reqwest::Client::new()
        .post(format!("{}/sandbox/v3/faults", sim.url()))
        .json(&json!({"endpoint": "jsapi", "fault": "lost_answer"}))
        .send()
        .await
        .expect("armed");
    assert_eq!(armed.status(), 204);
    let lost = merchant
        .create_jsapi("ORDER-LOST", 100, "https://m.example/n")
        .await;
    assert_eq!(lost.status, 500);
    assert_eq!(
        sim.ledger().orders.len(),
        1,
        "applied although the answer was lost"
    );
    let retried = merchant
        .create_jsapi("ORDER-LOST", 100, "https://m.example/n")
        .await;
    assert_eq!(retried.status, 200);
    assert_eq!(
        retried.json()["prepay_id"].as_str(),
        sim.ledger().orders[0].prepay_id.as_deref()
    );

    sim.inject_fault("*", V3ApiFault::Slow { delay_ms: 50 }, 1);
    let started = Instant::now();
    assert_eq!(merchant.query("ORDER-LOST").await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(50));
    sim.stop().await;
}
