//! How failures map onto outcomes: no effect, not found, or unknown.

use std::sync::Arc;
use std::time::Duration;

use elife_wechatpay::{
    FixedClock, KeySource, NotSent, Outcome, PlatformCertificates, Unknown, VerificationError,
    WechatPayClient, WechatPayError,
};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const QUERY_PATH: &str = "/v3/pay/transactions/out-trade-no/EL20231114000001";
const NOT_PAID: &str = r#"{"amount":{"total":2350},"appid":"wxd678efh567hg6787","mchid":"1900000001",
"out_trade_no":"EL20231114000001","trade_state":"NOTPAY","trade_state_desc":"订单未支付"}"#;

async fn query_answered_with(answer: ResponseTemplate) -> WechatPayError {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(QUERY_PATH))
        .respond_with(answer)
        .mount(&server)
        .await;
    public_key_client(&server)
        .query_by_out_trade_no("EL20231114000001")
        .await
        .unwrap_err()
}

fn unverified(error: &WechatPayError) -> Option<&VerificationError> {
    match error {
        WechatPayError::OutcomeUnknown(Unknown::Unverified { source, .. }) => Some(source),
        _ => None,
    }
}

#[tokio::test]
async fn a_timeout_leaves_the_outcome_unknown() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            WechatSigner::public_key()
                .answer(200, NOT_PAID)
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let config = config(&server)
        .with_platform_certificates(PlatformCertificates::Off)
        .with_public_key(
            WECHAT_PUBLIC_KEY_ID,
            KeySource::Pem(WECHAT_PUBLIC_KEY.into()),
        )
        .with_timeout(Duration::from_millis(200));
    let client = WechatPayClient::with_clock(config, Arc::new(FixedClock::at(NOW))).unwrap();
    let error = client
        .query_by_out_trade_no("EL20231114000001")
        .await
        .unwrap_err();
    assert!(
        matches!(error, WechatPayError::OutcomeUnknown(Unknown::Timeout(_))),
        "{error:?}"
    );
    assert_eq!(error.outcome(), Outcome::Unknown);
}

#[tokio::test]
async fn server_errors_leave_the_outcome_unknown() {
    let error = query_answered_with(
        WechatSigner::public_key().answer(500, r#"{"code":"SYSTEM_ERROR","message":"系统错误"}"#),
    )
    .await;
    assert!(
        matches!(&error, WechatPayError::OutcomeUnknown(Unknown::ServerError(api)) if api.code == "SYSTEM_ERROR")
    );
    assert_eq!(error.outcome(), Outcome::Unknown);

    let error =
        query_answered_with(ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"))
            .await;
    assert!(
        matches!(&error, WechatPayError::OutcomeUnknown(Unknown::ServerError(api)) if api.code == "HTTP_502")
    );
}

#[tokio::test]
async fn a_refused_connection_sent_nothing() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let config = elife_wechatpay::WechatPayConfig {
        base_url: format!("http://{address}"),
        ..config(&MockServer::start().await)
    }
    .with_platform_certificates(PlatformCertificates::Off)
    .with_public_key(
        WECHAT_PUBLIC_KEY_ID,
        KeySource::Pem(WECHAT_PUBLIC_KEY.into()),
    );
    let client = WechatPayClient::with_clock(config, Arc::new(FixedClock::at(NOW))).unwrap();
    let error = client.close_order("EL20231114000001").await.unwrap_err();
    assert!(
        matches!(error, WechatPayError::NotSent(NotSent::Connect(_))),
        "{error:?}"
    );
    assert_eq!(error.outcome(), Outcome::NoEffect);
}

#[tokio::test]
async fn a_connection_reset_after_sending_leaves_the_outcome_unknown() {
    // A server that reads the whole request, then hangs up without answering.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buffer = vec![0u8; 16 * 1024];
        let mut received = Vec::new();
        while !received.windows(4).any(|window| window == b"\r\n\r\n") {
            let read = socket.read(&mut buffer).await.unwrap();
            if read == 0 {
                break;
            }
            received.extend_from_slice(&buffer[..read]);
        }
        drop(socket);
        String::from_utf8_lossy(&received).into_owned()
    });
    let config = elife_wechatpay::WechatPayConfig {
        base_url: format!("http://{address}"),
        ..config(&MockServer::start().await)
    }
    .with_platform_certificates(PlatformCertificates::Off)
    .with_public_key(
        WECHAT_PUBLIC_KEY_ID,
        KeySource::Pem(WECHAT_PUBLIC_KEY.into()),
    );
    let client = WechatPayClient::with_clock(config, Arc::new(FixedClock::at(NOW))).unwrap();
    let error = client
        .query_by_out_trade_no("EL20231114000001")
        .await
        .unwrap_err();
    let request = server.await.unwrap();
    assert!(
        request.starts_with(
            "GET /v3/pay/transactions/out-trade-no/EL20231114000001?mchid=1900000001 "
        )
    );
    assert!(
        matches!(error, WechatPayError::OutcomeUnknown(Unknown::Transport(_))),
        "{error:?}"
    );
}

#[tokio::test]
async fn answers_that_fail_verification_leave_the_outcome_unknown() {
    let error =
        query_answered_with(WechatSigner::forger(WECHAT_PUBLIC_KEY_ID).answer(200, NOT_PAID)).await;
    assert_eq!(
        unverified(&error),
        Some(&VerificationError::SignatureMismatch(
            WECHAT_PUBLIC_KEY_ID.into()
        ))
    );
    assert_eq!(error.outcome(), Outcome::Unknown);

    let unsigned =
        ResponseTemplate::new(200).set_body_raw(NOT_PAID.as_bytes().to_vec(), "application/json");
    let error = query_answered_with(unsigned).await;
    assert!(matches!(
        unverified(&error),
        Some(VerificationError::MissingHeader(_))
    ));

    let old = WechatSigner::public_key().answer_at(200, NOT_PAID, NOW - 301);
    let error = query_answered_with(old).await;
    assert!(matches!(
        unverified(&error),
        Some(VerificationError::StaleTimestamp { .. })
    ));

    let probe = WechatSigner::public_key()
        .answer(200, NOT_PAID)
        .insert_header("Wechatpay-Signature", "WECHATPAY/SIGNTEST/dGVzdA==");
    let error = query_answered_with(probe).await;
    assert_eq!(unverified(&error), Some(&VerificationError::Probe));

    // Signed with WeChat's certificate key, but this client trusts only the public key id.
    let error = query_answered_with(WechatSigner::certificate().answer(200, NOT_PAID)).await;
    assert!(matches!(
        unverified(&error),
        Some(VerificationError::UnknownSerial(_))
    ));
}

#[tokio::test]
async fn a_signed_refusal_must_verify_and_an_unsigned_one_is_taken_as_said() {
    let forged = WechatSigner::forger(WECHAT_PUBLIC_KEY_ID)
        .answer(400, r#"{"code":"ORDER_CLOSED","message":"订单已关闭"}"#);
    let error = query_answered_with(forged).await;
    assert!(unverified(&error).is_some(), "{error:?}");

    let unsigned = ResponseTemplate::new(400).set_body_raw(
        r#"{"code":"INVALID_REQUEST","message":"参数错误"}"#
            .as_bytes()
            .to_vec(),
        "application/json",
    );
    let error = query_answered_with(unsigned).await;
    assert!(matches!(&error, WechatPayError::Refused(api) if api.code == "INVALID_REQUEST"));
    assert_eq!(error.outcome(), Outcome::NoEffect);

    let not_json = ResponseTemplate::new(403).set_body_string("<html>forbidden</html>");
    let error = query_answered_with(not_json).await;
    assert!(matches!(
        error,
        WechatPayError::OutcomeUnknown(Unknown::Malformed { status: 403, .. })
    ));

    let limited = WechatSigner::public_key()
        .answer(429, r#"{"code":"FREQUENCY_LIMITED","message":"频率超限"}"#);
    let error = query_answered_with(limited).await;
    assert!(matches!(&error, WechatPayError::Refused(api) if api.is_retryable()));
}

#[tokio::test]
async fn a_verified_answer_that_is_not_a_transaction_is_unknown() {
    let error = query_answered_with(WechatSigner::public_key().answer(
        200,
        r#"{"out_trade_no":"EL20231114000001","trade_state":"BRAND_NEW"}"#,
    ))
    .await;
    assert!(
        matches!(
            error,
            WechatPayError::OutcomeUnknown(Unknown::Malformed { .. })
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn configuration_errors_name_the_setting() {
    let server = MockServer::start().await;
    let missing_key = config(&server).with_public_key(
        WECHAT_PUBLIC_KEY_ID,
        KeySource::Path("/nonexistent/pub_key.pem".into()),
    );
    assert_eq!(
        WechatPayClient::new(missing_key).unwrap_err().setting(),
        "public_key"
    );
    let bad_private = elife_wechatpay::WechatPayConfig {
        private_key: KeySource::Pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".into(),
        ),
        ..config(&server)
    };
    assert_eq!(
        WechatPayClient::new(bad_private).unwrap_err().setting(),
        "private_key"
    );
    let short_key = elife_wechatpay::WechatPayConfig {
        api_v3_key: "short".into(),
        ..config(&server)
    };
    assert_eq!(
        WechatPayClient::new(short_key).unwrap_err().setting(),
        "api_v3_key"
    );
    let nothing_to_verify = config(&server).with_platform_certificates(PlatformCertificates::Off);
    assert_eq!(
        WechatPayClient::new(nothing_to_verify)
            .unwrap_err()
            .setting(),
        "public_key"
    );
    let no_mch = elife_wechatpay::WechatPayConfig {
        mch_id: " ".into(),
        ..config(&server)
    };
    assert_eq!(
        WechatPayClient::new(no_mch).unwrap_err().setting(),
        "mch_id"
    );
}
