//! The trade bill as downloaded (`GET /v3/bill/tradebill`, then its `download_url`): a header
//! line, one line per payment or refund with every value prefixed by a backtick (so that
//! spreadsheets keep long numbers as text), then a summary header and a summary line.
//! Amounts are yuan with two decimals; they are read into fen with integer arithmetic.
//!
//! Columns are found by their header name, not their position: WeChat Pay has added columns
//! over the years (订单金额, 申请退款金额 and 费率备注 came with vouchers) and says the order
//! may change.

use crate::model::wire_enum;

wire_enum! {
    /// `交易状态` of a bill line.
    pub enum BillTradeState {
        /// A payment that succeeded that day.
        Success => "SUCCESS",
        /// A refund accepted that day (the line is not updated when the refund ends).
        Refund => "REFUND",
        /// A payment revoked after it succeeded (card payments only).
        Revoked => "REVOKED",
    }
}

/// A bill that does not read as WeChat Pay documents it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed trade bill at line {line}: {reason}")]
pub struct BillError {
    /// 1-based line of the bill text.
    pub line: usize,
    pub reason: String,
}

/// One line of the bill: a payment or a refund. The payer's openid (用户标识) is not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeBillRow {
    /// 1-based line of the bill text, to quote in errors.
    pub line: usize,
    /// `yyyy-MM-dd HH:mm:ss`, China time, as printed: when the payment succeeded, or when the
    /// refund was accepted.
    pub trade_time: String,
    /// 微信订单号: of the payment (also on a refund's line).
    pub transaction_id: String,
    /// 商户订单号: of the payment (also on a refund's line).
    pub out_trade_no: String,
    pub trade_state: BillTradeState,
    /// 订单金额 (总金额 in the layout without vouchers): what the order asked of the payer.
    pub order_fen: Option<i64>,
    /// 应结订单金额: the order amount less WeChat's non-recharge vouchers.
    pub settlement_fen: Option<i64>,
    pub refund_id: Option<String>,
    pub out_refund_no: Option<String>,
    /// 申请退款金额: the refund the merchant asked for (newer layout only).
    pub applied_refund_fen: Option<i64>,
    /// 退款金额: the settled part of the refund.
    pub refund_fen: Option<i64>,
    /// 退款状态 when the bill was made (not updated afterwards).
    pub refund_status: Option<String>,
    /// 商户数据包: the `attach` sent with the order.
    pub attach: Option<String>,
}

impl TradeBillRow {
    /// What the payment was for in fen: the order amount, or the settlement amount in a
    /// layout that has no other.
    pub fn payment_fen(&self) -> Option<i64> {
        self.order_fen.or(self.settlement_fen)
    }

    /// What the refund gives back in fen: the amount asked for (our refund's amount), or the
    /// settled refund in the layout without 申请退款金额.
    pub fn refunded_fen(&self) -> Option<i64> {
        self.applied_refund_fen.or(self.refund_fen)
    }
}

/// The bill's last two lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeBillSummary {
    /// 总交易单数 (总交易单 in the older layout).
    pub trade_count: u64,
    /// 应结订单总金额 (总交易额).
    pub settlement_total_fen: i64,
    /// 退款总金额 (总退款金额).
    pub refund_total_fen: i64,
    /// 订单总金额, newer layout only.
    pub order_total_fen: Option<i64>,
    /// 申请退款总金额, newer layout only.
    pub applied_refund_total_fen: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeBill {
    pub rows: Vec<TradeBillRow>,
    pub summary: Option<TradeBillSummary>,
}

/// Columns a bill line cannot do without.
const REQUIRED_COLUMNS: [&str; 4] = ["交易时间", "微信订单号", "商户订单号", "交易状态"];
const BYTE_ORDER_MARK: char = '\u{feff}';

impl TradeBill {
    pub fn parse(text: &str) -> Result<TradeBill, BillError> {
        let text = text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(text);
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(index, line)| (index + 1, line.trim()))
            .filter(|(_, line)| !line.is_empty())
            .peekable();
        let Some((header_line, header_text)) = lines.next() else {
            return Err(malformed(1, "empty bill"));
        };
        if header_text.starts_with('`') {
            return Err(malformed(header_line, "the bill has no header"));
        }
        let header = split_header(header_text);
        if let Some(missing) = REQUIRED_COLUMNS
            .iter()
            .find(|column| !header.iter().any(|name| name == *column))
        {
            return Err(malformed(
                header_line,
                format!("not a trade bill header: no column {missing}"),
            ));
        }

        let mut rows = Vec::new();
        while let Some((number, line)) = lines.next_if(|(_, line)| line.starts_with('`')) {
            let values = split_values(line);
            rows.push(row_from(&Line::new(&header, values, number)?)?);
        }

        let summary = match lines.next() {
            None => None,
            Some((number, summary_header)) => {
                let Some((values_number, values)) = lines.next() else {
                    return Err(malformed(number, "summary header without values"));
                };
                let summary_header = split_header(summary_header);
                let line = Line::new(&summary_header, split_values(values), values_number)?;
                Some(summary_from(&line)?)
            }
        };
        if let Some((number, _)) = lines.next() {
            return Err(malformed(number, "unexpected line after the summary"));
        }
        Ok(TradeBill { rows, summary })
    }
}

fn malformed(line: usize, reason: impl Into<String>) -> BillError {
    BillError {
        line,
        reason: reason.into(),
    }
}

fn split_header(line: &str) -> Vec<String> {
    line.split(',').map(|name| name.trim().to_owned()).collect()
}

/// Values are split on ",`" rather than "," so that a comma inside a value (a product name,
/// an `attach`) survives.
fn split_values(line: &str) -> Vec<&str> {
    match line.strip_prefix('`') {
        Some(body) => body.split(",`").map(str::trim).collect(),
        None => line.split(',').map(str::trim).collect(),
    }
}

/// One line's values by column name.
struct Line<'a> {
    number: usize,
    fields: Vec<(&'a str, &'a str)>,
}

impl<'a> Line<'a> {
    fn new(header: &'a [String], values: Vec<&'a str>, number: usize) -> Result<Self, BillError> {
        if values.len() != header.len() {
            return Err(malformed(
                number,
                format!("{} values for {} columns", values.len(), header.len()),
            ));
        }
        Ok(Line {
            number,
            fields: header.iter().map(String::as_str).zip(values).collect(),
        })
    }

    fn get(&self, column: &str) -> Option<&'a str> {
        self.fields
            .iter()
            .find(|(name, _)| *name == column)
            .map(|(_, value)| *value)
    }

    fn first(&self, columns: &[&str]) -> Option<&'a str> {
        columns.iter().find_map(|column| self.get(column))
    }

    fn required(&self, column: &str) -> Result<&'a str, BillError> {
        self.get(column)
            .filter(|value| !value.is_empty())
            .ok_or_else(|| malformed(self.number, format!("empty {column}")))
    }

    /// Empty cells and WeChat's `0` placeholder ("no refund") are absent values.
    fn present(&self, column: &str) -> Option<String> {
        self.get(column)
            .filter(|value| !value.is_empty() && *value != "0")
            .map(str::to_owned)
    }

    /// The amount in the first of `columns` the bill has; an empty cell is absent.
    fn amount(&self, columns: &[&str]) -> Result<Option<i64>, BillError> {
        match self.first(columns) {
            None | Some("") => Ok(None),
            Some(text) => parse_yuan(text).map(Some).ok_or_else(|| {
                malformed(
                    self.number,
                    format!("{} {text:?} is not an amount in yuan", columns.join("/")),
                )
            }),
        }
    }
}

fn row_from(line: &Line<'_>) -> Result<TradeBillRow, BillError> {
    let state_text = line.required("交易状态")?;
    let trade_state = state_text
        .parse()
        .map_err(|error| malformed(line.number, format!("交易状态: {error}")))?;
    Ok(TradeBillRow {
        line: line.number,
        trade_time: line.required("交易时间")?.to_owned(),
        transaction_id: line.required("微信订单号")?.to_owned(),
        out_trade_no: line.required("商户订单号")?.to_owned(),
        trade_state,
        order_fen: line.amount(&["订单金额", "总金额"])?,
        settlement_fen: line.amount(&["应结订单金额"])?,
        refund_id: line.present("微信退款单号"),
        out_refund_no: line.present("商户退款单号"),
        applied_refund_fen: line.amount(&["申请退款金额"])?,
        refund_fen: line.amount(&["退款金额"])?,
        refund_status: line.present("退款状态"),
        attach: line.present("商户数据包"),
    })
}

fn summary_from(line: &Line<'_>) -> Result<TradeBillSummary, BillError> {
    let count_text = line
        .first(&["总交易单数", "总交易单"])
        .ok_or_else(|| malformed(line.number, "summary without 总交易单数"))?;
    let trade_count = count_text
        .parse()
        .map_err(|_| malformed(line.number, format!("{count_text:?} is not a count")))?;
    Ok(TradeBillSummary {
        trade_count,
        settlement_total_fen: line.amount(&["应结订单总金额", "总交易额"])?.unwrap_or(0),
        refund_total_fen: line.amount(&["退款总金额", "总退款金额"])?.unwrap_or(0),
        order_total_fen: line.amount(&["订单总金额"])?,
        applied_refund_total_fen: line.amount(&["申请退款总金额"])?,
    })
}

/// `1234.50` yuan → 123450 fen; at most two decimals, never through floating point.
pub fn parse_yuan(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > 2 {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    let fen = whole.checked_mul(100)?.checked_add(fraction)?;
    Some(if negative { -fen } else { fen })
}

#[cfg(test)]
#[path = "bill_tests.rs"]
mod tests;
