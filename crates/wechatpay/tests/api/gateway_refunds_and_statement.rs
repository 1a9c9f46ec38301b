//! The gateway port: refunds, their query, and the daily statement from the trade bill.

use chrono::NaiveDate;
use elife_domain::money::Fen;
use elife_domain::ports::{
    GatewayError, PaymentGateway, RefundRequest, RefundState, StatementEntry, StatementKind,
};
use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const REFUND_NO: &str = "RFORD1699937000000abcdEFGH12341";
const REFUND_ID: &str = "50300507392023111400000000001";
const REFUNDS_PATH: &str = "/v3/refund/domestic/refunds";
const REFUND_QUERY_PATH: &str = "/v3/refund/domestic/refunds/RFORD1699937000000abcdEFGH12341";

fn refund_request() -> RefundRequest {
    RefundRequest {
        order_number: order_number(),
        refund_no: REFUND_NO.into(),
        total: Fen::new(2_350),
        amount: Fen::new(1_000),
        reason: "充值失败".into(),
    }
}

fn refund_answer(status: &str) -> ResponseTemplate {
    let body = json!({
        "refund_id": REFUND_ID,
        "out_refund_no": REFUND_NO,
        "transaction_id": "4200002011202311144288912345",
        "out_trade_no": ORDER_NUMBER,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": "2023-11-14T07:00:00+08:00",
        "status": status,
        "funds_account": "AVAILABLE",
        "amount": {"total": 2350, "refund": 1000, "payer_total": 2350, "payer_refund": 1000,
                   "settlement_refund": 1000, "settlement_total": 2350, "discount_refund": 0,
                   "currency": "CNY", "from": []}
    });
    WechatSigner::public_key().answer(200, &body.to_string())
}

fn refusal(status: u16, code: &str, message: &str) -> ResponseTemplate {
    WechatSigner::public_key().answer(
        status,
        &json!({"code": code, "message": message}).to_string(),
    )
}

fn processing() -> RefundState {
    RefundState::Processing {
        gateway_refund_id: Some(REFUND_ID.into()),
    }
}

async fn refund_answered_with(answer: ResponseTemplate) -> Result<RefundState, GatewayError> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(REFUNDS_PATH))
        .respond_with(answer)
        .expect(1)
        .mount(&server)
        .await;
    public_key_gateway(&server).refund(&refund_request()).await
}

async fn refund_query_answered_with(answer: ResponseTemplate) -> Result<RefundState, GatewayError> {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(REFUND_QUERY_PATH))
        .and(SignedByMerchant)
        .respond_with(answer)
        .expect(1)
        .mount(&server)
        .await;
    public_key_gateway(&server).query_refund(REFUND_NO).await
}

#[tokio::test]
async fn a_refund_carries_the_callers_number_amounts_reason_and_refund_notify_url() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(REFUNDS_PATH))
        .and(SignedByMerchant)
        .and(body_json(json!({
            "out_trade_no": ORDER_NUMBER,
            "out_refund_no": REFUND_NO,
            "reason": "充值失败",
            "notify_url": REFUND_NOTIFY_URL,
            "amount": {"refund": 1000, "total": 2350, "currency": "CNY"}
        })))
        .respond_with(refund_answer("PROCESSING"))
        .expect(1)
        .mount(&server)
        .await;

    let state = public_key_gateway(&server)
        .refund(&refund_request())
        .await
        .unwrap();
    assert_eq!(state, processing());
}

#[tokio::test]
async fn a_retry_after_an_unknown_outcome_sends_the_same_refund() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(REFUNDS_PATH))
        .respond_with(refusal(500, "SYSTEM_ERROR", "系统超时"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(REFUNDS_PATH))
        .respond_with(refund_answer("SUCCESS"))
        .mount(&server)
        .await;
    let gateway = public_key_gateway(&server);
    let request = RefundRequest {
        reason: "  ".into(),
        ..refund_request()
    };

    let first = gateway.refund(&request).await.unwrap_err();
    assert!(matches!(first, GatewayError::Unavailable(_)), "{first:?}");
    let second = gateway.refund(&request).await.unwrap();
    assert_eq!(
        second,
        RefundState::Succeeded {
            gateway_refund_id: Some(REFUND_ID.into())
        }
    );

    let sent: Vec<Value> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|request| request.body_json().unwrap())
        .collect();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0], sent[1]);
    assert_eq!(sent[0]["out_refund_no"], REFUND_NO);
    assert!(
        sent[0].get("reason").is_none(),
        "blank reason sent: {}",
        sent[0]
    );
}

#[tokio::test]
async fn refund_statuses_map_and_abnormal_is_not_final() {
    assert_eq!(
        refund_answered_with(refund_answer("SUCCESS")).await,
        Ok(RefundState::Succeeded {
            gateway_refund_id: Some(REFUND_ID.into())
        })
    );
    assert_eq!(
        refund_answered_with(refund_answer("ABNORMAL")).await,
        Ok(processing())
    );
    assert!(matches!(
        refund_answered_with(refund_answer("CLOSED")).await,
        Ok(RefundState::Failed { .. })
    ));
}

#[tokio::test]
async fn refund_refusals_are_definite_and_failures_unknown() {
    assert_eq!(
        refund_answered_with(refusal(
            403,
            "NOT_ENOUGH",
            "基本账户余额不足，请充值后重新发起"
        ))
        .await,
        Err(GatewayError::Rejected {
            code: "NOT_ENOUGH".into(),
            message: "基本账户余额不足，请充值后重新发起".into(),
        })
    );
    assert_eq!(
        refund_answered_with(refusal(404, "RESOURCE_NOT_EXISTS", "订单不存在")).await,
        Err(GatewayError::NotFound)
    );
    for answer in [
        refusal(500, "SYSTEM_ERROR", "系统超时"),
        refusal(429, "FREQUENCY_LIMITED", "频率超限"),
        refund_answer("REVERSED"),
        WechatSigner::forger(WECHAT_PUBLIC_KEY_ID).answer(200, "{}"),
    ] {
        let error = refund_answered_with(answer).await.unwrap_err();
        assert!(matches!(error, GatewayError::Unavailable(_)), "{error:?}");
    }
}

#[tokio::test]
async fn a_refund_query_maps_statuses_and_unknown_refunds() {
    assert_eq!(
        refund_query_answered_with(refund_answer("PROCESSING")).await,
        Ok(processing())
    );
    assert_eq!(
        refund_query_answered_with(refund_answer("ABNORMAL")).await,
        Ok(processing())
    );
    assert_eq!(
        refund_query_answered_with(refund_answer("SUCCESS")).await,
        Ok(RefundState::Succeeded {
            gateway_refund_id: Some(REFUND_ID.into())
        })
    );
    assert!(matches!(
        refund_query_answered_with(refund_answer("CLOSED")).await,
        Ok(RefundState::Failed { .. })
    ));
    assert_eq!(
        refund_query_answered_with(refusal(404, "RESOURCE_NOT_EXISTS", "退款单不存在")).await,
        Err(GatewayError::NotFound)
    );
    let error = refund_query_answered_with(refusal(502, "SYSTEM_ERROR", "系统繁忙"))
        .await
        .unwrap_err();
    assert!(matches!(error, GatewayError::Unavailable(_)), "{error:?}");
}

/// A day's bill as WeChat Pay sends it: two payments (one with a voucher), a partial refund,
/// the summary. Amounts in yuan.
const BILL: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注
`2023-11-13 09:15:02,`wxd678efh567hg6787,`1900000001,`0,`,`4200002011202311130000000001,`ORD1699837000000abcdEFGH1234,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`OTHERS,`CNY,`0.01,`0.00,`0,`0,`0.00,`0.00,`,`,`Unitel 充值,`{\"orderNumber\":\"ORD1699837000000abcdEFGH1234\"},`0.00000,`0.60%,`0.01,`0.00,`
`2023-11-13 20:40:10,`wxd678efh567hg6787,`1900000001,`0,`,`4200002011202311130000000002,`ORD1699879000000ijklMNOP5678,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`CMB_CREDIT,`CNY,`1224.50,`10.00,`0,`0,`0.00,`0.00,`,`,`Unitel 充值 100000₮, 30天,`{\"orderNumber\":\"ORD1699879000000ijklMNOP5678\"},`7.34700,`0.60%,`1234.50,`0.00,`
`2023-11-13 21:02:55,`wxd678efh567hg6787,`1900000001,`0,`,`4200002011202311130000000002,`ORD1699879000000ijklMNOP5678,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`REFUND,`CMB_CREDIT,`CNY,`0.00,`0.00,`50300507392023111300000000001,`RFORD1699879000000ijklMNOP56781,`200.00,`0.00,`ORIGINAL,`PROCESSING,`Unitel 充值 100000₮, 30天,`{\"orderNumber\":\"ORD1699879000000ijklMNOP5678\"},`-1.20000,`0.60%,`0.00,`200.00,`
总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额
`3,`1224.51,`200.00,`0.00,`6.14700,`1234.51,`200.00
";

/// A server whose trade bill of 2023-11-13 is `bill`, announced with `digest`.
async fn bill_server(bill: &str, digest: &str) -> MockServer {
    let server = MockServer::start().await;
    let location = json!({
        "hash_type": "SHA1",
        "hash_value": digest,
        "download_url": format!("{}/v3/billdownload/file?token=6XIv5TUPto7pByrTQKhd6kwvyKLG", server.uri())
    });
    Mock::given(method("GET"))
        .and(path("/v3/bill/tradebill"))
        .and(query_param("bill_date", "2023-11-13"))
        .and(query_param("bill_type", "ALL"))
        .and(SignedByMerchant)
        .respond_with(WechatSigner::public_key().answer(200, &location.to_string()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/billdownload/file"))
        .and(SignedByMerchant)
        .respond_with(ResponseTemplate::new(200).set_body_bytes(bill.as_bytes().to_vec()))
        .expect(1)
        .mount(&server)
        .await;
    server
}

fn sha1_hex(text: &str) -> String {
    hex::encode(Sha1::digest(text.as_bytes()))
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 11, 13).unwrap()
}

#[tokio::test]
async fn the_statement_is_the_days_trade_bill_in_fen() {
    let server = bill_server(BILL, &sha1_hex(BILL)).await;

    let entries = public_key_gateway(&server).statement(day()).await.unwrap();

    let entry = |order: &str, transaction: &str, fen: i64, kind| StatementEntry {
        order_number: order.into(),
        transaction_id: transaction.into(),
        amount: Fen::new(fen),
        kind,
    };
    assert_eq!(
        entries,
        vec![
            entry(
                "ORD1699837000000abcdEFGH1234",
                "4200002011202311130000000001",
                1,
                StatementKind::Payment
            ),
            entry(
                "ORD1699879000000ijklMNOP5678",
                "4200002011202311130000000002",
                123_450,
                StatementKind::Payment
            ),
            entry(
                "ORD1699879000000ijklMNOP5678",
                "4200002011202311130000000002",
                20_000,
                StatementKind::Refund
            ),
        ]
    );
}

#[tokio::test]
async fn a_day_without_a_bill_is_an_empty_statement() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/bill/tradebill"))
        .respond_with(refusal(400, "NO_STATEMENT_EXIST", "要查询的账单不存在"))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        public_key_gateway(&server).statement(day()).await,
        Ok(Vec::new())
    );
}

#[tokio::test]
async fn a_bill_that_cannot_be_trusted_or_read_is_unavailable() {
    // Altered on the way: the digest from the signed answer does not match.
    let server = bill_server(BILL, &sha1_hex("another bill")).await;
    let error = public_key_gateway(&server)
        .statement(day())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, GatewayError::Unavailable(text) if text.contains("digest")),
        "{error:?}"
    );

    // Genuine but unreadable: an amount with three decimals.
    let odd = BILL.replace("`1224.50,`10.00", "`1224.505,`10.00");
    let server = bill_server(&odd, &sha1_hex(&odd)).await;
    let error = public_key_gateway(&server)
        .statement(day())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, GatewayError::Unavailable(text) if text.contains("line 3")),
        "{error:?}"
    );

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/bill/tradebill"))
        .respond_with(refusal(400, "STATEMENT_CREATING", "账单生成中"))
        .mount(&server)
        .await;
    let error = public_key_gateway(&server)
        .statement(day())
        .await
        .unwrap_err();
    assert!(matches!(error, GatewayError::Unavailable(_)), "{error:?}");
}
