//! The ports of the payments core and what its services share.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::accounts::audit::AuditLog;
use crate::order::OrderNumber;
use crate::ports::{
    Alert, AlertLevel, Alerts, Clock, PaymentGateway, PaymentNotificationLog, RefundRepository,
};
use crate::services::ServiceError;

use super::pay_order::PayOrder;
use super::ports::{FulfilmentOutbox, PayOrderRepository, PayQueue};
use super::relay::FulfilmentRelay;
use super::status::PayChannel;

/// Lost compare-and-sets tolerated in one call before giving up (the caller retries later).
pub(super) const MAX_RACE_RETRIES: usize = 5;

/// Everything the payments core talks to.
#[derive(Clone)]
pub struct PayPorts {
    pub pay_orders: Arc<dyn PayOrderRepository>,
    pub outbox: Arc<dyn FulfilmentOutbox>,
    pub refunds: Arc<dyn RefundRepository>,
    pub notifications: Arc<dyn PaymentNotificationLog>,
    pub gateway: Arc<dyn PaymentGateway>,
    pub clock: Arc<dyn Clock>,
    pub alerts: Arc<dyn Alerts>,
    pub audit: Arc<dyn AuditLog>,
    /// The channel new pay orders are collected through.
    pub channel: PayChannel,
}

impl PayPorts {
    pub(super) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(super) async fn find(&self, out_trade_no: &OrderNumber) -> Result<PayOrder, ServiceError> {
        self.pay_orders
            .find(out_trade_no)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("payment {out_trade_no} not found")))
    }

    /// A page of a job's candidates, and where the next run starts: after the last of a
    /// full page, from the oldest again after a short one.
    pub(super) async fn work(
        &self,
        queue: PayQueue,
        cutoff: DateTime<Utc>,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<(Vec<PayOrder>, Option<OrderNumber>), ServiceError> {
        let found = self
            .pay_orders
            .find_work(queue, cutoff, after, limit)
            .await?;
        let next = if limit > 0 && found.len() as u64 >= limit {
            found.last().map(|order| order.out_trade_no.clone())
        } else {
            None
        };
        Ok((found, next))
    }

    /// Alerts a person; an alert that cannot be delivered is logged, never fatal.
    pub(super) async fn alert(&self, level: AlertLevel, title: &str, body: &str) {
        let alert = Alert {
            level,
            title: title.to_owned(),
            body: body.to_owned(),
        };
        if let Err(error) = self.alerts.send(&alert).await {
            tracing::warn!(%error, title, "alert not delivered");
        }
    }
}

/// A core service's view of the ports plus the relay that tells the goods.
#[derive(Clone)]
pub(super) struct Core {
    pub ports: PayPorts,
    pub relay: Arc<FulfilmentRelay>,
}

impl Core {
    /// Tells the goods at once what the change just committed says; whatever is not
    /// delivered now stays in the outbox for the relay job.
    pub async fn tell_goods(&self, out_trade_no: &OrderNumber) {
        self.relay.deliver_for(out_trade_no).await;
    }
}
