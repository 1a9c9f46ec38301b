//! The payer: pays an order and has Cloud Hosting notify the service, with the ways real
//! notifications go wrong on request (duplicates, delays, after close, a wrong amount, none).

use std::time::Duration;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::answers::random_alnum;
use super::clock::wechat_time;
use super::orders::PayRefusal;
use super::records::{CallbackAttempt, SimOrder, SimTradeState};
use super::server::{SimState, lock};

/// JSON body of `POST /__sandbox/pay/{out_trade_no}` (every field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PayOptions {
    /// Deliver this many copies of the notification at once (duplicates); 0 means 1.
    pub copies: u32,
    /// Wait this long before the first delivery: the order is paid at once, so queries see
    /// it first and notifications of orders paid later overtake this one (out of order).
    pub delay_ms: u64,
    /// Let the payment land on an order closed meanwhile (a late payment after close).
    pub late: bool,
    /// Claim this `totalFee` in the notification instead of the order's amount.
    pub callback_total_fee: Option<i64>,
    /// Pay without notifying: only `queryorder` can find the payment.
    pub no_callback: bool,
}

fn json_error(status: actix_web::http::StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error": message }))
}

/// An empty body means the default options.
fn options_from(body: &[u8]) -> Result<PayOptions, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(PayOptions::default());
    }
    serde_json::from_slice(body).map_err(|error| format!("invalid pay options: {error}"))
}

pub(crate) async fn pay(
    state: web::Data<SimState>,
    out_trade_no: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let options = match options_from(&body) {
        Ok(options) => options,
        Err(message) => {
            return json_error(actix_web::http::StatusCode::BAD_REQUEST, &message);
        }
    };
    let now = state.clock.now();
    let paid = lock(&state.ledger).pay(&out_trade_no, options.late, now);
    let order = match paid {
        Ok(order) => order,
        Err(PayRefusal::UnknownOrder) => {
            return json_error(actix_web::http::StatusCode::NOT_FOUND, "no such order");
        }
        Err(PayRefusal::AlreadyPaid) => {
            return json_error(actix_web::http::StatusCode::CONFLICT, "order already paid");
        }
        Err(PayRefusal::Closed) => {
            return json_error(
                actix_web::http::StatusCode::CONFLICT,
                "order is closed (pay with \"late\": true to pay it anyway)",
            );
        }
        Err(PayRefusal::Expired) => {
            return json_error(
                actix_web::http::StatusCode::CONFLICT,
                "order is past its time_expire (pay with \"late\": true to pay it anyway)",
            );
        }
    };
    let copies = if options.no_callback {
        0
    } else {
        schedule(&state, &order, &options)
    };
    HttpResponse::Ok().json(json!({
        "out_trade_no": order.out_trade_no,
        "transaction_id": order.transaction_id,
        "total_fee": order.total_fee,
        "time_end": order.paid_at.map(wechat_time),
        "callbacks": copies,
    }))
}

/// Notifies an already paid order again (WeChat does re-send notifications).
pub(crate) async fn redeliver(
    state: web::Data<SimState>,
    out_trade_no: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let options = match options_from(&body) {
        Ok(options) => options,
        Err(message) => {
            return json_error(actix_web::http::StatusCode::BAD_REQUEST, &message);
        }
    };
    let order = lock(&state.ledger).order(&out_trade_no).cloned();
    let Some(order) = order else {
        return json_error(actix_web::http::StatusCode::NOT_FOUND, "no such order");
    };
    match order.state {
        SimTradeState::Success | SimTradeState::Refund => {}
        SimTradeState::NotPay | SimTradeState::Closed => {
            return json_error(actix_web::http::StatusCode::CONFLICT, "order is not paid");
        }
    }
    let copies = schedule(&state, &order, &options);
    HttpResponse::Ok().json(json!({ "out_trade_no": order.out_trade_no, "callbacks": copies }))
}

/// Starts one delivery task per copy; answers how many.
fn schedule(state: &web::Data<SimState>, order: &SimOrder, options: &PayOptions) -> u32 {
    let copies = options.copies.max(1);
    let total_fee = options.callback_total_fee.unwrap_or(order.total_fee);
    for copy in 1..=copies {
        let delivery = Delivery {
            out_trade_no: order.out_trade_no.clone(),
            path: order.container_path.clone(),
            env_id: order.env_id.clone(),
            copy,
            total_fee,
            body: notification(state, order, total_fee),
        };
        actix_web::rt::spawn(deliver(
            state.clone(),
            delivery,
            Duration::from_millis(options.delay_ms),
        ));
    }
    copies
}

/// The camelCase notification, field for field as Cloud Hosting posts it.
fn notification(state: &SimState, order: &SimOrder, total_fee: i64) -> Value {
    let mut body = json!({
        "returnCode": "SUCCESS",
        "appid": state.appid,
        "mchId": state.mch_id,
        "subAppid": state.appid,
        "subMchId": order.sub_mch_id,
        "nonceStr": random_alnum(16),
        "resultCode": "SUCCESS",
        "openid": format!("oSim{}", order.openid),
        "isSubscribe": "N",
        "subOpenid": order.openid,
        "subIsSubscribe": "N",
        "tradeType": "JSAPI",
        "bankType": "OTHERS",
        "totalFee": total_fee,
        "feeType": "CNY",
        "cashFee": total_fee,
        "transactionId": order.transaction_id,
        "outTradeNo": order.out_trade_no,
        "timeEnd": order.paid_at.map(wechat_time),
    });
    if let Some(attach) = &order.attach {
        body["attach"] = json!(attach);
    }
    body
}

struct Delivery {
    out_trade_no: String,
    path: String,
    env_id: String,
    copy: u32,
    total_fee: i64,
    body: Value,
}

/// Posts one copy until the service answers `{"errcode":0}` or the schedule runs out.
async fn deliver(state: web::Data<SimState>, delivery: Delivery, first_delay: Duration) {
    tokio::time::sleep(first_delay).await;
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        // Read at every attempt: tests change the receivers while deliveries are retried.
        let (url, delays) = {
            let runtime = lock(&state.runtime);
            (
                runtime.callback_targets.pick_url(&delivery.path),
                runtime.callback_retry_delays_ms.clone(),
            )
        };
        let record = match url {
            Some(url) => post_once(&state, &delivery, attempt, url).await,
            None => CallbackAttempt {
                out_trade_no: delivery.out_trade_no.clone(),
                copy: delivery.copy,
                attempt,
                at: state.clock.now(),
                url: None,
                http_status: None,
                response_body: None,
                error: Some("no callback_base_url configured".to_owned()),
                acknowledged: false,
                total_fee: delivery.total_fee,
            },
        };
        let acknowledged = record.acknowledged;
        lock(&state.ledger).record_callback(record);
        if acknowledged {
            return;
        }
        let pause = usize::try_from(attempt - 1)
            .ok()
            .and_then(|index| delays.get(index).copied());
        let Some(pause) = pause else {
            tracing::warn!(out_trade_no = %delivery.out_trade_no, attempt, "simulated WeChat gives up notifying");
            return;
        };
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}

async fn post_once(
    state: &SimState,
    delivery: &Delivery,
    attempt: u32,
    url: String,
) -> CallbackAttempt {
    let sent = state
        .http
        .post(&url)
        .header(CONTENT_TYPE.as_str(), "application/json")
        .header("X-WX-SOURCE", state.source_header_value.as_str())
        .header("X-WX-ENV", delivery.env_id.as_str())
        .body(delivery.body.to_string())
        .send()
        .await;
    let mut record = CallbackAttempt {
        out_trade_no: delivery.out_trade_no.clone(),
        copy: delivery.copy,
        attempt,
        at: state.clock.now(),
        url: Some(url),
        http_status: None,
        response_body: None,
        error: None,
        acknowledged: false,
        total_fee: delivery.total_fee,
    };
    match sent {
        Ok(response) => {
            let status = response.status();
            record.http_status = Some(status.as_u16());
            match response.text().await {
                Ok(text) => {
                    record.acknowledged = status.is_success() && is_acknowledgement(&text);
                    record.response_body = Some(text);
                }
                Err(error) => record.error = Some(error.to_string()),
            }
        }
        Err(error) => record.error = Some(error.to_string()),
    }
    record
}

/// Only `{"errcode":0,...}` stops the retries.
fn is_acknowledgement(body: &str) -> bool {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|answer| answer.get("errcode").and_then(Value::as_i64))
        == Some(0)
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn only_errcode_zero_acknowledges() {
        assert!(is_acknowledgement(r#"{"errcode":0,"errmsg":"OK"}"#));
        assert!(is_acknowledgement(r#"{"errcode":0}"#));
        assert!(!is_acknowledgement(r#"{"errcode":1,"errmsg":"db down"}"#));
        assert!(!is_acknowledgement(r#"{"errcode":"0"}"#));
        assert!(!is_acknowledgement("OK"));
        assert!(!is_acknowledgement(""));
    }
}
