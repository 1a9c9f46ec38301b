//! Top-ups as goods of the payments core: their pay orders, refunds and what they do when
//! the core says "paid", "closed", "refunding", "refunded" or "flagged".
//!
//! The top-up order keeps its own payment status as the mini-program reads it; it follows
//! the pay order through the outbox and is never written by the core.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;

use crate::accounts::audit::{AdminAct, AuditAction, order_state_view};
use crate::order::{Actor, OpenId, Order, OrderNumber, PaymentStatus};
use crate::payments::{
    Fulfilment, FulfilmentError, FulfilmentEvent, FulfilmentMessage, GoodsKind,
    NotificationHandled, PayOrderDraft, PaymentService, RefundCommand, RefundOutcome,
    RefundService as PayRefunds,
};
use crate::ports::{CasOutcome, PaymentParams, TopUpQueue, WorkQueue};

use super::{MAX_RACE_RETRIES, OrderService, Ports, ServiceError, SweepReport, Work};

/// The pay order that collects a top-up order's price: its `out_trade_no` is the order
/// number (as WeChat has known it since the first top-up), payable for `window`.
pub fn pay_order_draft(order: &Order, window: Duration) -> PayOrderDraft {
    PayOrderDraft {
        out_trade_no: order.number.clone(),
        kind: GoodsKind::TopUp,
        merchant_order_no: order.number.to_string(),
        amount: order.price_fen,
        payer: order.openid.clone(),
        description: format!("{} {}", order.product.operator, order.product.eng_name),
        time_expire: order.created_at + window,
    }
}

/// The top-up's use cases that involve money.
pub struct TopUpPayments {
    ports: Ports,
    orders: OrderService,
    payments: Arc<PaymentService>,
    refunds: Arc<PayRefunds>,
    /// How long an order may be paid after it was created (`ORDER_EXPIRE_MINUTES`).
    window: Duration,
    /// Refund definitively failed top-ups without waiting for a person.
    automatic_refunds: bool,
}

impl TopUpPayments {
    pub fn new(
        ports: Ports,
        payments: Arc<PaymentService>,
        refunds: Arc<PayRefunds>,
        window: Duration,
        automatic_refunds: bool,
    ) -> Self {
        TopUpPayments {
            orders: OrderService::new(ports.clone()),
            ports,
            payments,
            refunds,
            window,
            automatic_refunds,
        }
    }

    pub fn automatic_refunds(&self) -> bool {
        self.automatic_refunds
    }

    /// The `wx.requestPayment` parameters for the owner's unpaid order: its pay order is
    /// opened (once) and the payment started at the gateway.
    pub async fn create_payment(
        &self,
        openid: &OpenId,
        number: &str,
        client_ip: &str,
    ) -> Result<PaymentParams, ServiceError> {
        let order = self.orders.find_for_user(openid, number).await?;
        match order.payment_status {
            PaymentStatus::Unpaid => {}
            PaymentStatus::Paid
            | PaymentStatus::Closed
            | PaymentStatus::Refunding
            | PaymentStatus::Refunded
            | PaymentStatus::RefundFailed => {
                return Err(ServiceError::Conflict(format!(
                    "order {} is {}, not awaiting payment",
                    order.number, order.payment_status
                )));
            }
        }
        let pay_order = self
            .payments
            .open(pay_order_draft(&order, self.window))
            .await?;
        self.payments
            .start(&pay_order.out_trade_no, client_ip)
            .await
    }

    /// The job: closes unpaid orders past their window whose payment never started (no
    /// pay order: nothing can have been paid). Those whose payment started are closed by
    /// the core's expiry, after asking WeChat.
    pub async fn close_abandoned(
        &self,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<SweepReport, ServiceError> {
        let Work { orders, next } = self
            .ports
            .work(WorkQueue::ExpiredUnpaid, self.window, after, limit)
            .await?;
        let mut report = SweepReport::of(&orders, next);
        for order in orders {
            if self.payments.find(&order.number).await?.is_some() {
                continue;
            }
            if self
                .payments
                .abandon(pay_order_draft(&order, self.window))
                .await?
            {
                report.changed += 1;
            }
        }
        Ok(report)
    }

    /// A person refunds an order; the request is audited with the payment's change.
    pub async fn refund_by_admin(
        &self,
        number: &OrderNumber,
        act: &AdminAct,
        reason: &str,
    ) -> Result<RefundOutcome, ServiceError> {
        if reason.trim().is_empty() {
            return Err(ServiceError::Validation("a reason is required".to_owned()));
        }
        let order = self
            .ports
            .orders
            .find(number)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("order {number} not found")))?;
        let now = self.ports.clock.now();
        // The top-up's rule (no top-up in flight...), checked before any money moves.
        let planned = order.request_refund(act.order_actor(), reason, now)?;
        let entry = act.entry(
            AuditAction::OrderRefund,
            order.number.as_str(),
            Some(reason),
            Some(order_state_view(planned.event.from)),
            Some(order_state_view(planned.event.to)),
            now,
        );
        self.refund(&order, reason, Some(entry)).await
    }

    /// The job: refunds definitively failed top-ups when the policy allows.
    pub async fn refund_failed_top_ups(
        &self,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<SweepReport, ServiceError> {
        if !self.automatic_refunds {
            return Ok(SweepReport::default());
        }
        let Work { orders, next } = self
            .ports
            .work(WorkQueue::FailedPaid, Duration::zero(), after, limit)
            .await?;
        let mut report = SweepReport::of(&orders, next);
        let reason = "automatic refund: top-up failed";
        for order in orders {
            let allowed = order.request_refund(Actor::System, reason, self.ports.clock.now());
            let result = match allowed {
                Ok(_) => self.refund(&order, reason, None).await,
                Err(error) => Err(error.into()),
            };
            match result {
                Ok(_) => report.changed += 1,
                Err(error) => tracing::warn!(order = %order.number, %error, "refund not started"),
            }
        }
        Ok(report)
    }

    async fn refund(
        &self,
        order: &Order,
        reason: &str,
        audit: Option<crate::accounts::audit::AuditEntry>,
    ) -> Result<RefundOutcome, ServiceError> {
        self.refunds
            .refund(RefundCommand {
                out_trade_no: order.number.clone(),
                amount: None,
                reason: reason.to_owned(),
                audit,
            })
            .await
    }

    /// An admin asks WeChat about an order's payment now.
    pub async fn sync_payment(
        &self,
        number: &OrderNumber,
        act: &AdminAct,
    ) -> Result<Option<NotificationHandled>, ServiceError> {
        if self.payments.find(number).await?.is_none() {
            let order = self
                .ports
                .orders
                .find(number)
                .await?
                .ok_or_else(|| ServiceError::NotFound(format!("order {number} not found")))?;
            self.payments
                .open(pay_order_draft(&order, self.window))
                .await?;
        }
        self.payments.sync_with_gateway(number, act).await
    }
}

/// What a top-up order does when the payments core tells it something. Idempotent: a
/// message delivered again finds the order moved already and changes nothing.
pub struct TopUpFulfilment {
    ports: Ports,
    queue: Arc<dyn TopUpQueue>,
}

impl TopUpFulfilment {
    pub fn new(ports: Ports, queue: Arc<dyn TopUpQueue>) -> Self {
        TopUpFulfilment { ports, queue }
    }

    async fn apply(&self, message: &FulfilmentMessage) -> Result<(), ServiceError> {
        let number = &message.out_trade_no;
        for _ in 0..MAX_RACE_RETRIES {
            let Some(order) = self.ports.orders.find(number).await? else {
                tracing::error!(order = %number, event = %message.event, "payment news for an unknown top-up order");
                return Ok(());
            };
            let Some(transition) = self.transition(&order, message)? else {
                return Ok(());
            };
            if self.ports.orders.apply(&transition).await? == CasOutcome::Won {
                if message.event == FulfilmentEvent::Paid {
                    self.queue.start(transition.order);
                }
                return Ok(());
            }
        }
        Err(ServiceError::Unavailable(format!(
            "order {number} kept changing; payment news deferred"
        )))
    }

    /// The order's change for the message, `None` when it has nothing to change (already
    /// done, or not applicable to the order as it is).
    fn transition(
        &self,
        order: &Order,
        message: &FulfilmentMessage,
    ) -> Result<Option<crate::order::Transition>, ServiceError> {
        let now = self.ports.clock.now();
        let status = order.payment_status;
        let transition = match message.event {
            FulfilmentEvent::Paid => match status {
                PaymentStatus::Unpaid => {
                    let transaction = message.transaction_id.as_deref().unwrap_or_default();
                    let reason = if message.note.is_empty() {
                        format!("paid: transaction {transaction}")
                    } else {
                        message.note.clone()
                    };
                    let paid_at = message.paid_at.unwrap_or(now);
                    Some(order.mark_paid(transaction, paid_at, &reason)?)
                }
                PaymentStatus::Paid
                | PaymentStatus::Closed
                | PaymentStatus::Refunding
                | PaymentStatus::Refunded
                | PaymentStatus::RefundFailed => None,
            },
            FulfilmentEvent::Closed => match status {
                PaymentStatus::Unpaid => Some(order.close("expired unpaid", now)?),
                PaymentStatus::Paid
                | PaymentStatus::Closed
                | PaymentStatus::Refunding
                | PaymentStatus::Refunded
                | PaymentStatus::RefundFailed => None,
            },
            FulfilmentEvent::Refunding => match status {
                PaymentStatus::Paid | PaymentStatus::RefundFailed => {
                    Some(order.mark_refunding(Actor::System, "refund requested", now)?)
                }
                PaymentStatus::Unpaid
                | PaymentStatus::Closed
                | PaymentStatus::Refunding
                | PaymentStatus::Refunded => None,
            },
            FulfilmentEvent::Refunded | FulfilmentEvent::RefundFailed => match status {
                PaymentStatus::Refunding => {
                    let succeeded = message.event == FulfilmentEvent::Refunded;
                    let reason = match (&message.anomaly, succeeded) {
                        (_, true) => "refund succeeded".to_owned(),
                        (Some(anomaly), false) => anomaly.details.clone(),
                        (None, false) => "refund failed".to_owned(),
                    };
                    Some(order.finish_refund(succeeded, &reason, now)?)
                }
                PaymentStatus::Unpaid
                | PaymentStatus::Paid
                | PaymentStatus::Closed
                | PaymentStatus::Refunded
                | PaymentStatus::RefundFailed => None,
            },
            FulfilmentEvent::Flagged => match &message.anomaly {
                Some(anomaly) if order.anomaly.as_ref().is_none_or(|had| had != anomaly) => {
                    Some(order.flag_anomaly(anomaly.kind, &anomaly.details, now))
                }
                Some(_) | None => None,
            },
        };
        Ok(transition)
    }
}

#[async_trait]
impl Fulfilment for TopUpFulfilment {
    async fn fulfil(&self, message: &FulfilmentMessage) -> Result<(), FulfilmentError> {
        self.apply(message)
            .await
            .map_err(|error| FulfilmentError::Retry(error.to_string()))
    }
}
