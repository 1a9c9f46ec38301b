//! `POST /_/pay/{api}`: the open interface envelope around the ledger's rules.

use std::time::Duration;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde_json::{Value, json};

use super::answers::{ApiResult, Identity, InvalidArgs};
use super::bill::{BillKind, statement};
use super::control::{WechatFault, take_fault};
use super::server::{SimState, lock};
use super::store::LedgerStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PayApi {
    UnifiedOrder,
    QueryOrder,
    CloseOrder,
    Refund,
    QueryRefund,
    DownloadBill,
}

impl PayApi {
    fn parse(name: &str) -> Option<PayApi> {
        // The docs spell it both `unifiedOrder` and `unifiedorder`.
        match name.to_ascii_lowercase().as_str() {
            "unifiedorder" => Some(PayApi::UnifiedOrder),
            "queryorder" => Some(PayApi::QueryOrder),
            "closeorder" => Some(PayApi::CloseOrder),
            "refund" => Some(PayApi::Refund),
            "queryrefund" => Some(PayApi::QueryRefund),
            "downloadbill" => Some(PayApi::DownloadBill),
            _ => None,
        }
    }
}

fn is_json(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

fn envelope(respdata: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "errcode": 0, "errmsg": "ok", "respdata": respdata }))
}

fn invalid_args(InvalidArgs(reason): InvalidArgs) -> HttpResponse {
    HttpResponse::Ok()
        .json(json!({ "errcode": 40097, "errmsg": format!("invalid args: {reason}") }))
}

pub(crate) async fn pay_api(
    request: HttpRequest,
    api_name: web::Path<String>,
    body: web::Bytes,
    state: web::Data<SimState>,
) -> HttpResponse {
    let Some(api) = PayApi::parse(&api_name) else {
        return HttpResponse::NotFound().finish();
    };
    // What Cloud Hosting does without the header: 400 and nothing useful.
    if !is_json(&request) {
        return HttpResponse::BadRequest().finish();
    }
    let fault = take_fault(&state, &api_name);
    match fault {
        Some(WechatFault::Http500) => return HttpResponse::InternalServerError().finish(),
        Some(WechatFault::SystemBusy) => {
            return HttpResponse::Ok().json(json!({ "errcode": -1, "errmsg": "system error" }));
        }
        Some(WechatFault::NotBound) => {
            return envelope(json!({ "return_code": "FAIL", "return_msg": "受理关系不存在" }));
        }
        Some(WechatFault::SystemError) => {
            return envelope(json!({
                "return_code": "SUCCESS", "return_msg": "OK", "result_code": "FAIL",
                "err_code": "SYSTEMERROR", "err_code_des": "系统超时"
            }));
        }
        Some(WechatFault::EmptyAnswer) => return HttpResponse::Ok().finish(),
        Some(WechatFault::Slow { delay_ms }) => {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        }
        Some(WechatFault::LostAnswer) | None => {}
    }
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(value @ Value::Object(_)) => value,
        Ok(_) => return invalid_args(InvalidArgs("body must be a JSON object".to_owned())),
        Err(error) => return invalid_args(InvalidArgs(error.to_string())),
    };
    let result = apply(&state, api, &parsed);
    if fault == Some(WechatFault::LostAnswer) {
        return HttpResponse::InternalServerError().finish();
    }
    match result {
        Ok(respdata) => envelope(respdata),
        Err(invalid) => invalid_args(invalid),
    }
}

fn apply(state: &SimState, api: PayApi, request: &Value) -> ApiResult {
    let identity = Identity {
        appid: &state.appid,
        mch_id: &state.mch_id,
    };
    let now = state.clock.now();
    let runtime = lock(&state.runtime).clone();
    let mut ledger = lock(&state.ledger);
    match api {
        PayApi::UnifiedOrder => LedgerStore::for_merchant(request, &runtime, |sub_mch_id| {
            ledger.unified_order(request, sub_mch_id, &identity, now)
        }),
        PayApi::QueryOrder => LedgerStore::for_merchant(request, &runtime, |sub_mch_id| {
            ledger.query_order(request, sub_mch_id, &identity)
        }),
        PayApi::CloseOrder => LedgerStore::for_merchant(request, &runtime, |sub_mch_id| {
            ledger.close_order(request, sub_mch_id, &identity, now)
        }),
        PayApi::Refund => LedgerStore::for_merchant(request, &runtime, |sub_mch_id| {
            ledger.refund(request, sub_mch_id, &identity, now)
        }),
        PayApi::QueryRefund => LedgerStore::for_merchant(request, &runtime, |sub_mch_id| {
            ledger.query_refund(request, sub_mch_id, &runtime, &identity, now)
        }),
        PayApi::DownloadBill => {
            let text = |name: &str| match request.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(value)) => Ok(Some(value.clone())),
                Some(_) => Err(InvalidArgs(format!("{name} must be a string"))),
            };
            let sub_mch_id = text("sub_mch_id")?;
            if let Some(sub_mch_id) = &sub_mch_id
                && !runtime.is_bound(sub_mch_id)
            {
                return Ok(json!({ "return_code": "FAIL", "return_msg": "受理关系不存在" }));
            }
            let date =
                text("bill_date")?.and_then(|raw| NaiveDate::parse_from_str(&raw, "%Y%m%d").ok());
            let kind = BillKind::parse(text("bill_type")?.as_deref());
            let (Some(date), Some(kind)) = (date, kind) else {
                return Ok(json!({
                    "return_code": "FAIL", "return_msg": "invalid bill_date or bill_type",
                    "error_code": "20001"
                }));
            };
            let processing = runtime.refund_processing_ms;
            let body = statement(
                &ledger,
                date,
                kind,
                sub_mch_id.as_deref(),
                &state.appid,
                &state.mch_id,
                |refund| refund.status(now, processing).as_wechat(),
            );
            Ok(match body {
                Some(text) => Value::String(text),
                None => json!({
                    "return_code": "FAIL", "return_msg": "No Bill Exist", "error_code": "20002"
                }),
            })
        }
    }
}
