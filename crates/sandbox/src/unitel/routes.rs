//! The HTTP face of the simulator: Unitel's paths, plus `/__sandbox/*` for tests.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde_json::{Value, json};

use super::catalogue::Plan;
use super::faults::Faults;
use super::ledger::LedgerEntry;
use super::money::{bill_payment, data_package, recharge};
use super::state::{CheckAnswer, SimState, Unauthorized};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth", web::post().to(auth))
        .route("/service/servicetype", web::post().to(service_type))
        .route("/service/unitel", web::post().to(postpaid_bill))
        .route(
            "/service/check_transaction_result",
            web::post().to(check_transaction),
        )
        .route("/service/recharge", web::post().to(recharge))
        .route("/service/datapackage", web::post().to(data_package))
        .route("/service/payment", web::post().to(bill_payment))
        .route("/__sandbox/ledger", web::get().to(ledger))
        .route("/__sandbox/faults", web::get().to(get_faults))
        .route("/__sandbox/faults", web::post().to(set_faults))
        .route("/__sandbox/reset", web::post().to(reset))
        .route("/__sandbox/expire-tokens", web::post().to(expire_tokens));
}

pub(super) type State = web::Data<SimState>;

pub(super) fn failed(status: StatusCode, code: &str, msg: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "result": "failed", "code": code, "msg": msg }))
}

pub(super) fn html_error(status: u16) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .body(format!(
            "<html><body><h1>{status}</h1><p>upstream error</p></body></html>"
        ))
}

/// A `result: "failed"` answer, before it becomes a response.
pub(super) struct Refusal {
    status: StatusCode,
    code: &'static str,
    msg: String,
}

impl Refusal {
    pub(super) fn business(code: &'static str, msg: &str) -> Refusal {
        Refusal {
            status: StatusCode::OK,
            code,
            msg: msg.to_owned(),
        }
    }

    pub(super) fn malformed(msg: String) -> Refusal {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            code: "400",
            msg,
        }
    }

    pub(super) fn into_response(self) -> HttpResponse {
        failed(self.status, self.code, &self.msg)
    }
}

pub(super) fn parse_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Refusal> {
    serde_json::from_slice(body)
        .map_err(|error| Refusal::malformed(format!("invalid request body: {error}")))
}

async fn auth(req: HttpRequest, state: State) -> HttpResponse {
    let credentials = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| BASE64.decode(encoded.trim()).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok());
    let authorized = credentials
        .as_deref()
        .and_then(|pair| pair.split_once(':'))
        .is_some_and(|(username, password)| state.credentials_match(username, password));
    if !authorized {
        return HttpResponse::Unauthorized().json(json!({ "message": "Unauthorized" }));
    }
    let (token, ttl) = state.issue_token();
    HttpResponse::Ok().json(json!({ "access_token": token, "expires_in": ttl.as_secs() }))
}

/// Latency, then the bearer token; what every business call goes through first.
pub(super) async fn admit(req: &HttpRequest, state: &SimState) -> Result<(), HttpResponse> {
    let latency = state.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    state.authorize(bearer).map_err(|reason| {
        let msg = match reason {
            Unauthorized::MissingToken => "Missing bearer token",
            Unauthorized::UnknownOrExpiredToken | Unauthorized::Injected => {
                "Token expired or invalid"
            }
        };
        failed(StatusCode::UNAUTHORIZED, "401", msg)
    })
}

/// Admission for calls that move no money, which share the `query_error_status` fault.
async fn admit_query(req: &HttpRequest, state: &SimState) -> Result<(), HttpResponse> {
    admit(req, state).await?;
    match state.query_error_status() {
        Some(status) => Err(html_error(status)),
        None => Ok(()),
    }
}

#[derive(Deserialize)]
struct ServiceTypeBody {
    msisdn: String,
    #[serde(default)]
    #[allow(dead_code)] // Unitel needs it; the simulator answers the detailed list anyway.
    info: Option<String>,
}

async fn service_type(req: HttpRequest, state: State, body: web::Bytes) -> HttpResponse {
    if let Err(answer) = admit_query(&req, &state).await {
        return answer;
    }
    let body: ServiceTypeBody = match parse_body(&body) {
        Ok(body) => body,
        Err(refusal) => return refusal.into_response(),
    };
    match Plan::of(&body.msisdn) {
        Some(plan) => HttpResponse::Ok().json(state.catalogue.price_list(plan)),
        None => failed(StatusCode::OK, "101", "Subscriber not found"),
    }
}

#[derive(Deserialize)]
struct BillBody {
    owner: String,
    msisdn: String,
}

async fn postpaid_bill(req: HttpRequest, state: State, body: web::Bytes) -> HttpResponse {
    if let Err(answer) = admit_query(&req, &state).await {
        return answer;
    }
    let body: BillBody = match parse_body(&body) {
        Ok(body) => body,
        Err(refusal) => return refusal.into_response(),
    };
    if body.owner != body.msisdn {
        return failed(StatusCode::OK, "102", "Owner does not match the number");
    }
    let Some(plan) = Plan::of(&body.msisdn) else {
        return failed(StatusCode::OK, "101", "Subscriber not found");
    };
    let Some(bill) = state.catalogue.bill(plan) else {
        return failed(StatusCode::OK, "102", "Not a postpaid subscriber");
    };
    let paid = state.paid_on(&body.msisdn);
    let mut bill = bill.clone();
    if let Some(fields) = bill.as_object_mut() {
        for key in ["total_unpaid", "invoice_unpaid"] {
            let owed = fields.get(key).and_then(Value::as_i64).unwrap_or(0);
            fields.insert(key.to_owned(), json!((owed - paid).max(0)));
        }
        let settled = fields.get("total_unpaid").and_then(Value::as_i64) == Some(0);
        if settled && paid > 0 {
            fields.insert("invoice_status".to_owned(), json!("paid"));
        }
    }
    HttpResponse::Ok().json(bill)
}

#[derive(Deserialize)]
struct CheckBody {
    seq_id: String,
}

async fn check_transaction(req: HttpRequest, state: State, body: web::Bytes) -> HttpResponse {
    if let Err(answer) = admit_query(&req, &state).await {
        return answer;
    }
    let body: CheckBody = match parse_body(&body) {
        Ok(body) => body,
        Err(refusal) => return refusal.into_response(),
    };
    match state.check(&body.seq_id) {
        CheckAnswer::NotFound => failed(StatusCode::OK, "404", "Transaction not found"),
        CheckAnswer::Pending(entry) => HttpResponse::Ok().json(json!({
            "result": "success", "code": "000", "msg": "success",
            "status": "pending", "seq_id": entry.seq,
        })),
        CheckAnswer::Succeeded(entry) => HttpResponse::Ok().json(json!({
            "result": "success", "code": "000", "msg": "success",
            "status": "success", "seq_id": entry.seq,
            "transaction_id": entry.journal_id,
            "vat": receipt_for(&state, &entry),
        })),
    }
}

pub(super) fn receipt_for(state: &SimState, entry: &LedgerEntry) -> Value {
    let bill_id = format!("0000050368951{:0>20}", entry.seq);
    let date = entry.applied_at.format("%Y-%m-%d %H:%M:%S").to_string();
    state.catalogue.receipt(entry.amount, &bill_id, &date)
}

async fn ledger(state: State) -> HttpResponse {
    HttpResponse::Ok().json(state.ledger())
}

async fn get_faults(state: State) -> HttpResponse {
    HttpResponse::Ok().json(state.faults())
}

async fn set_faults(state: State, body: web::Bytes) -> HttpResponse {
    let faults: Faults = match serde_json::from_slice(&body) {
        Ok(faults) => faults,
        Err(error) => {
            return HttpResponse::BadRequest().json(json!({ "error": error.to_string() }));
        }
    };
    match state.set_faults(faults) {
        Ok(()) => HttpResponse::Ok().json(state.faults()),
        Err(error) => HttpResponse::BadRequest().json(json!({ "error": error.to_string() })),
    }
}

async fn reset(state: State) -> HttpResponse {
    state.reset();
    HttpResponse::NoContent().finish()
}

async fn expire_tokens(state: State) -> HttpResponse {
    state.expire_tokens();
    HttpResponse::NoContent().finish()
}
