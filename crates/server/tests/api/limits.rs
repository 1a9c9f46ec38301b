//! Rate limits (429 with `Retry-After`, refusals do not use up a quota) and the HTTP
//! layer's own errors in the envelope.

use serde_json::{Value, json};

use crate::helpers::{VOICE_NUMBER, assert_error_envelope, spawn_app_with};

#[tokio::test]
async fn refused_orders_do_not_use_up_the_order_quota() {
    let app = spawn_app_with(&[("RATE_LIMIT_ORDERS", "2")]).await;
    let invalid = [
        json!({"phoneNumber": "123", "productOperator": "Unitel", "rechargeType": "voice", "productCode": "ST3000"}),
        json!({"phoneNumber": VOICE_NUMBER, "productOperator": "Unitel", "rechargeType": "voice", "productCode": "NOPE"}),
        json!({"phoneNumber": VOICE_NUMBER, "productOperator": "Mobicom", "rechargeType": "voice", "productCode": "ST3000"}),
        json!({}),
    ];
    for body in invalid.iter().cycle().take(8) {
        let refused = app.user_post("o-quota", "/orders", body).await;
        assert_eq!(refused.status, 400, "{}", refused.body);
    }
    let valid = json!({"phoneNumber": VOICE_NUMBER, "productOperator": "Unitel", "rechargeType": "voice", "productCode": "ST3000"});
    for _ in 0..2 {
        let placed = app.user_post("o-quota", "/orders", &valid).await;
        assert_eq!(placed.status, 201, "{}", placed.body);
    }
    let limited = app
        .client
        .post(app.url("/orders"))
        .header("X-WX-SOURCE", "wx")
        .header("X-WX-OPENID", "o-quota")
        .json(&valid)
        .send()
        .await
        .expect("request");
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: Value = limited.json().await.expect("envelope");
    assert_eq!(body["code"], 429);
    assert_eq!(body["path"], "/orders");
}

#[tokio::test]
async fn public_routes_are_limited_per_address_and_health_is_not() {
    let app = spawn_app_with(&[("RATE_LIMIT_PUBLIC", "3")]).await;
    for _ in 0..3 {
        assert_eq!(app.get("/exchange-rate/current").await.status, 200);
    }
    let limited = app.get("/exchange-rate/current").await;
    assert_error_envelope(&limited, 429, "/exchange-rate/current");
    for _ in 0..10 {
        assert_eq!(app.get("/health").await.status, 200);
    }
    // Another address (as Cloud Hosting reports it) has its own allowance.
    let other = app
        .client
        .get(app.url("/exchange-rate/current"))
        .header("X-Original-Forwarded-For", "203.0.113.7")
        .send()
        .await
        .expect("request");
    assert_eq!(other.status(), 200);
}

/// Sends raw bytes and reads the whole answer (the server closes after an HTTP-layer error).
async fn raw_exchange(address: &str, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    // The server may answer and close before it has read everything we send.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

fn envelope_of(answer: &str) -> (u16, Value) {
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    let status = head[9..12].parse().expect("status code");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    (status, serde_json::from_str(body).expect("a JSON body"))
}

#[tokio::test]
async fn errors_of_the_http_layer_use_the_envelope() {
    let app = spawn_app_with(&[]).await;
    let long_url = format!(
        "GET /orders/{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(100 * 1024)
    );
    let (status, body) = envelope_of(&raw_exchange(&app.address, long_url.as_bytes()).await);
    assert_eq!(status, 400);
    assert_eq!(body["code"], 400);
    assert!(
        body["message"].as_str().unwrap().contains("64 KiB"),
        "{body}"
    );

    let huge_head = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "b".repeat(140 * 1024)
    );
    let (status, body) = envelope_of(&raw_exchange(&app.address, huge_head.as_bytes()).await);
    assert_eq!(status, 431);
    assert_eq!(body["code"], 431);

    let garbage = b"NOT HTTP AT ALL\r\n\r\n";
    let (status, body) = envelope_of(&raw_exchange(&app.address, garbage).await);
    assert_eq!(status, 400);
    assert_eq!(body["code"], 400);

    // The connection wrapper leaves ordinary answers alone.
    assert_eq!(app.get("/health").await.status, 200);
}
