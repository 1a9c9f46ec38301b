//! The Kuaidi100 client against a local fake server: the signed form it sends, the answers
//! it reads and every way a query fails.

use std::time::Duration;

use elife_domain::trade::delivery::{ParcelTracking, TrackingError, TrackingQuery, TrackingState};
use elife_logistics::{Kuaidi100Client, Kuaidi100Config, sign};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const CUSTOMER: &str = "CUSTOMER-TEST";
const KEY: &str = "key-test-secret";

fn config(server: &MockServer) -> Kuaidi100Config {
    Kuaidi100Config {
        base_url: format!("{}/", server.uri()),
        customer: CUSTOMER.to_owned(),
        key: KEY.to_owned(),
        timeout: Duration::from_millis(500),
    }
}

fn query() -> TrackingQuery {
    TrackingQuery {
        carrier: "shunfeng".to_owned(),
        tracking_no: "SF1234567890".to_owned(),
        phone_last4: Some("5678".to_owned()),
    }
}

/// The form fields of a request, decoded.
fn fields(request: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

fn field(request: &Request, name: &str) -> String {
    fields(request)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_default()
}

async fn answering(template: ResponseTemplate) -> (MockServer, Kuaidi100Client) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/poll/query.do"))
        .respond_with(template)
        .mount(&server)
        .await;
    let client = Kuaidi100Client::new(config(&server)).unwrap();
    (server, client)
}

#[tokio::test]
async fn sends_a_signed_form_and_reads_the_track() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/poll/query.do"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            r#"{"message":"ok","nu":"SF1234567890","ischeck":"0","com":"shunfeng","status":"200",
            "state":"5","condition":"","data":[
            {"time":"2025-10-19 09:00:00","ftime":"2025-10-19 09:00:00","context":"快件派送中","areaName":"深圳市"},
            {"time":"2025-10-18 20:00:00","ftime":"2025-10-18 20:00:00","context":"快件已发出","areaName":"广州市"}]}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = Kuaidi100Client::new(config(&server)).unwrap();
    let tracking = client.track(&query()).await.unwrap();
    assert_eq!(tracking.state, TrackingState::Delivering);
    assert_eq!(tracking.events.len(), 2);
    assert_eq!(tracking.events[0].description, "快件派送中");
    assert!(tracking.events[0].at > tracking.events[1].at);

    let requests = server.received_requests().await.unwrap();
    let request = &requests[0];
    assert_eq!(field(request, "customer"), CUSTOMER);
    let param = field(request, "param");
    assert_eq!(field(request, "sign"), sign(&param, KEY, CUSTOMER));
    assert_eq!(field(request, "sign").len(), 32);
    let param: serde_json::Value = serde_json::from_str(&param).unwrap();
    assert_eq!(param["com"], "shunfeng");
    assert_eq!(param["num"], "SF1234567890");
    assert_eq!(param["phone"], "5678");
    assert_eq!(param["resultv2"], "1");
    // The key itself never travels.
    assert!(!String::from_utf8_lossy(&request.body).contains(KEY));
}

#[tokio::test]
async fn a_query_without_phone_leaves_the_field_out() {
    let (server, client) = answering(
        ResponseTemplate::new(200).set_body_string(r#"{"status":"200","state":"0","data":[]}"#),
    )
    .await;
    let tracking = client
        .track(&TrackingQuery {
            phone_last4: None,
            ..query()
        })
        .await
        .unwrap();
    assert_eq!(tracking.state, TrackingState::InTransit);
    let request = &server.received_requests().await.unwrap()[0];
    let param: serde_json::Value = serde_json::from_str(&field(request, "param")).unwrap();
    assert!(param.get("phone").is_none(), "{param}");
}

#[tokio::test]
async fn refusals_in_the_body_are_mapped() {
    let cases = [
        (
            r#"{"result":false,"returnCode":"500","message":"查询无结果，请隔段时间再查"}"#,
            TrackingError::NoRecord,
        ),
        (
            r#"{"result":false,"returnCode":"503","message":"验证签名失败"}"#,
            TrackingError::Rejected {
                code: "503".to_owned(),
                message: "验证签名失败".to_owned(),
            },
        ),
        (
            r#"{"result":false,"returnCode":"400","message":"找不到对应公司"}"#,
            TrackingError::Rejected {
                code: "400".to_owned(),
                message: "找不到对应公司".to_owned(),
            },
        ),
        (
            r#"{"result":false,"returnCode":"601","message":"POLL:KEY已过期"}"#,
            TrackingError::Rejected {
                code: "601".to_owned(),
                message: "POLL:KEY已过期".to_owned(),
            },
        ),
        (
            r#"{"result":false,"returnCode":"502","message":"服务器繁忙"}"#,
            TrackingError::Unavailable("502: 服务器繁忙".to_owned()),
        ),
    ];
    for (body, expected) in cases {
        let (_server, client) = answering(ResponseTemplate::new(200).set_body_string(body)).await;
        assert_eq!(client.track(&query()).await, Err(expected), "{body}");
    }
}

#[tokio::test]
async fn http_failures_are_mapped() {
    let (_server, client) =
        answering(ResponseTemplate::new(502).set_body_string("bad gateway")).await;
    let busy = client.track(&query()).await;
    assert!(
        matches!(busy, Err(TrackingError::Unavailable(_))),
        "{busy:?}"
    );

    let (_server, client) =
        answering(ResponseTemplate::new(403).set_body_string("forbidden")).await;
    let refused = client.track(&query()).await;
    assert!(
        matches!(refused, Err(TrackingError::Rejected { ref code, .. }) if code == "403"),
        "{refused:?}"
    );

    let (_server, client) = answering(ResponseTemplate::new(200).set_body_string("<html>")).await;
    let garbled = client.track(&query()).await;
    assert!(
        matches!(garbled, Err(TrackingError::InvalidResponse(_))),
        "{garbled:?}"
    );

    let (_server, client) = answering(
        ResponseTemplate::new(200)
            .set_body_string(r#"{"status":"200","state":"0","data":[]}"#)
            .set_delay(Duration::from_secs(3)),
    )
    .await;
    let slow = client.track(&query()).await;
    assert!(
        matches!(slow, Err(TrackingError::Unavailable(ref m)) if m.contains("timed out")),
        "{slow:?}"
    );
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    // A port that was free a moment ago and has no listener now (wiremock reuses its own
    // servers, so a dropped MockServer's port may still answer).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let config = Kuaidi100Config {
        base_url: format!("http://{addr}"),
        ..Kuaidi100Config::new(CUSTOMER, KEY)
    };
    let client = Kuaidi100Client::new(config).unwrap();
    let result = client.track(&query()).await;
    assert!(
        matches!(result, Err(TrackingError::Unavailable(_))),
        "{result:?}"
    );
}

#[test]
fn configuration_is_checked_and_the_key_never_printed() {
    let mut config = Kuaidi100Config::new("customer", "");
    assert!(Kuaidi100Client::new(config.clone()).is_err());
    config.key = "very-secret".to_owned();
    config.base_url = "not a url".to_owned();
    assert!(Kuaidi100Client::new(config.clone()).is_err());
    config.base_url = Kuaidi100Config::DEFAULT_BASE_URL.to_owned();
    let client = Kuaidi100Client::new(config.clone()).unwrap();
    assert!(!format!("{config:?} {client:?}").contains("very-secret"));
    assert_eq!(
        config.query_url(),
        "https://poll.kuaidi100.com/poll/query.do"
    );
}
