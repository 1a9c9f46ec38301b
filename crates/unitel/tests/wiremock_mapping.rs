//! The adapter against a mocked Unitel: every answer mapping, token handling and caching.

mod common;

use std::time::Duration;

use base64::Engine;
use elife_domain::money::Mnt;
use elife_domain::order::RechargeKind;
use elife_domain::ports::{
    ProviderError, TopUpAccepted, TopUpError, TopUpProvider, TransactionCheck,
};
use serde_json::json;
use wiremock::matchers::{body_json, body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::*;

fn basic() -> String {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{USERNAME}:{PASSWORD}"));
    format!("Basic {encoded}")
}

/// A server whose `/auth` hands out `token-1`, `expected` times.
async fn server_with_auth(expected: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth"))
        .and(header("authorization", basic().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "token-1"})))
        .expect(expected)
        .mount(&server)
        .await;
    server
}

fn ok_json(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json")
}

async fn mount_money(server: &MockServer, route: &str, answer: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(route))
        .respond_with(answer)
        .expect(1) // Never retried, whatever the answer.
        .named(format!("money call {route}"))
        .mount(server)
        .await;
}

fn voice() -> elife_domain::ports::TopUpRequest {
    top_up(RechargeKind::Voice, "88110004", "ST5000", 5000)
}

// ---- calls that move no money -------------------------------------------------------

#[tokio::test]
async fn price_list_is_fetched_with_a_bearer_token_and_parsed() {
    let server = server_with_auth(1).await;
    Mock::given(method("POST"))
        .and(path("/service/servicetype"))
        .and(header("authorization", "Bearer token-1"))
        .and(body_json(json!({"msisdn": "88110004", "info": "1"})))
        .respond_with(ok_json(SMART_TALK))
        .expect(1)
        .mount(&server)
        .await;
    let unitel = client(config(&server.uri()));

    let list = unitel
        .price_list(&msisdn("88110004"))
        .await
        .expect("price list");
    assert_eq!(list.products.len(), 27);
    assert_eq!(
        list.find(RechargeKind::Voice, "ST5000").map(|p| p.price),
        Some(Mnt::new(5000))
    );
    assert_eq!(list.raw, json(SMART_TALK));
    // Cached: the second call does not reach Unitel (checked by `expect(1)`).
    let again = unitel
        .price_list(&msisdn("88110004"))
        .await
        .expect("cached");
    assert_eq!(again, list);
}

#[tokio::test]
async fn price_list_cache_expires() {
    let server = server_with_auth(1).await;
    Mock::given(method("POST"))
        .and(path("/service/servicetype"))
        .respond_with(ok_json(POSTPAID_LIST))
        .expect(2)
        .mount(&server)
        .await;
    let mut config = config(&server.uri());
    config.price_list_ttl = Duration::from_millis(50);
    let unitel = client(config);
    unitel.price_list(&msisdn("88110008")).await.expect("first");
    tokio::time::sleep(Duration::from_millis(80)).await;
    unitel
        .price_list(&msisdn("88110008"))
        .await
        .expect("refetched");
}

#[tokio::test]
async fn token_is_reused_and_concurrent_callers_share_one_refresh() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "token-1"}))
                .set_delay(Duration::from_millis(100)),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/service/servicetype"))
        .and(header("authorization", "Bearer token-1"))
        .respond_with(ok_json(SMART_TALK))
        .expect(8)
        .mount(&server)
        .await;
    let unitel = std::sync::Arc::new(client(config(&server.uri())));
    let calls = (0..8).map(|i| {
        let unitel = unitel.clone();
        tokio::spawn(async move { unitel.price_list(&msisdn(&format!("8811000{i}"))).await })
    });
    for call in calls {
        call.await.expect("task").expect("price list");
    }
}

#[tokio::test]
async fn a_401_on_a_query_refreshes_the_token_once_and_retries() {
    let server = server_with_auth(2).await;
    Mock::given(method("POST"))
        .and(path("/service/unitel"))
        .respond_with(ResponseTemplate::new(401))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/service/unitel"))
        .and(body_json(
            json!({"owner": "88110009", "msisdn": "88110009"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json(POSTPAID_BILLS)["b"].clone()))
        .expect(1)
        .mount(&server)
        .await;
    let unitel = client(config(&server.uri()));
    let bill = unitel
        .postpaid_bill(&msisdn("88110009"))
        .await
        .expect("bill");
    assert_eq!(bill.total_unpaid, Mnt::new(74220));
    assert_eq!(bill.invoice_status.as_deref(), Some("unpaid"));
}

#[tokio::test]
async fn a_second_401_on_a_query_gives_up() {
    let server = server_with_auth(2).await;
    Mock::given(method("POST"))
        .and(path("/service/servicetype"))
        .respond_with(ResponseTemplate::new(401))
        .expect(2)
        .mount(&server)
        .await;
    let unitel = client(config(&server.uri()));
    let error = unitel
        .price_list(&msisdn("88110004"))
        .await
        .expect_err("refused");
    assert!(matches!(error, ProviderError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn query_failures_map_to_provider_errors() {
    let server = server_with_auth(1).await;
    Mock::given(method("POST"))
        .and(path("/service/servicetype"))
        .and(body_partial_json(json!({"msisdn": "88110001"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"result": "failed", "code": "101", "msg": "Subscriber not found"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/service/servicetype"))
        .and(body_partial_json(json!({"msisdn": "88110002"})))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>busy</html>"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/service/servicetype"))
        .and(body_partial_json(json!({"msisdn": "88110003"})))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>oops</html>"))
        .mount(&server)
        .await;
    let unitel = client(config(&server.uri()));
    assert_eq!(
        unitel.price_list(&msisdn("88110001")).await,
        Err(ProviderError::Rejected {
            code: "101".to_owned(),
            message: "Subscriber not found".to_owned()
        })
    );
    assert!(matches!(
        unitel.price_list(&msisdn("88110002")).await,
        Err(ProviderError::Unavailable(_))
    ));
    assert!(matches!(
        unitel.price_list(&msisdn("88110003")).await,
        Err(ProviderError::InvalidResponse(_))
    ));
}

#[tokio::test]
async fn refused_credentials_make_queries_unavailable_and_money_calls_unsent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/service/recharge"))
        .respond_with(ok_json(RECHARGE_OK))
        .expect(0)
        .mount(&server)
        .await;
    let unitel = client(config(&server.uri()));
    assert!(matches!(
        unitel.price_list(&msisdn("88110004")).await,
        Err(ProviderError::Unavailable(_))
    ));
    assert!(matches!(
        unitel.top_up(&voice()).await,
        Err(TopUpError::NotSent(_))
    ));
}

#[tokio::test]
async fn check_transaction_reads_the_status() {
    let server = server_with_auth(1).await;
    for (seq, answer) in [
        (
            "1",
            json!({"result": "success", "code": "000", "status": "success", "vat": {"billId": "b1"}}),
        ),
        (
            "2",
            json!({"result": "success", "code": "000", "status": "failed", "msg": "reverted"}),
        ),
        (
            "3",
            json!({"result": "success", "code": "000", "status": "processing"}),
        ),
        (
            "4",
            json!({"result": "failed", "code": "404", "msg": "Transaction not found"}),
        ),
    ] {
        Mock::given(method("POST"))
            .and(path("/service/check_transaction_result"))
            .and(body_json(json!({"seq_id": seq})))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .expect(1)
            .mount(&server)
            .await;
    }
    let unitel = client(config(&server.uri()));
    assert_eq!(
        unitel.check_transaction("1").await,
        Ok(TransactionCheck::Succeeded {
            receipt: Some(json!({"billId": "b1"}))
        })
    );
    assert_eq!(
        unitel.check_transaction("2").await,
        Ok(TransactionCheck::Failed {
            code: "000".to_owned(),
            message: "reverted".to_owned()
        })
    );
    assert_eq!(
        unitel.check_transaction("3").await,
        Ok(TransactionCheck::StillPending)
    );
    assert!(matches!(
        unitel.check_transaction("4").await,
        Err(ProviderError::Rejected { ref code, .. }) if code == "404"
    ));
}

// ---- money calls ----------------------------------------------------------------------

#[tokio::test]
async fn voice_recharge_success_keeps_seq_sv_id_and_receipt() {
    let server = server_with_auth(1).await;
    let request = voice();
    Mock::given(method("POST"))
        .and(path("/service/recharge"))
        .and(header("authorization", "Bearer token-1"))
        .and(body_json(json!({
            "msisdn": "88110004", "card": "ST5000", "vatflag": "1", "vat_register_no": "",
            "transactions": [{"journal_id": request.journal_id.as_str(), "amount": "5000",
                              "description": "Recharge", "account": ""}]
        })))
        .respond_with(ok_json(RECHARGE_OK))
        .expect(1)
        .mount(&server)
        .await;
    let unitel = client(config(&server.uri()));
    let accepted = unitel.top_up(&request).await.expect("succeeded");
    assert_eq!(
        accepted,
        TopUpAccepted::Succeeded {
            seq: Some("1760754386127".to_owned()),
            sv_id: Some("P_ETOPUP_0102493497".to_owned()),
            receipt: Some(json(RECHARGE_OK)["vat"].clone()),
        }
    );
}

#[tokio::test]
async fn data_package_goes_to_datapackage_with_the_package_code() {
    let server = server_with_auth(1).await;
    Mock::given(method("POST"))
        .and(path("/service/datapackage"))
        .and(body_partial_json(
            json!({"package": "data3gb2d", "msisdn": "88110008"}),
        ))
        .respond_with(ok_json(DATA_PACKAGE_OK))
        .expect(1)
        .mount(&server)
        .await;
    let unitel = client(config(&server.uri()));
    let accepted = unitel
        .top_up(&top_up(RechargeKind::Data, "88110008", "data3gb2d", 3500))
        .await
        .expect("succeeded");
    assert!(matches!(
        accepted,
        TopUpAccepted::Succeeded { sv_id: None, seq: Some(ref seq), receipt: Some(_) } if seq == "1760754538548"
    ));
}

#[tokio::test]
async fn bill_payment_sends_amount_and_remark_and_reads_seq_id() {
    let server = server_with_auth(1).await;
    Mock::given(method("POST"))
        .and(path("/service/payment"))
        .and(body_partial_json(json!({
            "msisdn": "88110009", "amount": "74220", "remark": "Bill Payment via WeChat",
            "vatflag": "1", "transactions": [{"amount": "74220", "description": "Bill Payment"}]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"result": "success", "code": "000", "msg": "success", "seq_id": "555", "transaction_id": "t"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let unitel = client(config(&server.uri()));
    let accepted = unitel
        .top_up(&top_up(RechargeKind::Postpaid, "88110009", "", 74220))
        .await
        .expect("succeeded");
    assert_eq!(
        accepted,
        TopUpAccepted::Succeeded {
            seq: Some("555".to_owned()),
            sv_id: None,
            receipt: None
        }
    );
}

#[tokio::test]
async fn failed_with_a_code_is_rejected() {
    let server = server_with_auth(1).await;
    mount_money(
        &server,
        "/service/recharge",
        ResponseTemplate::new(200).set_body_json(
            json!({"result": "failed", "code": "105", "msg": "Insufficient balance"}),
        ),
    )
    .await;
    let unitel = client(config(&server.uri()));
    assert_eq!(
        unitel.top_up(&voice()).await,
        Err(TopUpError::Rejected {
            code: "105".to_owned(),
            message: "Insufficient balance".to_owned()
        })
    );
}

#[tokio::test]
async fn a_4xx_with_a_business_error_is_rejected() {
    let server = server_with_auth(1).await;
    mount_money(
        &server,
        "/service/recharge",
        ResponseTemplate::new(400)
            .set_body_json(json!({"result": "failed", "code": "400", "msg": "card is invalid"})),
    )
    .await;
    let unitel = client(config(&server.uri()));
    assert!(matches!(
        unitel.top_up(&voice()).await,
        Err(TopUpError::Rejected { ref code, .. }) if code == "400"
    ));
}

#[tokio::test]
async fn a_401_on_a_money_call_is_not_sent_and_not_retried() {
    // Auth once for the refused call, once more for the next call (token dropped).
    let server = server_with_auth(2).await;
    mount_money(&server, "/service/recharge", ResponseTemplate::new(401)).await;
    Mock::given(method("POST"))
        .and(path("/service/servicetype"))
        .respond_with(ok_json(SMART_TALK))
        .expect(1)
        .mount(&server)
        .await;
    let unitel = client(config(&server.uri()));
    assert!(matches!(
        unitel.top_up(&voice()).await,
        Err(TopUpError::NotSent(_))
    ));
    unitel
        .price_list(&msisdn("88110004"))
        .await
        .expect("fresh token");
}

#[tokio::test]
async fn an_unclear_answer_with_a_seq_is_pending() {
    let server = server_with_auth(1).await;
    mount_money(
        &server,
        "/service/recharge",
        ResponseTemplate::new(200).set_body_json(
            json!({"result": "pending", "code": "001", "msg": "processing", "seq": "99"}),
        ),
    )
    .await;
    let unitel = client(config(&server.uri()));
    assert_eq!(
        unitel.top_up(&voice()).await,
        Ok(TopUpAccepted::Pending {
            seq: "99".to_owned()
        })
    );
}

async fn assert_outcome_unknown(answer: ResponseTemplate) {
    let server = server_with_auth(1).await;
    mount_money(&server, "/service/recharge", answer).await;
    let mut config = config(&server.uri());
    config.request_timeout = Duration::from_millis(300);
    let unitel = client(config);
    let outcome = unitel.top_up(&voice()).await;
    assert!(
        matches!(outcome, Err(TopUpError::OutcomeUnknown(_))),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_5xx_is_outcome_unknown() {
    assert_outcome_unknown(
        ResponseTemplate::new(500).set_body_string("<html>Internal Server Error</html>"),
    )
    .await;
    assert_outcome_unknown(ResponseTemplate::new(502)).await;
}

#[tokio::test]
async fn an_empty_or_unreadable_body_is_outcome_unknown() {
    assert_outcome_unknown(ResponseTemplate::new(200)).await;
    assert_outcome_unknown(ResponseTemplate::new(200).set_body_string("{\"result\":")).await;
    assert_outcome_unknown(
        ResponseTemplate::new(200).set_body_json(json!({"result": "processing"})),
    )
    .await;
}

#[tokio::test]
async fn a_timeout_is_outcome_unknown() {
    assert_outcome_unknown(ok_json(RECHARGE_OK).set_delay(Duration::from_secs(2))).await;
}

#[tokio::test]
async fn a_connection_that_cannot_open_means_nothing_was_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let unitel = client(config(&closed));
    assert!(matches!(
        unitel.price_list(&msisdn("88110004")).await,
        Err(ProviderError::Unavailable(_))
    ));
    assert!(matches!(
        unitel.top_up(&voice()).await,
        Err(TopUpError::NotSent(_))
    ));
}
