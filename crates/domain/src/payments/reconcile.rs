//! The gateway's daily statement held against our pay orders.

use chrono::NaiveDate;

use crate::order::OrderNumber;
use crate::ports::{
    AlertLevel, ConfirmedPayment, NotificationOutcome, StatementEntry, StatementKind,
};
use crate::services::ServiceError;

use super::collection::PaymentService;
use super::status::PayStatus;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconciliationReport {
    pub day: NaiveDate,
    /// Every line of the statement, payments and refunds.
    pub entries: usize,
    /// Payments recorded here already with the same transaction and amount.
    pub matched: usize,
    /// Payments we had missed (no callback came): now recorded as paid.
    pub recovered: usize,
    pub mismatches: Vec<Mismatch>,
}

/// A statement payment that does not agree with our pay order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub order_number: String,
    pub transaction_id: String,
    pub reason: String,
}

enum Reconciled {
    Matched,
    Recovered,
    Mismatch(String),
}

impl PaymentService {
    /// Holds the gateway's statement of `day` against our pay orders. A payment we missed
    /// is accepted exactly as one found by query; a payment that disagrees is flagged
    /// where there is a pay order. One critical alert sums up the mismatches.
    pub async fn reconcile(&self, day: NaiveDate) -> Result<ReconciliationReport, ServiceError> {
        let ports = &self.core().ports;
        let entries = ports.gateway.statement(day).await?;
        let mut report = ReconciliationReport {
            day,
            entries: entries.len(),
            ..ReconciliationReport::default()
        };
        for entry in &entries {
            match entry.kind {
                StatementKind::Payment => {}
                // Refunds are driven and checked by the refund job's queries.
                StatementKind::Refund => continue,
            }
            match self.reconcile_payment(entry).await? {
                Reconciled::Matched => report.matched += 1,
                Reconciled::Recovered => report.recovered += 1,
                Reconciled::Mismatch(reason) => report.mismatches.push(Mismatch {
                    order_number: entry.order_number.clone(),
                    transaction_id: entry.transaction_id.clone(),
                    reason,
                }),
            }
        }
        if !report.mismatches.is_empty() {
            let lines: Vec<String> = report
                .mismatches
                .iter()
                .map(|m| format!("{} ({}): {}", m.order_number, m.transaction_id, m.reason))
                .collect();
            ports
                .alert(
                    AlertLevel::Critical,
                    &format!(
                        "WeChat statement of {day}: {} mismatch(es)",
                        report.mismatches.len()
                    ),
                    &lines.join("\n"),
                )
                .await;
        }
        Ok(report)
    }

    async fn reconcile_payment(&self, entry: &StatementEntry) -> Result<Reconciled, ServiceError> {
        let ports = &self.core().ports;
        let order = match OrderNumber::parse(&entry.order_number) {
            Ok(number) => ports.pay_orders.find(&number).await?,
            Err(_) => None,
        };
        let Some(order) = order else {
            return Ok(Reconciled::Mismatch(format!(
                "paid {} for an order unknown here",
                entry.amount
            )));
        };
        // Taking money as received a day late: WeChat must still say it is paid by this
        // transaction (it may have been refunded from the merchant console meanwhile).
        let unpaid_here = match order.status {
            PayStatus::Unpaid | PayStatus::Closed => true,
            PayStatus::Paid
            | PayStatus::Refunding
            | PayStatus::Refunded
            | PayStatus::RefundFailed => false,
        };
        if unpaid_here {
            let state = ports.gateway.query_order(&order.out_trade_no).await?;
            let still_paid = state
                .standing_payment()
                .is_some_and(|found| found.transaction_id == entry.transaction_id);
            if !still_paid {
                return Ok(Reconciled::Mismatch(format!(
                    "the statement says transaction {} paid {}, WeChat now says {}",
                    entry.transaction_id,
                    entry.amount,
                    super::confirmation::trade_state_name(&state)
                )));
            }
        }
        let payment = ConfirmedPayment {
            order_number: entry.order_number.clone(),
            transaction_id: entry.transaction_id.clone(),
            amount: entry.amount,
            attach: None,
            paid_at: None,
            payer: None,
        };
        // The statement is WeChat's own record, trusted like the answer to our query.
        let handled = self.accept_found(&payment).await?;
        Ok(match handled.outcome {
            NotificationOutcome::Processed => Reconciled::Recovered,
            NotificationOutcome::Duplicate => Reconciled::Matched,
            NotificationOutcome::Rejected
            | NotificationOutcome::Received
            | NotificationOutcome::Unconfirmed
            | NotificationOutcome::Error => Reconciled::Mismatch(
                handled
                    .reason
                    .unwrap_or_else(|| format!("paid {}, not accepted", entry.amount)),
            ),
        })
    }
}
