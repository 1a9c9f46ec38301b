//! Platform certificate download, certificate / public-key switch-over, sensitive fields.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use elife_wechatpay::{
    ApiRequest, ApiV3Key, CertificateRefreshError, FixedClock, KeySource, NotSent,
    VerificationError, WechatPayClient, WechatPayError,
};
use rsa::pkcs8::DecodePrivateKey;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const NOT_PAID: &str = r#"{"out_trade_no":"EL20231114000001","trade_state":"NOTPAY"}"#;

fn certificates_answer(api_v3_key: &str) -> String {
    let key = ApiV3Key::new(api_v3_key).unwrap();
    let ciphertext = key
        .encrypt(
            b"certificate",
            b"14b16c03dc1b",
            WECHAT_CERTIFICATE.as_bytes(),
        )
        .unwrap();
    json!({"data": [{
        "serial_no": WECHAT_CERTIFICATE_SERIAL,
        "effective_time": "2022-05-10T10:04:30+08:00",
        "expire_time": "2025-05-09T10:04:30+08:00",
        "encrypt_certificate": {
            "algorithm": "AEAD_AES_256_GCM",
            "associated_data": "certificate",
            "nonce": "14b16c03dc1b",
            "ciphertext": ciphertext
        }
    }]})
    .to_string()
}

async fn serve_certificates(server: &MockServer, answer: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/v3/certificates"))
        .and(SignedByMerchant)
        .respond_with(answer)
        .mount(server)
        .await;
}

async fn serve_query(server: &MockServer, signer: &WechatSigner) {
    Mock::given(method("GET"))
        .and(path("/v3/pay/transactions/out-trade-no/EL20231114000001"))
        .respond_with(signer.answer(200, NOT_PAID))
        .mount(server)
        .await;
}

fn certificate_client(server: &MockServer) -> WechatPayClient {
    WechatPayClient::with_clock(config(server), Arc::new(FixedClock::at(NOW))).unwrap()
}

fn switch_over_client(server: &MockServer) -> WechatPayClient {
    let config = config(server).with_public_key(
        WECHAT_PUBLIC_KEY_ID,
        KeySource::Pem(WECHAT_PUBLIC_KEY.into()),
    );
    WechatPayClient::with_clock(config, Arc::new(FixedClock::at(NOW))).unwrap()
}

#[tokio::test]
async fn certificates_download_verify_and_then_verify_answers() {
    let server = MockServer::start().await;
    serve_certificates(
        &server,
        WechatSigner::certificate().answer(200, &certificates_answer(API_V3_KEY)),
    )
    .await;
    serve_query(&server, &WechatSigner::certificate()).await;
    let client = certificate_client(&server);

    // Before the first download nothing can be verified.
    let error = client
        .query_by_out_trade_no("EL20231114000001")
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        WechatPayError::OutcomeUnknown(elife_wechatpay::Unknown::Unverified {
            source: VerificationError::UnknownSerial(_),
            ..
        })
    ));
    assert!(matches!(
        client.sensitive_encryptor(),
        Err(WechatPayError::NotSent(NotSent::NoEncryptionKey))
    ));

    let serials = client.refresh_certificates().await.unwrap();
    assert_eq!(serials, [WECHAT_CERTIFICATE_SERIAL]);
    assert!(
        client
            .certificates()
            .get(WECHAT_CERTIFICATE_SERIAL)
            .is_some()
    );
    client
        .query_by_out_trade_no("EL20231114000001")
        .await
        .unwrap();
    assert_eq!(
        client.sensitive_encryptor().unwrap().serial(),
        WECHAT_CERTIFICATE_SERIAL
    );
}

#[tokio::test]
async fn a_forged_or_undecryptable_certificate_list_changes_nothing() {
    let server = MockServer::start().await;
    serve_certificates(
        &server,
        WechatSigner::forger(WECHAT_CERTIFICATE_SERIAL)
            .answer(200, &certificates_answer(API_V3_KEY)),
    )
    .await;
    let client = certificate_client(&server);
    let error = client.refresh_certificates().await.unwrap_err();
    assert!(
        matches!(
            error,
            CertificateRefreshError::Unverified(VerificationError::SignatureMismatch(_))
        ),
        "{error:?}"
    );
    assert!(client.certificates().is_empty());

    let server = MockServer::start().await;
    serve_certificates(
        &server,
        WechatSigner::certificate().answer(
            200,
            &certificates_answer("00000000000000000000000000000000"),
        ),
    )
    .await;
    let client = certificate_client(&server);
    let error = client.refresh_certificates().await.unwrap_err();
    assert!(
        matches!(error, CertificateRefreshError::Certificates(_)),
        "{error:?}"
    );
    assert!(client.certificates().is_empty());

    let server = MockServer::start().await;
    serve_certificates(
        &server,
        WechatSigner::certificate().answer(500, r#"{"code":"SYSTEM_ERROR","message":"系统错误"}"#),
    )
    .await;
    let error = certificate_client(&server)
        .refresh_certificates()
        .await
        .unwrap_err();
    assert!(
        matches!(error, CertificateRefreshError::Download(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_certificates_already_trusted() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/certificates"))
        .respond_with(WechatSigner::certificate().answer(200, &certificates_answer(API_V3_KEY)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/certificates"))
        .respond_with(WechatSigner::certificate().answer(200, r#"{"data":[]}"#))
        .mount(&server)
        .await;
    let client = certificate_client(&server);
    client.refresh_certificates().await.unwrap();
    assert!(client.refresh_certificates().await.is_err());
    assert_eq!(client.certificates().serials(), [WECHAT_CERTIFICATE_SERIAL]);
}

#[tokio::test]
async fn during_a_switch_over_certificate_and_public_key_signatures_both_verify() {
    let server = MockServer::start().await;
    serve_certificates(
        &server,
        WechatSigner::public_key().answer(200, &certificates_answer(API_V3_KEY)),
    )
    .await;
    let client = switch_over_client(&server);
    // The list itself may come signed with the public key.
    client.refresh_certificates().await.unwrap();

    for signer in [WechatSigner::certificate(), WechatSigner::public_key()] {
        let server = MockServer::start().await;
        serve_certificates(
            &server,
            WechatSigner::certificate().answer(200, &certificates_answer(API_V3_KEY)),
        )
        .await;
        serve_query(&server, &signer).await;
        let client = switch_over_client(&server);
        client.refresh_certificates().await.unwrap();
        client
            .query_by_out_trade_no("EL20231114000001")
            .await
            .unwrap_or_else(|error| panic!("signed by {}: {error:?}", signer.serial));
    }
    // With a public key configured, sensitive fields go to it.
    assert_eq!(
        client.sensitive_encryptor().unwrap().serial(),
        WECHAT_PUBLIC_KEY_ID
    );
}

#[tokio::test]
async fn refresh_is_refused_when_certificates_are_off() {
    let server = MockServer::start().await;
    let error = public_key_client(&server)
        .refresh_certificates()
        .await
        .unwrap_err();
    assert!(matches!(error, CertificateRefreshError::Disabled));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn sensitive_fields_are_oaep_encrypted_and_the_key_named_in_wechatpay_serial() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/ecommerce/applyments/"))
        .and(header("Wechatpay-Serial", WECHAT_PUBLIC_KEY_ID))
        .and(SignedByMerchant)
        .respond_with(
            WechatSigner::public_key().answer(200, r#"{"applyment_id":2000002124775691}"#),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = public_key_client(&server);
    let encryptor = client.sensitive_encryptor().unwrap();
    let body = json!({"contact_name": encryptor.encrypt("张三").unwrap()});
    let request = ApiRequest::post_json("/v3/ecommerce/applyments/", &body)
        .unwrap()
        .with_wechatpay_serial(encryptor.serial());
    let answer: Value = client.call(request).await.unwrap();
    assert_eq!(answer["applyment_id"], 2_000_002_124_775_691_u64);

    // WeChat Pay opens it with its private key, RSA-OAEP with SHA-1.
    let sent: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    let wechat_key = rsa::PrivateKey::from_pkcs8_pem(WECHAT_PRIVATE_KEY).unwrap();
    let opened = wechat_key
        .oaep_decrypt::<sha1::Sha1>(
            &BASE64
                .decode(sent["contact_name"].as_str().unwrap())
                .unwrap(),
        )
        .unwrap();
    assert_eq!(String::from_utf8(opened).unwrap(), "张三");
}
