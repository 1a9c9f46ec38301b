//! Processing a stored notification again (an admin's retry from the notification log).
//! A notification carries only a claim: the retry asks WeChat about the payment or refund
//! it named and records what WeChat says, as the original should have. Idempotent: a
//! payment recorded already reads as a duplicate, a notification decided already is left
//! as it is.

use std::time::Instant;

use crate::accounts::audit::{AdminAct, AuditAction};
use crate::order::OrderNumber;
use crate::ports::{NotificationKind, NotificationOutcome, NotificationRecord, TradeState};
use crate::services::ServiceError;

use super::collection::PaymentService;
use super::confirmation::trade_state_name;
use super::refunds::RefundService;

impl PaymentService {
    /// Retries notification `id`; answers it as stored afterwards.
    pub async fn retry_notification(
        &self,
        id: i64,
        refunds: &RefundService,
        act: &AdminAct,
    ) -> Result<NotificationRecord, ServiceError> {
        let ports = &self.core().ports;
        let record = ports
            .notifications
            .find(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("notification {id} not found")))?;
        match record.outcome {
            // Decided: nothing to do again.
            NotificationOutcome::Processed | NotificationOutcome::Duplicate => return Ok(record),
            NotificationOutcome::Rejected => {
                return Err(ServiceError::Conflict(format!(
                    "notification {id} was rejected for good: {}",
                    record.error_message.as_deref().unwrap_or("no reason kept")
                )));
            }
            NotificationOutcome::Received
            | NotificationOutcome::Error
            | NotificationOutcome::Unconfirmed => {}
        }
        let number = record
            .order_number
            .as_deref()
            .and_then(|raw| OrderNumber::parse(raw).ok())
            .ok_or_else(|| {
                ServiceError::Conflict(format!("notification {id} names no order of ours"))
            })?;
        let started = Instant::now();
        let (outcome, message) = match record.kind {
            NotificationKind::Payment => match ports.gateway.query_order(&number).await? {
                TradeState::Paid(payment) => {
                    let handled = self.accept_found(&payment).await?;
                    (handled.outcome, handled.reason)
                }
                state @ (TradeState::NotPaid
                | TradeState::UserPaying
                | TradeState::Refunded(_)
                | TradeState::Closed
                | TradeState::Revoked
                | TradeState::PayError
                | TradeState::NotFound) => (
                    NotificationOutcome::Unconfirmed,
                    Some(format!("WeChat says {}", trade_state_name(&state))),
                ),
            },
            NotificationKind::Refund => {
                refunds.sync_order(&number).await?;
                (NotificationOutcome::Processed, None)
            }
        };
        let processing_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        ports
            .notifications
            .set_outcome(id, outcome, message.clone(), processing_ms)
            .await?;
        let entry = act.entry(
            AuditAction::NotificationRetry,
            id.to_string(),
            None,
            Some(serde_json::json!({ "outcome": record.outcome.as_str() })),
            Some(serde_json::json!({ "outcome": outcome.as_str(), "message": message })),
            ports.now(),
        );
        ports.audit.record(&entry).await?;
        Ok(ports
            .notifications
            .find(id)
            .await?
            .unwrap_or(NotificationRecord {
                outcome,
                error_message: message,
                ..record
            }))
    }
}
