//! Every API and every error mapping of the adapter against a scripted Cloud Hosting.

mod common;

use chrono::NaiveDate;
use common::*;
use elife_domain::money::Fen;
use elife_domain::ports::{
    GatewayError, PaymentGateway, RefundState, StatementEntry, StatementKind, TradeState,
};
use elife_wechat::{BillError, BillType, CloudPayClient};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server() -> (MockServer, CloudPayClient) {
    let server = MockServer::start().await;
    let client = client(&format!("{}/_/pay", server.uri()));
    (server, client)
}

fn ok(respdata: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"errcode": 0, "errmsg": "ok", "respdata": respdata}))
}

fn business(fields: Value) -> Value {
    let mut respdata = json!({"return_code": "SUCCESS", "return_msg": "OK", "result_code": "SUCCESS",
        "appid": "wxd2565e6a04246fd1", "mch_id": "1800780001", "sub_mch_id": SUB_MCH_ID});
    respdata
        .as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    respdata
}

fn failure(err_code: &str, description: &str) -> Value {
    json!({"return_code": "SUCCESS", "return_msg": "OK", "result_code": "FAIL",
        "err_code": err_code, "err_code_des": description})
}

async fn answer(server: &MockServer, api: &str, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(format!("/_/pay/{api}")))
        .and(header("content-type", "application/json"))
        .respond_with(response)
        .mount(server)
        .await;
}

fn payment_object() -> Value {
    json!({"appId": "wxd2565e6a04246fd1", "timeStamp": "1647841885", "nonceStr": "BfM1ojiTfFCbpmkL",
        "package": "prepay_id=wx2825019415cb82821e6a15a7c113510000", "signType": "MD5",
        "paySign": "038EE415FD025B0D37717E8A1D6C34B6", "extra": {"kept": true}})
}

#[tokio::test]
async fn unified_order_sends_the_cloud_hosting_fields_and_returns_payment_unchanged() {
    let (server, client) = server().await;
    Mock::given(method("POST"))
        .and(path("/_/pay/unifiedOrder"))
        .and(header("content-type", "application/json"))
        .and(body_partial_json(json!({
            "body": "Unitel 5000₮ top-up", "openid": "oZp5njTTsWaCeEoXi14oeOVCKlik",
            "out_trade_no": ORDER, "spbill_create_ip": "59.37.125.120",
            "env_id": "prod-66733tes755tabc", "sub_mch_id": SUB_MCH_ID, "total_fee": 625,
            "callback_type": 2, "trade_type": "JSAPI",
            "container": {"service": "elife", "path": "/payment/callback"},
            "attach": format!("{{\"orderNumber\":\"{ORDER}\"}}"),
        })))
        .respond_with(ok(business(
            json!({"prepay_id": "wx29", "payment": payment_object()}),
        )))
        .expect(1)
        .mount(&server)
        .await;

    let mut request = payment_request(ORDER, 625);
    // 2025-10-18 10:30:00 UTC is 18:30:00 in China.
    request.expires_at = chrono::DateTime::parse_from_rfc3339("2025-10-18T10:30:00Z")
        .unwrap()
        .to_utc();
    let params = client.create_payment(&request).await.unwrap();
    assert_eq!(params.0, payment_object());
    let sent: Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(sent["total_fee"], json!(625), "fen as an integer");
    assert_eq!(sent["time_expire"], json!("20251018183000"), "China time");
    assert_eq!(sent["nonce_str"].as_str().unwrap().len(), 32);
}

#[tokio::test]
async fn unified_order_errors_are_typed() {
    let (server, client) = server().await;
    let request = payment_request(ORDER, 625);
    answer(
        &server,
        "unifiedOrder",
        ok(failure("ORDERPAID", "该订单已支付")),
    )
    .await;
    assert_eq!(
        client.create_payment(&request).await,
        Err(GatewayError::OrderPaid)
    );

    server.reset().await;
    answer(
        &server,
        "unifiedOrder",
        ok(failure("ORDERCLOSED", "该订单已关闭")),
    )
    .await;
    assert_eq!(
        client.create_payment(&request).await,
        Err(GatewayError::OrderClosed)
    );

    server.reset().await;
    answer(
        &server,
        "unifiedOrder",
        ok(business(json!({"prepay_id": "wx29"}))),
    )
    .await;
    assert!(matches!(
        client.create_payment(&request).await,
        Err(GatewayError::Unavailable(_))
    ));
}

#[tokio::test]
async fn refuses_non_positive_amounts_without_calling() {
    let (server, client) = server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    assert!(matches!(
        client.create_payment(&payment_request(ORDER, 0)).await,
        Err(GatewayError::Rejected { code, .. }) if code == "INVALID_AMOUNT"
    ));
    assert!(matches!(
        client.refund(&refund_request(ORDER, "R1", 100, 101)).await,
        Err(GatewayError::Rejected { code, .. }) if code == "INVALID_AMOUNT"
    ));
    assert!(matches!(
        client.refund(&refund_request(ORDER, "R1", 100, 0)).await,
        Err(GatewayError::Rejected { code, .. }) if code == "INVALID_AMOUNT"
    ));
}

#[tokio::test]
async fn query_order_maps_every_trade_state() {
    let (server, client) = server().await;
    let order = order_number(ORDER);
    let paid_fields = json!({"out_trade_no": ORDER, "transaction_id": "4200001", "total_fee": 625,
        "time_end": "20220321135131", "attach": format!("{{\"orderNumber\":\"{ORDER}\"}}")});

    let mut success = business(paid_fields.clone());
    success["trade_state"] = json!("SUCCESS");
    answer(&server, "queryorder", ok(success)).await;
    let TradeState::Paid(payment) = client.query_order(&order).await.unwrap() else {
        panic!("not paid");
    };
    assert_eq!(payment.order_number, ORDER);
    assert_eq!(payment.transaction_id, "4200001");
    assert_eq!(payment.amount, Fen::new(625));
    assert_eq!(
        payment.paid_at.unwrap().to_rfc3339(),
        "2022-03-21T05:51:31+00:00"
    );
    assert_eq!(
        payment.attach.as_deref(),
        Some(format!("{{\"orderNumber\":\"{ORDER}\"}}").as_str())
    );

    let mut refunded = business(paid_fields.clone());
    refunded["trade_state"] = json!("REFUND");
    server.reset().await;
    answer(&server, "queryorder", ok(refunded)).await;
    assert!(matches!(
        client.query_order(&order).await,
        Ok(TradeState::Refunded(_))
    ));

    for (state, expected) in [
        ("NOTPAY", TradeState::NotPaid),
        ("USERPAYING", TradeState::UserPaying),
        ("CLOSED", TradeState::Closed),
        ("REVOKED", TradeState::Revoked),
        ("PAYERROR", TradeState::PayError),
    ] {
        server.reset().await;
        answer(
            &server,
            "queryorder",
            ok(business(
                json!({"trade_state": state, "out_trade_no": ORDER}),
            )),
        )
        .await;
        assert_eq!(client.query_order(&order).await, Ok(expected), "{state}");
    }

    server.reset().await;
    answer(
        &server,
        "queryorder",
        ok(failure("ORDERNOTEXIST", "订单不存在")),
    )
    .await;
    assert_eq!(client.query_order(&order).await, Ok(TradeState::NotFound));

    server.reset().await;
    answer(
        &server,
        "queryorder",
        ok(business(json!({"trade_state": "SOMETHING_NEW"}))),
    )
    .await;
    assert!(matches!(
        client.query_order(&order).await,
        Err(GatewayError::Unavailable(_))
    ));

    // A paid answer that cannot be read is never taken for "not paid".
    let mut incomplete = business(json!({"out_trade_no": ORDER, "total_fee": 625}));
    incomplete["trade_state"] = json!("SUCCESS");
    server.reset().await;
    answer(&server, "queryorder", ok(incomplete)).await;
    assert!(matches!(
        client.query_order(&order).await,
        Err(GatewayError::Unavailable(_))
    ));

    let mut other_order = business(paid_fields);
    other_order["trade_state"] = json!("SUCCESS");
    other_order["out_trade_no"] = json!("ORD1760754386127zzzzzzzzzzzz");
    server.reset().await;
    answer(&server, "queryorder", ok(other_order)).await;
    assert!(matches!(
        client.query_order(&order).await,
        Err(GatewayError::Unavailable(_))
    ));
}

#[tokio::test]
async fn close_order_maps_paid_and_closed() {
    let (server, client) = server().await;
    let order = order_number(ORDER);
    Mock::given(method("POST"))
        .and(path("/_/pay/closeorder"))
        .and(body_partial_json(
            json!({"out_trade_no": ORDER, "sub_mch_id": SUB_MCH_ID}),
        ))
        .respond_with(ok(business(json!({}))))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(client.close_order(&order).await, Ok(()));

    server.reset().await;
    answer(
        &server,
        "closeorder",
        ok(failure("ORDERPAID", "订单已支付")),
    )
    .await;
    assert_eq!(
        client.close_order(&order).await,
        Err(GatewayError::OrderPaid)
    );
    server.reset().await;
    answer(
        &server,
        "closeorder",
        ok(failure("ORDERCLOSED", "订单已关闭")),
    )
    .await;
    assert_eq!(
        client.close_order(&order).await,
        Err(GatewayError::OrderClosed)
    );
    server.reset().await;
    answer(
        &server,
        "closeorder",
        ok(failure("SYSTEMERROR", "系统超时")),
    )
    .await;
    assert!(matches!(
        client.close_order(&order).await,
        Err(GatewayError::Unavailable(_))
    ));
}

#[tokio::test]
async fn refund_sends_its_number_and_is_processing_once_accepted() {
    let (server, client) = server().await;
    Mock::given(method("POST"))
        .and(path("/_/pay/refund"))
        .and(header("content-type", "application/json"))
        .and(body_partial_json(json!({
            "out_trade_no": ORDER, "out_refund_no": "R1", "env_id": "prod-66733tes755tabc",
            "sub_mch_id": SUB_MCH_ID, "total_fee": 625, "refund_fee": 600,
            "refund_desc": "top-up failed", "callback_type": 2,
            "container": {"service": "elife", "path": "/payment/refund-callback"},
        })))
        .respond_with(ok(business(
            json!({"refund_id": "50302030148218522032126281690",
            "out_refund_no": "R1", "refund_fee": 600}),
        )))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        client.refund(&refund_request(ORDER, "R1", 625, 600)).await,
        Ok(RefundState::Processing {
            gateway_refund_id: Some("50302030148218522032126281690".to_owned())
        })
    );

    server.reset().await;
    answer(
        &server,
        "refund",
        ok(failure("NOTENOUGH", "基本账户余额不足")),
    )
    .await;
    assert_eq!(
        client.refund(&refund_request(ORDER, "R1", 625, 600)).await,
        Err(GatewayError::Rejected {
            code: "NOTENOUGH".to_owned(),
            message: "基本账户余额不足".to_owned()
        })
    );
    server.reset().await;
    answer(
        &server,
        "refund",
        ok(failure("ORDERNOTEXIST", "订单不存在")),
    )
    .await;
    assert_eq!(
        client.refund(&refund_request(ORDER, "R1", 625, 600)).await,
        Err(GatewayError::NotFound)
    );
}

#[tokio::test]
async fn query_refund_maps_refund_statuses() {
    let (server, client) = server().await;
    for (status, expected) in [
        (
            "SUCCESS",
            RefundState::Succeeded {
                gateway_refund_id: Some("503".to_owned()),
            },
        ),
        (
            "PROCESSING",
            RefundState::Processing {
                gateway_refund_id: Some("503".to_owned()),
            },
        ),
    ] {
        server.reset().await;
        Mock::given(method("POST"))
            .and(path("/_/pay/queryrefund"))
            .and(body_partial_json(
                json!({"out_refund_no": "R1", "sub_mch_id": SUB_MCH_ID}),
            ))
            .respond_with(ok(business(
                json!({"refund_count": 1, "out_refund_no_0": "R1",
                "refund_id_0": "503", "refund_status_0": status}),
            )))
            .mount(&server)
            .await;
        assert_eq!(client.query_refund("R1").await, Ok(expected), "{status}");
    }
    for status in ["REFUNDCLOSE", "CHANGE"] {
        server.reset().await;
        answer(&server, "queryrefund", ok(business(json!({"refund_count": 1,
            "out_refund_no_list": ["R1"], "refund_id_list": ["503"], "refund_status_list": [status]})))).await;
        assert!(
            matches!(client.query_refund("R1").await, Ok(RefundState::Failed { reason }) if reason.starts_with(status)),
            "{status}"
        );
    }
    server.reset().await;
    answer(
        &server,
        "queryrefund",
        ok(failure("REFUNDNOTEXIST", "退款订单查询失败")),
    )
    .await;
    assert_eq!(client.query_refund("R1").await, Err(GatewayError::NotFound));
}

#[tokio::test]
async fn download_bill_parses_the_statement_or_reports_no_bill() {
    let (server, client) = server().await;
    let text = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\n\
        `2022-03-21 13:51:31,`wx1,`1800780001,`1712734762,`,`4200001,`ORD1760754386127abcdefghijkl,`o1,`JSAPI,`SUCCESS,`OTHERS,`CNY,`6.25,`0.00,`0,`0,`0.00,`0.00,`,`,`Unitel,`{\"orderNumber\":\"ORD1760754386127abcdefghijkl\"},`0.03750,`0.60%,`6.25,`0.00,`\n\
        总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n\
        `1,`6.25,`0.00,`0.00,`0.03750,`6.25,`0.00";
    Mock::given(method("POST"))
        .and(path("/_/pay/downloadbill"))
        .and(body_partial_json(
            json!({"bill_date": "20220321", "bill_type": "SUCCESS", "sub_mch_id": SUB_MCH_ID}),
        ))
        .respond_with(ok(json!(text)))
        .mount(&server)
        .await;
    let date = NaiveDate::from_ymd_opt(2022, 3, 21).unwrap();
    let statement = client.download_bill(date, BillType::Success).await.unwrap();
    assert_eq!(statement.rows.len(), 1);
    assert_eq!(statement.rows[0].out_trade_no, ORDER);
    assert_eq!(statement.rows[0].settlement_amount, Fen::new(625));
    assert_eq!(statement.summary.unwrap().trade_count, 1);

    server.reset().await;
    answer(
        &server,
        "downloadbill",
        ok(json!({"return_code": "FAIL", "return_msg": "No Bill Exist", "error_code": "20002"})),
    )
    .await;
    assert_eq!(
        client.download_bill(date, BillType::All).await,
        Err(BillError::NoBill)
    );
    server.reset().await;
    answer(
        &server,
        "downloadbill",
        ok(json!({"return_code": "FAIL", "return_msg": "受理关系不存在"})),
    )
    .await;
    assert!(matches!(
        client.download_bill(date, BillType::All).await,
        Err(BillError::Gateway(GatewayError::Rejected { code, .. })) if code == "MERCHANT_NOT_BOUND"
    ));
    server.reset().await;
    answer(&server, "downloadbill", ok(json!("not a statement"))).await;
    assert!(matches!(
        client.download_bill(date, BillType::All).await,
        Err(BillError::Malformed { .. })
    ));
}

/// What a mapped error must look like.
type ErrorCheck = fn(&GatewayError) -> bool;

#[tokio::test]
async fn transport_and_envelope_failures_are_mapped() {
    let (server, client) = server().await;
    let order = order_number(ORDER);
    let cases: Vec<(ResponseTemplate, ErrorCheck)> = vec![
        (ResponseTemplate::new(500), |e| {
            matches!(e, GatewayError::Unavailable(_))
        }),
        (ResponseTemplate::new(503), |e| {
            matches!(e, GatewayError::Unavailable(_))
        }),
        (
            ResponseTemplate::new(400),
            |e| matches!(e, GatewayError::Rejected { code, .. } if code == "HTTP_400"),
        ),
        (
            ResponseTemplate::new(302),
            |e| matches!(e, GatewayError::Rejected { code, .. } if code == "HTTP_302"),
        ),
        (ResponseTemplate::new(200), |e| {
            matches!(e, GatewayError::Unavailable(_))
        }),
        (
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": -1, "errmsg": "system error"})),
            |e| matches!(e, GatewayError::Unavailable(_)),
        ),
        (
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 40097, "errmsg": "invalid args"})),
            |e| {
                *e == GatewayError::Rejected {
                    code: "40097".to_owned(),
                    message: "invalid args".to_owned(),
                }
            },
        ),
        (
            ok(json!({"return_code": "FAIL", "return_msg": "受理关系不存在"})),
            |e| matches!(e, GatewayError::Rejected { code, message } if code == "MERCHANT_NOT_BOUND" && message.contains("受理关系不存在")),
        ),
        (
            ok(json!({"return_code": "FAIL", "return_msg": "参数格式校验错误"})),
            |e| matches!(e, GatewayError::Rejected { code, .. } if code == "RETURN_CODE_FAIL"),
        ),
        (ok(failure("SYSTEMERROR", "系统超时")), |e| {
            matches!(e, GatewayError::Unavailable(_))
        }),
        (
            ResponseTemplate::new(200)
                .set_delay(std::time::Duration::from_secs(2))
                .set_body_json(json!({"errcode": 0})),
            |e| matches!(e, GatewayError::Unavailable(message) if message.contains("timed out")),
        ),
    ];
    for (index, (response, expected)) in cases.into_iter().enumerate() {
        server.reset().await;
        answer(&server, "queryorder", response).await;
        let error = client.query_order(&order).await.unwrap_err();
        assert!(expected(&error), "case {index}: {error:?}");
    }
}

#[tokio::test]
async fn an_unreachable_gateway_is_unavailable() {
    // Nothing listens on a port that was bound and released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = client(&format!("http://127.0.0.1:{port}/_/pay"));
    assert!(matches!(
        client.query_order(&order_number(ORDER)).await,
        Err(GatewayError::Unavailable(_))
    ));
    assert!(matches!(
        client.create_payment(&payment_request(ORDER, 1)).await,
        Err(GatewayError::Unavailable(_))
    ));
}

#[tokio::test]
async fn statement_maps_payments_and_refunds_and_a_missing_bill_is_empty() {
    let (server, client) = server().await;
    let text = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\n\
        `2022-03-21 13:51:31,`wx1,`1800780001,`1712734762,`,`4200001,`ORD1760754386127abcdefghijkl,`o1,`JSAPI,`SUCCESS,`OTHERS,`CNY,`6.00,`0.25,`0,`0,`0.00,`0.00,`,`,`Unitel,`,`0.03600,`0.60%,`6.25,`0.00,`\n\
        `2022-03-21 14:00:00,`wx1,`1800780001,`1712734762,`,`4200002,`ORD1760754386127000000000002,`o1,`JSAPI,`REVOKED,`OTHERS,`CNY,`0.00,`0.00,`0,`0,`0.00,`0.00,`,`,`Unitel,`,`0.00000,`0.60%,`1.00,`0.00,`\n\
        `2022-03-21 15:00:00,`wx1,`1800780001,`1712734762,`,`4200003,`ORD1760754386127000000000003,`o1,`JSAPI,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`5001,`R3,`3.10,`0.00,`ORIGINAL,`SUCCESS,`Unitel,`,`0.00000,`0.60%,`3.10,`3.10,`\n\
        总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n\
        `3,`6.00,`3.10,`0.00,`0.03600,`7.25,`3.10";
    Mock::given(method("POST"))
        .and(path("/_/pay/downloadbill"))
        .and(body_partial_json(
            json!({"bill_date": "20220321", "bill_type": "ALL", "sub_mch_id": SUB_MCH_ID}),
        ))
        .respond_with(ok(json!(text)))
        .mount(&server)
        .await;
    let date = NaiveDate::from_ymd_opt(2022, 3, 21).unwrap();
    assert_eq!(
        client.statement(date).await.unwrap(),
        vec![
            // What the payer was charged, not the settlement less the voucher.
            StatementEntry {
                order_number: ORDER.to_owned(),
                transaction_id: "4200001".to_owned(),
                amount: Fen::new(625),
                kind: StatementKind::Payment,
            },
            StatementEntry {
                order_number: "ORD1760754386127000000000003".to_owned(),
                transaction_id: "4200003".to_owned(),
                amount: Fen::new(310),
                kind: StatementKind::Refund,
            },
        ]
    );

    server.reset().await;
    answer(
        &server,
        "downloadbill",
        ok(json!({"return_code": "FAIL", "return_msg": "No Bill Exist", "error_code": "20002"})),
    )
    .await;
    assert_eq!(client.statement(date).await, Ok(vec![]));

    server.reset().await;
    answer(
        &server,
        "downloadbill",
        ok(json!({"return_code": "FAIL", "return_msg": "受理关系不存在"})),
    )
    .await;
    assert!(matches!(
        client.statement(date).await,
        Err(GatewayError::Rejected { code, .. }) if code == "MERCHANT_NOT_BOUND"
    ));

    server.reset().await;
    answer(&server, "downloadbill", ok(json!("not a statement"))).await;
    assert!(matches!(
        client.statement(date).await,
        Err(GatewayError::Unavailable(_))
    ));

    server.reset().await;
    answer(
        &server,
        "downloadbill",
        ResponseTemplate::new(503).set_body_string("busy"),
    )
    .await;
    assert!(matches!(
        client.statement(date).await,
        Err(GatewayError::Unavailable(_))
    ));
}
