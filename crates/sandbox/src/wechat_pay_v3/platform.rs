//! `GET /v3/certificates` (the platform certificate, encrypted with the APIv3 key) and the
//! bills: `GET /v3/bill/tradebill`, `GET /v3/bill/fundflowbill` (answering `hash_type`,
//! `hash_value` and `download_url`) and the download itself.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde_json::json;

use super::aead::encrypt;
use super::bills::{TradeBillType, fund_flow_bill, sha1_hex, trade_bill};
use super::clock::{china_day, rfc3339};
use super::errors::ApiError;
use super::faults::Endpoint;
use super::respond::{Answer, serve};
use super::state::SimState;

fn query_of(request: &HttpRequest) -> HashMap<String, String> {
    web::Query::<HashMap<String, String>>::from_query(request.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default()
}

pub(crate) async fn certificates(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<SimState>,
) -> HttpResponse {
    serve(&state, &request, &body, Endpoint::Certificates, |state| {
        let certificate = &state.keys.certificate;
        let encrypted = encrypt(&state.apiv3_key, "certificate", certificate.pem.as_bytes())
            .map_err(|_| ApiError::system_error())?;
        Ok(Answer::Json(json!({
            "data": [{
                "serial_no": certificate.serial_no,
                "effective_time": rfc3339(certificate.effective),
                "expire_time": rfc3339(certificate.expire),
                "encrypt_certificate": encrypted,
            }]
        })))
    })
    .await
}

/// `bill_date` (`yyyy-MM-dd`, not after today in China) and no `tar_type` (plain text only).
fn bill_day(state: &SimState, query: &HashMap<String, String>) -> Result<NaiveDate, ApiError> {
    let raw = query
        .get("bill_date")
        .ok_or_else(|| ApiError::param("bill_date", "is required"))?;
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| ApiError::param("bill_date", "must be yyyy-MM-dd"))?;
    if day > china_day(state.clock.now()) {
        return Err(ApiError::param("bill_date", "must not be after today"));
    }
    if query
        .get("tar_type")
        .is_some_and(|tar_type| !tar_type.is_empty())
    {
        return Err(ApiError::param(
            "tar_type",
            "the simulator serves plain-text bills only: omit tar_type",
        ));
    }
    Ok(day)
}

fn bill_answer(state: &SimState, file: Option<String>) -> Result<Answer, ApiError> {
    let file = file.ok_or_else(ApiError::no_statement_exist)?.into_bytes();
    let hash_value = sha1_hex(&file);
    let token = state.bills.store(file);
    Ok(Answer::Json(json!({
        "hash_type": "SHA1",
        "hash_value": hash_value,
        "download_url": format!("{}/v3/billdownload/file?token={token}", state.base_url),
    })))
}

pub(crate) async fn trade_bill_route(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<SimState>,
) -> HttpResponse {
    let query = query_of(&request);
    serve(&state, &request, &body, Endpoint::TradeBill, |state| {
        let day = bill_day(state, &query)?;
        let kind = TradeBillType::parse(query.get("bill_type").map(String::as_str))
            .ok_or_else(|| ApiError::param("bill_type", "must be ALL, SUCCESS or REFUND"))?;
        let file = state.ledger.read(|store| trade_bill(store, day, kind));
        bill_answer(state, file)
    })
    .await
}

pub(crate) async fn fund_flow_bill_route(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<SimState>,
) -> HttpResponse {
    let query = query_of(&request);
    serve(&state, &request, &body, Endpoint::FundFlowBill, |state| {
        let day = bill_day(state, &query)?;
        let file = match query.get("account_type").map_or("BASIC", String::as_str) {
            "BASIC" => state.ledger.read(|store| fund_flow_bill(store, day)),
            // Nothing moves on the operation and fees accounts in the simulator.
            "OPERATION" | "FEES" => None,
            _ => {
                return Err(ApiError::param(
                    "account_type",
                    "must be BASIC, OPERATION or FEES",
                ));
            }
        };
        bill_answer(state, file)
    })
    .await
}

/// `GET /v3/billdownload/file?token=...`: signed request, unsigned answer.
pub(crate) async fn download(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<SimState>,
) -> HttpResponse {
    let token = query_of(&request).remove("token").unwrap_or_default();
    serve(&state, &request, &body, Endpoint::BillDownload, |state| {
        state
            .bills
            .get(&token)
            .map(Answer::File)
            .ok_or_else(|| ApiError::resource_not_exists("账单下载链接不存在或已过期"))
    })
    .await
}
