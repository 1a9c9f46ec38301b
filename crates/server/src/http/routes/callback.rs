//! WeChat Cloud Hosting's payment callback.
//!
//! The callback is unsigned: any mini-program user can send one through Cloud Hosting. So it
//! changes nothing until WeChat's own record (a query) confirms it; one that is not confirmed
//! is stored as `unconfirmed`, counted and acknowledged, and touches no order.
//!
//! Answers `{"errcode":0,...}` once the callback is durably recorded (processed, duplicate,
//! unconfirmed, or never acceptable), and an error status otherwise so that WeChat retries.
//! The answer is bounded in time; the top-up starts only after it, never in the request.

use std::num::NonZeroU32;
use std::sync::OnceLock;

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, post, web};
use elife_domain::payments::{NotificationHandled, PaymentNotice};
use elife_domain::ports::{IncomingNotification, NotificationKind, NotificationOutcome};
use elife_wechat::{
    CALLBACK_ACK, CallbackError, SOURCE_HEADER, callback_failure_body, parse_payment_callback,
};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::State;
use crate::http::identity::client_ip;
use crate::http::views::CallbackAck;
use crate::metrics_names;

pub const CHANNEL: &str = "wechat_cloud";

fn ack() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(CALLBACK_ACK)
}

fn retry_later(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::json())
        .body(callback_failure_body(message))
}

/// Cloud Hosting sets `X-WX-SOURCE` on what it forwards; the body carries no signature.
fn from_cloud_hosting(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(SOURCE_HEADER)
        .is_some_and(|value| !value.is_empty())
}

pub(super) fn headers_json(request: &HttpRequest) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = request
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str() != "authorization" && name.as_str() != "cookie")
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                serde_json::Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
            )
        })
        .collect();
    serde_json::Value::Object(map)
}

#[utoipa::path(
    tag = "payment",
    request_body(content = Object, description = "the Cloud Hosting payment notification (camelCase JSON)"),
    params(("orderNumber" = String, Path)),
    responses(
        (status = 200, description = "recorded (processed, duplicate or rejected for good)", body = CallbackAck),
        (status = 403, description = "not sent through WeChat Cloud Hosting (no X-WX-SOURCE)", body = CallbackAck),
        (status = 500, description = "not recorded: WeChat must retry", body = CallbackAck),
    )
)]
#[post("/payment/callback/{orderNumber}")]
pub async fn payment_callback_with_number(
    state: State,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    handle(state, request, Some(path.into_inner()), body).await
}

#[utoipa::path(
    tag = "payment",
    request_body(content = Object, description = "the Cloud Hosting payment notification (camelCase JSON)"),
    responses(
        (status = 200, description = "recorded (processed, duplicate or rejected for good)", body = CallbackAck),
        (status = 403, description = "not sent through WeChat Cloud Hosting (no X-WX-SOURCE)", body = CallbackAck),
        (status = 500, description = "not recorded: WeChat must retry", body = CallbackAck),
    )
)]
#[post("/payment/callback")]
pub async fn payment_callback(
    state: State,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    handle(state, request, None, body).await
}

/// Cloud Hosting posts refund results to the container path given in `refund`. They are
/// logged and acknowledged; the refund's outcome is taken from WeChat's refund query by
/// the refund job, never from this unsigned notice.
#[utoipa::path(
    tag = "payment",
    request_body(content = Object, description = "the Cloud Hosting refund notification (camelCase JSON)"),
    responses(
        (status = 200, description = "logged", body = CallbackAck),
        (status = 403, description = "not sent through WeChat Cloud Hosting (no X-WX-SOURCE)", body = CallbackAck),
        (status = 500, description = "not logged: WeChat must retry", body = CallbackAck),
    )
)]
#[post("/payment/refund-callback")]
pub async fn refund_callback(state: State, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    if !from_cloud_hosting(&request) {
        return retry_later(
            StatusCode::FORBIDDEN,
            "not sent through WeChat Cloud Hosting (no X-WX-SOURCE)",
        );
    }
    let fields: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let text = |key: &str| fields.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let raw = IncomingNotification {
        channel: CHANNEL.to_owned(),
        kind: NotificationKind::Refund,
        order_number: text("outTradeNo"),
        transaction_id: text("refundId").or_else(|| text("outRefundNo")),
        headers: headers_json(&request),
        raw_body: String::from_utf8_lossy(&body).into_owned(),
        client_ip: Some(client_ip(&request)),
        received_at: state.ports.clock.now(),
    };
    let logging = state.payments.collection.record_refund_notice(&raw);
    match tokio::time::timeout(state.callback_timeout, logging).await {
        Ok(Ok(())) => {
            count("refund_notice");
            ack()
        }
        Ok(Err(error)) => retry_later(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
        Err(_) => retry_later(StatusCode::INTERNAL_SERVER_ERROR, "not logged in time"),
    }
}

async fn handle(
    state: State,
    request: HttpRequest,
    path_order_number: Option<String>,
    body: web::Bytes,
) -> HttpResponse {
    let raw_body = String::from_utf8_lossy(&body).into_owned();
    let ip = client_ip(&request);
    let parsed = parse_payment_callback(&body);
    // Not the body nor the headers: they carry the payer's openid. Both are stored in the
    // notification log, which only admins read.
    tracing::info!(
        path = %request.path(),
        ip = %ip,
        order = ?parsed.as_ref().ok().map(|callback| callback.out_trade_no.as_str()),
        bytes = body.len(),
        "payment callback received"
    );
    let raw = IncomingNotification {
        channel: CHANNEL.to_owned(),
        kind: NotificationKind::Payment,
        order_number: parsed
            .as_ref()
            .ok()
            .map(|callback| callback.out_trade_no.clone())
            .or_else(|| path_order_number.clone()),
        transaction_id: parsed
            .as_ref()
            .ok()
            .map(|callback| callback.transaction_id.clone()),
        headers: headers_json(&request),
        raw_body,
        client_ip: Some(ip),
        received_at: state.ports.clock.now(),
    };
    let from_cloud_hosting = from_cloud_hosting(&request);
    let work = async {
        if !from_cloud_hosting {
            return Err(Rejection::Forbidden(
                "not sent through WeChat Cloud Hosting (no X-WX-SOURCE)".to_owned(),
            ));
        }
        let callback = parsed.map_err(Rejection::Malformed)?;
        let notice = PaymentNotice {
            payment: callback.to_confirmed_payment(),
            path_order_number,
            raw: raw.clone(),
        };
        state
            .payments
            .collection
            .handle_notification(&notice)
            .await
            .map_err(|error| Rejection::Retry(error.to_string()))
    };
    let outcome = match tokio::time::timeout(state.callback_timeout, work).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Rejection::Retry(format!(
            "not handled within {} ms",
            state.callback_timeout.as_millis()
        ))),
    };
    match outcome {
        Ok(handled) => {
            count(handled.outcome.as_str());
            if handled.outcome == NotificationOutcome::Unconfirmed {
                warn_unconfirmed(&handled);
            } else {
                tracing::info!(outcome = handled.outcome.as_str(), order = ?handled.out_trade_no, reason = ?handled.reason, "payment callback handled");
            }
            ack()
        }
        Err(Rejection::Malformed(error)) => {
            count("rejected");
            record_rejection(&state, &raw, &error.to_string()).await;
            match error {
                // A failed payment needs no retry; a body we cannot read will not improve.
                CallbackError::NotSuccessful { .. }
                | CallbackError::NotJson(_)
                | CallbackError::MissingField(_)
                | CallbackError::WrongType { .. }
                | CallbackError::InvalidField { .. }
                | CallbackError::ForeignOrderNumber(_) => ack(),
            }
        }
        Err(Rejection::Forbidden(reason)) => {
            count("forbidden");
            // Logged, not stored: anyone who can reach the endpoint could fill the table.
            tracing::warn!(%reason, "payment callback refused");
            retry_later(StatusCode::FORBIDDEN, &reason)
        }
        Err(Rejection::Retry(reason)) => {
            count("error");
            tracing::error!(%reason, "payment callback not recorded; WeChat will retry");
            retry_later(StatusCode::INTERNAL_SERVER_ERROR, &reason)
        }
    }
}

enum Rejection {
    Forbidden(String),
    Malformed(CallbackError),
    Retry(String),
}

/// A callback WeChat did not confirm: stored and counted; logged at most a few times a
/// second, since anyone can send them.
fn warn_unconfirmed(handled: &NotificationHandled) {
    static LOG_LIMIT: OnceLock<DefaultDirectRateLimiter> = OnceLock::new();
    let limiter = LOG_LIMIT.get_or_init(|| {
        RateLimiter::direct(Quota::per_second(
            NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN),
        ))
    });
    if limiter.check().is_ok() {
        tracing::warn!(order = ?handled.out_trade_no, reason = ?handled.reason, "payment callback not confirmed by WeChat: ignored");
    }
}

fn count(outcome: &'static str) {
    metrics::counter!(metrics_names::CALLBACKS, "outcome" => outcome).increment(1);
}

async fn record_rejection(state: &State, raw: &IncomingNotification, reason: &str) {
    let recording = state.payments.collection.reject_malformed(raw, reason);
    match tokio::time::timeout(state.callback_timeout, recording).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!(%error, "rejected callback not logged"),
        Err(_) => tracing::warn!("rejected callback not logged in time"),
    }
}
