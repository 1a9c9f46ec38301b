//! The HTTP face of the simulator: Unitel's paths, plus `/__sandbox/*` for tests.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde_json::{Value, json};

use super::catalogue::{Plan, ProductGroup};
use super::config::Faults;
use super::connection::ConnectionKiller;
use super::ledger::{LedgerEntry, Operation};
use super::state::{AfterApply, CheckAnswer, MoneyCall, MoneyDecision, SimState, Unauthorized};

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

type State = web::Data<SimState>;

fn failed(status: StatusCode, code: &str, msg: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "result": "failed", "code": code, "msg": msg }))
}

fn html_error(status: u16) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .body(format!(
            "<html><body><h1>{status}</h1><p>upstream error</p></body></html>"
        ))
}

/// A `result: "failed"` answer, before it becomes a response.
struct Refusal {
    status: StatusCode,
    code: &'static str,
    msg: String,
}

impl Refusal {
    fn business(code: &'static str, msg: &str) -> Refusal {
        Refusal {
            status: StatusCode::OK,
            code,
            msg: msg.to_owned(),
        }
    }

    fn malformed(msg: String) -> Refusal {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            code: "400",
            msg,
        }
    }

    fn into_response(self) -> HttpResponse {
        failed(self.status, self.code, &self.msg)
    }
}

fn parse_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Refusal> {
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
async fn admit(req: &HttpRequest, state: &SimState) -> Result<(), HttpResponse> {
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

#[derive(Deserialize)]
struct Transaction {
    journal_id: String,
    amount: String,
}

#[derive(Deserialize)]
struct MoneyBody {
    msisdn: String,
    card: Option<String>,
    package: Option<String>,
    amount: Option<String>,
    transactions: Vec<Transaction>,
}

async fn recharge(req: HttpRequest, state: State, body: web::Bytes) -> HttpResponse {
    money_call(req, state, body, Operation::Recharge).await
}

async fn data_package(req: HttpRequest, state: State, body: web::Bytes) -> HttpResponse {
    money_call(req, state, body, Operation::DataPackage).await
}

async fn bill_payment(req: HttpRequest, state: State, body: web::Bytes) -> HttpResponse {
    money_call(req, state, body, Operation::BillPayment).await
}

/// Checks a money call the way the operator would, before any fault applies.
fn validate(state: &SimState, body: MoneyBody, operation: Operation) -> Result<MoneyCall, Refusal> {
    let refuse = Refusal::business;
    let Some(transaction) = body.transactions.into_iter().next() else {
        return Err(Refusal::malformed(
            "transactions must not be empty".to_owned(),
        ));
    };
    if transaction.journal_id.trim().is_empty() {
        return Err(Refusal::malformed("journal_id is required".to_owned()));
    }
    let amount = match transaction.amount.parse::<i64>() {
        Ok(amount) if amount > 0 => amount,
        _ => return Err(refuse("104", "Invalid amount")),
    };
    let Some(plan) = Plan::of(&body.msisdn) else {
        return Err(refuse("101", "Subscriber not found"));
    };
    let product = match operation {
        Operation::Recharge | Operation::DataPackage => {
            let (code, group) = match operation {
                Operation::Recharge => (body.card, ProductGroup::Card),
                Operation::DataPackage | Operation::BillPayment => {
                    (body.package, ProductGroup::DataPackage)
                }
            };
            let code = code.unwrap_or_default();
            let Some(price) = state.catalogue.price_of(plan, group, &code) else {
                return Err(refuse(
                    "103",
                    "Product is not available for this subscriber",
                ));
            };
            if price != amount {
                return Err(refuse("104", "Amount does not match the product price"));
            }
            Some(code)
        }
        Operation::BillPayment => {
            if !plan.is_postpaid() {
                return Err(refuse("102", "Not a postpaid subscriber"));
            }
            if body.amount.as_deref() != Some(transaction.amount.as_str()) {
                return Err(refuse("104", "amount differs from transactions[0].amount"));
            }
            None
        }
    };
    Ok(MoneyCall {
        journal_id: transaction.journal_id,
        msisdn: body.msisdn,
        operation,
        product,
        amount,
    })
}

async fn money_call(
    req: HttpRequest,
    state: State,
    body: web::Bytes,
    operation: Operation,
) -> HttpResponse {
    if let Err(answer) = admit(&req, &state).await {
        return answer;
    }
    let body: MoneyBody = match parse_body(&body) {
        Ok(body) => body,
        Err(refusal) => return refusal.into_response(),
    };
    let call = match validate(&state, body, operation) {
        Ok(call) => call,
        Err(refusal) => return refusal.into_response(),
    };
    match state.decide(call) {
        MoneyDecision::Fail { code, msg } => {
            tracing::info!(?operation, code, "unitel sandbox refused a top-up");
            failed(StatusCode::OK, &code, &msg)
        }
        MoneyDecision::AnswerWithoutApplying(after) => {
            answer_after(&req, &state, None, after).await
        }
        MoneyDecision::Apply { entry, then } => {
            tracing::info!(
                ?operation,
                journal_id = %entry.journal_id,
                msisdn = %format!("{}****", entry.msisdn.get(..4).unwrap_or_default()),
                amount_mnt = entry.amount,
                seq = %entry.seq,
                "unitel sandbox applied a top-up"
            );
            answer_after(&req, &state, Some(entry), then).await
        }
    }
}

async fn answer_after(
    req: &HttpRequest,
    state: &SimState,
    entry: Option<LedgerEntry>,
    after: AfterApply,
) -> HttpResponse {
    match (after, entry) {
        (AfterApply::Drop { hold }, _) => drop_connection(req, hold).await,
        (AfterApply::ServerError { status }, _) => html_error(status),
        (AfterApply::EmptyAnswer, _) => HttpResponse::Ok().finish(),
        (AfterApply::AnswerPending, Some(entry)) => HttpResponse::Ok().json(json!({
            "result": "pending", "code": "001", "msg": "Transaction is being processed",
            "seq": entry.seq,
        })),
        (AfterApply::AnswerSuccess, Some(entry)) => {
            HttpResponse::Ok().json(success_answer(state, &entry))
        }
        // Success and pending always come with an applied entry (see `SimState::decide`).
        (AfterApply::AnswerPending | AfterApply::AnswerSuccess, None) => html_error(500),
    }
}

fn success_answer(state: &SimState, entry: &LedgerEntry) -> Value {
    let receipt = receipt_for(state, entry);
    match entry.operation {
        Operation::Recharge => json!({
            "result": "success", "code": "000", "msg": "success",
            "sv_id": format!("P_ETOPUP_{}", &entry.seq[entry.seq.len().saturating_sub(10)..]),
            "seq": entry.seq, "method": "cash", "vat": receipt,
        }),
        Operation::DataPackage => json!({
            "result": "success", "code": "000", "msg": "success",
            "sv_id": null, "method": "cash", "seq": entry.seq, "vat": receipt,
        }),
        // Bill payments answer in the older shape (`seq_id`, `transaction_id`).
        Operation::BillPayment => json!({
            "result": "success", "code": "000", "msg": "success",
            "seq_id": entry.seq, "transaction_id": entry.journal_id,
            "amount": entry.amount.to_string(), "vat": receipt,
        }),
    }
}

fn receipt_for(state: &SimState, entry: &LedgerEntry) -> Value {
    let bill_id = format!("0000050368951{:0>20}", entry.seq);
    let date = entry.applied_at.format("%Y-%m-%d %H:%M:%S").to_string();
    state.catalogue.receipt(entry.amount, &bill_id, &date)
}

/// Holds the request, then closes the socket under the client's feet: the top-up is
/// already in the ledger, the client never learns it.
async fn drop_connection(req: &HttpRequest, hold: Duration) -> HttpResponse {
    tokio::time::sleep(hold).await;
    match req.conn_data::<ConnectionKiller>() {
        Some(killer) => killer.kill(),
        // Without a socket handle, hold long enough for any client to give up.
        None => tokio::time::sleep(Duration::from_secs(3600)).await,
    }
    HttpResponse::Ok().finish()
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
        Err(error) => HttpResponse::BadRequest().json(json!({ "error": error })),
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
