//! Mixed faults (`mix`) and the slow answer, over HTTP.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Harness, recharge};

/// What a client saw of one money call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Outcome {
    Succeeded,
    Refused,
    Pending,
    ServerError,
    Dropped,
}

impl Harness {
    async fn set_faults_answer(&self, faults: Value) -> (u16, Value) {
        let answer = self
            .http
            .post(self.url("/__sandbox/faults"))
            .json(&faults)
            .send()
            .await
            .expect("faults answer");
        let status = answer.status().as_u16();
        (status, answer.json().await.unwrap_or(Value::Null))
    }

    async fn outcome(&self, token: &str, journal_id: &str) -> Outcome {
        let sent = self
            .http
            .post(self.url("/service/recharge"))
            .bearer_auth(token)
            .json(&recharge(journal_id))
            .send()
            .await;
        let Ok(answer) = sent else {
            return Outcome::Dropped;
        };
        if answer.status().is_server_error() {
            return Outcome::ServerError;
        }
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        match body["result"].as_str() {
            Some("success") => Outcome::Succeeded,
            Some("pending") => Outcome::Pending,
            Some("failed") => Outcome::Refused,
            other => panic!("unexpected answer {other:?}: {body}"),
        }
    }

    async fn outcomes(&self, token: &str, calls: usize) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(calls);
        for call in 0..calls {
            outcomes.push(self.outcome(token, &format!("ORD-{call}")).await);
        }
        outcomes
    }
}

#[tokio::test]
async fn the_mix_draws_every_listed_fault() {
    let harness = Harness::default().await;
    let (status, _) = harness
        .set_faults_answer(json!({"seed": 7, "mix": {"rate": 1.0, "faults": [
            {"kind": "slow", "hold_ms": 5},
            {"kind": "apply_then_drop", "hold_ms": 5},
            {"kind": "server_error", "status": 502, "apply": true},
            {"kind": "failed"},
            {"kind": "pending", "checks_until_success": 2},
        ]}}))
        .await;
    assert_eq!(status, 200);
    let token = harness.token().await;
    let outcomes = harness.outcomes(&token, 60).await;
    // At rate 1 nothing follows `top_up`, so every success is a slow one.
    for kind in [
        Outcome::Succeeded,
        Outcome::Dropped,
        Outcome::ServerError,
        Outcome::Refused,
        Outcome::Pending,
    ] {
        assert!(
            outcomes.contains(&kind),
            "{kind:?} never drawn: {outcomes:?}"
        );
    }
    // Every fault but `failed` applies the top-up.
    let refused = outcomes.iter().filter(|o| **o == Outcome::Refused).count();
    assert_eq!(
        harness.ledger().await.entries.len(),
        outcomes.len() - refused
    );
}

#[tokio::test]
async fn the_same_seed_repeats_the_same_run() {
    let harness = Harness::default().await;
    let faults = json!({"seed": 42, "mix": {"rate": 0.5, "faults": [
        {"kind": "failed"}, {"kind": "server_error", "status": 503}
    ]}});
    let token = harness.token().await;
    harness.set_faults_answer(faults.clone()).await;
    let first = harness.outcomes(&token, 40).await;
    // Setting the faults again restarts the seeded RNG.
    harness.set_faults_answer(faults).await;
    let second = harness.outcomes(&token, 40).await;
    assert_eq!(first, second);
    for kind in [Outcome::Succeeded, Outcome::Refused, Outcome::ServerError] {
        assert!(first.contains(&kind), "{kind:?} missing: {first:?}");
    }
}

#[tokio::test]
async fn a_zero_rate_mix_injects_nothing() {
    let harness = Harness::default().await;
    let (status, _) = harness
        .set_faults_answer(json!({"mix": {"rate": 0, "faults": [{"kind": "failed"}]}}))
        .await;
    assert_eq!(status, 200);
    let token = harness.token().await;
    let outcomes = harness.outcomes(&token, 20).await;
    assert!(
        outcomes.iter().all(|o| *o == Outcome::Succeeded),
        "{outcomes:?}"
    );
    assert_eq!(harness.ledger().await.entries.len(), 20);
    // An empty list is fine when nothing is drawn from it.
    let (status, _) = harness.set_faults_answer(json!({"mix": {"rate": 0}})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn invalid_mixes_are_refused_with_a_clear_message() {
    let harness = Harness::default().await;
    for (faults, expected) in [
        (
            json!({"mix": {"rate": 1.5, "faults": [{"kind": "failed"}]}}),
            "mix.rate must be within [0, 1], got 1.5",
        ),
        (
            json!({"mix": {"rate": 0.2, "faults": []}}),
            "mix.faults must not be empty when mix.rate is above 0",
        ),
        (
            json!({"mix": {"rate": 0.2, "faults": [
                {"kind": "failed"}, {"kind": "server_error", "status": 404}
            ]}}),
            "mix.faults[1]: server_error status must be 5xx, got 404",
        ),
        (
            json!({"top_up": {"kind": "server_error", "status": 200}}),
            "top_up: server_error status must be 5xx, got 200",
        ),
    ] {
        let (status, body) = harness.set_faults_answer(faults).await;
        assert_eq!((status, body["error"].as_str()), (400, Some(expected)));
    }
    for malformed in [
        json!({"mix": {"rate": 0.2, "faults": [{"kind": "nope"}]}}),
        json!({"mix": {"rate": 0.2, "extra": 1}}),
        json!({"mix": {"faults": [{"kind": "failed"}]}}),
    ] {
        let (status, body) = harness.set_faults_answer(malformed.clone()).await;
        assert_eq!(status, 400, "{malformed}");
        assert!(body["error"].is_string(), "{body}");
    }
    assert_eq!(
        harness.sim.faults().mix,
        None,
        "a refused set changes nothing"
    );
}

#[tokio::test]
async fn a_slow_top_up_is_applied_before_a_short_deadline_expires() {
    let harness = Harness::default().await;
    harness
        .set_faults_answer(json!({"top_up": {"kind": "slow", "hold_ms": 300}}))
        .await;
    let token = harness.token().await;
    let timed_out = harness
        .http
        .post(harness.url("/service/recharge"))
        .bearer_auth(&token)
        .timeout(Duration::from_millis(100))
        .json(&recharge("ORD-1"))
        .send()
        .await;
    assert!(timed_out.is_err_and(|error| error.is_timeout()));
    assert_eq!(harness.ledger().await.for_journal("ORD-1").len(), 1);

    let started = Instant::now();
    let (status, body) = harness
        .call("/service/recharge", &token, recharge("ORD-2"))
        .await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        (status, body["result"].as_str(), body["code"].as_str()),
        (200, Some("success"), Some("000"))
    );
    assert!(body["seq"].is_string());
}
