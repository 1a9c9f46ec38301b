//! WeChat Pay API v3 notifications (`PAY_CHANNEL=v3`): `POST /payment/notify/wechat` and
//! `/payment/notify/wechat/refund`, also under `/api` (the paths of the seed's payment system).
//!
//! The raw body is checked exactly as received by elife-wechatpay: the signature with the
//! key `Wechatpay-Serial` names, the timestamp within five minutes, probes refused; then its
//! `resource` is decrypted. An unverifiable notification changes nothing, is not stored
//! (anyone can send one), is logged at warn a few times a second at most, and gets 401.
//! A verified payment is WeChat's own record: the payment use case takes it without asking
//! again. A verified refund notice is logged, and the refund is then asked about (never
//! taken from the notice). Answers: 204 without a body once durably recorded; otherwise
//! 4xx/5xx with `{"code":"FAIL","message":…}`, so that WeChat Pay retries.

use std::num::NonZeroU32;
use std::sync::OnceLock;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use elife_domain::order::OrderNumber;
use elife_domain::payments::{NotificationHandled, PaymentNotice};
use elife_domain::ports::{
    IncomingNotification, NotificationKind, NotificationOutcome, TradeState,
};
use elife_wechatpay::gateway::notified_trade_state;
use elife_wechatpay::model::{RefundNotice, RefundStatus, Transaction};
use elife_wechatpay::{Notification, NotificationContent, NotificationError};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::Serialize;
use utoipa::ToSchema;

use super::State;
use super::callback::headers_json;
use crate::http::identity::client_ip;
use crate::metrics_names;

/// The notification log's name of this channel (Cloud Hosting's is `wechat_cloud`).
pub const CHANNEL: &str = "wechat_v3";

/// WeChat Pay's failure answer: it retries the notification.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotifyFailure {
    #[schema(example = "FAIL")]
    pub code: String,
    #[schema(example = "notification not verified")]
    pub message: String,
}

fn recorded() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

fn fail(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(NotifyFailure {
        code: "FAIL".to_owned(),
        message: message.to_owned(),
    })
}

#[utoipa::path(
    tag = "payment",
    request_body(content = Object, description = "a WeChat Pay API v3 notification (`TRANSACTION.SUCCESS`), signed and encrypted"),
    params(
        ("Wechatpay-Serial" = String, Header, description = "the platform certificate serial or PUB_KEY_ID_… that signed it"),
        ("Wechatpay-Timestamp" = String, Header),
        ("Wechatpay-Nonce" = String, Header),
        ("Wechatpay-Signature" = String, Header),
    ),
    responses(
        (status = 204, description = "recorded (processed, duplicate or rejected for good)"),
        (status = 401, description = "not verified (signature, serial, timestamp or a probe): nothing changed", body = NotifyFailure),
        (status = 404, description = "PAY_CHANNEL is not v3", body = NotifyFailure),
        (status = 500, description = "not recorded: WeChat Pay must retry", body = NotifyFailure),
    )
)]
#[post("/payment/notify/wechat")]
pub async fn payment_notify(state: State, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    handle(state, request, body).await
}

/// The same as `/payment/notify/wechat`.
#[utoipa::path(
    tag = "payment",
    request_body(content = Object, description = "a WeChat Pay API v3 notification, signed and encrypted"),
    responses(
        (status = 204, description = "recorded"),
        (status = 401, description = "not verified: nothing changed", body = NotifyFailure),
        (status = 404, description = "PAY_CHANNEL is not v3", body = NotifyFailure),
        (status = 500, description = "not recorded: WeChat Pay must retry", body = NotifyFailure),
    )
)]
#[post("/api/payment/notify/wechat")]
pub async fn api_payment_notify(
    state: State,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    handle(state, request, body).await
}

#[utoipa::path(
    tag = "payment",
    request_body(content = Object, description = "a WeChat Pay API v3 refund notification (`REFUND.SUCCESS|CLOSED|ABNORMAL`), signed and encrypted"),
    responses(
        (status = 204, description = "logged; the refund is then asked about at WeChat Pay"),
        (status = 401, description = "not verified: nothing changed", body = NotifyFailure),
        (status = 404, description = "PAY_CHANNEL is not v3", body = NotifyFailure),
        (status = 500, description = "not logged: WeChat Pay must retry", body = NotifyFailure),
    )
)]
#[post("/payment/notify/wechat/refund")]
pub async fn refund_notify(state: State, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    handle(state, request, body).await
}

/// The same as `/payment/notify/wechat/refund`.
#[utoipa::path(
    tag = "payment",
    request_body(content = Object, description = "a WeChat Pay API v3 refund notification, signed and encrypted"),
    responses(
        (status = 204, description = "logged; the refund is then asked about at WeChat Pay"),
        (status = 401, description = "not verified: nothing changed", body = NotifyFailure),
        (status = 404, description = "PAY_CHANNEL is not v3", body = NotifyFailure),
        (status = 500, description = "not logged: WeChat Pay must retry", body = NotifyFailure),
    )
)]
#[post("/api/payment/notify/wechat/refund")]
pub async fn api_refund_notify(
    state: State,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    handle(state, request, body).await
}

/// What a verified notification led to, once recorded.
enum Recorded {
    Payment(Box<NotificationHandled>),
    /// Logged; the refund is to be asked about.
    Refund {
        order: OrderNumber,
        refund_no: String,
    },
    /// Logged and nothing else to do (not a payment, or a refund of no order of ours).
    Logged,
}

/// Both endpoints read the notification by its content: WeChat Pay sends each kind to the
/// URL given with the order or refund, but a notice arriving at the other one is as good.
async fn handle(state: State, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    let Some(parser) = &state.wechat_pay_notifications else {
        count("disabled");
        return fail(
            StatusCode::NOT_FOUND,
            "WeChat Pay API v3 is not enabled here (PAY_CHANNEL=cloud)",
        );
    };
    let headers = request.headers();
    let parsed = parser.parse_request(
        |name| headers.get(name).and_then(|value| value.to_str().ok()),
        &body,
    );
    let notification = match parsed {
        Ok(notification) => notification,
        Err(error @ NotificationError::Unverified(_)) => {
            count("unverified");
            warn_unverified(&request, &error);
            return fail(StatusCode::UNAUTHORIZED, "notification not verified");
        }
        Err(error) => {
            // Signed by WeChat Pay but unreadable with our APIv3 key: our configuration.
            count("unreadable");
            tracing::error!(%error, "verified WeChat Pay notification unreadable; WeChat Pay will retry");
            let status = StatusCode::from_u16(error.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return fail(status, "notification not readable");
        }
    };
    tracing::info!(
        id = %notification.id,
        event = %notification.event_type,
        verified_by = ?notification.verified_by,
        bytes = body.len(),
        "WeChat Pay notification verified"
    );
    let raw = incoming(&state, &request, &body, &notification);
    let Notification {
        content,
        event_type,
        ..
    } = notification;
    let work = async {
        match content {
            NotificationContent::Transaction(transaction) => {
                payment(&state, raw, *transaction).await
            }
            NotificationContent::Refund(notice) => refund(&state, raw, &notice).await,
            NotificationContent::Other => {
                state
                    .payments
                    .collection
                    .reject_malformed(&raw, &format!("event {event_type} is not handled"))
                    .await
                    .map_err(|error| error.to_string())?;
                Ok(Recorded::Logged)
            }
        }
    };
    let outcome = match tokio::time::timeout(state.callback_timeout, work).await {
        Ok(outcome) => outcome,
        Err(_) => Err(format!(
            "not handled within {} ms",
            state.callback_timeout.as_millis()
        )),
    };
    match outcome {
        Ok(Recorded::Payment(handled)) => {
            count(handled.outcome.as_str());
            tracing::info!(outcome = handled.outcome.as_str(), order = ?handled.out_trade_no, reason = ?handled.reason, "WeChat Pay payment notification handled");
            recorded()
        }
        Ok(Recorded::Refund { order, refund_no }) => {
            count("refund_notice");
            sync_refund_later(&state, order, refund_no);
            recorded()
        }
        Ok(Recorded::Logged) => {
            count(NotificationOutcome::Rejected.as_str());
            recorded()
        }
        Err(reason) => {
            count("error");
            tracing::error!(%reason, "WeChat Pay notification not recorded; WeChat Pay will retry");
            fail(StatusCode::INTERNAL_SERVER_ERROR, &reason)
        }
    }
}

/// The notification for the log: the exact bytes and headers (which verify again later, and
/// whose `resource` the APIv3 key opens), named by order and WeChat's transaction/refund id.
fn incoming(
    state: &State,
    request: &HttpRequest,
    body: &[u8],
    notification: &Notification,
) -> IncomingNotification {
    let (kind, order_number, transaction_id) = match &notification.content {
        NotificationContent::Transaction(transaction) => (
            NotificationKind::Payment,
            Some(transaction.out_trade_no.clone()),
            transaction.transaction_id.clone(),
        ),
        NotificationContent::Refund(notice) => (
            NotificationKind::Refund,
            Some(notice.out_trade_no.clone()),
            Some(notice.refund_id.clone()),
        ),
        NotificationContent::Other => (
            NotificationKind::Payment,
            None,
            Some(notification.id.clone()),
        ),
    };
    IncomingNotification {
        channel: CHANNEL.to_owned(),
        kind,
        order_number,
        transaction_id,
        headers: headers_json(request),
        raw_body: String::from_utf8_lossy(body).into_owned(),
        client_ip: Some(client_ip(request)),
        received_at: state.ports.clock.now(),
    }
}

/// A `TRANSACTION.*` notification: a payment that stands goes to the use case as WeChat's
/// own record; any other state is logged as nothing to record.
async fn payment(
    state: &State,
    raw: IncomingNotification,
    transaction: Transaction,
) -> Result<Recorded, String> {
    let trade_state = transaction.trade_state;
    let reason = match notified_trade_state(transaction) {
        Ok(TradeState::Paid(payment)) => {
            let notice = PaymentNotice {
                payment,
                path_order_number: None,
                raw,
            };
            return state
                .payments
                .collection
                .handle_signed_notification(&notice)
                .await
                .map(|handled| Recorded::Payment(Box::new(handled)))
                .map_err(|error| error.to_string());
        }
        Ok(_) => format!("trade_state {trade_state}: no payment to record"),
        // Signed, yet without transaction id or amount: nothing a retry would change.
        Err(error) => error.to_string(),
    };
    state
        .payments
        .collection
        .reject_malformed(&raw, &reason)
        .await
        .map_err(|error| error.to_string())?;
    Ok(Recorded::Logged)
}

/// A `REFUND.*` notification is logged; the refund is then asked about (after answering).
async fn refund(
    state: &State,
    raw: IncomingNotification,
    notice: &RefundNotice,
) -> Result<Recorded, String> {
    state
        .payments
        .collection
        .record_refund_notice(&raw)
        .await
        .map_err(|error| error.to_string())?;
    match notice.refund_status {
        RefundStatus::Abnormal => tracing::warn!(
            order = %notice.out_trade_no,
            refund = %notice.out_refund_no,
            "WeChat Pay says the refund is ABNORMAL: the money is stuck until someone acts in the merchant platform"
        ),
        RefundStatus::Success | RefundStatus::Closed | RefundStatus::Processing => {
            tracing::info!(order = %notice.out_trade_no, refund = %notice.out_refund_no, status = %notice.refund_status, "WeChat Pay refund notification logged");
        }
    }
    Ok(match OrderNumber::parse(&notice.out_trade_no) {
        Ok(order) => Recorded::Refund {
            order,
            refund_no: notice.out_refund_no.clone(),
        },
        Err(_) => Recorded::Logged,
    })
}

/// Asks WeChat Pay about the notified refund after the answer; if that fails, the refund
/// job asks again later.
fn sync_refund_later(state: &State, order: OrderNumber, refund_no: String) {
    let state = state.clone();
    tokio::spawn(async move {
        match state.payments.refunds.sync_refund(&order, &refund_no).await {
            Ok(outcome) => {
                tracing::info!(%order, refund = %refund_no, ?outcome, "refund synced after its notification");
            }
            Err(error) => {
                tracing::warn!(%order, refund = %refund_no, %error, "refund not synced now; the refund job will ask again");
            }
        }
    });
}

/// Unverifiable notifications are logged (never their body) at most a few times a second:
/// anyone who can reach the endpoint can send them.
fn warn_unverified(request: &HttpRequest, error: &NotificationError) {
    static LOG_LIMIT: OnceLock<DefaultDirectRateLimiter> = OnceLock::new();
    let limiter = LOG_LIMIT.get_or_init(|| {
        RateLimiter::direct(Quota::per_second(
            NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN),
        ))
    });
    if limiter.check().is_ok() {
        let serial = request
            .headers()
            .get("Wechatpay-Serial")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        tracing::warn!(%error, serial, ip = %client_ip(request), "WeChat Pay notification refused: not verified");
    }
}

fn count(outcome: &'static str) {
    metrics::counter!(metrics_names::WECHAT_PAY_NOTIFICATIONS, "outcome" => outcome).increment(1);
}
