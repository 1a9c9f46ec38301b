//! Notifications to the merchant: the JSON envelope with its `resource` encrypted under the
//! APIv3 key, signed afresh at every attempt, POSTed to the `notify_url`, and retried until
//! a 2xx on the official schedule (15 s, 15 s, 30 s, 3 min, 10 min, 20 min, 30 min, 30 min,
//! 30 min, 60 min, 3 h, 3 h, 3 h, 6 h, 6 h) times the time factor. Faulty notifications and
//! replays are sent once.

use std::time::Duration;

use actix_web::web;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::aead::{AeadError, encrypt};
use super::clock::rfc3339;
use super::ids::{notification_id, random_alnum};
use super::records::{NotificationAttempt, NotificationKind, V3Notification};
use super::signing::{SignatureFault, Signed};
use super::state::SimState;

const MINUTE: u64 = 60;
const HOUR: u64 = 3600;
/// The pauses before the 2nd, 3rd, ... 16th attempt.
pub const RETRY_SCHEDULE: [Duration; 15] = [
    Duration::from_secs(15),
    Duration::from_secs(15),
    Duration::from_secs(30),
    Duration::from_secs(3 * MINUTE),
    Duration::from_secs(10 * MINUTE),
    Duration::from_secs(20 * MINUTE),
    Duration::from_secs(30 * MINUTE),
    Duration::from_secs(30 * MINUTE),
    Duration::from_secs(30 * MINUTE),
    Duration::from_secs(60 * MINUTE),
    Duration::from_secs(3 * HOUR),
    Duration::from_secs(3 * HOUR),
    Duration::from_secs(3 * HOUR),
    Duration::from_secs(6 * HOUR),
    Duration::from_secs(6 * HOUR),
];

/// Something to notify.
pub(crate) struct Event {
    pub kind: NotificationKind,
    pub event_type: &'static str,
    pub summary: &'static str,
    pub out_trade_no: String,
    pub out_refund_no: Option<String>,
    pub url: String,
    pub resource: Value,
}

/// `original_type`, also the `associated_data` of the resource.
fn original_type(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::Transaction => "transaction",
        NotificationKind::Refund => "refund",
    }
}

fn encrypted_resource(
    apiv3_key: &str,
    kind: NotificationKind,
    resource: &Value,
) -> Result<Value, AeadError> {
    let associated_data = original_type(kind);
    let encrypted = encrypt(apiv3_key, associated_data, resource.to_string().as_bytes())?;
    Ok(json!({
        "original_type": associated_data,
        "algorithm": encrypted.algorithm,
        "ciphertext": encrypted.ciphertext,
        "associated_data": encrypted.associated_data,
        "nonce": encrypted.nonce,
    }))
}

/// Records a notification (not sent yet); answers its id.
pub(crate) fn record(
    state: &SimState,
    event: Event,
    fault: Option<SignatureFault>,
    now: DateTime<Utc>,
) -> Result<String, AeadError> {
    let id = notification_id();
    let body = json!({
        "id": id,
        "create_time": rfc3339(now),
        "resource_type": "encrypt-resource",
        "event_type": event.event_type,
        "summary": event.summary,
        "resource": encrypted_resource(&state.apiv3_key, event.kind, &event.resource)?,
    })
    .to_string();
    state.ledger.update(|store| {
        store.insert_notification(V3Notification {
            id: id.clone(),
            kind: event.kind,
            event_type: event.event_type.to_owned(),
            out_trade_no: event.out_trade_no,
            out_refund_no: event.out_refund_no,
            url: event.url,
            fault,
            body,
            resource: event.resource,
            attempts: Vec::new(),
            acknowledged: false,
            gave_up: false,
        });
    });
    Ok(id)
}

/// The same notification (same id) with amounts raised by one fen, encrypted anew: what a
/// tampered body would claim.
fn tampered_body(state: &SimState, notification: &V3Notification) -> Vec<u8> {
    let mut resource = notification.resource.clone();
    for field in ["total", "payer_total", "refund", "payer_refund"] {
        if let Some(amount) = resource.pointer_mut(&format!("/amount/{field}"))
            && let Some(fen) = amount.as_i64()
        {
            *amount = json!(fen + 1);
        }
    }
    let mut body: Value = serde_json::from_str(&notification.body).unwrap_or(Value::Null);
    match encrypted_resource(&state.apiv3_key, notification.kind, &resource) {
        Ok(encrypted) if body.is_object() => {
            body["resource"] = encrypted;
            body.to_string().into_bytes()
        }
        _ => b"{}".to_vec(),
    }
}

/// Sends the notification once more. `replay` re-sends the first attempt's exact bytes and
/// headers instead of signing anew. Answers the attempt as recorded (`None` for an unknown
/// notification, or a replay of one never sent).
pub(crate) async fn attempt(
    state: &SimState,
    id: &str,
    delay_before: Duration,
    replay: bool,
) -> Option<NotificationAttempt> {
    let notification = state.ledger.read(|store| store.notification(id).cloned())?;
    let signed = if replay {
        let first = notification
            .attempts
            .iter()
            .find(|attempt| !attempt.replay)?;
        Signed {
            headers: first.headers.clone(),
            body: first.body.clone().into_bytes(),
        }
    } else {
        state
            .signing()
            .sign(notification.body.as_bytes(), notification.fault, |_| {
                tampered_body(state, &notification)
            })
    };
    let mut request = state
        .http
        .post(&notification.url)
        .header("Content-Type", "application/json")
        .header("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
        .header("Request-ID", random_alnum(32));
    for (name, value) in signed.headers.pairs() {
        request = request.header(name, value);
    }
    let sent = request.body(signed.body.clone()).send().await;
    let mut record = NotificationAttempt {
        attempt: u32::try_from(notification.attempts.len() + 1).unwrap_or(u32::MAX),
        at: state.clock.now(),
        delay_before_ms: u64::try_from(delay_before.as_millis()).unwrap_or(u64::MAX),
        headers: signed.headers,
        body: String::from_utf8_lossy(&signed.body).into_owned(),
        http_status: None,
        response_body: None,
        error: None,
        acknowledged: false,
        replay,
    };
    match sent {
        Ok(response) => {
            let status = response.status();
            record.http_status = Some(status.as_u16());
            record.acknowledged = status.is_success();
            match response.text().await {
                Ok(text) => record.response_body = Some(text),
                Err(error) => record.error = Some(error.to_string()),
            }
        }
        Err(error) => record.error = Some(error.to_string()),
    }
    state.ledger.update(|store| {
        if let Some(notification) = store.notification_mut(id) {
            if record.acknowledged && !record.replay {
                notification.acknowledged = true;
            }
            notification.attempts.push(record.clone());
        }
    });
    Some(record)
}

/// Delivers in the background until a 2xx or the end of the schedule.
pub(crate) fn deliver_with_retries(state: web::Data<SimState>, id: String) {
    tokio::spawn(async move {
        let mut pause = Duration::ZERO;
        for next_pause in RETRY_SCHEDULE.iter().map(Some).chain([None]) {
            tokio::time::sleep(pause).await;
            let acknowledged = attempt(&state, &id, pause, false)
                .await
                .is_none_or(|attempt| attempt.acknowledged);
            if acknowledged {
                return;
            }
            // Read at every pause: tests change the time factor while deliveries run.
            match next_pause {
                Some(official) => pause = state.runtime().scaled(*official),
                None => {
                    tracing::warn!(notification = %id, "simulated WeChat Pay gives up notifying");
                    state.ledger.update(|store| {
                        if let Some(notification) = store.notification_mut(&id) {
                            notification.gave_up = true;
                        }
                    });
                }
            }
        }
    });
}
