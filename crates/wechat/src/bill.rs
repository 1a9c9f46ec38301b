//! The daily statement (`downloadbill`): a header line, one line per trade or refund with
//! every field prefixed by a backtick, then a summary header and a summary line.
//! Amounts are yuan with two decimals; they are read into fen without floating point.

use elife_domain::money::Fen;
use elife_domain::ports::{GatewayError, StatementEntry, StatementKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillType {
    /// Every trade and refund of the day.
    All,
    /// Successful payments only.
    Success,
    /// Refunds only.
    Refund,
}

impl BillType {
    pub fn as_wechat(self) -> &'static str {
        match self {
            BillType::All => "ALL",
            BillType::Success => "SUCCESS",
            BillType::Refund => "REFUND",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillError {
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// WeChat has no statement for that day (`No Bill Exist`, error 20002): no trade that day,
    /// or the statement is not generated yet (it is ready after 10:00 China time).
    #[error("no statement exists for that day")]
    NoBill,
    #[error("malformed statement at line {line}: {reason}")]
    Malformed { line: usize, reason: String },
}

/// One line of the statement: a payment, or a refund (`trade_state` `REFUND`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRow {
    /// `yyyy-MM-dd HH:mm:ss`, China time, as printed.
    pub trade_time: String,
    pub transaction_id: String,
    pub out_trade_no: String,
    pub trade_state: String,
    /// 应结订单金额 (or 总金额 in older layouts).
    pub settlement_amount: Fen,
    pub refund_id: Option<String>,
    pub out_refund_no: Option<String>,
    pub refund_amount: Fen,
    pub refund_status: Option<String>,
    pub product: Option<String>,
    pub attach: Option<String>,
    /// Every column by its header name, for fields without a typed accessor.
    pub fields: Vec<(String, String)>,
}

impl StatementRow {
    pub fn field(&self, column: &str) -> Option<&str> {
        field_of(&self.fields, column)
    }

    /// What the payer was charged (订单金额, our `total_fee`): the settlement amount is less
    /// by any WeChat voucher. Layouts without that column have only the settlement amount.
    pub fn order_amount(&self) -> Result<Fen, BillError> {
        match self.field("订单金额") {
            None => Ok(self.settlement_amount),
            Some(text) => parse_yuan(text).ok_or_else(|| BillError::Malformed {
                line: 0,
                reason: format!(
                    "订单金额 {text:?} of {} is not an amount",
                    self.out_trade_no
                ),
            }),
        }
    }

    /// The row as the domain's statement entry: a successful payment or a refund; other
    /// lines (e.g. a revoked trade) move no money and are left out.
    pub fn entry(&self) -> Result<Option<StatementEntry>, BillError> {
        let (kind, amount) = match self.trade_state.as_str() {
            "SUCCESS" => (StatementKind::Payment, self.order_amount()?),
            "REFUND" => (StatementKind::Refund, self.refund_amount),
            _ => return Ok(None),
        };
        Ok(Some(StatementEntry {
            order_number: self.out_trade_no.clone(),
            transaction_id: self.transaction_id.clone(),
            amount,
            kind,
        }))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementSummary {
    pub trade_count: u64,
    pub settlement_total: Fen,
    pub refund_total: Fen,
    pub fields: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub header: Vec<String>,
    pub rows: Vec<StatementRow>,
    pub summary: Option<StatementSummary>,
}

impl Statement {
    pub fn parse(text: &str) -> Result<Statement, BillError> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(index, line)| (index + 1, line.trim()))
            .filter(|(_, line)| !line.is_empty())
            .peekable();
        let Some((header_line, header_text)) = lines.next() else {
            return Err(malformed(1, "empty statement"));
        };
        if header_text.starts_with('`') {
            return Err(malformed(header_line, "the statement has no header"));
        }
        let header = split_header(header_text);
        if !["交易时间", "商户订单号"]
            .iter()
            .all(|column| header.iter().any(|name| name == column))
        {
            return Err(malformed(header_line, "not a statement header"));
        }

        let mut rows = Vec::new();
        while let Some((number, line)) = lines.next_if(|(_, line)| line.starts_with('`')) {
            let fields = zip_fields(&header, line, number)?;
            rows.push(row_from(fields, number)?);
        }

        let summary = match lines.next() {
            None => None,
            Some((number, summary_header)) => {
                let Some((values_number, values)) = lines.next() else {
                    return Err(malformed(number, "summary header without values"));
                };
                let fields = zip_fields(&split_header(summary_header), values, values_number)?;
                Some(summary_from(fields, values_number)?)
            }
        };
        if let Some((number, _)) = lines.next() {
            return Err(malformed(number, "unexpected line after the summary"));
        }
        Ok(Statement {
            header,
            rows,
            summary,
        })
    }
}

fn malformed(line: usize, reason: impl Into<String>) -> BillError {
    BillError::Malformed {
        line,
        reason: reason.into(),
    }
}

fn split_header(line: &str) -> Vec<String> {
    line.split(',').map(|name| name.trim().to_owned()).collect()
}

/// Values are split on ",`" rather than "," so that a comma inside a field survives.
fn zip_fields(
    header: &[String],
    line: &str,
    number: usize,
) -> Result<Vec<(String, String)>, BillError> {
    let body = line
        .strip_prefix('`')
        .ok_or_else(|| malformed(number, "values must start with a backtick"))?;
    let values: Vec<&str> = body.split(",`").collect();
    if values.len() != header.len() {
        return Err(malformed(
            number,
            format!("{} values for {} columns", values.len(), header.len()),
        ));
    }
    Ok(header
        .iter()
        .cloned()
        .zip(values.into_iter().map(|value| value.trim().to_owned()))
        .collect())
}

fn field_of<'a>(fields: &'a [(String, String)], column: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(name, _)| name == column)
        .map(|(_, value)| value.as_str())
}

fn first_field<'a>(fields: &'a [(String, String)], columns: &[&str]) -> Option<&'a str> {
    columns.iter().find_map(|column| field_of(fields, column))
}

fn required<'a>(
    fields: &'a [(String, String)],
    columns: &[&str],
    line: usize,
) -> Result<&'a str, BillError> {
    first_field(fields, columns)
        .ok_or_else(|| malformed(line, format!("missing column {}", columns.join("/"))))
}

/// Empty cells and WeChat's `0` placeholder for "no refund" are absent values.
fn present(fields: &[(String, String)], column: &str) -> Option<String> {
    field_of(fields, column)
        .filter(|value| !value.is_empty() && *value != "0")
        .map(str::to_owned)
}

fn amount(
    fields: &[(String, String)],
    columns: &[&str],
    line: usize,
) -> Result<Option<Fen>, BillError> {
    first_field(fields, columns)
        .map(|text| {
            parse_yuan(text).ok_or_else(|| malformed(line, format!("{text:?} is not an amount")))
        })
        .transpose()
}

fn row_from(fields: Vec<(String, String)>, line: usize) -> Result<StatementRow, BillError> {
    let settlement_amount = amount(&fields, &["应结订单金额", "总金额"], line)?
        .ok_or_else(|| malformed(line, "missing column 应结订单金额/总金额"))?;
    let refund_amount = amount(&fields, &["退款金额"], line)?.unwrap_or(Fen::ZERO);
    Ok(StatementRow {
        trade_time: required(&fields, &["交易时间"], line)?.to_owned(),
        transaction_id: required(&fields, &["微信订单号"], line)?.to_owned(),
        out_trade_no: required(&fields, &["商户订单号"], line)?.to_owned(),
        trade_state: required(&fields, &["交易状态"], line)?.to_owned(),
        settlement_amount,
        refund_id: present(&fields, "微信退款单号"),
        out_refund_no: present(&fields, "商户退款单号"),
        refund_amount,
        refund_status: present(&fields, "退款状态"),
        product: present(&fields, "商品名称"),
        attach: present(&fields, "商户数据包"),
        fields,
    })
}

fn summary_from(fields: Vec<(String, String)>, line: usize) -> Result<StatementSummary, BillError> {
    let count_text = required(&fields, &["总交易单数"], line)?;
    let trade_count = count_text
        .parse()
        .map_err(|_| malformed(line, format!("{count_text:?} is not a count")))?;
    Ok(StatementSummary {
        trade_count,
        settlement_total: amount(&fields, &["应结订单总金额", "总交易额"], line)?
            .unwrap_or(Fen::ZERO),
        refund_total: amount(&fields, &["退款总金额", "总退款金额"], line)?.unwrap_or(Fen::ZERO),
        fields,
    })
}

/// `12.30` yuan → 1230 fen; at most two decimals, never through floating point.
fn parse_yuan(text: &str) -> Option<Fen> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > 2 {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    let fen = whole.checked_mul(100)?.checked_add(fraction)?;
    Some(Fen::new(if negative { -fen } else { fen }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented example (one paid order), with the doc's indentation.
    const DOCUMENTED: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注
              `2022-03-21 13:51:31,`wxfdc955f7104ad557,`180023671,`176531292,`,`420000612032130748613220688,`2021WERUN1647840687637,`oZWaCKXip5njeEiloC4oeOV1TTsk,`JSAPI,`SUCCESS,`OTHERS,`CNY,`0.01,`0.00,`0,`0,`0.00,`0.00,`,`,`微信云托管支付测试,`,`0.00000,`0.90%,`0.01,`0.00,`
              总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额
              `12,`0.06,`0.06,`0.00,`0.00000,`0.06,`0.06";

    #[test]
    fn parses_the_documented_statement() {
        let statement = Statement::parse(DOCUMENTED).unwrap();
        assert_eq!(statement.header.len(), 27);
        assert_eq!(statement.rows.len(), 1);
        let row = &statement.rows[0];
        assert_eq!(row.trade_time, "2022-03-21 13:51:31");
        assert_eq!(row.transaction_id, "420000612032130748613220688");
        assert_eq!(row.out_trade_no, "2021WERUN1647840687637");
        assert_eq!(row.trade_state, "SUCCESS");
        assert_eq!(row.settlement_amount, Fen::new(1));
        assert_eq!(row.refund_id, None);
        assert_eq!(row.out_refund_no, None);
        assert_eq!(row.refund_amount, Fen::ZERO);
        assert_eq!(row.product.as_deref(), Some("微信云托管支付测试"));
        assert_eq!(row.attach, None);
        assert_eq!(row.field("费率"), Some("0.90%"));
        let summary = statement.summary.unwrap();
        assert_eq!(summary.trade_count, 12);
        assert_eq!(summary.settlement_total, Fen::new(6));
        assert_eq!(summary.refund_total, Fen::new(6));
    }

    #[test]
    fn keeps_commas_inside_fields() {
        let text = "交易时间,微信订单号,商户订单号,交易状态,应结订单金额,商户数据包\n\
                    `2022-03-21 13:51:31,`42000,`ORD1,`SUCCESS,`12.3,`{\"a\":1,\"b\":2}\n";
        let statement = Statement::parse(text).unwrap();
        assert_eq!(
            statement.rows[0].attach.as_deref(),
            Some("{\"a\":1,\"b\":2}")
        );
        assert_eq!(statement.rows[0].settlement_amount, Fen::new(1230));
        assert_eq!(statement.summary, None);
    }

    #[test]
    fn reports_malformed_statements_with_their_line() {
        assert!(matches!(
            Statement::parse(""),
            Err(BillError::Malformed { .. })
        ));
        assert!(matches!(
            Statement::parse("not a statement"),
            Err(BillError::Malformed { line: 1, .. })
        ));
        let short_row = "交易时间,商户订单号\n`2022-03-21 13:51:31\n";
        assert!(matches!(
            Statement::parse(short_row),
            Err(BillError::Malformed { line: 2, .. })
        ));
        let bad_amount = "交易时间,微信订单号,商户订单号,交易状态,应结订单金额\n\
                          `2022-03-21,`42,`ORD1,`SUCCESS,`1.234\n";
        assert!(matches!(
            Statement::parse(bad_amount),
            Err(BillError::Malformed { line: 2, .. })
        ));
        let missing_column = "交易时间,商户订单号\n`2022-03-21,`42\n";
        assert!(matches!(
            Statement::parse(missing_column),
            Err(BillError::Malformed { line: 2, .. })
        ));
        let summary_without_values =
            "交易时间,微信订单号,商户订单号,交易状态,应结订单金额\n总交易单数\n";
        assert!(matches!(
            Statement::parse(summary_without_values),
            Err(BillError::Malformed { .. })
        ));
    }

    #[test]
    fn reads_yuan_into_fen_exactly() {
        assert_eq!(parse_yuan("0.01"), Some(Fen::new(1)));
        assert_eq!(parse_yuan("10.4"), Some(Fen::new(1040)));
        assert_eq!(parse_yuan("7"), Some(Fen::new(700)));
        assert_eq!(parse_yuan("-0.50"), Some(Fen::new(-50)));
        for bad in ["", ".5", "1.234", "1,00", "abc", "1.x"] {
            assert_eq!(parse_yuan(bad), None, "{bad:?}");
        }
    }
}
