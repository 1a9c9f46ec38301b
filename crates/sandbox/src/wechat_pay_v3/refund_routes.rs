//! `/v3/refund/domestic/refunds`: applying for a refund (which then settles after the
//! configured delay) and querying one by `out_refund_no`.

use actix_web::{HttpRequest, HttpResponse, web};

use super::events::settle_later;
use super::faults::Endpoint;
use super::refunds;
use super::respond::{Answer, json_body, serve};
use super::state::SimState;

pub(crate) async fn create(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<SimState>,
) -> HttpResponse {
    let mut created_refund = None;
    let response = serve(&state, &request, &body, Endpoint::Refund, |state| {
        let parsed = json_body(&request, &body)?;
        let now = state.clock.now();
        let created = state
            .ledger
            .update(|store| refunds::create(store, &parsed, now))?;
        created_refund = created.new_refund;
        Ok(Answer::Json(created.answer))
    })
    .await;
    // Also when the answer was lost: the refund exists and goes on.
    if let Some(refund) = created_refund {
        settle_later(state.clone(), refund.out_refund_no);
    }
    response
}

pub(crate) async fn query(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<SimState>,
    out_refund_no: web::Path<String>,
) -> HttpResponse {
    serve(&state, &request, &body, Endpoint::RefundQuery, |state| {
        state
            .ledger
            .read(|store| refunds::query(store, &out_refund_no))
            .map(Answer::Json)
    })
    .await
}
