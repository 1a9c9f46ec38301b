//! The open interface's vocabulary: reading request fields, and building the answers
//! (`return_code`/`result_code` envelopes, random ids, the payment object).

use chrono::{DateTime, Utc};
use rand::Rng;
use serde_json::{Map, Value, json};

use super::records::SimRefund;

/// The request was not even well-formed JSON of the right types: the open interface
/// answers `errcode` 40097 ("invalid args").
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidArgs(pub String);

pub(crate) type ApiResult = Result<Value, InvalidArgs>;

/// Who the simulator is, echoed in every answer.
pub(crate) struct Identity<'a> {
    pub appid: &'a str,
    pub mch_id: &'a str,
}

pub(crate) fn text<'a>(request: &'a Value, name: &str) -> Result<Option<&'a str>, InvalidArgs> {
    match request.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.as_str()).filter(|value| !value.is_empty())),
        Some(_) => Err(InvalidArgs(format!("{name} must be a string"))),
    }
}

pub(crate) fn integer(request: &Value, name: &str) -> Result<Option<i64>, InvalidArgs> {
    match request.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_i64()
            .map(Some)
            .ok_or_else(|| InvalidArgs(format!("{name} must be an integer"))),
    }
}

pub(crate) fn return_fail(message: &str) -> Value {
    json!({ "return_code": "FAIL", "return_msg": message })
}

pub(crate) fn missing(name: &str) -> Value {
    return_fail(&format!("缺少参数 {name}"))
}

pub(crate) fn not_bound() -> Value {
    return_fail("受理关系不存在")
}

fn base(identity: &Identity<'_>, sub_mch_id: &str) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("return_code".into(), json!("SUCCESS"));
    fields.insert("return_msg".into(), json!("OK"));
    fields.insert("appid".into(), json!(identity.appid));
    fields.insert("mch_id".into(), json!(identity.mch_id));
    fields.insert("sub_appid".into(), json!(identity.appid));
    fields.insert("sub_mch_id".into(), json!(sub_mch_id));
    fields.insert("nonce_str".into(), json!(random_alnum(16)));
    fields.insert("sign".into(), json!(random_hex(32)));
    fields
}

pub(crate) fn result_fail(
    identity: &Identity<'_>,
    sub_mch_id: &str,
    code: &str,
    description: &str,
) -> Value {
    let mut fields = base(identity, sub_mch_id);
    fields.insert("result_code".into(), json!("FAIL"));
    fields.insert("err_code".into(), json!(code));
    fields.insert("err_code_des".into(), json!(description));
    Value::Object(fields)
}

pub(crate) fn result_success(identity: &Identity<'_>, sub_mch_id: &str, extra: Value) -> Value {
    let mut fields = base(identity, sub_mch_id);
    fields.insert("result_code".into(), json!("SUCCESS"));
    if let Value::Object(extra) = extra {
        fields.extend(extra);
    }
    Value::Object(fields)
}

pub(crate) fn random_alnum(length: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..length)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

pub(crate) fn random_digits(length: usize) -> String {
    let mut rng = rand::rng();
    (0..length)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

fn random_hex(length: usize) -> String {
    const HEX: &[u8] = b"0123456789ABCDEF";
    let mut rng = rand::rng();
    (0..length)
        .map(|_| HEX[rng.random_range(0..HEX.len())] as char)
        .collect()
}

/// The object `wx.requestPayment` takes. `paySign` is a placeholder: nothing verifies it.
pub(crate) fn payment_object(
    identity: &Identity<'_>,
    prepay_id: &str,
    now: DateTime<Utc>,
) -> Value {
    json!({
        "appId": identity.appid,
        "timeStamp": now.timestamp().to_string(),
        "nonceStr": random_alnum(16),
        "package": format!("prepay_id={prepay_id}"),
        "signType": "MD5",
        "paySign": random_hex(32),
    })
}

pub(crate) fn refund_answer(
    identity: &Identity<'_>,
    sub_mch_id: &str,
    refund: &SimRefund,
) -> Value {
    result_success(
        identity,
        sub_mch_id,
        json!({
            "transaction_id": refund.transaction_id,
            "out_trade_no": refund.out_trade_no,
            "out_refund_no": refund.out_refund_no,
            "refund_id": refund.refund_id,
            "refund_fee": refund.refund_fee,
            "total_fee": refund.total_fee,
            "cash_fee": refund.total_fee,
            "cash_refund_fee": refund.refund_fee,
            "coupon_refund_fee": 0,
            "coupon_refund_count": 0,
        }),
    )
}

/// WeChat's `yyyyMMddHHmmss`, China time (UTC+8).
pub(crate) fn parse_wechat_time(raw: &str) -> Option<DateTime<Utc>> {
    let naive = chrono::NaiveDateTime::parse_from_str(raw, "%Y%m%d%H%M%S").ok()?;
    let china = chrono::FixedOffset::east_opt(8 * 3600)?;
    naive
        .and_local_timezone(china)
        .single()
        .map(|time| time.with_timezone(&Utc))
}
