//! Creating, querying and closing payments; `wx.requestPayment` parameters.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use elife_wechatpay::model::{JsapiOrder, NativeOrder, OrderReference, TradeState};
use elife_wechatpay::{Outcome, PlatformCertificate, WechatPayError};
use serde_json::{Value, json};
use sha2::Sha256;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer};

use crate::support::*;

fn jsapi_order() -> JsapiOrder {
    JsapiOrder {
        out_trade_no: "EL20231114000001".into(),
        description: "Unitel 充值 10000₮".into(),
        amount_fen: 2_350,
        payer_openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
        time_expire: Some(
            DateTime::parse_from_rfc3339("2023-11-14T23:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        ),
        attach: Some("{\"kind\":\"topup\"}".into()),
        payer_client_ip: None,
    }
}

const PAID: &str = r#"{"amount":{"currency":"CNY","payer_currency":"CNY","payer_total":2350,"total":2350},
"appid":"wxd678efh567hg6787","attach":"{\"kind\":\"topup\"}","bank_type":"OTHERS","mchid":"1900000001",
"out_trade_no":"EL20231114000001","payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},"promotion_detail":[],
"success_time":"2023-11-14T06:14:05+08:00","trade_state":"SUCCESS","trade_state_desc":"支付成功",
"trade_type":"JSAPI","transaction_id":"4200002011202311144288912345"}"#;

#[tokio::test]
async fn a_jsapi_order_is_signed_sent_as_documented_and_its_prepay_id_read() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/pay/transactions/jsapi"))
        .and(SignedByMerchant)
        .and(body_json(json!({
            "appid": APP_ID,
            "mchid": MCH_ID,
            "description": "Unitel 充值 10000₮",
            "out_trade_no": "EL20231114000001",
            "time_expire": "2023-11-15T07:00:00+08:00",
            "attach": "{\"kind\":\"topup\"}",
            "notify_url": NOTIFY_URL,
            "amount": {"total": 2350, "currency": "CNY"},
            "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}
        })))
        .respond_with(
            WechatSigner::public_key().answer(200, r#"{"prepay_id":"wx14061406123456789"}"#),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = public_key_client(&server);

    let prepay = client.create_jsapi_order(&jsapi_order()).await.unwrap();
    assert_eq!(prepay.prepay_id, "wx14061406123456789");

    let payment = client.mini_program_payment(&prepay.prepay_id).unwrap();
    assert_eq!(payment.app_id, APP_ID);
    assert_eq!(payment.time_stamp, NOW.to_string());
    assert_eq!(payment.package, "prepay_id=wx14061406123456789");
    assert_eq!(payment.sign_type, "RSA");
    let message = format!(
        "{APP_ID}\n{NOW}\n{}\nprepay_id=wx14061406123456789\n",
        payment.nonce_str
    );
    let merchant = PlatformCertificate::from_pem(MERCHANT_CERTIFICATE).unwrap();
    merchant
        .key()
        .pkcs1v15_verify::<Sha256>(
            message.as_bytes(),
            &BASE64.decode(&payment.pay_sign).unwrap(),
        )
        .expect("paySign is the merchant's SHA256withRSA of appId, timeStamp, nonceStr, package");
}

#[tokio::test]
async fn a_native_order_gives_a_code_url_and_sends_no_payer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/pay/transactions/native"))
        .and(SignedByMerchant)
        .respond_with(WechatSigner::public_key().answer(
            200,
            r#"{"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = public_key_client(&server);
    let order = NativeOrder {
        out_trade_no: "EL20231114000002".into(),
        description: "Points".into(),
        amount_fen: 100,
        time_expire: None,
        attach: None,
    };
    let prepay = client.create_native_order(&order).await.unwrap();
    assert_eq!(prepay.code_url, "weixin://wxpay/bizpayurl?pr=p4lpSuKzz");
    let sent: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert!(sent.get("payer").is_none() && sent.get("time_expire").is_none());
    assert_eq!(sent["amount"], json!({"total": 100, "currency": "CNY"}));
}

#[tokio::test]
async fn invalid_orders_are_not_sent() {
    let server = MockServer::start().await;
    let client = public_key_client(&server);
    for order in [
        JsapiOrder {
            out_trade_no: "EL/../x".into(),
            ..jsapi_order()
        },
        JsapiOrder {
            amount_fen: 0,
            ..jsapi_order()
        },
        JsapiOrder {
            description: String::new(),
            ..jsapi_order()
        },
        JsapiOrder {
            attach: Some("x".repeat(129)),
            ..jsapi_order()
        },
    ] {
        let error = client.create_jsapi_order(&order).await.unwrap_err();
        assert!(matches!(error, WechatPayError::NotSent(_)), "{error:?}");
        assert_eq!(error.outcome(), Outcome::NoEffect);
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn queries_by_out_trade_no_and_transaction_id_read_the_transaction() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/pay/transactions/out-trade-no/EL20231114000001"))
        .and(query_param("mchid", MCH_ID))
        .and(SignedByMerchant)
        .respond_with(WechatSigner::public_key().answer(200, PAID))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/pay/transactions/id/4200002011202311144288912345"))
        .and(query_param("mchid", MCH_ID))
        .and(SignedByMerchant)
        .respond_with(WechatSigner::public_key().answer(200, PAID))
        .mount(&server)
        .await;
    let client = public_key_client(&server);

    let by_number = client
        .query_by_out_trade_no("EL20231114000001")
        .await
        .unwrap();
    assert_eq!(by_number.trade_state, TradeState::Success);
    assert_eq!(by_number.total_fen(), Some(2_350));
    assert_eq!(
        by_number.transaction_id.as_deref(),
        Some("4200002011202311144288912345")
    );
    let by_id = client
        .query_order(&OrderReference::TransactionId(
            "4200002011202311144288912345".into(),
        ))
        .await
        .unwrap();
    assert_eq!(by_id, by_number);
}

#[tokio::test]
async fn an_answer_about_another_order_is_not_trusted() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/pay/transactions/out-trade-no/EL20231114000009"))
        .respond_with(WechatSigner::public_key().answer(200, PAID))
        .mount(&server)
        .await;
    let error = public_key_client(&server)
        .query_by_out_trade_no("EL20231114000009")
        .await
        .unwrap_err();
    assert_eq!(error.outcome(), Outcome::Unknown, "{error:?}");
}

#[tokio::test]
async fn an_order_wechat_never_saw_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/pay/transactions/out-trade-no/EL20231114000003"))
        .respond_with(
            WechatSigner::public_key()
                .answer(404, r#"{"code":"ORDER_NOT_EXIST","message":"订单不存在"}"#),
        )
        .mount(&server)
        .await;
    let error = public_key_client(&server)
        .query_by_out_trade_no("EL20231114000003")
        .await
        .unwrap_err();
    assert!(matches!(&error, WechatPayError::NotFound(api) if api.status == 404));
    assert_eq!(error.outcome(), Outcome::NotFound);
    assert_eq!(error.code(), Some("ORDER_NOT_EXIST"));
}

#[tokio::test]
async fn closing_answers_204_and_a_paid_order_refuses_with_orderpaid() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(
            "/v3/pay/transactions/out-trade-no/EL20231114000004/close",
        ))
        .and(SignedByMerchant)
        .and(body_json(json!({"mchid": MCH_ID})))
        .respond_with(WechatSigner::public_key().answer(204, ""))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/v3/pay/transactions/out-trade-no/EL20231114000001/close",
        ))
        .respond_with(
            WechatSigner::public_key()
                .answer(400, r#"{"code":"ORDERPAID","message":"订单已支付"}"#),
        )
        .mount(&server)
        .await;
    let client = public_key_client(&server);

    client.close_order("EL20231114000004").await.unwrap();
    let error = client.close_order("EL20231114000001").await.unwrap_err();
    assert!(matches!(&error, WechatPayError::Refused(api) if api.code == "ORDERPAID"));
    assert_eq!(error.outcome(), Outcome::NoEffect);
    assert_eq!(
        error.api_error().unwrap().request_id.as_deref(),
        Some("08F78BB5AF0610D302A1E6F4081C9A6C")
    );
}

#[tokio::test]
async fn the_stand_in_only_accepts_the_merchants_own_signature() {
    // Guards the SignedByMerchant matcher the other tests rely on.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/pay/transactions/jsapi"))
        .and(SignedByMerchant)
        .respond_with(WechatSigner::public_key().answer(200, r#"{"prepay_id":"wx1"}"#))
        .mount(&server)
        .await;
    let config = elife_wechatpay::WechatPayConfig {
        private_key: elife_wechatpay::KeySource::Pem(STRANGER_PRIVATE_KEY.into()),
        ..config(&server)
    }
    .with_platform_certificates(elife_wechatpay::PlatformCertificates::Off)
    .with_public_key(
        WECHAT_PUBLIC_KEY_ID,
        elife_wechatpay::KeySource::Pem(WECHAT_PUBLIC_KEY.into()),
    );
    let stranger = elife_wechatpay::WechatPayClient::with_clock(
        config,
        std::sync::Arc::new(elife_wechatpay::FixedClock::at(NOW)),
    )
    .unwrap();
    let error = stranger
        .create_jsapi_order(&jsapi_order())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            WechatPayError::Refused(_) | WechatPayError::OutcomeUnknown(_)
        ),
        "{error:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
