//! Refunds and bills.

use chrono::NaiveDate;
use elife_wechatpay::model::{
    FundAccountType, OrderReference, RefundOrder, RefundStatus, TradeBillType,
};
use elife_wechatpay::{Outcome, Unknown, WechatPayError};
use serde_json::json;
use sha1::{Digest, Sha1};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

fn refund_order() -> RefundOrder {
    RefundOrder {
        order: OrderReference::OutTradeNo("EL20231114000001".into()),
        out_refund_no: "RF20231114000001".into(),
        reason: Some("充值失败".into()),
        refund_fen: 2_350,
        total_fen: 2_350,
    }
}

fn refund_answer(status: &str) -> String {
    json!({
        "refund_id": "50000000382019052709732678859",
        "out_refund_no": "RF20231114000001",
        "transaction_id": "4200002011202311144288912345",
        "out_trade_no": "EL20231114000001",
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": "2023-11-14T07:00:00+08:00",
        "status": status,
        "funds_account": "AVAILABLE",
        "amount": {"total": 2350, "refund": 2350, "payer_total": 2350, "payer_refund": 2350,
                   "settlement_refund": 2350, "settlement_total": 2350, "discount_refund": 0,
                   "currency": "CNY", "from": []}
    })
    .to_string()
}

#[tokio::test]
async fn a_refund_is_sent_as_documented_and_queried_by_its_number() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/refund/domestic/refunds"))
        .and(SignedByMerchant)
        .and(body_json(json!({
            "out_trade_no": "EL20231114000001",
            "out_refund_no": "RF20231114000001",
            "reason": "充值失败",
            "notify_url": REFUND_NOTIFY_URL,
            "amount": {"refund": 2350, "total": 2350, "currency": "CNY"}
        })))
        .respond_with(WechatSigner::public_key().answer(200, &refund_answer("PROCESSING")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/refund/domestic/refunds/RF20231114000001"))
        .and(SignedByMerchant)
        .respond_with(WechatSigner::public_key().answer(200, &refund_answer("SUCCESS")))
        .expect(1)
        .mount(&server)
        .await;
    let client = public_key_client(&server);

    let refund = client.refund(&refund_order()).await.unwrap();
    assert_eq!(refund.status, RefundStatus::Processing);
    assert_eq!(refund.refund_id, "50000000382019052709732678859");
    let refund = client.query_refund("RF20231114000001").await.unwrap();
    assert_eq!(refund.status, RefundStatus::Success);
}

#[tokio::test]
async fn refund_refusals_and_unknown_refunds_are_told_apart() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/refund/domestic/refunds"))
        .respond_with(
            WechatSigner::public_key()
                .answer(403, r#"{"code":"NOT_ENOUGH","message":"基本账户余额不足"}"#),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/refund/domestic/refunds/RF20231114000404"))
        .respond_with(WechatSigner::public_key().answer(
            404,
            r#"{"code":"RESOURCE_NOT_EXISTS","message":"退款单不存在"}"#,
        ))
        .mount(&server)
        .await;
    let client = public_key_client(&server);

    let error = client.refund(&refund_order()).await.unwrap_err();
    assert!(
        matches!(&error, WechatPayError::Refused(api) if api.code == "NOT_ENOUGH" && api.is_retryable())
    );
    assert_eq!(error.outcome(), Outcome::NoEffect);
    let error = client.query_refund("RF20231114000404").await.unwrap_err();
    assert_eq!(error.outcome(), Outcome::NotFound);

    let too_much = RefundOrder {
        refund_fen: 2_351,
        ..refund_order()
    };
    let error = client.refund(&too_much).await.unwrap_err();
    assert!(matches!(error, WechatPayError::NotSent(_)));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn bills_are_located_then_downloaded_and_their_digest_checked() {
    let server = MockServer::start().await;
    let bill = "交易时间,公众账号ID,商户号\n`2023-11-14 06:14:05,`wxd678efh567hg6787,`1900000001\n";
    let digest = hex::encode(Sha1::digest(bill.as_bytes()));
    let location = json!({
        "hash_type": "SHA1",
        "hash_value": digest,
        "download_url": format!("{}/v3/billdownload/file?token=6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2wMMR8cNXqaA_Cv_isgaUtBzp4QtiozLO", server.uri())
    })
    .to_string();
    Mock::given(method("GET"))
        .and(path("/v3/bill/tradebill"))
        .and(query_param("bill_date", "2023-11-13"))
        .and(query_param("bill_type", "ALL"))
        .and(SignedByMerchant)
        .respond_with(WechatSigner::public_key().answer(200, &location))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/bill/fundflowbill"))
        .and(query_param("bill_date", "2023-11-13"))
        .and(query_param("account_type", "BASIC"))
        .and(SignedByMerchant)
        .respond_with(WechatSigner::public_key().answer(200, &location))
        .mount(&server)
        .await;
    // The download answer is not signed.
    Mock::given(method("GET"))
        .and(path("/v3/billdownload/file"))
        .and(SignedByMerchant)
        .respond_with(ResponseTemplate::new(200).set_body_bytes(bill.as_bytes().to_vec()))
        .mount(&server)
        .await;
    let client = public_key_client(&server);
    let day = NaiveDate::from_ymd_opt(2023, 11, 13).unwrap();

    let trade = client.trade_bill(day, TradeBillType::All).await.unwrap();
    assert_eq!(trade.hash_value, digest);
    assert_eq!(client.download_bill(&trade).await.unwrap(), bill.as_bytes());
    let fund_flow = client
        .fund_flow_bill(day, FundAccountType::Basic)
        .await
        .unwrap();
    assert_eq!(
        client.download_bill(&fund_flow).await.unwrap(),
        bill.as_bytes()
    );

    let mut altered = trade.clone();
    altered.hash_value = hex::encode(Sha1::digest(b"another bill"));
    let error = client.download_bill(&altered).await.unwrap_err();
    assert!(matches!(
        error,
        WechatPayError::OutcomeUnknown(Unknown::BillDigestMismatch { .. })
    ));
}

#[tokio::test]
async fn a_day_without_a_bill_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/bill/tradebill"))
        .respond_with(WechatSigner::public_key().answer(
            400,
            r#"{"code":"NO_STATEMENT_EXIST","message":"要查询的账单不存在"}"#,
        ))
        .mount(&server)
        .await;
    let error = public_key_client(&server)
        .trade_bill(
            NaiveDate::from_ymd_opt(2023, 11, 13).unwrap(),
            TradeBillType::Success,
        )
        .await
        .unwrap_err();
    assert_eq!(error.outcome(), Outcome::NotFound);
}
