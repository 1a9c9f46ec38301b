//! The payments core behind [`TradePayments`], and the mall as a kind of goods on it:
//! the core tells [`MallFulfilment`] when a mall pay order was paid or a refund settled.

use std::sync::Arc;

use async_trait::async_trait;

use crate::order::OrderNumber;
use crate::payments::{
    Fulfilment, FulfilmentError, FulfilmentEvent, FulfilmentMessage, PayStatus, PaymentService,
    RefundCommand, RefundOutcome, RefundService,
};
use crate::services::ServiceError;
use crate::trade::after_sales::AfterSaleService;

use super::model::PaymentRecord;
use super::ports::TradePayments;
use super::service::MallOrderService;

pub struct CorePayments {
    payments: Arc<PaymentService>,
    refunds: Arc<RefundService>,
}

impl CorePayments {
    pub fn new(payments: Arc<PaymentService>, refunds: Arc<RefundService>) -> Self {
        CorePayments { payments, refunds }
    }
}

#[async_trait]
impl TradePayments for CorePayments {
    async fn close(&self, pay_order: &OrderNumber) -> Result<PayStatus, ServiceError> {
        self.payments.cancel(pay_order).await
    }

    async fn refund(&self, command: RefundCommand) -> Result<RefundOutcome, ServiceError> {
        self.refunds.refund(command).await
    }
}

/// Registered for `GoodsKind::Mall` in the core's router.
pub struct MallFulfilment {
    orders: Arc<MallOrderService>,
    after_sales: Arc<AfterSaleService>,
}

impl MallFulfilment {
    pub fn new(orders: Arc<MallOrderService>, after_sales: Arc<AfterSaleService>) -> Self {
        MallFulfilment {
            orders,
            after_sales,
        }
    }
}

/// Storage or the core busy: deliver again. Anything else will not get better by
/// repeating: acknowledged, logged for a person.
fn delivered(
    message: &FulfilmentMessage,
    result: Result<(), ServiceError>,
) -> Result<(), FulfilmentError> {
    match result {
        Ok(()) => Ok(()),
        Err(ServiceError::Unavailable(reason)) => Err(FulfilmentError::Retry(reason)),
        Err(error) => {
            tracing::error!(order = %message.merchant_order_no, event = %message.event, %error, "mall fulfilment refused");
            Ok(())
        }
    }
}

#[async_trait]
impl Fulfilment for MallFulfilment {
    async fn fulfil(&self, message: &FulfilmentMessage) -> Result<(), FulfilmentError> {
        match message.event {
            FulfilmentEvent::Paid => {
                let (Some(transaction_id), Some(paid_at)) =
                    (message.transaction_id.clone(), message.paid_at)
                else {
                    return delivered(
                        message,
                        Err(ServiceError::Validation(
                            "paid without a transaction".to_owned(),
                        )),
                    );
                };
                let payment = PaymentRecord {
                    pay_order: message.out_trade_no.clone(),
                    transaction_id,
                    amount: message.amount,
                    paid_at,
                };
                let result = self
                    .orders
                    .record_payment(&message.merchant_order_no, payment)
                    .await;
                delivered(message, result.map(|_| ()))
            }
            FulfilmentEvent::Refunded | FulfilmentEvent::RefundFailed => {
                let succeeded = message.event == FulfilmentEvent::Refunded;
                let result = self
                    .after_sales
                    .settle_refund(
                        &message.merchant_order_no,
                        &message.out_trade_no,
                        message.amount,
                        succeeded,
                    )
                    .await;
                delivered(message, result.map(|_| ()))
            }
            // Closing is driven from our side (cancel asks the core first); a refund in
            // flight and a flag change nothing here. A payment after close is refunded by
            // the core itself and never reaches the order.
            FulfilmentEvent::Closed | FulfilmentEvent::Refunding | FulfilmentEvent::Flagged => {
                Ok(())
            }
        }
    }
}
