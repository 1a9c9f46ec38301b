//! Closing pay orders nobody paid, after asking WeChat: a pay order found paid there is
//! recorded as paid, never closed.

use crate::order::{AnomalyKind, OrderNumber};
use crate::ports::{CasOutcome, GatewayError, NotificationOutcome, TradeState};
use crate::services::ServiceError;

use super::collection::PaymentService;
use super::pay_order::PayOrder;
use super::ports::PayQueue;
use super::status::PayStatus;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    pub closed: usize,
    pub found_paid: usize,
    pub skipped: usize,
    /// The cursor the next run passes as `after`.
    pub next: Option<OrderNumber>,
}

impl PaymentService {
    /// Closes unpaid pay orders past their `time_expire`, one page of them.
    pub async fn expire_unpaid(
        &self,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<ExpiryReport, ServiceError> {
        let ports = &self.core().ports;
        let (candidates, next) = ports
            .work(PayQueue::ExpiredUnpaid, ports.now(), after, limit)
            .await?;
        let mut report = ExpiryReport {
            next,
            ..ExpiryReport::default()
        };
        for order in candidates {
            match close_at_gateway(self, &order).await {
                Ok(status) => match status {
                    PayStatus::Closed => report.closed += 1,
                    PayStatus::Paid
                    | PayStatus::Refunding
                    | PayStatus::Refunded
                    | PayStatus::RefundFailed => report.found_paid += 1,
                    PayStatus::Unpaid => report.skipped += 1,
                },
                Err(error) => {
                    tracing::warn!(pay_order = %order.out_trade_no, %error, "expiry deferred");
                    report.skipped += 1;
                }
            }
        }
        Ok(report)
    }
}

/// Asks WeChat, closes there, then closes here; answers the status the pay order has
/// afterwards as far as this call knows (unpaid: nothing decided yet).
pub(super) async fn close_at_gateway(
    service: &PaymentService,
    order: &PayOrder,
) -> Result<PayStatus, ServiceError> {
    match order.status {
        PayStatus::Unpaid => {}
        PayStatus::Paid
        | PayStatus::Closed
        | PayStatus::Refunding
        | PayStatus::Refunded
        | PayStatus::RefundFailed => return Ok(order.status),
    }
    let gateway = &service.core().ports.gateway;
    match gateway.query_order(&order.out_trade_no).await? {
        TradeState::Paid(payment) => return settle_found(service, &payment).await,
        TradeState::Refunded(payment) => {
            // Recorded once (the same details are not written again), so the alert is
            // not repeated on every expiry run.
            let details = format!(
                "WeChat says transaction {} paid {} and was refunded, while unpaid here",
                payment.transaction_id, payment.amount
            );
            service
                .flag(order, AnomalyKind::UnconfirmedPayment, &details)
                .await?;
            return Ok(PayStatus::Unpaid);
        }
        TradeState::UserPaying => return Ok(PayStatus::Unpaid),
        TradeState::NotPaid | TradeState::PayError => {
            match gateway.close_order(&order.out_trade_no).await {
                Ok(()) | Err(GatewayError::OrderClosed) | Err(GatewayError::NotFound) => {}
                Err(GatewayError::OrderPaid) => {
                    // Paid between our query and the close: ask again and take it.
                    return match gateway.query_order(&order.out_trade_no).await? {
                        TradeState::Paid(payment) => settle_found(service, &payment).await,
                        TradeState::NotPaid
                        | TradeState::UserPaying
                        | TradeState::Refunded(_)
                        | TradeState::Closed
                        | TradeState::Revoked
                        | TradeState::PayError
                        | TradeState::NotFound => Ok(PayStatus::Unpaid),
                    };
                }
                Err(error @ (GatewayError::Unavailable(_) | GatewayError::Rejected { .. })) => {
                    return Err(error.into());
                }
            }
        }
        TradeState::Closed | TradeState::Revoked | TradeState::NotFound => {}
    }
    let core = service.core();
    let transition = order.close(core.ports.now())?;
    match core.ports.pay_orders.apply(&transition).await? {
        CasOutcome::Won => {
            core.tell_goods(&order.out_trade_no).await;
            Ok(PayStatus::Closed)
        }
        CasOutcome::Lost => Ok(core
            .ports
            .pay_orders
            .find(&order.out_trade_no)
            .await?
            .map_or(PayStatus::Unpaid, |now| now.status)),
    }
}

async fn settle_found(
    service: &PaymentService,
    payment: &crate::ports::ConfirmedPayment,
) -> Result<PayStatus, ServiceError> {
    let handled = service.accept_found(payment).await?;
    Ok(match handled.outcome {
        NotificationOutcome::Processed | NotificationOutcome::Duplicate => PayStatus::Paid,
        NotificationOutcome::Received
        | NotificationOutcome::Rejected
        | NotificationOutcome::Unconfirmed
        | NotificationOutcome::Error => PayStatus::Unpaid,
    })
}
