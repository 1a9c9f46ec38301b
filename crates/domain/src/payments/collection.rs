//! Collecting money: opening a pay order, starting the payment at the gateway, and
//! accepting its confirmation (callback, signed notification or query) exactly once.

use std::sync::Arc;

use chrono::Duration;

use crate::accounts::audit::{AdminAct, AuditAction};
use crate::order::OrderNumber;
use crate::ports::{
    NotificationOutcome, PaymentParams, PaymentRequest, RepositoryError, TradeState,
};
use crate::services::ServiceError;

use super::confirmation::{NotificationHandled, Source, trade_state_name};
use super::pay_order::{PayOrder, PayOrderDraft};
use super::relay::FulfilmentRelay;
use super::service::{Core, PayPorts};
use super::status::{PayChannel, PayStatus};

/// No new payment is started this close to the end of the window, so that none can be
/// under way when expiry looks at the pay order.
const PAYMENT_START_MARGIN_MINUTES: i64 = 1;

/// The payments core's entry for every kind of goods.
pub struct PaymentService {
    core: Core,
}

impl PaymentService {
    pub fn new(ports: PayPorts, relay: Arc<FulfilmentRelay>) -> Self {
        PaymentService {
            core: Core { ports, relay },
        }
    }

    pub fn channel(&self) -> PayChannel {
        self.core.ports.channel
    }

    /// Whether payments by QR code (Native) can be taken: only the direct API v3 channel.
    pub fn supports_native(&self) -> bool {
        match self.core.ports.channel {
            PayChannel::Cloud => false,
            PayChannel::V3 => true,
        }
    }

    pub async fn find(&self, out_trade_no: &OrderNumber) -> Result<Option<PayOrder>, ServiceError> {
        Ok(self.core.ports.pay_orders.find(out_trade_no).await?)
    }

    /// Opens the pay order of a merchant order, or finds the one opened before (the same
    /// draft: a retry). A different draft under the same number is a conflict.
    pub async fn open(&self, draft: PayOrderDraft) -> Result<PayOrder, ServiceError> {
        let ports = &self.core.ports;
        let order = PayOrder::new(draft, ports.channel, ports.now());
        match ports.pay_orders.insert(&order, &[]).await {
            Ok(()) => Ok(order),
            Err(RepositoryError::Duplicate(_)) => {
                let stored = ports.find(&order.out_trade_no).await?;
                if stored.kind != order.kind
                    || stored.merchant_order_no != order.merchant_order_no
                    || stored.amount != order.amount
                {
                    return Err(ServiceError::Conflict(format!(
                        "payment {} belongs to another order",
                        order.out_trade_no
                    )));
                }
                Ok(stored)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Closes, at once, the pay order of goods that expired before payment ever started;
    /// `false` when a pay order exists (expiry asks WeChat about it in its own time).
    pub async fn abandon(&self, draft: PayOrderDraft) -> Result<bool, ServiceError> {
        let ports = &self.core.ports;
        let (order, message) = PayOrder::abandoned(draft, ports.channel, ports.now());
        match ports.pay_orders.insert(&order, &[message]).await {
            Ok(()) => {
                self.core.tell_goods(&order.out_trade_no).await;
                Ok(true)
            }
            Err(RepositoryError::Duplicate(_)) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// The parameters the client needs to pay (`wx.requestPayment`'s object, or a Native
    /// `code_url`), for a pay order still payable.
    pub async fn start(
        &self,
        out_trade_no: &OrderNumber,
        client_ip: &str,
    ) -> Result<PaymentParams, ServiceError> {
        let request = self.payable(out_trade_no, client_ip).await?;
        Ok(self.core.ports.gateway.create_payment(&request).await?)
    }

    /// A Native (QR code) payment of a pay order still payable: the `code_url` to show.
    pub async fn start_native(
        &self,
        out_trade_no: &OrderNumber,
        client_ip: &str,
    ) -> Result<String, ServiceError> {
        let request = self.payable(out_trade_no, client_ip).await?;
        Ok(self
            .core
            .ports
            .gateway
            .create_native_payment(&request)
            .await?)
    }

    /// The gateway request for a pay order that can still be paid.
    async fn payable(
        &self,
        out_trade_no: &OrderNumber,
        client_ip: &str,
    ) -> Result<PaymentRequest, ServiceError> {
        let ports = &self.core.ports;
        let order = ports.find(out_trade_no).await?;
        match order.status {
            PayStatus::Unpaid => {}
            PayStatus::Paid
            | PayStatus::Closed
            | PayStatus::Refunding
            | PayStatus::Refunded
            | PayStatus::RefundFailed => {
                return Err(ServiceError::Conflict(format!(
                    "order {} is {}, not awaiting payment",
                    order.merchant_order_no, order.status
                )));
            }
        }
        if ports.now() + Duration::minutes(PAYMENT_START_MARGIN_MINUTES) >= order.time_expire {
            return Err(ServiceError::Conflict(format!(
                "order {} has expired; please place a new order",
                order.merchant_order_no
            )));
        }
        Ok(PaymentRequest {
            order_number: order.out_trade_no.clone(),
            openid: order.payer.clone(),
            description: order.description.clone(),
            amount: order.amount,
            client_ip: client_ip.to_owned(),
            expires_at: order.time_expire,
        })
    }

    /// An admin asks the gateway about a pay order now (e.g. the payer says they paid).
    /// A payment found and recorded is audited with the change; any other answer is
    /// audited alone, as an attempt that changed nothing.
    pub async fn sync_with_gateway(
        &self,
        out_trade_no: &OrderNumber,
        act: &AdminAct,
    ) -> Result<Option<NotificationHandled>, ServiceError> {
        let ports = &self.core.ports;
        let state = ports.gateway.query_order(out_trade_no).await?;
        let handled = match &state {
            TradeState::Paid(payment) => Some(
                self.accept(payment, None, Source::Query, None, Some(act))
                    .await?
                    .0,
            ),
            TradeState::NotPaid
            | TradeState::UserPaying
            | TradeState::Refunded(_)
            | TradeState::Closed
            | TradeState::Revoked
            | TradeState::PayError
            | TradeState::NotFound => None,
        };
        let changed = handled
            .as_ref()
            .is_some_and(|handled| handled.outcome == NotificationOutcome::Processed);
        if !changed {
            let found = match &handled {
                Some(handled) => handled.outcome.as_str(),
                None => trade_state_name(&state),
            };
            let entry = act.entry(
                AuditAction::PaymentSync,
                out_trade_no.as_str(),
                None,
                None,
                Some(serde_json::json!({ "changed": false, "found": found })),
                ports.now(),
            );
            ports.audit.record(&entry).await?;
        }
        Ok(handled)
    }

    /// Closes an unpaid pay order now (the buyer cancels): WeChat closes it first, so no
    /// payment can land afterwards; one that landed already is recorded instead.
    pub async fn cancel(&self, out_trade_no: &OrderNumber) -> Result<PayStatus, ServiceError> {
        let order = self.core.ports.find(out_trade_no).await?;
        super::expiry::close_at_gateway(self, &order).await
    }

    pub(super) fn core(&self) -> &Core {
        &self.core
    }
}
