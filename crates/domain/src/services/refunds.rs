//! Giving money back: only after a definitive failure (or a person's decision), once.

use chrono::Duration;

use crate::accounts::audit::{AdminAct, AuditAction, order_state_view};
use crate::order::{Actor, Order, OrderNumber, PaymentStatus};
use crate::ports::{
    AlertLevel, CasOutcome, GatewayError, Refund, RefundRequest, RefundState, RefundStatus,
    WorkQueue,
};

use super::{Ports, ServiceError, SweepReport, Work};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RefundPolicy {
    /// Refund definitively failed top-ups without waiting for a person.
    pub automatic: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    Refunded,
    /// Accepted by the gateway, or its answer is not known yet: checked again later.
    InProgress,
    Failed(String),
}

pub struct RefundService {
    ports: Ports,
    policy: RefundPolicy,
}

impl RefundService {
    pub fn new(ports: Ports, policy: RefundPolicy) -> Self {
        RefundService { ports, policy }
    }

    pub fn policy(&self) -> RefundPolicy {
        self.policy
    }

    /// The job: refunds definitively failed top-ups when the policy allows.
    pub async fn refund_failed_top_ups(
        &self,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<SweepReport, ServiceError> {
        if !self.policy.automatic {
            return Ok(SweepReport::default());
        }
        let Work { orders, next } = self
            .ports
            .work(WorkQueue::FailedPaid, Duration::zero(), after, limit)
            .await?;
        let mut report = SweepReport::of(&orders, next);
        for order in orders {
            match self
                .refund(
                    &order,
                    Actor::System,
                    "automatic refund: top-up failed",
                    None,
                )
                .await
            {
                Ok(_) => report.changed += 1,
                Err(error) => tracing::warn!(order = %order.number, %error, "refund not started"),
            }
        }
        Ok(report)
    }

    /// A person refunds an order; the request is audited with the order's change.
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
        self.refund(&order, act.order_actor(), reason, Some(act))
            .await
    }

    async fn refund(
        &self,
        order: &Order,
        actor: Actor,
        reason: &str,
        act: Option<&AdminAct>,
    ) -> Result<RefundOutcome, ServiceError> {
        let now = self.ports.clock.now();
        let mut transition = order.request_refund(actor, reason, now)?;
        if let Some(act) = act {
            let entry = act.entry(
                AuditAction::OrderRefund,
                order.number.as_str(),
                Some(reason),
                Some(order_state_view(transition.event.from)),
                Some(order_state_view(transition.event.to)),
                now,
            );
            transition = transition.audited(entry);
        }
        if self.ports.orders.apply(&transition).await? == CasOutcome::Lost {
            return Err(ServiceError::Conflict(format!(
                "order {} changed meanwhile",
                order.number
            )));
        }
        self.send_attempt(&transition.order, reason).await
    }

    /// Records a refund attempt for an order that won `refunding`, then sends it. Without a
    /// row nothing was ever sent, so sending is safe.
    async fn send_attempt(
        &self,
        refunding: &Order,
        reason: &str,
    ) -> Result<RefundOutcome, ServiceError> {
        let now = self.ports.clock.now();
        // One refund number per attempt, derived from the winning version: a retry of the
        // same attempt reuses it, so WeChat never refunds one attempt twice.
        let refund = Refund {
            refund_no: format!("{}R{}", refunding.number, refunding.version),
            order_number: refunding.number.clone(),
            amount: refunding.price_fen,
            reason: reason.to_owned(),
            status: RefundStatus::Processing,
            gateway_refund_id: None,
            created_at: now,
            updated_at: now,
            version: 0,
        };
        self.ports.refunds.insert(&refund).await?;
        let request = RefundRequest {
            order_number: refunding.number.clone(),
            refund_no: refund.refund_no.clone(),
            total: refunding.price_fen,
            amount: refund.amount,
            reason: reason.to_owned(),
        };
        let answer = self.ports.gateway.refund(&request).await;
        self.settle(refunding, refund, answer).await
    }

    /// The job: asks the gateway about refunds still in progress.
    pub async fn sync_refunds(
        &self,
        older_than: Duration,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<SweepReport, ServiceError> {
        let Work { orders, next } = self
            .ports
            .work(WorkQueue::Refunding, older_than, after, limit)
            .await?;
        let mut report = SweepReport::of(&orders, next);
        for order in orders {
            let outcome = match self.ports.refunds.latest_for_order(&order.number).await? {
                Some(refund) => {
                    let answer = self.ports.gateway.query_refund(&refund.refund_no).await;
                    self.settle(&order, refund, answer).await
                }
                // The attempt's row was never stored, so its request never left: send it now.
                None => {
                    tracing::warn!(order = %order.number, "refunding without a refund record; sending it");
                    self.send_attempt(&order, "refund requested; its first attempt was never sent")
                        .await
                }
            };
            match outcome {
                Ok(RefundOutcome::Refunded | RefundOutcome::Failed(_)) => report.changed += 1,
                Ok(RefundOutcome::InProgress) => {}
                Err(error) => tracing::warn!(order = %order.number, %error, "refund sync deferred"),
            }
        }
        Ok(report)
    }

    /// A signed notification says a refund moved: asks the gateway about that one refund
    /// now and settles it as [`Self::sync_refunds`] does; the notice itself decides nothing.
    /// `None` when there is nothing in flight to settle: the order is not refunding, or
    /// `refund_no` is not its latest attempt (an older attempt's news changes nothing).
    pub async fn sync_refund(
        &self,
        number: &OrderNumber,
        refund_no: &str,
    ) -> Result<Option<RefundOutcome>, ServiceError> {
        let Some(order) = self.ports.orders.find(number).await? else {
            return Ok(None);
        };
        match order.payment_status {
            PaymentStatus::Refunding => {}
            PaymentStatus::Unpaid
            | PaymentStatus::Paid
            | PaymentStatus::Closed
            | PaymentStatus::Refunded
            | PaymentStatus::RefundFailed => return Ok(None),
        }
        let Some(refund) = self.ports.refunds.latest_for_order(number).await? else {
            return Ok(None);
        };
        if refund.refund_no != refund_no {
            return Ok(None);
        }
        let answer = self.ports.gateway.query_refund(&refund.refund_no).await;
        self.settle(&order, refund, answer).await.map(Some)
    }

    async fn settle(
        &self,
        order: &Order,
        refund: Refund,
        answer: Result<RefundState, GatewayError>,
    ) -> Result<RefundOutcome, ServiceError> {
        let (status, gateway_id, outcome) = match answer {
            Ok(RefundState::Succeeded { gateway_refund_id }) => (
                RefundStatus::Succeeded,
                gateway_refund_id,
                RefundOutcome::Refunded,
            ),
            Ok(RefundState::Processing { gateway_refund_id }) => (
                RefundStatus::Processing,
                gateway_refund_id,
                RefundOutcome::InProgress,
            ),
            Ok(RefundState::Failed { reason }) => {
                (RefundStatus::Failed, None, RefundOutcome::Failed(reason))
            }
            Err(GatewayError::Unavailable(reason)) => {
                tracing::warn!(order = %order.number, reason, "refund answer unknown; will query");
                return Ok(RefundOutcome::InProgress);
            }
            Err(
                error @ (GatewayError::Rejected { .. }
                | GatewayError::OrderPaid
                | GatewayError::OrderClosed
                | GatewayError::NotFound),
            ) => (
                RefundStatus::Failed,
                None,
                RefundOutcome::Failed(error.to_string()),
            ),
        };
        let now = self.ports.clock.now();
        let updated = Refund {
            status,
            gateway_refund_id: gateway_id.or(refund.gateway_refund_id.clone()),
            updated_at: now,
            version: refund.version + 1,
            ..refund.clone()
        };
        if (updated.status != refund.status
            || updated.gateway_refund_id != refund.gateway_refund_id)
            && self
                .ports
                .refunds
                .update(&updated, refund.status, refund.version)
                .await?
                == CasOutcome::Lost
        {
            // Another writer recorded this attempt first; the order transition below is
            // still guarded by its own compare-and-set.
            tracing::info!(refund = %updated.refund_no, "refund row changed meanwhile");
        }
        let finished = match &outcome {
            RefundOutcome::Refunded => Some((true, "refund succeeded".to_owned())),
            RefundOutcome::Failed(reason) => Some((false, format!("refund failed: {reason}"))),
            RefundOutcome::InProgress => None,
        };
        if let Some((succeeded, reason)) = finished {
            match order.payment_status {
                PaymentStatus::Refunding => {
                    let transition = order.finish_refund(succeeded, &reason, now)?;
                    if self.ports.orders.apply(&transition).await? == CasOutcome::Lost {
                        return Err(ServiceError::Conflict(format!(
                            "order {} changed meanwhile",
                            order.number
                        )));
                    }
                }
                PaymentStatus::Unpaid
                | PaymentStatus::Paid
                | PaymentStatus::Closed
                | PaymentStatus::Refunded
                | PaymentStatus::RefundFailed => {}
            }
            if !succeeded {
                self.ports
                    .alert(
                        AlertLevel::Critical,
                        &format!("refund of order {} failed", order.number),
                        &reason,
                    )
                    .await;
            }
        }
        Ok(outcome)
    }
}
