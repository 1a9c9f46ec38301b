//! The path of every API call: the merchant's signature checked, an armed fault taken, the
//! call applied, and the answer signed (errors too) — except bill files, which WeChat
//! serves unsigned.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::Value;

use super::authorization::{self, SignedRequest};
use super::errors::ApiError;
use super::faults::{Endpoint, V3ApiFault};
use super::ids::random_alnum;
use super::signing::{SignatureFault, tamper_json};
use super::state::SimState;

pub(crate) enum Answer {
    Json(Value),
    NoContent,
    /// A bill file: plain bytes, no signature.
    File(Vec<u8>),
}

/// The body of a POST: JSON, sent as `application/json`.
pub(crate) fn json_body(request: &HttpRequest, body: &[u8]) -> Result<Value, ApiError> {
    let is_json = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::invalid_request(
            "Content-Type must be application/json",
        ));
    }
    serde_json::from_slice(body).map_err(|_| ApiError::invalid_request("body is not valid JSON"))
}

/// Serves one API call.
pub(crate) async fn serve(
    state: &SimState,
    request: &HttpRequest,
    body: &[u8],
    endpoint: Endpoint,
    apply: impl FnOnce(&SimState) -> Result<Answer, ApiError>,
) -> HttpResponse {
    let path_and_query = request.uri().path_and_query().map_or_else(
        || request.path().to_owned(),
        |value| value.as_str().to_owned(),
    );
    let authorization = request
        .headers()
        .get("Authorization")
        .and_then(|value| value.to_str().ok());
    let verified = authorization::verify(
        &state.keys,
        &state.mchid,
        state.max_clock_skew,
        // Real time, like signing: the movable clock is business time only.
        chrono::Utc::now(),
        &SignedRequest {
            method: request.method().as_str(),
            path_and_query: &path_and_query,
            body,
            authorization,
        },
    );
    if let Err(error) = verified {
        return signed_error(state, &error, None);
    }
    let fault = state.faults.take(endpoint);
    match fault {
        Some(V3ApiFault::SystemError) => {
            return signed_error(state, &ApiError::system_error(), None);
        }
        Some(V3ApiFault::NotEnough) => return signed_error(state, &ApiError::not_enough(), None),
        Some(V3ApiFault::Slow { delay_ms }) => {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        }
        Some(
            V3ApiFault::LostAnswer
            | V3ApiFault::Probe
            | V3ApiFault::TamperedBody
            | V3ApiFault::WrongSerial
            | V3ApiFault::SwappedSerial
            | V3ApiFault::OldTimestamp,
        )
        | None => {}
    }
    let result = apply(state);
    if fault == Some(V3ApiFault::LostAnswer) {
        return signed_error(state, &ApiError::system_error(), None);
    }
    let signature_fault = fault.and_then(V3ApiFault::signature_fault);
    match result {
        Ok(Answer::Json(value)) => signed(
            state,
            StatusCode::OK,
            value.to_string().into_bytes(),
            signature_fault,
        ),
        Ok(Answer::NoContent) => signed(state, StatusCode::NO_CONTENT, Vec::new(), signature_fault),
        Ok(Answer::File(mut file)) => {
            if signature_fault == Some(SignatureFault::TamperedBody) {
                file.extend_from_slice("`tampered,`0.01\n".as_bytes());
            }
            HttpResponse::Ok()
                .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
                .body(file)
        }
        Err(error) => signed_error(state, &error, signature_fault),
    }
}

pub(crate) fn signed_error(
    state: &SimState,
    error: &ApiError,
    fault: Option<SignatureFault>,
) -> HttpResponse {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    signed(state, status, error.body().to_string().into_bytes(), fault)
}

fn signed(
    state: &SimState,
    status: StatusCode,
    body: Vec<u8>,
    fault: Option<SignatureFault>,
) -> HttpResponse {
    let signed = state.signing().sign(&body, fault, tamper_json);
    // A tampered empty answer carries a body, which a 204 cannot.
    let status = if status == StatusCode::NO_CONTENT && !signed.body.is_empty() {
        StatusCode::OK
    } else {
        status
    };
    let mut response = HttpResponse::build(status);
    for (name, value) in signed.headers.pairs() {
        response.insert_header((name, value));
    }
    response.insert_header(("Request-ID", random_alnum(32)));
    if signed.body.is_empty() {
        response.finish()
    } else {
        response
            .insert_header((CONTENT_TYPE, "application/json"))
            .body(signed.body)
    }
}
