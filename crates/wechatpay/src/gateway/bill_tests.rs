//! Tests of `bill.rs`.

use super::*;

/// A day of the current (voucher) layout: two payments, a refund of one of them, a
/// product name with a comma, the summary; CRLF line ends and a byte order mark as
/// spreadsheet-friendly downloads have.
const BILL: &str = "\u{feff}交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n\
`2023-11-13 09:15:02,`wxd678efh567hg6787,`1900000001,`0,`,`4200002011202311130000000001,`ORD1699837000000abcdEFGH1234,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`OTHERS,`CNY,`0.01,`0.00,`0,`0,`0.00,`0.00,`,`,`Unitel 充值,`{\"orderNumber\":\"ORD1699837000000abcdEFGH1234\"},`0.00000,`0.60%,`0.01,`0.00,`\r\n\
`2023-11-13 20:40:10,`wxd678efh567hg6787,`1900000001,`0,`,`4200002011202311130000000002,`ORD1699879000000ijklMNOP5678,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`CMB_CREDIT,`CNY,`1224.50,`10.00,`0,`0,`0.00,`0.00,`,`,`Unitel 充值 100000₮, 30天,`{\"orderNumber\":\"ORD1699879000000ijklMNOP5678\"},`7.34700,`0.60%,`1234.50,`0.00,`\r\n\
`2023-11-13 21:02:55,`wxd678efh567hg6787,`1900000001,`0,`,`4200002011202311130000000002,`ORD1699879000000ijklMNOP5678,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`REFUND,`CMB_CREDIT,`CNY,`0.00,`0.00,`50300507392023111300000000001,`RFORD1699879000000ijklMNOP56781,`1224.50,`10.00,`ORIGINAL,`PROCESSING,`Unitel 充值 100000₮, 30天,`{\"orderNumber\":\"ORD1699879000000ijklMNOP5678\"},`-7.34700,`0.60%,`0.00,`1234.50,`\r\n\
总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n\
`3,`1224.51,`1224.50,`10.00,`0.00000,`1234.51,`1234.50\r\n";

#[test]
fn reads_payments_refunds_and_the_summary() {
    let bill = TradeBill::parse(BILL).unwrap();
    assert_eq!(bill.rows.len(), 3);

    let small = &bill.rows[0];
    assert_eq!(small.line, 2);
    assert_eq!(small.trade_time, "2023-11-13 09:15:02");
    assert_eq!(small.transaction_id, "4200002011202311130000000001");
    assert_eq!(small.out_trade_no, "ORD1699837000000abcdEFGH1234");
    assert_eq!(small.trade_state, BillTradeState::Success);
    assert_eq!(small.payment_fen(), Some(1));
    assert_eq!(small.refund_id, None);
    assert_eq!(small.out_refund_no, None);
    assert_eq!(
        small.attach.as_deref(),
        Some("{\"orderNumber\":\"ORD1699837000000abcdEFGH1234\"}")
    );

    let voucher = &bill.rows[1];
    assert_eq!(voucher.order_fen, Some(123_450));
    assert_eq!(voucher.settlement_fen, Some(122_450));
    assert_eq!(voucher.payment_fen(), Some(123_450));

    let refund = &bill.rows[2];
    assert_eq!(refund.trade_state, BillTradeState::Refund);
    assert_eq!(refund.transaction_id, voucher.transaction_id);
    assert_eq!(
        refund.refund_id.as_deref(),
        Some("50300507392023111300000000001")
    );
    assert_eq!(
        refund.out_refund_no.as_deref(),
        Some("RFORD1699879000000ijklMNOP56781")
    );
    assert_eq!(refund.refund_fen, Some(122_450));
    assert_eq!(refund.applied_refund_fen, Some(123_450));
    assert_eq!(refund.refunded_fen(), Some(123_450));
    assert_eq!(refund.refund_status.as_deref(), Some("PROCESSING"));

    assert_eq!(
        bill.summary,
        Some(TradeBillSummary {
            trade_count: 3,
            settlement_total_fen: 122_451,
            refund_total_fen: 122_450,
            order_total_fen: Some(123_451),
            applied_refund_total_fen: Some(123_450),
        })
    );
}

#[test]
fn no_openid_is_kept() {
    let bill = TradeBill::parse(BILL).unwrap();
    assert!(!format!("{bill:?}").contains("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"));
}

#[test]
fn reads_the_layout_without_vouchers() {
    let text = "交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,总金额,代金券或立减优惠金额,微信退款单号,商户退款单号,退款金额,代金券或立减优惠退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率\n\
`2017-11-13 09:15:02,`wx1,`1900000001,`,`,`42000001,`T000001,`o1,`JSAPI,`REFUND,`OTHERS,`CNY,`12.3,`0.00,`5030001,`R000001,`2.05,`0.00,`ORIGINAL,`SUCCESS,`top-up,`,`0.00,`0.60%\n\
总交易单,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额\n\
`1,`12.30,`2.05,`0.00,`0.00\n";
    let bill = TradeBill::parse(text).unwrap();
    let row = &bill.rows[0];
    assert_eq!(row.payment_fen(), Some(1_230));
    assert_eq!(row.applied_refund_fen, None);
    assert_eq!(row.refunded_fen(), Some(205));
    let summary = bill.summary.unwrap();
    assert_eq!(summary.trade_count, 1);
    assert_eq!(summary.settlement_total_fen, 1_230);
    assert_eq!(summary.refund_total_fen, 205);
    assert_eq!(summary.order_total_fen, None);
}

#[test]
fn a_bill_without_lines_or_summary_reads_empty() {
    let text = "交易时间,微信订单号,商户订单号,交易状态,订单金额\n";
    assert_eq!(
        TradeBill::parse(text).unwrap(),
        TradeBill {
            rows: vec![],
            summary: None
        }
    );
}

#[test]
fn malformed_bills_name_their_line() {
    let header = "交易时间,微信订单号,商户订单号,交易状态,订单金额\n";
    let cases = [
        ("".to_owned(), 1),
        ("not a bill".to_owned(), 1),
        ("`2023-11-13,`42,`ORD1,`SUCCESS,`0.01\n".to_owned(), 1),
        (format!("{header}`2023-11-13,`42,`ORD1,`SUCCESS\n"), 2),
        (
            format!("{header}`2023-11-13,`42,`ORD1,`SUCCESS,`1.234\n"),
            2,
        ),
        (format!("{header}`2023-11-13,`42,`ORD1,`SUCCESS,`1,00\n"), 2),
        (
            format!("{header}`2023-11-13,`42,`ORD1,`ACCEPTED,`0.01\n"),
            2,
        ),
        (format!("{header}`2023-11-13,`,`ORD1,`SUCCESS,`0.01\n"), 2),
        (format!("{header}总交易单数\n"), 2),
        (format!("{header}总交易单数\n`x\n"), 3),
        (format!("{header}总交易单数\n`1\n`extra\n"), 4),
    ];
    for (text, line) in cases {
        match TradeBill::parse(&text) {
            Err(error) => assert_eq!(error.line, line, "{text:?}: {error}"),
            Ok(bill) => panic!("{text:?} read as {bill:?}"),
        }
    }
}

#[test]
fn reads_yuan_into_fen_exactly() {
    for (text, fen) in [
        ("0.01", 1),
        ("1234.50", 123_450),
        ("1234.5", 123_450),
        ("7", 700),
        ("0.00", 0),
        ("-0.50", -50),
        ("92233720368547758.07", i64::MAX),
    ] {
        assert_eq!(parse_yuan(text), Some(fen), "{text:?}");
    }
    for bad in [
        "",
        ".5",
        "1.234",
        "1,00",
        "abc",
        "1.x",
        "+1.00",
        "92233720368547758.08",
    ] {
        assert_eq!(parse_yuan(bad), None, "{bad:?}");
    }
}
