//! `/sandbox/v3/...` settings and inspection: the ledger, the keys a merchant needs,
//! run-time settings (signing mode, time factor, refund delay), armed faults, the clock.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::config::V3ConfigUpdate;
use super::faults::V3FaultRequest;
use super::keys::{SANDBOX_MERCHANT_KEY_PEM, SANDBOX_MERCHANT_SERIAL_NO};
use super::state::SimState;

/// Everything a merchant configures to talk to the simulator. The merchant key is the
/// built-in sandbox merchant's, accepted unless the config replaced the merchant keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct V3SandboxKeys {
    pub appid: String,
    pub mchid: String,
    pub apiv3_key: String,
    pub merchant_serial_no: String,
    pub merchant_private_key_pem: String,
    pub platform_serial_no: String,
    pub platform_certificate_pem: String,
    pub public_key_id: String,
    pub public_key_pem: String,
}

pub(crate) fn keys_of(state: &SimState) -> V3SandboxKeys {
    V3SandboxKeys {
        appid: state.appid.clone(),
        mchid: state.mchid.clone(),
        apiv3_key: state.apiv3_key.clone(),
        merchant_serial_no: SANDBOX_MERCHANT_SERIAL_NO.to_owned(),
        merchant_private_key_pem: SANDBOX_MERCHANT_KEY_PEM.to_owned(),
        platform_serial_no: state.keys.certificate.serial_no.clone(),
        platform_certificate_pem: state.keys.certificate.pem.clone(),
        public_key_id: state.keys.public_key.serial.clone(),
        public_key_pem: state.keys.public_key_pem.clone(),
    }
}

pub(crate) async fn keys(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(keys_of(&state))
}

pub(crate) async fn ledger(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(state.ledger.read(|store| store.snapshot()))
}

pub(crate) async fn reset_ledger(state: web::Data<SimState>) -> HttpResponse {
    state.ledger.reset();
    HttpResponse::NoContent().finish()
}

pub(crate) async fn get_config(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(state.runtime())
}

pub(crate) async fn update_config(
    state: web::Data<SimState>,
    update: web::Json<V3ConfigUpdate>,
) -> HttpResponse {
    match state.update_runtime(|runtime| runtime.apply(update.into_inner())) {
        Ok(()) => HttpResponse::Ok().json(state.runtime()),
        Err(message) => HttpResponse::BadRequest().json(json!({ "error": message })),
    }
}

pub(crate) async fn add_fault(
    state: web::Data<SimState>,
    request: web::Json<V3FaultRequest>,
) -> HttpResponse {
    state.faults.arm(request.into_inner());
    HttpResponse::NoContent().finish()
}

pub(crate) async fn clear_faults(state: web::Data<SimState>) -> HttpResponse {
    state.faults.clear();
    HttpResponse::NoContent().finish()
}

fn clock_view(state: &SimState) -> serde_json::Value {
    json!({ "now": state.clock.now(), "offset_ms": state.clock.offset_ms() })
}

pub(crate) async fn get_clock(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(clock_view(&state))
}

/// Body of `POST /sandbox/v3/clock`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClockMove {
    advance_seconds: i64,
}

pub(crate) async fn move_clock(
    state: web::Data<SimState>,
    request: web::Json<ClockMove>,
) -> HttpResponse {
    state
        .clock
        .advance_ms(request.advance_seconds.saturating_mul(1000));
    HttpResponse::Ok().json(clock_view(&state))
}
