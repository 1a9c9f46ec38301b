//! The user's side and WeChat's back office, driven by tests and the walk-through:
//! paying an order, sending a notification again (possibly wrong on purpose), replaying
//! one, and moving a refund to its final status.
//!
//! - `POST /sandbox/v3/pay/{out_trade_no}` ([`V3PayOptions`]);
//! - `POST /sandbox/v3/notify/{out_trade_no}` and
//!   `POST /sandbox/v3/refunds/{out_refund_no}/notify` ([`V3NotifyRequest`]);
//! - `POST /sandbox/v3/notifications/{id}/replay`;
//! - `POST /sandbox/v3/refunds/{out_refund_no}/status` (`{"status": "SUCCESS"|"CLOSED"|"ABNORMAL"}`).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::clock::rfc3339;
use super::events::{announce_refund, notify, payment_event, refund_event};
use super::notifier::{self, Event};
use super::orders;
use super::records::V3RefundStatus;
use super::refunds::{self, StatusRefusal, refund_view};
use super::signing::SignatureFault;
use super::state::SimState;

/// JSON body of `POST /sandbox/v3/pay/{out_trade_no}` (every field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct V3PayOptions {
    /// Let the payment land on an order closed or expired meanwhile (a late payment).
    pub late: bool,
    /// Pay without notifying: only a query finds the payment.
    pub no_notify: bool,
}

/// JSON body of the `.../notify` endpoints. Without a fault the notification is a normal
/// one (new id, retried); with one it is sent once and the merchant's answer returned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct V3NotifyRequest {
    pub fault: Option<SignatureFault>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusRequest {
    status: String,
}

fn error(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error": message }))
}

/// An empty body means the defaults.
fn options<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|parse| format!("invalid body: {parse}"))
}

pub(crate) async fn pay(
    state: web::Data<SimState>,
    out_trade_no: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let options: V3PayOptions = match options(&body) {
        Ok(options) => options,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let now = state.clock.now();
    let paid = state
        .ledger
        .update(|store| orders::pay(store, &out_trade_no, options.late, now));
    let order = match paid {
        Ok(order) => order,
        Err(refusal @ orders::PayRefusal::UnknownOrder) => {
            return error(StatusCode::NOT_FOUND, refusal.message());
        }
        Err(refusal) => return error(StatusCode::CONFLICT, refusal.message()),
    };
    let notification_id = if options.no_notify {
        None
    } else {
        notify(&state, payment_event(&order, now))
    };
    HttpResponse::Ok().json(json!({
        "out_trade_no": order.out_trade_no,
        "transaction_id": order.transaction_id,
        "success_time": order.success_time.map(rfc3339),
        "notification_id": notification_id,
    }))
}

/// A normal notification is delivered in the background; a faulty one once, now.
async fn send(
    state: &web::Data<SimState>,
    event: Event,
    fault: Option<SignatureFault>,
) -> HttpResponse {
    let Some(fault) = fault else {
        return HttpResponse::Ok().json(json!({ "notification_id": notify(state, event) }));
    };
    let id = match notifier::record(state, event, Some(fault), state.clock.now()) {
        Ok(id) => id,
        Err(failure) => return error(StatusCode::INTERNAL_SERVER_ERROR, &failure.to_string()),
    };
    let attempt = notifier::attempt(state, &id, Duration::ZERO, false).await;
    HttpResponse::Ok().json(json!({ "notification_id": id, "attempt": attempt }))
}

pub(crate) async fn notify_payment(
    state: web::Data<SimState>,
    out_trade_no: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let request: V3NotifyRequest = match options(&body) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let order = state
        .ledger
        .read(|store| store.order(&out_trade_no).cloned());
    let Some(order) = order else {
        return error(StatusCode::NOT_FOUND, "no such order");
    };
    if request.fault.is_none() && order.transaction_id.is_none() {
        return error(
            StatusCode::CONFLICT,
            "order is not paid: only a faulty (forged) notification can be sent for it",
        );
    }
    send(
        &state,
        payment_event(&order, state.clock.now()),
        request.fault,
    )
    .await
}

pub(crate) async fn notify_refund(
    state: web::Data<SimState>,
    out_refund_no: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let request: V3NotifyRequest = match options(&body) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let refund = state
        .ledger
        .read(|store| store.refund(&out_refund_no).cloned());
    let Some(refund) = refund else {
        return error(StatusCode::NOT_FOUND, "no such refund");
    };
    let Some(event) = refund_event(&state.mchid, &refund) else {
        return error(
            StatusCode::CONFLICT,
            "refund is PROCESSING or has no notify_url: nothing to notify",
        );
    };
    send(&state, event, request.fault).await
}

pub(crate) async fn replay(state: web::Data<SimState>, id: web::Path<String>) -> HttpResponse {
    match notifier::attempt(&state, &id, Duration::ZERO, true).await {
        Some(attempt) => {
            HttpResponse::Ok().json(json!({ "notification_id": *id, "attempt": attempt }))
        }
        None => error(StatusCode::NOT_FOUND, "no such notification, or never sent"),
    }
}

pub(crate) async fn set_refund_status(
    state: web::Data<SimState>,
    out_refund_no: web::Path<String>,
    request: web::Json<StatusRequest>,
) -> HttpResponse {
    let Some(status) = V3RefundStatus::parse(&request.status) else {
        return error(
            StatusCode::BAD_REQUEST,
            "status must be SUCCESS, CLOSED or ABNORMAL",
        );
    };
    let now = state.clock.now();
    let changed = state
        .ledger
        .update(|store| refunds::change_status(store, &out_refund_no, status, now));
    match changed {
        Ok(refund) => {
            let notification_id = announce_refund(&state, &refund);
            HttpResponse::Ok().json(json!({
                "refund": refund_view(&refund),
                "notification_id": notification_id,
            }))
        }
        Err(StatusRefusal::UnknownRefund) => error(StatusCode::NOT_FOUND, "no such refund"),
        Err(StatusRefusal::NotAllowed) => error(
            StatusCode::CONFLICT,
            "SUCCESS and CLOSED are final, and PROCESSING cannot be re-entered",
        ),
    }
}
