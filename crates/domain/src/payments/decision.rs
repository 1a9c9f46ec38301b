//! Deciding what WeChat's record of a payment does to a pay order: paid, a duplicate, a
//! late payment given back, or an anomaly flagged once.

use crate::accounts::audit::{AdminAct, AuditAction};
use crate::order::AnomalyKind;
use crate::ports::{AlertLevel, CasOutcome, ConfirmedPayment, NotificationOutcome};
use crate::services::ServiceError;

use super::collection::PaymentService;
use super::confirmation::{Audit, NotificationHandled, Source};
use super::pay_order::{PayOrder, PayTransition};
use super::status::PayStatus;

impl PaymentService {
    /// `None` when a race was lost.
    pub(super) async fn decide(
        &self,
        order: &PayOrder,
        payment: &ConfirmedPayment,
        source: Source,
        audit: Option<Audit<'_>>,
        by: Option<&AdminAct>,
    ) -> Result<Option<(NotificationHandled, bool)>, ServiceError> {
        let now = self.core().ports.now();
        let number = order.out_trade_no.clone();
        let rejected = |details: String| {
            (
                NotificationHandled::new(
                    NotificationOutcome::Rejected,
                    Some(number.clone()),
                    Some(details),
                ),
                false,
            )
        };
        if payment.amount != order.amount {
            let details = format!(
                "paid {} by transaction {}, order costs {}",
                payment.amount, payment.transaction_id, order.amount
            );
            return Ok(self
                .flag(order, AnomalyKind::AmountMismatch, &details)
                .await?
                .map(|()| rejected(details)));
        }
        if let Some(payer) = payment.payer.as_deref()
            && payer != order.payer.as_str()
        {
            let details = format!(
                "transaction {} was paid by {}, the payment was made out to {}",
                payment.transaction_id,
                crate::privacy::mask_openid(payer),
                crate::privacy::mask_openid(order.payer.as_str())
            );
            return Ok(self
                .flag(order, AnomalyKind::PayerMismatch, &details)
                .await?
                .map(|()| rejected(details)));
        }
        let paid_at = payment.paid_at.unwrap_or(now);
        let transition = match order.status {
            PayStatus::Unpaid => order.mark_paid(&payment.transaction_id, paid_at, now)?,
            PayStatus::Closed => {
                order.accept_late_payment(&payment.transaction_id, payment.amount, paid_at, now)?
            }
            PayStatus::Paid
            | PayStatus::Refunding
            | PayStatus::Refunded
            | PayStatus::RefundFailed => {
                if order.transaction_id.as_deref() == Some(payment.transaction_id.as_str()) {
                    let handled = NotificationHandled::new(
                        NotificationOutcome::Duplicate,
                        Some(number),
                        None,
                    );
                    return Ok(Some((handled, false)));
                }
                let details = format!(
                    "order already paid by transaction {:?}; transaction {} paid {} again",
                    order.transaction_id, payment.transaction_id, payment.amount
                );
                return Ok(self
                    .flag(order, AnomalyKind::DuplicatePayment, &details)
                    .await?
                    .map(|()| rejected(details)));
            }
        };
        let late = order.status == PayStatus::Closed;
        let reason = paid_reason(source, &payment.transaction_id);
        let mut transition = transition;
        for message in &mut transition.outbox {
            message.note = reason.clone();
        }
        if let Some(act) = by {
            let entry = act.entry(
                AuditAction::PaymentSync,
                order.merchant_order_no.as_str(),
                Some(&reason),
                Some(serde_json::json!({ "paymentStatus": order.status.as_str() })),
                Some(serde_json::json!({ "paymentStatus": transition.pay_order.status.as_str() })),
                now,
            );
            transition = transition.audited(entry);
        }
        let outcome = if late {
            NotificationOutcome::Rejected
        } else {
            NotificationOutcome::Processed
        };
        let message = late.then(|| {
            format!(
                "transaction {} paid {} after the order was closed: refunding it",
                payment.transaction_id, payment.amount
            )
        });
        let logged = audit.map(|audit| audit.decided(outcome, message.clone()));
        if let Some(logged) = logged.clone() {
            transition = transition.notified(logged);
        }
        match self.core().ports.pay_orders.apply(&transition).await? {
            CasOutcome::Lost => Ok(None),
            CasOutcome::Won => {
                tracing::info!(pay_order = %number, transaction = %payment.transaction_id, late, "payment recorded");
                self.after_payment(&transition, late).await;
                let handled = NotificationHandled::new(outcome, Some(number), message);
                Ok(Some((handled, logged.is_some())))
            }
        }
    }

    /// After a won payment: the goods are told; a late payment is given back.
    async fn after_payment(&self, transition: &PayTransition, late: bool) {
        let order = &transition.pay_order;
        self.core().tell_goods(&order.out_trade_no).await;
        if late {
            self.core()
                .ports
                .alert(
                    AlertLevel::Warning,
                    &format!("payment after close on {}", order.merchant_order_no),
                    "the payment is being refunded automatically",
                )
                .await;
            if let Some(refund) = &transition.refund {
                let refunds = super::refunds::RefundService::from_core(self.core().clone());
                if let Err(error) = refunds.send(order, refund.clone()).await {
                    tracing::warn!(pay_order = %order.out_trade_no, %error, "late payment refund deferred to the refund job");
                }
            }
        }
    }

    /// Records an anomaly on the pay order (status unchanged), tells the goods and alerts
    /// once; `None` if a race was lost. The same anomaly is not written twice.
    pub(super) async fn flag(
        &self,
        order: &PayOrder,
        kind: AnomalyKind,
        details: &str,
    ) -> Result<Option<()>, ServiceError> {
        if order.is_flagged(kind, details) {
            return Ok(Some(()));
        }
        let ports = &self.core().ports;
        let transition = order.flag(kind, details, ports.now());
        if ports.pay_orders.apply(&transition).await? == CasOutcome::Lost {
            return Ok(None);
        }
        tracing::error!(pay_order = %order.out_trade_no, anomaly = %kind, details, "payment anomaly");
        self.core().tell_goods(&order.out_trade_no).await;
        ports
            .alert(
                AlertLevel::Critical,
                &format!("order {}: {kind}", order.merchant_order_no),
                details,
            )
            .await;
        Ok(Some(()))
    }
}

fn paid_reason(source: Source, transaction_id: &str) -> String {
    match source {
        Source::Callback => format!("paid: WeChat callback, transaction {transaction_id}"),
        Source::Query => format!("paid: found by order query, transaction {transaction_id}"),
        Source::Signed => {
            format!("paid: WeChat Pay signed notification, transaction {transaction_id}")
        }
    }
}
