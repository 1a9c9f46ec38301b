//! The JSON envelope of Cloud Hosting's open interface and how its failures map onto
//! the domain's [`GatewayError`].
//!
//! Three layers can fail, each meaning something different:
//! 1. HTTP: no answer, a timeout or a 5xx leaves the outcome unknown (`Unavailable`);
//!    a 3xx/4xx is Cloud Hosting refusing the request itself.
//! 2. The open interface: `errcode != 0` (`-1` is "system busy": unknown outcome).
//! 3. WeChat Pay v2 inside `respdata`: `return_code` (communication) then `result_code`
//!    with `err_code` / `err_code_des` (business).

use elife_domain::ports::GatewayError;
use serde::Serialize;
use serde_json::Value;

/// The text WeChat answers when the merchant is not bound to the Cloud Hosting environment.
pub(crate) const MERCHANT_NOT_BOUND_MSG: &str = "受理关系不存在";
pub(crate) const MERCHANT_NOT_BOUND_CODE: &str = "MERCHANT_NOT_BOUND";

/// Open interface codes that mean "try again later": nothing definite happened.
const SYSTEM_BUSY_ERRCODES: [i64; 1] = [-1];

/// WeChat Pay business codes whose outcome is unknown or transient.
const RETRYABLE_ERR_CODES: [&str; 3] = ["SYSTEMERROR", "BIZERR_NEED_RETRY", "BANKERROR"];

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Container<'a> {
    pub service: &'a str,
    pub path: &'a str,
}

/// Interprets the HTTP layer and the open interface envelope; yields `respdata`
/// (an object, or the statement text for `downloadbill`).
pub(crate) fn open_envelope(status: u16, body: &[u8]) -> Result<Value, GatewayError> {
    if status >= 500 {
        return Err(GatewayError::Unavailable(format!(
            "Cloud Hosting answered HTTP {status}"
        )));
    }
    if !(200..300).contains(&status) {
        return Err(GatewayError::Rejected {
            code: format!("HTTP_{status}"),
            message: format!(
                "Cloud Hosting refused the request with HTTP {status} \
                 (it answers 302/400 when content-type: application/json is missing)"
            ),
        });
    }
    let envelope: Value = serde_json::from_slice(body).map_err(|error| {
        GatewayError::Unavailable(format!("unreadable answer from Cloud Hosting: {error}"))
    })?;
    let errcode = envelope
        .get("errcode")
        .and_then(Value::as_i64)
        .ok_or_else(|| GatewayError::Unavailable("answer without a numeric errcode".to_owned()))?;
    if errcode != 0 {
        let errmsg = string_field(&envelope, "errmsg").unwrap_or_default();
        if SYSTEM_BUSY_ERRCODES.contains(&errcode) {
            return Err(GatewayError::Unavailable(format!(
                "Cloud Hosting busy: errcode {errcode}: {errmsg}"
            )));
        }
        return Err(GatewayError::Rejected {
            code: errcode.to_string(),
            message: errmsg,
        });
    }
    envelope
        .get("respdata")
        .cloned()
        .filter(|respdata| !respdata.is_null())
        .ok_or_else(|| GatewayError::Unavailable("answer without respdata".to_owned()))
}

/// Checks `return_code` and `result_code` of a WeChat Pay v2 answer.
pub(crate) fn check_pay_result(respdata: &Value) -> Result<(), GatewayError> {
    check_return_code(respdata)?;
    match string_field(respdata, "result_code").as_deref() {
        Some("SUCCESS") => Ok(()),
        Some(_) => Err(business_error(respdata)),
        None => Err(GatewayError::Unavailable(
            "answer without result_code".to_owned(),
        )),
    }
}

/// Checks only the communication layer (`return_code`), as for a failed `downloadbill`.
pub(crate) fn check_return_code(respdata: &Value) -> Result<(), GatewayError> {
    match string_field(respdata, "return_code").as_deref() {
        Some("SUCCESS") => Ok(()),
        Some(other) => {
            let message = string_field(respdata, "return_msg").unwrap_or_default();
            if message.contains(MERCHANT_NOT_BOUND_MSG) {
                return Err(GatewayError::Rejected {
                    code: MERCHANT_NOT_BOUND_CODE.to_owned(),
                    message: format!(
                        "{message}: the sub-merchant is not bound to this Cloud Hosting \
                         environment (console: 设置 → 其他设置 → 微信支付配置)"
                    ),
                });
            }
            Err(GatewayError::Rejected {
                code: format!("RETURN_CODE_{other}"),
                message,
            })
        }
        None => Err(GatewayError::Unavailable(
            "answer without return_code".to_owned(),
        )),
    }
}

fn business_error(respdata: &Value) -> GatewayError {
    let code = string_field(respdata, "err_code").unwrap_or_default();
    let description = string_field(respdata, "err_code_des").unwrap_or_default();
    match code.as_str() {
        "ORDERPAID" => GatewayError::OrderPaid,
        "ORDERCLOSED" => GatewayError::OrderClosed,
        "ORDERNOTEXIST" | "REFUNDNOTEXIST" => GatewayError::NotFound,
        retryable if RETRYABLE_ERR_CODES.contains(&retryable) => {
            GatewayError::Unavailable(format!("WeChat Pay {code}: {description}"))
        }
        "" => GatewayError::Rejected {
            code: "RESULT_CODE_FAIL".to_owned(),
            message: description,
        },
        _ => GatewayError::Rejected {
            code,
            message: description,
        },
    }
}

pub(crate) fn string_field(value: &Value, name: &str) -> Option<String> {
    value.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// A field WeChat always sends on success; its absence makes the answer unusable.
pub(crate) fn required_string(value: &Value, name: &str) -> Result<String, GatewayError> {
    string_field(value, name)
        .filter(|text| !text.is_empty())
        .ok_or_else(|| GatewayError::Unavailable(format!("answer without {name}")))
}

pub(crate) fn required_fen(value: &Value, name: &str) -> Result<i64, GatewayError> {
    value
        .get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| GatewayError::Unavailable(format!("answer without an integer {name}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope(value: Value) -> Vec<u8> {
        serde_json::to_vec(&value).unwrap()
    }

    #[test]
    fn http_failures_are_unavailable_or_rejected() {
        assert!(matches!(
            open_envelope(502, b""),
            Err(GatewayError::Unavailable(_))
        ));
        assert!(matches!(
            open_envelope(400, b""),
            Err(GatewayError::Rejected { code, .. }) if code == "HTTP_400"
        ));
        assert!(matches!(
            open_envelope(200, b""),
            Err(GatewayError::Unavailable(_))
        ));
        assert!(matches!(
            open_envelope(200, b"<html>"),
            Err(GatewayError::Unavailable(_))
        ));
    }

    #[test]
    fn errcode_maps_to_rejected_except_system_busy() {
        let busy = envelope(json!({"errcode": -1, "errmsg": "system error"}));
        assert!(matches!(
            open_envelope(200, &busy),
            Err(GatewayError::Unavailable(_))
        ));
        let refused = envelope(json!({"errcode": 40097, "errmsg": "invalid args"}));
        assert_eq!(
            open_envelope(200, &refused),
            Err(GatewayError::Rejected {
                code: "40097".to_owned(),
                message: "invalid args".to_owned()
            })
        );
        let no_respdata = envelope(json!({"errcode": 0, "errmsg": "ok"}));
        assert!(matches!(
            open_envelope(200, &no_respdata),
            Err(GatewayError::Unavailable(_))
        ));
    }

    #[test]
    fn business_codes_map_to_typed_errors() {
        let fail = |code: &str| {
            json!({"return_code": "SUCCESS", "result_code": "FAIL",
                   "err_code": code, "err_code_des": "描述"})
        };
        assert_eq!(
            check_pay_result(&fail("ORDERPAID")),
            Err(GatewayError::OrderPaid)
        );
        assert_eq!(
            check_pay_result(&fail("ORDERCLOSED")),
            Err(GatewayError::OrderClosed)
        );
        assert_eq!(
            check_pay_result(&fail("ORDERNOTEXIST")),
            Err(GatewayError::NotFound)
        );
        assert!(matches!(
            check_pay_result(&fail("SYSTEMERROR")),
            Err(GatewayError::Unavailable(_))
        ));
        assert_eq!(
            check_pay_result(&fail("NOTENOUGH")),
            Err(GatewayError::Rejected {
                code: "NOTENOUGH".to_owned(),
                message: "描述".to_owned()
            })
        );
        assert!(
            check_pay_result(&json!({"return_code": "SUCCESS", "result_code": "SUCCESS"})).is_ok()
        );
        assert!(matches!(
            check_pay_result(&json!({"return_code": "SUCCESS"})),
            Err(GatewayError::Unavailable(_))
        ));
    }

    #[test]
    fn unbound_merchant_is_a_clear_rejection() {
        let respdata = json!({"return_code": "FAIL", "return_msg": "受理关系不存在"});
        match check_pay_result(&respdata) {
            Err(GatewayError::Rejected { code, message }) => {
                assert_eq!(code, MERCHANT_NOT_BOUND_CODE);
                assert!(message.contains("not bound"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
        let respdata = json!({"return_code": "FAIL", "return_msg": "参数格式校验错误"});
        assert_eq!(
            check_pay_result(&respdata),
            Err(GatewayError::Rejected {
                code: "RETURN_CODE_FAIL".to_owned(),
                message: "参数格式校验错误".to_owned()
            })
        );
    }
}
