//! How long a top-up can stay in flight. The server's stale sweep declares a claim lost
//! once it is older than `STALE_SUBMISSION_MINUTES`, and the configuration only checks that
//! this exceeds `UNITEL_TIMEOUT` (crates/server/src/configuration.rs): the adapter must
//! therefore answer every top-up within `request_timeout`, token refresh included.

mod common;

use std::time::{Duration, Instant};

use elife_domain::order::RechargeKind;
use elife_domain::ports::TopUpProvider;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::*;

#[tokio::test]
async fn a_top_up_answers_within_the_request_timeout_token_refresh_included() {
    let server = MockServer::start().await;
    // Each step alone is within the timeout; together they are not.
    Mock::given(method("POST"))
        .and(path("/auth"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "token-1"}))
                .set_delay(Duration::from_millis(700)),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/service/recharge"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(RECHARGE_OK.to_owned(), "application/json")
                .set_delay(Duration::from_millis(700)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut settings = config(&server.uri());
    settings.request_timeout = Duration::from_millis(1000);
    let unitel = client(settings);

    let started = Instant::now();
    let outcome = unitel
        .top_up(&top_up(RechargeKind::Voice, "88110004", "ST5000", 5000))
        .await;
    let elapsed = started.elapsed();

    assert!(
        elapsed <= Duration::from_millis(1000) + Duration::from_millis(150),
        "the top-up was in flight {elapsed:?}, beyond UNITEL_TIMEOUT (1 s): succeeded {}",
        outcome.is_ok()
    );
}

#[tokio::test]
async fn a_top_up_queued_behind_a_failing_token_refresh_still_answers_within_the_timeout() {
    let server = MockServer::start().await;
    // The first refresh hangs until the client gives up; the next one answers at once.
    Mock::given(method("POST"))
        .and(path("/auth"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "token-1"}))
                .set_delay(Duration::from_millis(5000)),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/auth"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "token-2"}))
                .set_delay(Duration::from_millis(600)),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/service/recharge"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(RECHARGE_OK.to_owned(), "application/json")
                .set_delay(Duration::from_millis(600)),
        )
        .mount(&server)
        .await;
    let mut settings = config(&server.uri());
    settings.request_timeout = Duration::from_millis(1000);
    let unitel = std::sync::Arc::new(client(settings));

    // Two orders dispatched together (e.g. two callbacks in the same second).
    let first = {
        let unitel = unitel.clone();
        tokio::spawn(async move {
            unitel
                .top_up(&top_up(RechargeKind::Voice, "88110004", "ST5000", 5000))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    let second = unitel
        .top_up(&top_up(RechargeKind::Voice, "88110005", "ST5000", 5000))
        .await;
    let elapsed = started.elapsed();
    let _ = first.await;

    assert!(
        elapsed <= Duration::from_millis(1000) + Duration::from_millis(150),
        "the second top-up was in flight {elapsed:?}, beyond UNITEL_TIMEOUT (1 s): succeeded {}",
        second.is_ok()
    );
}
