//! The simulator over HTTP, as a client that knows nothing about it would see it.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Faults, LedgerView, TopUpFault, UnitelSimConfig, UnitelSimulator};

mod mixed_faults;

struct Harness {
    sim: super::RunningUnitelSim,
    http: reqwest::Client,
}

impl Harness {
    async fn start(config: UnitelSimConfig) -> Harness {
        let sim = UnitelSimulator::start(config)
            .await
            .expect("simulator starts");
        Harness {
            sim,
            http: reqwest::Client::new(),
        }
    }

    async fn default() -> Harness {
        Harness::start(UnitelSimConfig::default()).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url())
    }

    async fn token(&self) -> String {
        let answer: Value = self
            .http
            .post(self.url("/auth"))
            .basic_auth("sandbox", Some("sandbox"))
            .json(&json!({}))
            .send()
            .await
            .expect("auth answers")
            .json()
            .await
            .expect("auth JSON");
        answer["access_token"].as_str().expect("token").to_owned()
    }

    /// Status and JSON body (`Null` when the body is not JSON).
    async fn call(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        let answer = self
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("answers");
        let status = answer.status().as_u16();
        let text = answer.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn ledger(&self) -> LedgerView {
        self.http
            .get(self.url("/__sandbox/ledger"))
            .send()
            .await
            .expect("ledger answers")
            .json()
            .await
            .expect("ledger JSON")
    }

    async fn set_faults(&self, faults: Value) -> u16 {
        self.http
            .post(self.url("/__sandbox/faults"))
            .json(&faults)
            .send()
            .await
            .expect("faults answer")
            .status()
            .as_u16()
    }
}

fn recharge(journal_id: &str) -> Value {
    json!({
        "msisdn": "88110004", "card": "ST5000", "vatflag": "1", "vat_register_no": "",
        "transactions": [{"journal_id": journal_id, "amount": "5000",
                          "description": "Recharge", "account": ""}]
    })
}

#[tokio::test]
async fn auth_requires_the_configured_credentials() {
    let harness = Harness::default().await;
    let refused = harness
        .http
        .post(harness.url("/auth"))
        .basic_auth("sandbox", Some("wrong"))
        .send()
        .await
        .expect("answers");
    assert_eq!(refused.status().as_u16(), 401);
    assert!(!harness.token().await.is_empty());
    let (status, body) = harness
        .call(
            "/service/servicetype",
            "not-a-token",
            json!({"msisdn": "88110004", "info": "1"}),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (401, Some("401")));
}

#[tokio::test]
async fn tokens_expire_after_their_ttl() {
    let harness = Harness::start(UnitelSimConfig {
        token_ttl: Duration::from_millis(100),
        ..UnitelSimConfig::default()
    })
    .await;
    let token = harness.token().await;
    let query = json!({"msisdn": "88110004", "info": "1"});
    assert_eq!(
        harness
            .call("/service/servicetype", &token, query.clone())
            .await
            .0,
        200
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        harness.call("/service/servicetype", &token, query).await.0,
        401
    );
}

#[tokio::test]
async fn price_lists_follow_the_last_digit() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    for (number, name) in [
        ("88110001", "Smart-days"),
        ("88110005", "Smart-talk"),
        ("88110006", "Smart-data"),
        ("88110008", "postpaid"),
        ("88110009", "postpaid"),
    ] {
        let (status, body) = harness
            .call(
                "/service/servicetype",
                &token,
                json!({"msisdn": number, "info": "1"}),
            )
            .await;
        assert_eq!(
            (status, body["service"]["name"].as_str()),
            (200, Some(name))
        );
    }
    let (status, body) = harness
        .call(
            "/service/servicetype",
            &token,
            json!({"msisdn": "123", "info": "1"}),
        )
        .await;
    assert_eq!(
        (status, body["result"].as_str(), body["code"].as_str()),
        (200, Some("failed"), Some("101"))
    );
    let (status, _) = harness
        .call("/service/servicetype", &token, json!({"nope": 1}))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_ledger_records_every_applied_top_up_even_a_repeated_one() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (status, body) = harness
        .call("/service/recharge", &token, recharge("ORD-1"))
        .await;
    assert_eq!(
        (status, body["result"].as_str(), body["code"].as_str()),
        (200, Some("success"), Some("000"))
    );
    assert!(body["seq"].is_string() && body["vat"]["lottery"].is_string());
    // A real operator does not deduplicate journal ids: sending twice tops up twice.
    harness
        .call("/service/recharge", &token, recharge("ORD-1"))
        .await;
    let ledger = harness.ledger().await;
    assert_eq!(ledger.for_journal("ORD-1").len(), 2);
    assert_eq!(ledger.for_msisdn("88110004").len(), 2);
    assert_eq!(ledger.for_journal("ORD-2").len(), 0);
}

#[tokio::test]
async fn money_calls_are_validated_against_the_subscriber() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let mut wrong_price = recharge("ORD-1");
    wrong_price["transactions"][0]["amount"] = json!("4000");
    let package_as_card = json!({
        "msisdn": "88110004", "package": "ST5000", "vatflag": "1", "vat_register_no": "",
        "transactions": [{"journal_id": "ORD-2", "amount": "5000", "description": "", "account": ""}]
    });
    let prepaid_bill = json!({
        "msisdn": "88110004", "amount": "1000", "remark": "", "vatflag": "1", "vat_register_no": "",
        "transactions": [{"journal_id": "ORD-3", "amount": "1000", "description": "", "account": ""}]
    });
    for (path, body, code) in [
        ("/service/recharge", wrong_price, "104"),
        ("/service/datapackage", package_as_card, "103"),
        ("/service/payment", prepaid_bill, "102"),
    ] {
        let (status, answer) = harness.call(path, &token, body).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (200, Some(code)),
            "{path}"
        );
    }
    let (status, _) = harness
        .call(
            "/service/recharge",
            &token,
            json!({"msisdn": "88110004", "card": "ST5000", "transactions": []}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(harness.ledger().await.entries.is_empty());
}

#[tokio::test]
async fn a_bill_payment_lowers_the_bill() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let bill = json!({"owner": "88110009", "msisdn": "88110009"});
    let (_, before) = harness.call("/service/unitel", &token, bill.clone()).await;
    assert_eq!(before["total_unpaid"], 74220);
    let payment = json!({
        "msisdn": "88110009", "amount": "70000", "remark": "Bill Payment via WeChat",
        "vatflag": "1", "vat_register_no": "",
        "transactions": [{"journal_id": "ORD-9", "amount": "70000", "description": "Bill Payment", "account": ""}]
    });
    let (status, paid) = harness.call("/service/payment", &token, payment).await;
    assert_eq!((status, paid["result"].as_str()), (200, Some("success")));
    assert!(paid["seq_id"].is_string());
    let (_, after) = harness.call("/service/unitel", &token, bill).await;
    assert_eq!(after["total_unpaid"], 4220);
}

#[tokio::test]
async fn apply_then_drop_applies_and_never_answers() {
    let harness = Harness::default().await;
    assert_eq!(
        harness
            .set_faults(json!({"top_up": {"kind": "apply_then_drop", "hold_ms": 50}}))
            .await,
        200
    );
    let token = harness.token().await;
    let answer = harness
        .http
        .post(harness.url("/service/recharge"))
        .bearer_auth(&token)
        .json(&recharge("ORD-1"))
        .send()
        .await;
    assert!(answer.is_err(), "no answer expected: {answer:?}");
    assert_eq!(harness.ledger().await.for_journal("ORD-1").len(), 1);
}

#[tokio::test]
async fn pending_top_ups_succeed_after_the_configured_checks() {
    let harness = Harness::default().await;
    harness
        .set_faults(json!({"top_up": {"kind": "pending", "checks_until_success": 2}}))
        .await;
    let token = harness.token().await;
    let (_, answer) = harness
        .call("/service/recharge", &token, recharge("ORD-1"))
        .await;
    assert_eq!(answer["result"], "pending");
    let seq = answer["seq"].as_str().expect("seq").to_owned();
    let check = json!({"seq_id": seq});
    let (_, first) = harness
        .call("/service/check_transaction_result", &token, check.clone())
        .await;
    assert_eq!(
        (first["result"].as_str(), first["status"].as_str()),
        (Some("success"), Some("pending"))
    );
    let (_, second) = harness
        .call("/service/check_transaction_result", &token, check)
        .await;
    assert_eq!(second["status"], "success");
    assert!(second["vat"].is_object());
    let (_, unknown) = harness
        .call(
            "/service/check_transaction_result",
            &token,
            json!({"seq_id": "nope"}),
        )
        .await;
    assert_eq!(
        (unknown["result"].as_str(), unknown["code"].as_str()),
        (Some("failed"), Some("404"))
    );
}

#[tokio::test]
async fn server_errors_empty_answers_latency_and_query_errors() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    harness
        .set_faults(json!({"top_up": {"kind": "server_error", "status": 503, "apply": true}}))
        .await;
    let (status, body) = harness
        .call("/service/recharge", &token, recharge("ORD-1"))
        .await;
    assert_eq!((status, body), (503, Value::Null));
    harness
        .set_faults(json!({"top_up": {"kind": "empty_answer"}}))
        .await;
    let (status, body) = harness
        .call("/service/recharge", &token, recharge("ORD-2"))
        .await;
    assert_eq!((status, body), (200, Value::Null));
    let ledger = harness.ledger().await;
    assert_eq!(
        (
            ledger.for_journal("ORD-1").len(),
            ledger.for_journal("ORD-2").len()
        ),
        (1, 0)
    );

    harness
        .set_faults(json!({"latency_ms": 150, "query_error_status": 502}))
        .await;
    let started = Instant::now();
    let (status, _) = harness
        .call(
            "/service/servicetype",
            &token,
            json!({"msisdn": "88110004", "info": "1"}),
        )
        .await;
    assert_eq!(status, 502);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn faults_are_validated_and_reset_restores_the_start() {
    let harness = Harness::start(UnitelSimConfig {
        faults: Faults {
            latency_ms: 1,
            ..Faults::default()
        },
        ..UnitelSimConfig::default()
    })
    .await;
    assert_eq!(harness.set_faults(json!({"failure_rate": 1.5})).await, 400);
    assert_eq!(
        harness.set_faults(json!({"no_such_fault": true})).await,
        400
    );
    assert_eq!(
        harness
            .set_faults(json!({"top_up": {"kind": "server_error", "status": 404}}))
            .await,
        400
    );
    assert_eq!(
        harness
            .set_faults(json!({"unauthorized_next": 1, "top_up": {"kind": "failed"}}))
            .await,
        200
    );
    let current: Faults = harness
        .http
        .get(harness.url("/__sandbox/faults"))
        .send()
        .await
        .expect("faults answer")
        .json()
        .await
        .expect("faults JSON");
    assert_eq!(current.unauthorized_next, 1);
    assert!(matches!(current.top_up, TopUpFault::Failed { ref code, .. } if code == "105"));

    let token = harness.token().await;
    harness.sim.set_faults(Faults::default()).expect("valid");
    harness
        .call("/service/recharge", &token, recharge("ORD-1"))
        .await;
    assert_eq!(harness.ledger().await.entries.len(), 1);
    let reset = harness
        .http
        .post(harness.url("/__sandbox/reset"))
        .send()
        .await
        .expect("reset");
    assert_eq!(reset.status().as_u16(), 204);
    assert!(harness.ledger().await.entries.is_empty());
    assert_eq!(harness.sim.faults().latency_ms, 1);
    let (status, _) = harness
        .call("/service/recharge", &token, recharge("ORD-2"))
        .await;
    assert_eq!(status, 401, "tokens are forgotten on reset");
}

#[tokio::test]
async fn invalid_start_faults_are_refused() {
    let started = UnitelSimulator::start(UnitelSimConfig {
        faults: Faults {
            failure_rate: -0.1,
            ..Faults::default()
        },
        ..UnitelSimConfig::default()
    })
    .await;
    assert!(matches!(
        started,
        Err(super::UnitelSimError::InvalidFaults(_))
    ));
}
