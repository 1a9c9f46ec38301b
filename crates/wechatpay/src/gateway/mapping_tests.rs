//! Tests of `mapping.rs`.

use super::*;
use crate::error::Unknown;
use crate::verification::VerificationError;

fn api_error(status: u16, code: &str, message: &str) -> ApiError {
    ApiError {
        status,
        code: code.to_owned(),
        message: message.to_owned(),
        detail: None,
        request_id: None,
    }
}

fn refused(status: u16, code: &str) -> WechatPayError {
    WechatPayError::Refused(api_error(status, code, "描述"))
}

#[test]
fn the_domain_reads_the_order_number_back_from_attach() {
    let attach = attach_for_order("ORD1699837000000abcdEFGH1234");
    // The shape the domain's `attach_order_number` reads first (`{"orderNumber":..}`).
    assert_eq!(attach, r#"{"orderNumber":"ORD1699837000000abcdEFGH1234"}"#);
    let parsed: serde_json::Value = serde_json::from_str(&attach).unwrap();
    assert_eq!(parsed["orderNumber"], "ORD1699837000000abcdEFGH1234");
}

#[test]
fn definite_refusals_map_to_their_variant() {
    assert_eq!(
        gateway_error("close", refused(400, "ORDERPAID")),
        GatewayError::OrderPaid
    );
    assert_eq!(
        gateway_error("close", refused(400, "ORDER_CLOSED")),
        GatewayError::OrderClosed
    );
    assert_eq!(
        gateway_error(
            "query",
            WechatPayError::NotFound(api_error(404, "ORDER_NOT_EXIST", "订单不存在"))
        ),
        GatewayError::NotFound
    );
    for code in ["NOT_ENOUGH", "INVALID_REQUEST", "PARAM_ERROR", "SIGN_ERROR"] {
        assert_eq!(
            gateway_error("refund", refused(403, code)),
            GatewayError::Rejected {
                code: code.to_owned(),
                message: "描述".to_owned()
            }
        );
    }
}

#[test]
fn not_now_and_unknown_outcomes_are_unavailable_with_their_text() {
    for error in [
        refused(429, "FREQUENCY_LIMITED"),
        refused(400, "STATEMENT_CREATING"),
        refused(403, "USERPAYING"),
        WechatPayError::OutcomeUnknown(Unknown::ServerError(api_error(
            500,
            "SYSTEM_ERROR",
            "系统繁忙",
        ))),
        WechatPayError::OutcomeUnknown(Unknown::Unverified {
            status: 200,
            source: VerificationError::Probe,
        }),
        WechatPayError::OutcomeUnknown(Unknown::Malformed {
            status: 200,
            reason: "unknown TradeState \"ACCEPT\"".to_owned(),
        }),
        WechatPayError::NotSent(NotSent::NoEncryptionKey),
    ] {
        let text = error.to_string();
        match gateway_error("query order", error) {
            GatewayError::Unavailable(message) => {
                assert!(message.contains(&text), "{message:?} lost {text:?}");
                assert!(message.contains("query order"), "{message:?}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn requests_never_sent_for_a_bad_argument_are_rejected() {
    let error = WechatPayError::NotSent(NotSent::InvalidArgument {
        field: "amount_fen",
        reason: "0 fen is not a positive amount".to_owned(),
    });
    match gateway_error("create JSAPI payment", error) {
        GatewayError::Rejected { code, message } => {
            assert_eq!(code, "INVALID_ARGUMENT");
            assert!(message.contains("amount_fen"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

fn transaction(json: serde_json::Value) -> Transaction {
    serde_json::from_value(json).unwrap()
}

#[test]
fn paid_and_refunded_orders_carry_the_confirmed_payment() {
    let paid = serde_json::json!({
        "out_trade_no": "ORD1699837000000abcdEFGH1234",
        "transaction_id": "4200002011202311130000000001",
        "trade_state": "SUCCESS",
        "attach": "{\"orderNumber\":\"ORD1699837000000abcdEFGH1234\"}",
        "success_time": "2023-11-13T09:15:02+08:00",
        "amount": {"total": 2350, "payer_total": 2300, "currency": "CNY"}
    });
    let expected = ConfirmedPayment {
        order_number: "ORD1699837000000abcdEFGH1234".to_owned(),
        transaction_id: "4200002011202311130000000001".to_owned(),
        amount: Fen::new(2350),
        attach: Some("{\"orderNumber\":\"ORD1699837000000abcdEFGH1234\"}".to_owned()),
        paid_at: Some(
            chrono::DateTime::parse_from_rfc3339("2023-11-13T01:15:02Z")
                .unwrap()
                .with_timezone(&chrono::Utc),
        ),
        payer: None,
    };
    assert_eq!(
        trade_state(transaction(paid.clone())).unwrap(),
        TradeState::Paid(expected.clone())
    );
    let mut refunded = paid;
    refunded["trade_state"] = "REFUND".into();
    refunded["attach"] = "".into();
    assert_eq!(
        trade_state(transaction(refunded)).unwrap(),
        TradeState::Refunded(ConfirmedPayment {
            attach: None,
            ..expected
        })
    );
}

#[test]
fn unpaid_states_map_one_to_one() {
    for (wire, expected) in [
        ("NOTPAY", TradeState::NotPaid),
        ("CLOSED", TradeState::Closed),
        ("REVOKED", TradeState::Revoked),
        ("USERPAYING", TradeState::UserPaying),
        ("PAYERROR", TradeState::PayError),
    ] {
        let answer = serde_json::json!({"out_trade_no": "ORD1", "trade_state": wire});
        assert_eq!(
            trade_state(transaction(answer)).unwrap(),
            expected,
            "{wire}"
        );
    }
}

#[test]
fn a_paid_order_without_its_transaction_or_amount_is_unusable() {
    for answer in [
        serde_json::json!({"out_trade_no": "ORD1", "trade_state": "SUCCESS",
                           "amount": {"total": 1}}),
        serde_json::json!({"out_trade_no": "ORD1", "trade_state": "SUCCESS",
                           "transaction_id": "", "amount": {"total": 1}}),
        serde_json::json!({"out_trade_no": "ORD1", "trade_state": "REFUND",
                           "transaction_id": "42"}),
    ] {
        assert!(matches!(
            trade_state(transaction(answer.clone())),
            Err(GatewayError::Unavailable(_))
        ));
    }
}

fn refund(status: RefundStatus) -> Refund {
    serde_json::from_value(serde_json::json!({
        "refund_id": "50300507392023111300000000001",
        "out_refund_no": "RF1",
        "status": status,
        "amount": {"total": 2350, "refund": 2350}
    }))
    .unwrap()
}

#[test]
fn refund_statuses_map_and_abnormal_stays_in_progress() {
    let id = Some("50300507392023111300000000001".to_owned());
    assert_eq!(
        refund_state(&refund(RefundStatus::Success)),
        RefundState::Succeeded {
            gateway_refund_id: id.clone()
        }
    );
    assert_eq!(
        refund_state(&refund(RefundStatus::Processing)),
        RefundState::Processing {
            gateway_refund_id: id.clone()
        }
    );
    assert_eq!(
        refund_state(&refund(RefundStatus::Abnormal)),
        RefundState::Processing {
            gateway_refund_id: id
        }
    );
    assert!(matches!(
        refund_state(&refund(RefundStatus::Closed)),
        RefundState::Failed { reason } if reason.starts_with("CLOSED")
    ));
}

#[test]
fn bill_lines_become_statement_entries() {
    let text = "交易时间,微信订单号,商户订单号,交易状态,应结订单金额,订单金额,申请退款金额\n\
                `2023-11-13 09:15:02,`4201,`ORD1,`SUCCESS,`0.01,`0.01,`0.00\n\
                `2023-11-13 09:20:00,`4202,`ORD2,`SUCCESS,`1224.50,`1234.50,`0.00\n\
                `2023-11-13 09:30:00,`4202,`ORD2,`REFUND,`0.00,`0.00,`1234.50\n\
                `2023-11-13 09:40:00,`4203,`ORD3,`REVOKED,`5.00,`5.00,`0.00\n";
    let entries = statement_entries(&TradeBill::parse(text).unwrap()).unwrap();
    let entry = |order: &str, transaction: &str, fen: i64, kind| StatementEntry {
        order_number: order.to_owned(),
        transaction_id: transaction.to_owned(),
        amount: Fen::new(fen),
        kind,
    };
    assert_eq!(
        entries,
        vec![
            entry("ORD1", "4201", 1, StatementKind::Payment),
            entry("ORD2", "4202", 123_450, StatementKind::Payment),
            entry("ORD2", "4202", 123_450, StatementKind::Refund),
        ]
    );

    let refund_without_amount = "交易时间,微信订单号,商户订单号,交易状态,订单金额\n\
                                 `2023-11-13 09:30:00,`4202,`ORD2,`REFUND,`0.00\n";
    let error = statement_entries(&TradeBill::parse(refund_without_amount).unwrap());
    assert!(matches!(error, Err(BillError { line: 2, .. })));
}
