//! The gateway port: creating, querying and closing payments.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use elife_domain::money::Fen;
use elife_domain::order::OpenId;
use elife_domain::ports::{
    ConfirmedPayment, GatewayError, PaymentGateway, PaymentRequest, TradeState,
};
use elife_wechatpay::{NativePaymentRequest, PlatformCertificate};
use serde_json::{Value, json};
use sha2::Sha256;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
const TRANSACTION_ID: &str = "4200002011202311144288912345";
const QUERY_PATH: &str = "/v3/pay/transactions/out-trade-no/ORD1699937000000abcdEFGH1234";
const CLOSE_PATH: &str = "/v3/pay/transactions/out-trade-no/ORD1699937000000abcdEFGH1234/close";

fn expires_at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2023-11-14T23:15:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn payment_request() -> PaymentRequest {
    PaymentRequest {
        order_number: order_number(),
        openid: OpenId::parse(OPENID).unwrap(),
        description: "Unitel 充值 10000₮".into(),
        amount: Fen::new(2_350),
        client_ip: "203.0.113.7".into(),
        expires_at: expires_at(),
    }
}

fn attach() -> String {
    format!("{{\"orderNumber\":\"{ORDER_NUMBER}\"}}")
}

fn refusal(status: u16, code: &str, message: &str) -> ResponseTemplate {
    WechatSigner::public_key().answer(
        status,
        &json!({"code": code, "message": message}).to_string(),
    )
}

/// A server answering every `method` call on `at` with `answer`.
async fn answering(http_method: &str, at: &str, answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(http_method))
        .and(path(at))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_payment_is_a_jsapi_order_with_notify_url_china_time_payer_and_attach() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/pay/transactions/jsapi"))
        .and(SignedByMerchant)
        .and(body_json(json!({
            "appid": APP_ID,
            "mchid": MCH_ID,
            "description": "Unitel 充值 10000₮",
            "out_trade_no": ORDER_NUMBER,
            "time_expire": "2023-11-15T07:15:00+08:00",
            "attach": attach(),
            "notify_url": NOTIFY_URL,
            "amount": {"total": 2350, "currency": "CNY"},
            "payer": {"openid": OPENID},
            "scene_info": {"payer_client_ip": "203.0.113.7"}
        })))
        .respond_with(
            WechatSigner::public_key().answer(200, r#"{"prepay_id":"wx14061406123456789"}"#),
        )
        .expect(1)
        .mount(&server)
        .await;

    let params = public_key_gateway(&server)
        .create_payment(&payment_request())
        .await
        .unwrap()
        .0;

    let object = params.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "appId",
            "nonceStr",
            "package",
            "paySign",
            "signType",
            "timeStamp"
        ]
    );
    assert_eq!(params["appId"], APP_ID);
    assert_eq!(params["timeStamp"], NOW.to_string());
    assert_eq!(params["package"], "prepay_id=wx14061406123456789");
    assert_eq!(params["signType"], "RSA");
    let nonce = params["nonceStr"].as_str().unwrap();
    assert_eq!(nonce.len(), 32);
    let message = format!("{APP_ID}\n{NOW}\n{nonce}\nprepay_id=wx14061406123456789\n");
    let signature = BASE64.decode(params["paySign"].as_str().unwrap()).unwrap();
    PlatformCertificate::from_pem(MERCHANT_CERTIFICATE)
        .unwrap()
        .key()
        .pkcs1v15_verify::<Sha256>(message.as_bytes(), &signature)
        .expect("paySign is SHA256withRSA of appId, timeStamp, nonceStr, package");
}

#[tokio::test]
async fn a_long_description_is_cut_to_wechat_limit_and_an_empty_ip_left_out() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/pay/transactions/jsapi"))
        .respond_with(WechatSigner::public_key().answer(200, r#"{"prepay_id":"wx1"}"#))
        .mount(&server)
        .await;
    let request = PaymentRequest {
        description: "话".repeat(130),
        client_ip: " ".into(),
        ..payment_request()
    };

    public_key_gateway(&server)
        .create_payment(&request)
        .await
        .unwrap();

    let sent: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert_eq!(sent["description"], "话".repeat(127));
    assert!(sent.get("scene_info").is_none(), "{sent}");
}

#[tokio::test]
async fn payment_refusals_are_definite_and_failures_unknown() {
    let jsapi = "/v3/pay/transactions/jsapi";
    let cases = [
        (
            refusal(400, "ORDERPAID", "该订单已支付"),
            GatewayError::OrderPaid,
        ),
        (
            refusal(400, "ORDER_CLOSED", "订单已关闭"),
            GatewayError::OrderClosed,
        ),
        (
            refusal(400, "INVALID_REQUEST", "201 商户订单号重复"),
            GatewayError::Rejected {
                code: "INVALID_REQUEST".into(),
                message: "201 商户订单号重复".into(),
            },
        ),
    ];
    for (answer, expected) in cases {
        let server = answering("POST", jsapi, answer).await;
        let error = public_key_gateway(&server)
            .create_payment(&payment_request())
            .await
            .unwrap_err();
        assert_eq!(error, expected);
    }

    let server = answering("POST", jsapi, refusal(500, "SYSTEM_ERROR", "系统繁忙")).await;
    let error = public_key_gateway(&server)
        .create_payment(&payment_request())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, GatewayError::Unavailable(text) if text.contains("SYSTEM_ERROR")),
        "{error:?}"
    );

    // A forged success must not pass for WeChat's answer.
    let forged = WechatSigner::forger(WECHAT_PUBLIC_KEY_ID).answer(200, r#"{"prepay_id":"wx1"}"#);
    let server = answering("POST", jsapi, forged).await;
    let error = public_key_gateway(&server)
        .create_payment(&payment_request())
        .await
        .unwrap_err();
    assert!(matches!(error, GatewayError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn a_payment_of_nothing_is_rejected_without_asking_wechat() {
    let server = MockServer::start().await;
    let request = PaymentRequest {
        amount: Fen::ZERO,
        ..payment_request()
    };
    let error = public_key_gateway(&server)
        .create_payment(&request)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, GatewayError::Rejected { code, .. } if code == "INVALID_ARGUMENT"),
        "{error:?}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_native_payment_answers_its_code_url() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/pay/transactions/native"))
        .and(SignedByMerchant)
        .and(body_json(json!({
            "appid": APP_ID,
            "mchid": MCH_ID,
            "description": "积分 500",
            "out_trade_no": ORDER_NUMBER,
            "time_expire": "2023-11-15T07:15:00+08:00",
            "attach": attach(),
            "notify_url": NOTIFY_URL,
            "amount": {"total": 990, "currency": "CNY"}
        })))
        .respond_with(WechatSigner::public_key().answer(
            200,
            r#"{"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;

    let code_url = public_key_gateway(&server)
        .create_native_payment(&NativePaymentRequest {
            order_number: order_number(),
            description: "积分 500".into(),
            amount: Fen::new(990),
            expires_at: expires_at(),
        })
        .await
        .unwrap();
    assert_eq!(code_url, "weixin://wxpay/bizpayurl?pr=p4lpSuKzz");
}

fn transaction(trade_state: &str) -> Value {
    json!({
        "amount": {"currency": "CNY", "payer_currency": "CNY", "payer_total": 2300, "total": 2350},
        "appid": APP_ID, "mchid": MCH_ID,
        "attach": attach(),
        "bank_type": "OTHERS",
        "out_trade_no": ORDER_NUMBER,
        "payer": {"openid": OPENID},
        "promotion_detail": [],
        "success_time": "2023-11-14T06:14:05+08:00",
        "trade_state": trade_state,
        "trade_state_desc": "",
        "trade_type": "JSAPI",
        "transaction_id": TRANSACTION_ID
    })
}

async fn query_answered_with(answer: ResponseTemplate) -> Result<TradeState, GatewayError> {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(QUERY_PATH))
        .and(query_param("mchid", MCH_ID))
        .and(SignedByMerchant)
        .respond_with(answer)
        .expect(1)
        .mount(&server)
        .await;
    public_key_gateway(&server)
        .query_order(&order_number())
        .await
}

fn signed(body: &Value) -> ResponseTemplate {
    WechatSigner::public_key().answer(200, &body.to_string())
}

#[tokio::test]
async fn every_trade_state_maps_onto_the_domain() {
    let confirmed = ConfirmedPayment {
        order_number: ORDER_NUMBER.into(),
        transaction_id: TRANSACTION_ID.into(),
        amount: Fen::new(2_350),
        attach: Some(attach()),
        paid_at: Some(
            DateTime::parse_from_rfc3339("2023-11-13T22:14:05Z")
                .unwrap()
                .with_timezone(&Utc),
        ),
        payer: Some(OPENID.to_owned()),
    };
    assert_eq!(
        query_answered_with(signed(&transaction("SUCCESS"))).await,
        Ok(TradeState::Paid(confirmed.clone()))
    );
    assert_eq!(
        query_answered_with(signed(&transaction("REFUND"))).await,
        Ok(TradeState::Refunded(confirmed))
    );
    for (wire, expected) in [
        ("NOTPAY", TradeState::NotPaid),
        ("CLOSED", TradeState::Closed),
        ("REVOKED", TradeState::Revoked),
        ("USERPAYING", TradeState::UserPaying),
        ("PAYERROR", TradeState::PayError),
    ] {
        let unpaid = json!({"amount": {"total": 2350}, "appid": APP_ID, "mchid": MCH_ID,
            "out_trade_no": ORDER_NUMBER, "trade_state": wire, "trade_state_desc": ""});
        assert_eq!(query_answered_with(signed(&unpaid)).await, Ok(expected));
    }
}

#[tokio::test]
async fn an_order_wechat_never_saw_is_an_answer_not_an_error() {
    assert_eq!(
        query_answered_with(refusal(404, "ORDER_NOT_EXIST", "订单不存在")).await,
        Ok(TradeState::NotFound)
    );
}

#[tokio::test]
async fn query_answers_that_say_nothing_are_unavailable() {
    let unknown_state = query_answered_with(signed(&transaction("ACCEPTED")))
        .await
        .unwrap_err();
    assert!(
        matches!(&unknown_state, GatewayError::Unavailable(text) if text.contains("ACCEPTED")),
        "{unknown_state:?}"
    );

    let mut another = transaction("SUCCESS");
    another["out_trade_no"] = "ORD1699937000000zzzzZZZZ9999".into();
    let mut without_id = transaction("SUCCESS");
    without_id.as_object_mut().unwrap().remove("transaction_id");
    for answer in [
        signed(&another),
        signed(&without_id),
        refusal(500, "SYSTEM_ERROR", "系统繁忙"),
        refusal(429, "FREQUENCY_LIMITED", "频率超限"),
        WechatSigner::public_key().answer_at(200, &transaction("SUCCESS").to_string(), NOW - 600),
        WechatSigner::forger(WECHAT_PUBLIC_KEY_ID).answer(200, &transaction("SUCCESS").to_string()),
    ] {
        let error = query_answered_with(answer).await.unwrap_err();
        assert!(matches!(error, GatewayError::Unavailable(_)), "{error:?}");
    }
}

async fn close_answered_with(answer: ResponseTemplate) -> Result<(), GatewayError> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CLOSE_PATH))
        .and(SignedByMerchant)
        .and(body_json(json!({"mchid": MCH_ID})))
        .respond_with(answer)
        .expect(1)
        .mount(&server)
        .await;
    public_key_gateway(&server)
        .close_order(&order_number())
        .await
}

#[tokio::test]
async fn closing_maps_paid_closed_and_unknown_orders() {
    assert_eq!(
        close_answered_with(WechatSigner::public_key().answer(204, "")).await,
        Ok(())
    );
    assert_eq!(
        close_answered_with(refusal(400, "ORDERPAID", "订单已支付")).await,
        Err(GatewayError::OrderPaid)
    );
    assert_eq!(
        close_answered_with(refusal(400, "ORDER_CLOSED", "订单已关闭")).await,
        Err(GatewayError::OrderClosed)
    );
    assert_eq!(
        close_answered_with(refusal(404, "ORDER_NOT_EXIST", "订单不存在")).await,
        Err(GatewayError::NotFound)
    );
    let error = close_answered_with(refusal(503, "SYSTEM_ERROR", "系统繁忙"))
        .await
        .unwrap_err();
    assert!(matches!(error, GatewayError::Unavailable(_)), "{error:?}");
}
