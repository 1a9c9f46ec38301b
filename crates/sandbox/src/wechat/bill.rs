//! The daily statement (`downloadbill`) generated from the ledger, in WeChat's layout:
//! a header, one line per payment and per refund with every field prefixed by a backtick,
//! a summary header and a summary line. Amounts in yuan; the day is a China-time date.
//!
//! Every bill type uses the 27-column layout of the documented `ALL` statement.

use chrono::{DateTime, NaiveDate, Utc};

use super::clock::china;
use super::records::{SimOrder, SimRefund};
use super::store::LedgerStore;

const HEADER: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
const SUMMARY_HEADER: &str =
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";
/// 0.60 %, expressed as fee in 1/100000 yuan per fen: 1 fen × 0.006 = 0.00006 yuan.
const FEE_PER_FEN_IN_HUNDRED_THOUSANDTHS: i64 = 6;
const RATE: &str = "0.60%";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BillKind {
    All,
    Success,
    Refund,
}

impl BillKind {
    pub(crate) fn parse(raw: Option<&str>) -> Option<BillKind> {
        match raw.unwrap_or("ALL") {
            "ALL" => Some(BillKind::All),
            "SUCCESS" => Some(BillKind::Success),
            "REFUND" => Some(BillKind::Refund),
            _ => None,
        }
    }
}

/// `12.30` from 1230 fen.
fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    format!("{sign}{}.{:02}", fen / 100, fen % 100)
}

/// A fee in 1/100000 yuan as `0.00006`.
fn fee_text(hundred_thousandths: i64) -> String {
    format!(
        "{}.{:05}",
        hundred_thousandths / 100_000,
        hundred_thousandths % 100_000
    )
}

fn china_text(time: DateTime<Utc>) -> String {
    china(time).format("%Y-%m-%d %H:%M:%S").to_string()
}

struct Line {
    fields: Vec<String>,
    settlement: i64,
    refund: i64,
    fee: i64,
}

fn payment_line(order: &SimOrder, paid_at: DateTime<Utc>, appid: &str, mch_id: &str) -> Line {
    let fee = order.total_fee * FEE_PER_FEN_IN_HUNDRED_THOUSANDTHS;
    Line {
        fields: vec![
            china_text(paid_at),
            appid.to_owned(),
            mch_id.to_owned(),
            order.sub_mch_id.clone(),
            String::new(),
            order.transaction_id.clone().unwrap_or_default(),
            order.out_trade_no.clone(),
            order.openid.clone(),
            "JSAPI".to_owned(),
            "SUCCESS".to_owned(),
            "OTHERS".to_owned(),
            "CNY".to_owned(),
            yuan(order.total_fee),
            yuan(0),
            "0".to_owned(),
            "0".to_owned(),
            yuan(0),
            yuan(0),
            String::new(),
            String::new(),
            order.body.clone(),
            order.attach.clone().unwrap_or_default(),
            fee_text(fee),
            RATE.to_owned(),
            yuan(order.total_fee),
            yuan(0),
            String::new(),
        ],
        settlement: order.total_fee,
        refund: 0,
        fee,
    }
}

fn refund_line(
    refund: &SimRefund,
    order: &SimOrder,
    status: &str,
    appid: &str,
    mch_id: &str,
) -> Line {
    Line {
        fields: vec![
            china_text(refund.created_at),
            appid.to_owned(),
            mch_id.to_owned(),
            order.sub_mch_id.clone(),
            String::new(),
            refund.transaction_id.clone(),
            refund.out_trade_no.clone(),
            order.openid.clone(),
            "JSAPI".to_owned(),
            "REFUND".to_owned(),
            "OTHERS".to_owned(),
            "CNY".to_owned(),
            yuan(0),
            yuan(0),
            refund.refund_id.clone(),
            refund.out_refund_no.clone(),
            yuan(refund.refund_fee),
            yuan(0),
            "ORIGINAL".to_owned(),
            status.to_owned(),
            order.body.clone(),
            order.attach.clone().unwrap_or_default(),
            fee_text(0),
            RATE.to_owned(),
            yuan(order.total_fee),
            yuan(refund.refund_fee),
            String::new(),
        ],
        settlement: 0,
        refund: refund.refund_fee,
        fee: 0,
    }
}

/// The statement text, or `None` when the day has no line ("No Bill Exist").
pub(crate) fn statement(
    ledger: &LedgerStore,
    date: NaiveDate,
    kind: BillKind,
    sub_mch_id: Option<&str>,
    appid: &str,
    mch_id: &str,
    refund_status: impl Fn(&SimRefund) -> &'static str,
) -> Option<String> {
    let merchant_matches =
        |order: &SimOrder| sub_mch_id.is_none_or(|wanted| order.sub_mch_id == wanted);
    let mut lines: Vec<(DateTime<Utc>, Line)> = Vec::new();
    if kind != BillKind::Refund {
        for order in ledger
            .payments_on(date)
            .filter(|order| merchant_matches(order))
        {
            if let Some(paid_at) = order.paid_at {
                lines.push((paid_at, payment_line(order, paid_at, appid, mch_id)));
            }
        }
    }
    if kind != BillKind::Success {
        for refund in ledger.refunds_on(date) {
            let Some(order) = ledger.order(&refund.out_trade_no) else {
                continue;
            };
            if merchant_matches(order) {
                lines.push((
                    refund.created_at,
                    refund_line(refund, order, refund_status(refund), appid, mch_id),
                ));
            }
        }
    }
    if lines.is_empty() {
        return None;
    }
    lines.sort_by_key(|(at, _)| *at);

    let settlement: i64 = lines.iter().map(|(_, line)| line.settlement).sum();
    let refunded: i64 = lines.iter().map(|(_, line)| line.refund).sum();
    let fees: i64 = lines.iter().map(|(_, line)| line.fee).sum();
    let mut text = String::from(HEADER);
    for (_, line) in &lines {
        text.push('\n');
        text.push_str(&backticked(&line.fields));
    }
    text.push('\n');
    text.push_str(SUMMARY_HEADER);
    text.push('\n');
    text.push_str(&backticked(&[
        lines.len().to_string(),
        yuan(settlement),
        yuan(refunded),
        yuan(0),
        fee_text(fees),
        yuan(settlement),
        yuan(refunded),
    ]));
    Some(text)
}

fn backticked(fields: &[String]) -> String {
    fields
        .iter()
        .map(|field| format!("`{field}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_amounts_like_wechat() {
        assert_eq!(yuan(1), "0.01");
        assert_eq!(yuan(1230), "12.30");
        assert_eq!(yuan(-50), "-0.50");
        assert_eq!(fee_text(6), "0.00006");
        assert_eq!(fee_text(600_000), "6.00000");
    }
}
