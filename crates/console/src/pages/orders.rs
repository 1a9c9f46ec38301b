//! Orders: the filtered list, one order with its history, callbacks and audit rows, and the
//! actions a person takes on it (settle an `unknown`/`failed` top-up, refund, ask WeChat
//! about the payment, reveal the phone number). Each action calls the use case the HTTP API
//! calls; the domain decides, the page only shows.

mod actions;
mod detail;
mod filters;
mod list;

use actix_web::web;
use chrono::{DateTime, Utc};
use elife_domain::order::{PaymentStatus, RechargeStatus};

use crate::format;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/orders", web::get().to(list::list))
        .route("/orders/{number}", web::get().to(detail::show))
        .route("/orders/{number}/reveal", web::post().to(detail::reveal))
        .route("/orders/{number}/settle", web::post().to(actions::settle))
        .route("/orders/{number}/refund", web::post().to(actions::refund))
        .route(
            "/orders/{number}/sync-payment",
            web::post().to(actions::sync_payment),
        );
}

/// A moment in China time, or a dash when it has not happened.
fn when(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(|| "—".to_owned(), format::china_time)
}

/// The badge colour of a payment status: green when the money is in, amber while a refund
/// moves, red when a refund failed.
fn payment_badge(status: PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::Paid => "ok",
        PaymentStatus::Refunding | PaymentStatus::Refunded => "warn",
        PaymentStatus::RefundFailed => "bad",
        PaymentStatus::Unpaid | PaymentStatus::Closed => "",
    }
}

/// The badge colour of a top-up status: red when a person must decide.
fn recharge_badge(status: RechargeStatus) -> &'static str {
    match status {
        RechargeStatus::Success => "ok",
        RechargeStatus::Pending | RechargeStatus::Submitting | RechargeStatus::Confirming => "warn",
        RechargeStatus::Failed | RechargeStatus::Unknown => "bad",
        RechargeStatus::NotStarted => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_that_need_a_person_are_red() {
        assert_eq!(recharge_badge(RechargeStatus::Unknown), "bad");
        assert_eq!(recharge_badge(RechargeStatus::Failed), "bad");
        assert_eq!(recharge_badge(RechargeStatus::Success), "ok");
        assert_eq!(payment_badge(PaymentStatus::RefundFailed), "bad");
        assert_eq!(payment_badge(PaymentStatus::Paid), "ok");
    }
}
