//! `/__sandbox/wechat/...`: reading the ledger, changing settings, moving the clock and
//! injecting faults into the pay API.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::config::ConfigUpdate;
use super::records::SimRefundStatus;
use super::server::{SimState, lock};
use super::store::LedgerStore;

/// How a pay API call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WechatFault {
    /// HTTP 500 before anything is done.
    Http500,
    /// `{"errcode":-1,"errmsg":"system error"}` before anything is done.
    SystemBusy,
    /// `return_code FAIL, 受理关系不存在`.
    NotBound,
    /// `result_code FAIL, err_code SYSTEMERROR` before anything is done.
    SystemError,
    /// HTTP 200 with an empty body.
    EmptyAnswer,
    /// The call IS applied, then the answer is lost (HTTP 500): the outcome-unknown case.
    LostAnswer,
    /// The call waits `delay_ms` before being applied normally (to trip client timeouts).
    Slow { delay_ms: u64 },
}

/// Body of `POST /__sandbox/wechat/faults`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRequest {
    /// `unifiedOrder`, `queryorder`, ... or `*`.
    pub api: String,
    pub fault: WechatFault,
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone)]
pub(crate) struct ActiveFault {
    pub api: String,
    pub fault: WechatFault,
    pub remaining: u32,
}

/// Takes one use of the first fault armed for `api`.
pub(crate) fn take_fault(state: &SimState, api: &str) -> Option<WechatFault> {
    let mut faults = lock(&state.faults);
    let index = faults.iter().position(|fault| {
        fault.remaining > 0 && (fault.api == "*" || fault.api.eq_ignore_ascii_case(api))
    })?;
    let fault = faults[index].fault;
    faults[index].remaining -= 1;
    if faults[index].remaining == 0 {
        faults.remove(index);
    }
    Some(fault)
}

pub(crate) async fn ledger(state: web::Data<SimState>) -> HttpResponse {
    let ledger = lock(&state.ledger).snapshot();
    HttpResponse::Ok().json(ledger)
}

pub(crate) async fn reset_ledger(state: web::Data<SimState>) -> HttpResponse {
    *lock(&state.ledger) = LedgerStore::default();
    HttpResponse::NoContent().finish()
}

pub(crate) async fn get_config(state: web::Data<SimState>) -> HttpResponse {
    let runtime = lock(&state.runtime).clone();
    HttpResponse::Ok().json(runtime)
}

pub(crate) async fn update_config(
    state: web::Data<SimState>,
    update: web::Json<ConfigUpdate>,
) -> HttpResponse {
    let mut runtime = lock(&state.runtime);
    runtime.apply(update.into_inner());
    HttpResponse::Ok().json(runtime.clone())
}

fn clock_view(state: &SimState) -> serde_json::Value {
    json!({ "now": state.clock.now(), "offset_ms": state.clock.offset_ms() })
}

pub(crate) async fn get_clock(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(clock_view(&state))
}

/// Body of `POST /__sandbox/wechat/clock`: `advance_seconds` / `advance_ms` add to the
/// offset, `offset_ms` sets it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClockMove {
    advance_seconds: Option<i64>,
    advance_ms: Option<i64>,
    offset_ms: Option<i64>,
}

pub(crate) async fn move_clock(
    state: web::Data<SimState>,
    request: web::Json<ClockMove>,
) -> HttpResponse {
    if let Some(offset) = request.offset_ms {
        state.clock.set_offset_ms(offset);
    }
    if let Some(seconds) = request.advance_seconds {
        state.clock.advance_ms(seconds.saturating_mul(1000));
    }
    if let Some(milliseconds) = request.advance_ms {
        state.clock.advance_ms(milliseconds);
    }
    HttpResponse::Ok().json(clock_view(&state))
}

pub(crate) async fn add_fault(
    state: web::Data<SimState>,
    request: web::Json<FaultRequest>,
) -> HttpResponse {
    let request = request.into_inner();
    lock(&state.faults).push(ActiveFault {
        api: request.api,
        fault: request.fault,
        remaining: request.times,
    });
    HttpResponse::NoContent().finish()
}

pub(crate) async fn clear_faults(state: web::Data<SimState>) -> HttpResponse {
    lock(&state.faults).clear();
    HttpResponse::NoContent().finish()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ForcedStatus {
    status: String,
}

/// Makes a refund report the given status (`SUCCESS`, `PROCESSING`, `REFUNDCLOSE`, `CHANGE`).
pub(crate) async fn force_refund_status(
    state: web::Data<SimState>,
    out_refund_no: web::Path<String>,
    request: web::Json<ForcedStatus>,
) -> HttpResponse {
    let Some(status) = SimRefundStatus::parse(&request.status) else {
        return HttpResponse::BadRequest()
            .json(json!({ "error": format!("unknown refund status {:?}", request.status) }));
    };
    if lock(&state.ledger).force_refund_status(&out_refund_no, status) {
        HttpResponse::NoContent().finish()
    } else {
        HttpResponse::NotFound().json(json!({ "error": "no such refund" }))
    }
}
