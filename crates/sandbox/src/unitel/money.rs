//! The money calls (`recharge`, `datapackage`, `payment`): validated as the operator
//! would, then answered as the active fault decides (see `SimState::decide`).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::catalogue::{Plan, ProductGroup};
use super::connection::ConnectionKiller;
use super::ledger::{LedgerEntry, Operation};
use super::routes::{Refusal, State, admit, failed, html_error, parse_body, receipt_for};
use super::state::{AfterApply, MoneyCall, MoneyDecision, SimState};

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

pub(super) async fn recharge(req: HttpRequest, state: State, body: web::Bytes) -> HttpResponse {
    money_call(req, state, body, Operation::Recharge).await
}

pub(super) async fn data_package(req: HttpRequest, state: State, body: web::Bytes) -> HttpResponse {
    money_call(req, state, body, Operation::DataPackage).await
}

pub(super) async fn bill_payment(req: HttpRequest, state: State, body: web::Bytes) -> HttpResponse {
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
        (AfterApply::AnswerSuccessAfter { hold }, Some(entry)) => {
            tokio::time::sleep(hold).await;
            HttpResponse::Ok().json(success_answer(state, &entry))
        }
        // Success and pending always come with an applied entry (see `SimState::decide`).
        (
            AfterApply::AnswerPending
            | AfterApply::AnswerSuccess
            | AfterApply::AnswerSuccessAfter { .. },
            None,
        ) => html_error(500),
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
