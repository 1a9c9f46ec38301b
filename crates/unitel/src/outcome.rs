//! What Unitel's answers mean. The rules for money calls are the heart of the adapter:
//!
//! | answer | meaning |
//! |---|---|
//! | 2xx, `result: "success"` | succeeded (`seq` or `seq_id`, `sv_id`, `vat` receipt kept) |
//! | 401 | not sent: the gateway rejected the token before the operation ran |
//! | 2xx/4xx, `result: "failed"` with a code, or a 4xx with a business error and no `seq` | refused |
//! | anything else carrying a `seq` (5xx included) | pending: confirm with `check_transaction_result` |
//! | anything else: 5xx, 3xx, empty or unreadable body, no `seq` | outcome unknown |
//!
//! Transport failures never reach these functions: the client maps a connection that could
//! not be opened (or a missing token) to "not sent", and timeouts or connections dropped
//! after sending to "outcome unknown".

use elife_domain::ports::{ProviderError, TopUpAccepted, TopUpError, TransactionCheck};
use elife_domain::privacy::scrub_phone_numbers;
use reqwest::StatusCode;
use serde_json::{Map, Value};

use crate::json::text;

/// Unitel's "the call itself succeeded" code.
const OK_CODE: &str = "000";

/// An answer as it came off the wire.
#[derive(Debug, Clone)]
pub struct RawAnswer {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl RawAnswer {
    fn json_object(&self) -> Option<Map<String, Value>> {
        match serde_json::from_slice::<Value>(&self.body).ok()? {
            Value::Object(fields) => Some(fields),
            Value::Null
            | Value::Bool(_)
            | Value::Number(_)
            | Value::String(_)
            | Value::Array(_) => None,
        }
    }

    /// The status and the start of the body, with any phone number in it masked: this text
    /// ends up in logs, alerts and the order's anomaly.
    fn describe(&self) -> String {
        let preview: String = String::from_utf8_lossy(&self.body)
            .chars()
            .take(120)
            .collect();
        let preview = scrub_phone_numbers(&preview);
        if preview.is_empty() {
            format!("HTTP {} with an empty body", self.status.as_u16())
        } else {
            format!("HTTP {}: {preview}", self.status.as_u16())
        }
    }
}

fn result_of(fields: &Map<String, Value>) -> Option<String> {
    text(fields.get("result")).map(|result| result.to_ascii_lowercase())
}

/// A business error code: present, and not the success code.
fn error_code(fields: &Map<String, Value>) -> Option<String> {
    text(fields.get("code")).filter(|code| code != OK_CODE)
}

/// Unitel's own words, with any phone number they repeat masked (they reach logs and the
/// customer's 400).
fn message(fields: &Map<String, Value>) -> String {
    let message = text(fields.get("msg"))
        .or_else(|| text(fields.get("message")))
        .unwrap_or_default();
    scrub_phone_numbers(&message)
}

fn seq_of(fields: &Map<String, Value>) -> Option<String> {
    text(fields.get("seq")).or_else(|| text(fields.get("seq_id")))
}

fn receipt_of(fields: &Map<String, Value>) -> Option<Value> {
    fields.get("vat").filter(|vat| !vat.is_null()).cloned()
}

/// The meaning of a money call's answer (see the module table).
pub fn classify_top_up(answer: &RawAnswer) -> Result<TopUpAccepted, TopUpError> {
    if answer.status == StatusCode::UNAUTHORIZED {
        // Refused by authentication, before the operation could run: nothing happened,
        // so the order may be queued again (with a fresh token, never by this call).
        return Err(TopUpError::NotSent(
            "Unitel refused the access token (401) before acting".to_owned(),
        ));
    }
    let fields = answer.json_object();
    let seq = fields.as_ref().and_then(seq_of);
    if answer.status.is_success()
        && let Some(fields) = &fields
    {
        match result_of(fields).as_deref() {
            Some("success") => {
                return Ok(TopUpAccepted::Succeeded {
                    seq,
                    sv_id: text(fields.get("sv_id")),
                    receipt: receipt_of(fields),
                });
            }
            Some("failed") => {
                if let Some(code) = error_code(fields) {
                    return Err(TopUpError::Rejected {
                        code,
                        message: message(fields),
                    });
                }
            }
            _ => {}
        }
    }
    if answer.status.is_client_error()
        && let Some(fields) = &fields
        && let Some(code) = error_code(fields)
        && (result_of(fields).as_deref() == Some("failed") || seq.is_none())
    {
        return Err(TopUpError::Rejected {
            code,
            message: message(fields),
        });
    }
    match seq {
        Some(seq) => Ok(TopUpAccepted::Pending { seq }),
        None => Err(TopUpError::OutcomeUnknown(answer.describe())),
    }
}

/// The body of a call that moves no money, when Unitel says it succeeded.
pub fn read_query(answer: &RawAnswer) -> Result<Value, ProviderError> {
    if answer.status.is_server_error() {
        return Err(ProviderError::Unavailable(answer.describe()));
    }
    let Some(fields) = answer.json_object() else {
        return Err(ProviderError::InvalidResponse(answer.describe()));
    };
    if answer.status.is_success() && result_of(&fields).as_deref() == Some("success") {
        return Ok(Value::Object(fields));
    }
    if (answer.status.is_success() || answer.status.is_client_error())
        && let Some(code) = error_code(&fields)
    {
        return Err(ProviderError::Rejected {
            code,
            message: message(&fields),
        });
    }
    Err(ProviderError::InvalidResponse(answer.describe()))
}

/// `check_transaction_result`: the call succeeded; `status` tells the transaction's fate.
pub fn read_check(fields: &Value) -> TransactionCheck {
    let status = text(fields.get("status")).map(|status| status.to_ascii_lowercase());
    match status.as_deref() {
        Some("success") => TransactionCheck::Succeeded {
            receipt: fields.get("vat").filter(|vat| !vat.is_null()).cloned(),
        },
        Some("failed") => TransactionCheck::Failed {
            code: text(fields.get("code")).unwrap_or_default(),
            message: scrub_phone_numbers(&text(fields.get("msg")).unwrap_or_default()),
        },
        _ => TransactionCheck::StillPending,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn answer(status: u16, body: &str) -> RawAnswer {
        RawAnswer {
            status: StatusCode::from_u16(status).expect("valid status"),
            body: body.as_bytes().to_vec(),
        }
    }

    const RECHARGE_OK: &str = include_str!("../tests/fixtures/recharge-res.json");
    const DATA_OK: &str = include_str!("../tests/fixtures/activateDataPackage-res.json");

    #[test]
    fn success_keeps_seq_sv_id_and_receipt() {
        let accepted = classify_top_up(&answer(200, RECHARGE_OK)).expect("success");
        let TopUpAccepted::Succeeded {
            seq,
            sv_id,
            receipt,
        } = accepted
        else {
            panic!("expected success, got {accepted:?}");
        };
        assert_eq!(seq.as_deref(), Some("1760754386127"));
        assert_eq!(sv_id.as_deref(), Some("P_ETOPUP_0102493497"));
        let receipt = receipt.expect("vat receipt kept");
        assert_eq!(receipt["lottery"], "KX 74016742");
    }

    #[test]
    fn success_without_sv_id_and_with_seq_id() {
        let accepted = classify_top_up(&answer(200, DATA_OK)).expect("success");
        assert!(matches!(
            accepted,
            TopUpAccepted::Succeeded { sv_id: None, seq: Some(ref seq), receipt: Some(_) } if seq == "1760754538548"
        ));
        let older = r#"{"result":"success","code":"000","msg":"success","seq_id":"77"}"#;
        assert_eq!(
            classify_top_up(&answer(200, older)),
            Ok(TopUpAccepted::Succeeded {
                seq: Some("77".to_owned()),
                sv_id: None,
                receipt: None
            })
        );
    }

    #[test]
    fn failed_with_a_code_is_rejected() {
        let body = r#"{"result":"failed","code":"105","msg":"Insufficient balance"}"#;
        assert_eq!(
            classify_top_up(&answer(200, body)),
            Err(TopUpError::Rejected {
                code: "105".to_owned(),
                message: "Insufficient balance".to_owned()
            })
        );
        let with_seq = r#"{"result":"failed","code":"105","msg":"no","seq":"9"}"#;
        assert!(matches!(
            classify_top_up(&answer(200, with_seq)),
            Err(TopUpError::Rejected { .. })
        ));
    }

    #[test]
    fn a_4xx_business_error_is_rejected() {
        let body = r#"{"code":"400","msg":"card is required"}"#;
        assert_eq!(
            classify_top_up(&answer(400, body)),
            Err(TopUpError::Rejected {
                code: "400".to_owned(),
                message: "card is required".to_owned()
            })
        );
    }

    #[test]
    fn unauthorized_is_not_sent_whatever_the_body() {
        assert!(matches!(
            classify_top_up(&answer(401, "")),
            Err(TopUpError::NotSent(_))
        ));
    }

    #[test]
    fn unclear_answers_with_a_seq_are_pending() {
        for (status, body) in [
            (200, r#"{"result":"pending","code":"001","seq":"42"}"#),
            (200, r#"{"code":"000","seq":42}"#),
            (200, r#"{"result":"failed","seq":"42"}"#),
            (502, r#"{"result":"success","seq":"42"}"#),
        ] {
            assert_eq!(
                classify_top_up(&answer(status, body)),
                Ok(TopUpAccepted::Pending {
                    seq: "42".to_owned()
                }),
                "{status} {body}"
            );
        }
    }

    #[test]
    fn everything_else_is_unknown() {
        for (status, body) in [
            (500, "<html>Internal Server Error</html>"),
            (502, ""),
            (503, r#"{"result":"failed","code":"503","msg":"busy"}"#),
            (200, ""),
            (200, "not json"),
            (200, "[1,2]"),
            (200, r#"{"result":"pending"}"#),
            (200, r#"{"result":"failed","msg":"no code"}"#),
            (404, "<html>Not Found</html>"),
            (302, ""),
        ] {
            assert!(
                matches!(
                    classify_top_up(&answer(status, body)),
                    Err(TopUpError::OutcomeUnknown(_))
                ),
                "{status} {body}"
            );
        }
    }

    #[test]
    fn queries_map_to_provider_errors() {
        assert!(read_query(&answer(200, r#"{"result":"success","x":1}"#)).is_ok());
        assert_eq!(
            read_query(&answer(
                200,
                r#"{"result":"failed","code":"101","msg":"unknown"}"#
            )),
            Err(ProviderError::Rejected {
                code: "101".to_owned(),
                message: "unknown".to_owned()
            })
        );
        assert!(matches!(
            read_query(&answer(503, "busy")),
            Err(ProviderError::Unavailable(_))
        ));
        assert!(matches!(
            read_query(&answer(200, "garbage")),
            Err(ProviderError::InvalidResponse(_))
        ));
        assert!(matches!(
            read_query(&answer(200, r#"{"result":"failed"}"#)),
            Err(ProviderError::InvalidResponse(_))
        ));
    }

    #[test]
    fn check_status_decides_the_transaction() {
        assert_eq!(
            read_check(&json!({"result":"success","status":"success","vat":{"billId":"1"}})),
            TransactionCheck::Succeeded {
                receipt: Some(json!({"billId":"1"}))
            }
        );
        assert_eq!(
            read_check(&json!({"result":"success","code":"000","status":"FAILED","msg":"x"})),
            TransactionCheck::Failed {
                code: "000".to_owned(),
                message: "x".to_owned()
            }
        );
        assert_eq!(
            read_check(&json!({"result":"success","status":"processing"})),
            TransactionCheck::StillPending
        );
        assert_eq!(
            read_check(&json!({"result":"success"})),
            TransactionCheck::StillPending
        );
    }

    #[test]
    fn phone_numbers_in_unitel_messages_are_masked() {
        let refused = classify_top_up(&answer(
            200,
            r#"{"result":"failed","code":"104","msg":"subscriber 88112233 is barred"}"#,
        ));
        match refused {
            Err(TopUpError::Rejected { message, .. }) => {
                assert_eq!(message, "subscriber 8811**** is barred")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        let unreadable = read_query(&answer(502, "no route to 99112233"));
        match unreadable {
            Err(ProviderError::Unavailable(reason)) => {
                assert!(reason.contains("9911****") && !reason.contains("99112233"))
            }
            other => panic!("expected unavailable, got {other:?}"),
        }
    }
}
