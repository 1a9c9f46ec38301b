//! Giving money back, partly or in full: the refund row is written with the pay order's
//! change, sent after the transaction, and settled by the gateway's answer, a refund
//! notification (which only triggers a query) or the refund job's queries.

use std::sync::Arc;

use chrono::Duration;

use crate::accounts::audit::AuditEntry;
use crate::money::Fen;
use crate::order::OrderNumber;
use crate::ports::{
    AlertLevel, CasOutcome, GatewayError, Refund, RefundRequest, RefundState, RefundStatus,
};
use crate::services::ServiceError;

use super::pay_order::{PayOrder, RefundRefused};
use super::ports::PayQueue;
use super::relay::FulfilmentRelay;
use super::service::{Core, PayPorts};
use super::status::PayStatus;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    Refunded,
    /// Accepted by the gateway, or its answer is not known yet: checked again later.
    InProgress,
    Failed(String),
}

/// What one run of the refund job did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefundSweep {
    pub examined: usize,
    pub finished: usize,
    pub next: Option<OrderNumber>,
}

/// A refund the goods ask for.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundCommand {
    pub out_trade_no: OrderNumber,
    /// `None`: everything that can still be refunded.
    pub amount: Option<Fen>,
    pub reason: String,
    /// The admin's audit row, committed with the pay order's change.
    pub audit: Option<AuditEntry>,
}

pub struct RefundService {
    core: Core,
}

impl RefundService {
    pub fn new(ports: PayPorts, relay: Arc<FulfilmentRelay>) -> Self {
        RefundService {
            core: Core { ports, relay },
        }
    }

    pub(super) fn from_core(core: Core) -> Self {
        RefundService { core }
    }

    /// Starts a refund and sends it. Refused (nothing written) when the pay order is not
    /// paid, a refund is in flight, or the amount exceeds what remains.
    pub async fn refund(&self, command: RefundCommand) -> Result<RefundOutcome, ServiceError> {
        if command.reason.trim().is_empty() {
            return Err(ServiceError::Validation("a reason is required".to_owned()));
        }
        let ports = &self.core.ports;
        let order = ports.find(&command.out_trade_no).await?;
        let amount = command.amount.unwrap_or_else(|| order.refundable());
        let mut transition = order
            .request_refund(amount, &command.reason, ports.now())
            .map_err(|refused| match refused {
                RefundRefused::Amount(message) => ServiceError::Validation(message),
                RefundRefused::State(error) => ServiceError::Conflict(format!(
                    "payment {} cannot be refunded now: {error}",
                    order.out_trade_no
                )),
            })?;
        if let Some(entry) = command.audit {
            transition = transition.audited(entry);
        }
        if ports.pay_orders.apply(&transition).await? == CasOutcome::Lost {
            return Err(ServiceError::Conflict(format!(
                "payment {} changed meanwhile",
                order.out_trade_no
            )));
        }
        let Some(refund) = transition.refund.clone() else {
            return Err(ServiceError::Unavailable("refund row missing".to_owned()));
        };
        self.core.tell_goods(&order.out_trade_no).await;
        self.send(&transition.pay_order, refund).await
    }

    /// Sends a stored refund attempt and settles the answer. Sending the same refund
    /// number again is safe: WeChat refunds one number once.
    pub(super) async fn send(
        &self,
        refunding: &PayOrder,
        refund: Refund,
    ) -> Result<RefundOutcome, ServiceError> {
        let request = RefundRequest {
            order_number: refunding.out_trade_no.clone(),
            refund_no: refund.refund_no.clone(),
            total: refunding.amount,
            amount: refund.amount,
            reason: refund.reason.clone(),
        };
        let answer = self.core.ports.gateway.refund(&request).await;
        self.settle(refunding, refund, answer).await
    }

    /// The job: asks the gateway about refunds still in flight.
    pub async fn sync_refunds(
        &self,
        older_than: Duration,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<RefundSweep, ServiceError> {
        let ports = &self.core.ports;
        let (orders, next) = ports
            .work(PayQueue::Refunding, ports.now() - older_than, after, limit)
            .await?;
        let mut report = RefundSweep {
            examined: orders.len(),
            next,
            ..RefundSweep::default()
        };
        for order in orders {
            match self.sync_one(&order).await {
                Ok(RefundOutcome::Refunded | RefundOutcome::Failed(_)) => report.finished += 1,
                Ok(RefundOutcome::InProgress) => {}
                Err(error) => {
                    tracing::warn!(pay_order = %order.out_trade_no, %error, "refund sync deferred")
                }
            }
        }
        Ok(report)
    }

    /// Settles the refund in flight of one pay order now, if it has one.
    pub async fn sync_order(
        &self,
        out_trade_no: &OrderNumber,
    ) -> Result<Option<RefundOutcome>, ServiceError> {
        let Some(order) = self.core.ports.pay_orders.find(out_trade_no).await? else {
            return Ok(None);
        };
        match order.status {
            PayStatus::Refunding => self.sync_one(&order).await.map(Some),
            PayStatus::Unpaid
            | PayStatus::Paid
            | PayStatus::Closed
            | PayStatus::Refunded
            | PayStatus::RefundFailed => Ok(None),
        }
    }

    async fn sync_one(&self, order: &PayOrder) -> Result<RefundOutcome, ServiceError> {
        let ports = &self.core.ports;
        let Some(refund) = ports.refunds.latest_for_order(&order.out_trade_no).await? else {
            return Err(ServiceError::Unavailable(format!(
                "payment {} is refunding without a refund row",
                order.out_trade_no
            )));
        };
        match ports.gateway.query_refund(&refund.refund_no).await {
            // Never reached WeChat (a crash between writing and sending): send it now.
            Err(GatewayError::NotFound) => self.send(order, refund).await,
            answer => self.settle(order, refund, answer).await,
        }
    }

    /// A signed notification says a refund moved: asks the gateway about that refund now
    /// and settles it; the notice itself decides nothing. `None` when nothing is in flight
    /// for it (not refunding, or an older attempt's news).
    pub async fn sync_refund(
        &self,
        out_trade_no: &OrderNumber,
        refund_no: &str,
    ) -> Result<Option<RefundOutcome>, ServiceError> {
        let ports = &self.core.ports;
        let Some(order) = ports.pay_orders.find(out_trade_no).await? else {
            return Ok(None);
        };
        match order.status {
            PayStatus::Refunding => {}
            PayStatus::Unpaid
            | PayStatus::Paid
            | PayStatus::Closed
            | PayStatus::Refunded
            | PayStatus::RefundFailed => return Ok(None),
        }
        let Some(refund) = ports.refunds.latest_for_order(out_trade_no).await? else {
            return Ok(None);
        };
        if refund.refund_no != refund_no {
            return Ok(None);
        }
        let answer = ports.gateway.query_refund(&refund.refund_no).await;
        self.settle(&order, refund, answer).await.map(Some)
    }

    async fn settle(
        &self,
        order: &PayOrder,
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
                tracing::warn!(pay_order = %order.out_trade_no, reason, "refund answer unknown; will query");
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
        let ports = &self.core.ports;
        let now = ports.now();
        let updated = Refund {
            status,
            gateway_refund_id: gateway_id.or(refund.gateway_refund_id.clone()),
            updated_at: now,
            version: refund.version + 1,
            ..refund.clone()
        };
        if (updated.status != refund.status
            || updated.gateway_refund_id != refund.gateway_refund_id)
            && ports
                .refunds
                .update(&updated, refund.status, refund.version)
                .await?
                == CasOutcome::Lost
        {
            // Another writer recorded this attempt first; the pay order's change below is
            // still guarded by its own compare-and-set.
            tracing::info!(refund = %updated.refund_no, "refund row changed meanwhile");
        }
        let finished = match &outcome {
            RefundOutcome::Refunded => Some((true, "refund succeeded".to_owned())),
            RefundOutcome::Failed(reason) => Some((false, format!("refund failed: {reason}"))),
            RefundOutcome::InProgress => None,
        };
        let Some((succeeded, reason)) = finished else {
            return Ok(outcome);
        };
        match order.status {
            PayStatus::Refunding => {
                let transition = order.finish_refund(succeeded, &reason, now)?;
                if ports.pay_orders.apply(&transition).await? == CasOutcome::Lost {
                    return Err(ServiceError::Conflict(format!(
                        "payment {} changed meanwhile",
                        order.out_trade_no
                    )));
                }
                self.core.tell_goods(&order.out_trade_no).await;
            }
            PayStatus::Unpaid
            | PayStatus::Paid
            | PayStatus::Closed
            | PayStatus::Refunded
            | PayStatus::RefundFailed => {}
        }
        if !succeeded {
            ports
                .alert(
                    AlertLevel::Critical,
                    &format!("refund of order {} failed", order.merchant_order_no),
                    &reason,
                )
                .await;
        }
        Ok(outcome)
    }
}
