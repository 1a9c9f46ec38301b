//! `/v3/pay/transactions/...`: JSAPI and Native creation, queries by `out_trade_no` and by
//! `transaction_id`, and closing.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};

use super::faults::Endpoint;
use super::orders::{self, OrderKey};
use super::records::V3TradeType;
use super::respond::{Answer, json_body, serve};
use super::state::SimState;

fn query_parameter(request: &HttpRequest, name: &str) -> Option<String> {
    web::Query::<HashMap<String, String>>::from_query(request.query_string())
        .ok()
        .and_then(|query| query.get(name).cloned())
}

async fn create(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<SimState>,
    trade_type: V3TradeType,
) -> HttpResponse {
    let endpoint = match trade_type {
        V3TradeType::Jsapi => Endpoint::Jsapi,
        V3TradeType::Native => Endpoint::Native,
    };
    serve(&state, &request, &body, endpoint, |state| {
        let parsed = json_body(&request, &body)?;
        let now = state.clock.now();
        let merchant = state.merchant();
        state
            .ledger
            .update(|store| orders::create(store, &merchant, trade_type, &parsed, now))
            .map(Answer::Json)
    })
    .await
}

pub(crate) async fn jsapi(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<SimState>,
) -> HttpResponse {
    create(request, body, state, V3TradeType::Jsapi).await
}

pub(crate) async fn native(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<SimState>,
) -> HttpResponse {
    create(request, body, state, V3TradeType::Native).await
}

async fn query(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<SimState>,
    key: OrderKey<'_>,
) -> HttpResponse {
    let mchid = query_parameter(&request, "mchid");
    serve(&state, &request, &body, Endpoint::Query, |state| {
        let merchant = state.merchant();
        state
            .ledger
            .read(|store| orders::query(store, &merchant, mchid.as_deref(), key))
            .map(Answer::Json)
    })
    .await
}

pub(crate) async fn query_by_out_trade_no(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<SimState>,
    out_trade_no: web::Path<String>,
) -> HttpResponse {
    query(request, body, state, OrderKey::OutTradeNo(&out_trade_no)).await
}

pub(crate) async fn query_by_transaction_id(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<SimState>,
    transaction_id: web::Path<String>,
) -> HttpResponse {
    query(
        request,
        body,
        state,
        OrderKey::TransactionId(&transaction_id),
    )
    .await
}

pub(crate) async fn close(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<SimState>,
    out_trade_no: web::Path<String>,
) -> HttpResponse {
    serve(&state, &request, &body, Endpoint::Close, |state| {
        let parsed = json_body(&request, &body)?;
        let now = state.clock.now();
        let merchant = state.merchant();
        state
            .ledger
            .update(|store| orders::close(store, &merchant, &out_trade_no, &parsed, now))
            .map(|()| Answer::NoContent)
    })
    .await
}
