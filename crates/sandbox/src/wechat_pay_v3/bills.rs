//! Bills generated from the ledger: the trade bill (`/v3/bill/tradebill`, the 27-column
//! layout of the ALL statement, every field prefixed by a backtick, then a summary) and the
//! fund-flow bill of the basic account (`/v3/bill/fundflowbill`). Amounts in yuan; the day
//! is a China-time date. Downloads are stored under a random token.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::NaiveDate;
use sha1::{Digest, Sha1};

use super::clock::{bill_time, china_day};
use super::ids::random_alnum;
use super::records::{V3Order, V3Refund, V3RefundStatus};
use super::store::LedgerStore;

const TRADE_HEADER: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
const TRADE_SUMMARY_HEADER: &str =
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";
const FUND_HEADER: &str = "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,资金变更提交申请人,备注,业务凭证号";
const FUND_SUMMARY_HEADER: &str = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额";
const RATE: &str = "0.60%";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TradeBillType {
    All,
    Success,
    Refund,
}

impl TradeBillType {
    pub(crate) fn parse(raw: Option<&str>) -> Option<TradeBillType> {
        match raw.unwrap_or("ALL") {
            "ALL" => Some(TradeBillType::All),
            "SUCCESS" => Some(TradeBillType::Success),
            "REFUND" => Some(TradeBillType::Refund),
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

/// 0.6 % of the amount, rounded to the fen.
fn fee(total: i64) -> i64 {
    (total * 6 + 500) / 1000
}

fn line(fields: &[String]) -> String {
    fields
        .iter()
        .map(|field| format!("`{field}"))
        .collect::<Vec<_>>()
        .join(",")
}

struct Totals {
    count: usize,
    settled: i64,
    refunded: i64,
    fees: i64,
    ordered: i64,
    refund_requested: i64,
}

fn payment_fields(order: &V3Order) -> Vec<String> {
    vec![
        order.success_time.map(bill_time).unwrap_or_default(),
        order.appid.clone(),
        order.mchid.clone(),
        "0".to_owned(),
        String::new(),
        order.transaction_id.clone().unwrap_or_default(),
        order.out_trade_no.clone(),
        order.payer_openid.clone().unwrap_or_default(),
        order.trade_type.as_str().to_owned(),
        "SUCCESS".to_owned(),
        "OTHERS".to_owned(),
        "CNY".to_owned(),
        yuan(order.total),
        "0.00".to_owned(),
        "0".to_owned(),
        "0".to_owned(),
        "0.00".to_owned(),
        "0.00".to_owned(),
        String::new(),
        String::new(),
        order.description.clone(),
        order.attach.clone().unwrap_or_default(),
        yuan(fee(order.total)),
        RATE.to_owned(),
        yuan(order.total),
        "0.00".to_owned(),
        String::new(),
    ]
}

fn refund_fields(refund: &V3Refund, order: Option<&V3Order>) -> Vec<String> {
    vec![
        bill_time(refund.created_at),
        order.map(|order| order.appid.clone()).unwrap_or_default(),
        order.map(|order| order.mchid.clone()).unwrap_or_default(),
        "0".to_owned(),
        String::new(),
        refund.transaction_id.clone(),
        refund.out_trade_no.clone(),
        order
            .and_then(|order| order.payer_openid.clone())
            .unwrap_or_default(),
        order
            .map(|order| order.trade_type.as_str().to_owned())
            .unwrap_or_default(),
        "REFUND".to_owned(),
        "OTHERS".to_owned(),
        "CNY".to_owned(),
        "0.00".to_owned(),
        "0.00".to_owned(),
        refund.refund_id.clone(),
        refund.out_refund_no.clone(),
        yuan(refund.refund),
        "0.00".to_owned(),
        "ORIGINAL".to_owned(),
        refund.status.as_str().to_owned(),
        order
            .map(|order| order.description.clone())
            .unwrap_or_default(),
        order
            .and_then(|order| order.attach.clone())
            .unwrap_or_default(),
        yuan(-fee(refund.refund)),
        RATE.to_owned(),
        "0.00".to_owned(),
        yuan(refund.refund),
        String::new(),
    ]
}

/// The trade bill of a China day, or `None` when nothing happened that day.
pub(crate) fn trade_bill(
    store: &LedgerStore,
    day: NaiveDate,
    kind: TradeBillType,
) -> Option<String> {
    let mut lines = Vec::new();
    let mut totals = Totals {
        count: 0,
        settled: 0,
        refunded: 0,
        fees: 0,
        ordered: 0,
        refund_requested: 0,
    };
    if kind != TradeBillType::Refund {
        for order in store
            .orders()
            .iter()
            .filter(|order| order.success_time.map(china_day) == Some(day))
        {
            lines.push(line(&payment_fields(order)));
            totals.count += 1;
            totals.settled += order.total;
            totals.fees += fee(order.total);
            totals.ordered += order.total;
        }
    }
    if kind != TradeBillType::Success {
        for refund in store
            .refunds()
            .iter()
            .filter(|refund| china_day(refund.created_at) == day)
        {
            lines.push(line(&refund_fields(
                refund,
                store.order(&refund.out_trade_no),
            )));
            totals.count += 1;
            totals.refunded += refund.refund;
            totals.fees -= fee(refund.refund);
            totals.refund_requested += refund.refund;
        }
    }
    if lines.is_empty() {
        return None;
    }
    let summary = line(&[
        totals.count.to_string(),
        yuan(totals.settled),
        yuan(totals.refunded),
        "0.00".to_owned(),
        yuan(totals.fees),
        yuan(totals.ordered),
        yuan(totals.refund_requested),
    ]);
    Some(format!(
        "{TRADE_HEADER}\n{}\n{TRADE_SUMMARY_HEADER}\n{summary}\n",
        lines.join("\n")
    ))
}

/// The basic account's fund flow of a China day: payments in, successful refunds out.
pub(crate) fn fund_flow_bill(store: &LedgerStore, day: NaiveDate) -> Option<String> {
    struct Entry<'a> {
        time: chrono::DateTime<chrono::Utc>,
        business_id: &'a str,
        name: &'static str,
        income: bool,
        fen: i64,
        voucher: &'a str,
    }
    let mut entries: Vec<Entry<'_>> = store
        .orders()
        .iter()
        .filter_map(|order| {
            let time = order.success_time.filter(|time| china_day(*time) == day)?;
            Some(Entry {
                time,
                business_id: order.transaction_id.as_deref()?,
                name: "交易",
                income: true,
                fen: order.total,
                voucher: &order.out_trade_no,
            })
        })
        .collect();
    entries.extend(store.refunds().iter().filter_map(|refund| {
        let time = refund.success_time.filter(|time| china_day(*time) == day)?;
        (refund.status == V3RefundStatus::Success).then_some(Entry {
            time,
            business_id: &refund.refund_id,
            name: "退款",
            income: false,
            fen: refund.refund,
            voucher: &refund.out_refund_no,
        })
    }));
    if entries.is_empty() {
        return None;
    }
    entries.sort_by_key(|entry| entry.time);
    let mut balance = 0;
    let mut lines = Vec::new();
    let (mut incomes, mut income, mut expenses, mut expense) = (0, 0, 0, 0);
    for entry in &entries {
        if entry.income {
            balance += entry.fen;
            incomes += 1;
            income += entry.fen;
        } else {
            balance -= entry.fen;
            expenses += 1;
            expense += entry.fen;
        }
        lines.push(line(&[
            bill_time(entry.time),
            entry.business_id.to_owned(),
            format!("{}{}", entry.business_id, random_alnum(6)),
            entry.name.to_owned(),
            entry.name.to_owned(),
            if entry.income { "收入" } else { "支出" }.to_owned(),
            yuan(entry.fen),
            yuan(balance),
            "system".to_owned(),
            String::new(),
            entry.voucher.to_owned(),
        ]));
    }
    let summary = line(&[
        entries.len().to_string(),
        incomes.to_string(),
        yuan(income),
        expenses.to_string(),
        yuan(expense),
    ]);
    Some(format!(
        "{FUND_HEADER}\n{}\n{FUND_SUMMARY_HEADER}\n{summary}\n",
        lines.join("\n")
    ))
}

/// Lower-case hex SHA-1, the `hash_value` of a bill.
pub(crate) fn sha1_hex(bytes: &[u8]) -> String {
    hex::encode(Sha1::digest(bytes))
}

/// Bill files waiting to be downloaded, by token.
#[derive(Debug, Default)]
pub(crate) struct BillFiles {
    files: Mutex<HashMap<String, Vec<u8>>>,
}

impl BillFiles {
    pub(crate) fn store(&self, file: Vec<u8>) -> String {
        let token = random_alnum(32);
        self.files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.clone(), file);
        token
    }

    pub(crate) fn get(&self, token: &str) -> Option<Vec<u8>> {
        self.files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_yuan_fees_and_digests() {
        assert_eq!(yuan(1042), "10.42");
        assert_eq!(yuan(-5), "-0.05");
        assert_eq!(fee(1000), 6);
        assert_eq!(fee(100), 1);
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }
}
