//! What gets notified: a payment (TRANSACTION.SUCCESS) and a refund reaching SUCCESS,
//! CLOSED or ABNORMAL; and refunds settling by themselves after the configured delay.

use std::time::Duration;

use actix_web::web;
use chrono::{DateTime, Utc};

use super::ids;
use super::notifier::{self, Event};
use super::orders::transaction;
use super::records::{NotificationKind, V3Order, V3Refund, V3RefundStatus, V3TradeState};
use super::refunds::{self, refund_resource};
use super::state::SimState;

/// TRANSACTION.SUCCESS with the order as it was when paid (a later refund does not show).
/// About an unpaid order (only sent as a forgery) it claims what a real one would.
pub(crate) fn payment_event(order: &V3Order, now: DateTime<Utc>) -> Event {
    let mut paid = order.clone();
    paid.state = V3TradeState::Success;
    if paid.transaction_id.is_none() {
        paid.transaction_id = Some(ids::transaction_id(now));
        paid.success_time = Some(now);
    }
    let resource = transaction(&paid);
    Event {
        kind: NotificationKind::Transaction,
        event_type: "TRANSACTION.SUCCESS",
        summary: "支付成功",
        out_trade_no: order.out_trade_no.clone(),
        out_refund_no: None,
        url: order.notify_url.clone(),
        resource,
    }
}

/// The notification of the refund's current status; `None` without a `notify_url` or
/// while PROCESSING.
pub(crate) fn refund_event(mchid: &str, refund: &V3Refund) -> Option<Event> {
    let event_type = refund.status.event_type()?;
    let summary = match refund.status {
        V3RefundStatus::Success => "退款成功",
        V3RefundStatus::Closed => "退款关闭",
        V3RefundStatus::Abnormal | V3RefundStatus::Processing => "退款异常",
    };
    Some(Event {
        kind: NotificationKind::Refund,
        event_type,
        summary,
        out_trade_no: refund.out_trade_no.clone(),
        out_refund_no: Some(refund.out_refund_no.clone()),
        url: refund.notify_url.clone()?,
        resource: refund_resource(mchid, refund),
    })
}

/// Records a notification and delivers it with retries; answers its id.
pub(crate) fn notify(state: &web::Data<SimState>, event: Event) -> Option<String> {
    match notifier::record(state, event, None, state.clock.now()) {
        Ok(id) => {
            notifier::deliver_with_retries(state.clone(), id.clone());
            Some(id)
        }
        Err(error) => {
            tracing::error!(%error, "simulated WeChat Pay cannot encrypt a notification");
            None
        }
    }
}

/// Notifies the refund's new status, if it has a `notify_url`.
pub(crate) fn announce_refund(state: &web::Data<SimState>, refund: &V3Refund) -> Option<String> {
    refund_event(&state.mchid, refund).and_then(|event| notify(state, event))
}

/// After the configured delay, a refund still PROCESSING succeeds and is notified.
pub(crate) fn settle_later(state: web::Data<SimState>, out_refund_no: String) {
    let Some(delay_ms) = state.runtime().refund_delay_ms else {
        return;
    };
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        let now = state.clock.now();
        let settled = state.ledger.update(|store| {
            let processing = store
                .refund(&out_refund_no)
                .is_some_and(|refund| refund.status == V3RefundStatus::Processing);
            processing
                .then(|| {
                    refunds::change_status(store, &out_refund_no, V3RefundStatus::Success, now)
                })
                .and_then(Result::ok)
        });
        if let Some(refund) = settled {
            announce_refund(&state, &refund);
        }
    });
}
