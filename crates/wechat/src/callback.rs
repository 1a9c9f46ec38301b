//! The payment notification Cloud Hosting posts to `container.path` of the service.
//!
//! It is camelCase JSON without a signature, sent only for successful payments: trust rests
//! on the private link (check [`SOURCE_HEADER`]) and the amount must still be checked against
//! the order. Answer [`CALLBACK_ACK`] only once the payment is durably recorded; any other
//! answer makes Cloud Hosting retry for up to two days.

use chrono::{DateTime, Utc};
use elife_domain::money::Fen;
use elife_domain::order::{IdError, OrderNumber};
use elife_domain::ports::ConfirmedPayment;
use elife_domain::privacy::mask_openid;
use serde_json::{Map, Value};

use crate::china_time::parse_china_time;

/// Present only on calls that came through WeChat's private link (names are case-insensitive):
/// Cloud Hosting sets it on the mini-program's calls and on payment callbacks alike.
pub const SOURCE_HEADER: &str = "x-wx-source";

/// The one answer that stops Cloud Hosting's retries.
pub const CALLBACK_ACK: &str = r#"{"errcode":0,"errmsg":"OK"}"#;

/// An answer that makes Cloud Hosting deliver the notification again later.
pub fn callback_failure_body(message: &str) -> String {
    serde_json::json!({ "errcode": 1, "errmsg": message }).to_string()
}

/// The `attach` sent with `unifiedOrder`: `{"orderNumber":"ORD..."}`.
pub fn attach_for_order(order_number: &str) -> String {
    serde_json::json!({ "orderNumber": order_number }).to_string()
}

/// The order number carried by `attach`: the JSON `{"orderNumber": ..}` this adapter sends,
/// or a bare order number (older orders). `None` when `attach` carries neither.
pub fn order_number_from_attach(attach: &str) -> Option<String> {
    let trimmed = attach.trim();
    if trimmed.starts_with('{') {
        let parsed: Value = serde_json::from_str(trimmed).ok()?;
        return parsed
            .get("orderNumber")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|number| !number.is_empty())
            .map(str::to_owned);
    }
    let plain = !trimmed.is_empty() && !trimmed.contains(char::is_whitespace);
    plain.then(|| trimmed.to_owned())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("callback body is not a JSON object: {0}")]
    NotJson(String),
    #[error("callback lacks {0}")]
    MissingField(&'static str),
    #[error("callback field {field} must be {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    #[error("callback field {field} is invalid: {reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error(
        "callback does not report a successful payment: returnCode {return_code}, resultCode {result_code}"
    )]
    NotSuccessful {
        return_code: String,
        result_code: String,
        err_code: Option<String>,
        message: Option<String>,
    },
    #[error("callback outTradeNo is not an order number of ours: {0}")]
    ForeignOrderNumber(#[from] IdError),
}

/// A successful payment as notified by Cloud Hosting. `Debug` masks the payer's openids.
#[derive(Clone, PartialEq, Eq)]
pub struct PaymentCallback {
    pub out_trade_no: String,
    pub transaction_id: String,
    pub total_fee: Fen,
    /// `timeEnd` (China time) in UTC.
    pub paid_at: Option<DateTime<Utc>>,
    /// Raw, as sent with `unifiedOrder`.
    pub attach: Option<String>,
    pub sub_mch_id: Option<String>,
    pub openid: Option<String>,
    pub sub_openid: Option<String>,
    pub fee_type: Option<String>,
    pub cash_fee: Option<i64>,
}

impl std::fmt::Debug for PaymentCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let masked = |id: &Option<String>| id.as_deref().map(mask_openid);
        f.debug_struct("PaymentCallback")
            .field("out_trade_no", &self.out_trade_no)
            .field("transaction_id", &self.transaction_id)
            .field("total_fee", &self.total_fee)
            .field("paid_at", &self.paid_at)
            .field("attach", &self.attach)
            .field("sub_mch_id", &self.sub_mch_id)
            .field("openid", &masked(&self.openid))
            .field("sub_openid", &masked(&self.sub_openid))
            .field("fee_type", &self.fee_type)
            .field("cash_fee", &self.cash_fee)
            .finish()
    }
}

impl PaymentCallback {
    /// The order is identified by `outTradeNo`, whatever path the notification came to.
    pub fn order_number(&self) -> Result<OrderNumber, CallbackError> {
        Ok(OrderNumber::parse(&self.out_trade_no)?)
    }

    pub fn attach_order_number(&self) -> Option<String> {
        self.attach.as_deref().and_then(order_number_from_attach)
    }

    pub fn to_confirmed_payment(&self) -> ConfirmedPayment {
        ConfirmedPayment {
            order_number: self.out_trade_no.clone(),
            transaction_id: self.transaction_id.clone(),
            amount: self.total_fee,
            attach: self.attach.clone(),
            paid_at: self.paid_at,
            // A callback's claim is only a prompt to ask WeChat; its payer is not used.
            payer: None,
        }
    }
}

/// Parses the raw notification body. Extra fields are ignored; `returnCode` and `resultCode`
/// must both be `SUCCESS`, and `outTradeNo`, `transactionId` and an integer `totalFee` present.
pub fn parse_payment_callback(body: &[u8]) -> Result<PaymentCallback, CallbackError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|error| CallbackError::NotJson(error.to_string()))?;
    let Value::Object(fields) = value else {
        return Err(CallbackError::NotJson("not an object".to_owned()));
    };

    let return_code = required_text(&fields, "returnCode")?;
    let result_code = optional_text(&fields, "resultCode")?;
    if return_code != "SUCCESS" || result_code.as_deref() != Some("SUCCESS") {
        let message = match optional_text(&fields, "errCodeDes")? {
            Some(description) => Some(description),
            None => optional_text(&fields, "returnMsg")?,
        };
        return Err(CallbackError::NotSuccessful {
            return_code,
            result_code: result_code.unwrap_or_default(),
            err_code: optional_text(&fields, "errCode")?,
            message,
        });
    }

    let total_fee = match fields.get("totalFee") {
        None | Some(Value::Null) => return Err(CallbackError::MissingField("totalFee")),
        Some(value) => value.as_i64().ok_or(CallbackError::WrongType {
            field: "totalFee",
            expected: "an integer amount in fen",
        })?,
    };
    if total_fee <= 0 {
        return Err(CallbackError::InvalidField {
            field: "totalFee",
            reason: format!("must be at least 1 fen, got {total_fee}"),
        });
    }
    let paid_at = match optional_text(&fields, "timeEnd")?.filter(|raw| !raw.is_empty()) {
        Some(raw) => Some(
            parse_china_time(&raw).ok_or_else(|| CallbackError::InvalidField {
                field: "timeEnd",
                reason: format!("{raw:?} is not yyyyMMddHHmmss"),
            })?,
        ),
        None => None,
    };
    let cash_fee = match fields.get("cashFee") {
        None | Some(Value::Null) => None,
        Some(value) => Some(value.as_i64().ok_or(CallbackError::WrongType {
            field: "cashFee",
            expected: "an integer amount in fen",
        })?),
    };

    Ok(PaymentCallback {
        out_trade_no: required_text(&fields, "outTradeNo")?,
        transaction_id: required_text(&fields, "transactionId")?,
        total_fee: Fen::new(total_fee),
        paid_at,
        attach: optional_text(&fields, "attach")?.filter(|attach| !attach.is_empty()),
        sub_mch_id: optional_text(&fields, "subMchId")?,
        openid: optional_text(&fields, "openid")?,
        sub_openid: optional_text(&fields, "subOpenid")?,
        fee_type: optional_text(&fields, "feeType")?,
        cash_fee,
    })
}

fn optional_text(
    fields: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<String>, CallbackError> {
    match fields.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(CallbackError::WrongType {
            field,
            expected: "a string",
        }),
    }
}

fn required_text(
    fields: &Map<String, Value>,
    field: &'static str,
) -> Result<String, CallbackError> {
    optional_text(fields, field)?
        .filter(|text| !text.trim().is_empty())
        .ok_or(CallbackError::MissingField(field))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn documented_callback() -> Value {
        json!({"returnCode":"SUCCESS","resultCode":"SUCCESS","appid":"wxd2565e6a04246fd1",
            "mchId":"1800780001","subAppid":"wxd2565e6a04246fd1","subMchId":"1712734762",
            "nonceStr":"f6444fd22de27b16","openid":"oPoo341Im-roYxAd3WD3D_6J-4bA",
            "subOpenid":"oZWaC4xeOVCUkip5njeEeXi1TEsk","isSubscribe":"N","subIsSubscribe":"N",
            "tradeType":"JSAPI","bankType":"OTHERS","totalFee":1,"feeType":"CNY","cashFee":1,
            "transactionId":"4200004561202203217657282768",
            "outTradeNo":"ORD1760754386127abcdefghijkl","timeEnd":"20220321132007",
            "attach":"{\"orderNumber\":\"ORD1760754386127abcdefghijkl\"}"})
    }

    fn parse(value: &Value) -> Result<PaymentCallback, CallbackError> {
        parse_payment_callback(&serde_json::to_vec(value).unwrap())
    }

    fn without(field: &str) -> Value {
        let mut value = documented_callback();
        value.as_object_mut().unwrap().remove(field);
        value
    }

    fn with(field: &str, replacement: Value) -> Value {
        let mut value = documented_callback();
        value[field] = replacement;
        value
    }

    #[test]
    fn parses_the_documented_notification() {
        let callback = parse(&documented_callback()).unwrap();
        assert_eq!(callback.out_trade_no, "ORD1760754386127abcdefghijkl");
        assert_eq!(callback.transaction_id, "4200004561202203217657282768");
        assert_eq!(callback.total_fee, Fen::new(1));
        assert_eq!(
            callback.paid_at.unwrap().to_rfc3339(),
            "2022-03-21T05:20:07+00:00"
        );
        assert_eq!(callback.sub_mch_id.as_deref(), Some("1712734762"));
        assert_eq!(callback.cash_fee, Some(1));
        assert_eq!(
            callback.order_number().unwrap().as_str(),
            "ORD1760754386127abcdefghijkl"
        );
        assert_eq!(
            callback.attach_order_number().as_deref(),
            Some("ORD1760754386127abcdefghijkl")
        );
        let payment = callback.to_confirmed_payment();
        assert_eq!(payment.amount, Fen::new(1));
        assert_eq!(payment.order_number, "ORD1760754386127abcdefghijkl");
        assert_eq!(payment.attach, callback.attach);
    }

    #[test]
    fn debug_masks_the_payers_openids() {
        let callback = parse(&documented_callback()).unwrap();
        assert_eq!(
            callback.openid.as_deref(),
            Some("oPoo341Im-roYxAd3WD3D_6J-4bA")
        );
        let printed = format!("{callback:?}");
        assert!(
            !printed.contains("oPoo341Im-roYxAd3WD3D_6J-4bA"),
            "{printed}"
        );
        assert!(
            !printed.contains("oZWaC4xeOVCUkip5njeEeXi1TEsk"),
            "{printed}"
        );
        assert!(printed.contains("oPoo…bA"), "{printed}");
        assert!(
            printed.contains("ORD1760754386127abcdefghijkl"),
            "{printed}"
        );
    }

    #[test]
    fn ignores_extra_fields_and_tolerates_missing_optional_ones() {
        let mut value = with("somethingNew", json!({"nested": [1, 2]}));
        for optional in ["timeEnd", "attach", "cashFee", "subMchId", "openid"] {
            value.as_object_mut().unwrap().remove(optional);
        }
        let callback = parse(&value).unwrap();
        assert_eq!(callback.paid_at, None);
        assert_eq!(callback.attach, None);
        assert_eq!(callback.cash_fee, None);
    }

    #[test]
    fn requires_the_identifying_fields() {
        for field in ["returnCode", "outTradeNo", "transactionId", "totalFee"] {
            assert_eq!(
                parse(&without(field)),
                Err(CallbackError::MissingField(field)),
                "{field}"
            );
        }
        assert_eq!(
            parse(&with("transactionId", json!("  "))),
            Err(CallbackError::MissingField("transactionId"))
        );
    }

    #[test]
    fn refuses_anything_but_a_successful_payment() {
        let failed = parse(
            &with("resultCode", json!("FAIL"))
                .as_object()
                .cloned()
                .map(|mut fields| {
                    fields.insert("errCode".to_owned(), json!("NOTENOUGH"));
                    fields.insert("errCodeDes".to_owned(), json!("余额不足"));
                    Value::Object(fields)
                })
                .unwrap(),
        );
        assert_eq!(
            failed,
            Err(CallbackError::NotSuccessful {
                return_code: "SUCCESS".to_owned(),
                result_code: "FAIL".to_owned(),
                err_code: Some("NOTENOUGH".to_owned()),
                message: Some("余额不足".to_owned()),
            })
        );
        assert!(matches!(
            parse(&with("returnCode", json!("FAIL"))),
            Err(CallbackError::NotSuccessful { .. })
        ));
        assert!(matches!(
            parse(&without("resultCode")),
            Err(CallbackError::NotSuccessful { .. })
        ));
    }

    #[test]
    fn refuses_wrong_types_and_values() {
        let wrong_fee = CallbackError::WrongType {
            field: "totalFee",
            expected: "an integer amount in fen",
        };
        assert_eq!(parse(&with("totalFee", json!("1"))), Err(wrong_fee.clone()));
        assert_eq!(parse(&with("totalFee", json!(1.5))), Err(wrong_fee));
        assert!(matches!(
            parse(&with("totalFee", json!(0))),
            Err(CallbackError::InvalidField {
                field: "totalFee",
                ..
            })
        ));
        assert!(matches!(
            parse(&with("outTradeNo", json!(123))),
            Err(CallbackError::WrongType {
                field: "outTradeNo",
                ..
            })
        ));
        assert!(matches!(
            parse(&with("timeEnd", json!("2022-03-21 13:20:07"))),
            Err(CallbackError::InvalidField {
                field: "timeEnd",
                ..
            })
        ));
        assert!(matches!(
            parse(&with("cashFee", json!("1"))),
            Err(CallbackError::WrongType {
                field: "cashFee",
                ..
            })
        ));
        assert!(matches!(
            parse_payment_callback(b"[1,2]"),
            Err(CallbackError::NotJson(_))
        ));
        assert!(matches!(
            parse_payment_callback(b"returnCode=SUCCESS"),
            Err(CallbackError::NotJson(_))
        ));
    }

    #[test]
    fn foreign_order_numbers_are_reported() {
        let callback = parse(&with("outTradeNo", json!("2021WERUN1647839289398"))).unwrap();
        assert!(matches!(
            callback.order_number(),
            Err(CallbackError::ForeignOrderNumber(_))
        ));
    }

    #[test]
    fn extracts_the_order_number_from_attach() {
        let attach = attach_for_order("ORD1760754386127abcdefghijkl");
        assert_eq!(attach, r#"{"orderNumber":"ORD1760754386127abcdefghijkl"}"#);
        assert_eq!(
            order_number_from_attach(&attach).as_deref(),
            Some("ORD1760754386127abcdefghijkl")
        );
        assert_eq!(
            order_number_from_attach(" ORD1760754386127abcdefghijkl ").as_deref(),
            Some("ORD1760754386127abcdefghijkl")
        );
        assert_eq!(order_number_from_attach(r#"{"other":1}"#), None);
        assert_eq!(order_number_from_attach(r#"{"orderNumber":5}"#), None);
        assert_eq!(order_number_from_attach("{broken"), None);
        assert_eq!(order_number_from_attach(""), None);
        assert_eq!(order_number_from_attach("two words"), None);
    }

    #[test]
    fn answers_are_what_cloud_hosting_expects() {
        let ack: Value = serde_json::from_str(CALLBACK_ACK).unwrap();
        assert_eq!(ack["errcode"], 0);
        let failure: Value = serde_json::from_str(&callback_failure_body("db down")).unwrap();
        assert_ne!(failure["errcode"], 0);
        assert_eq!(failure["errmsg"], "db down");
    }
}
