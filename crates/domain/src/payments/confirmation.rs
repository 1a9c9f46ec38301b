//! Accepting a payment's confirmation — an unsigned callback, a signed notification, the
//! answer to our query or the statement — exactly once, with its log row.

use std::time::Instant;

use crate::accounts::audit::AdminAct;
use crate::order::OrderNumber;
use crate::ports::{
    AlertLevel, ConfirmedPayment, DecidedNotification, IncomingNotification, NotificationOutcome,
    TradeState,
};
use crate::services::ServiceError;

use super::collection::PaymentService;
use super::pay_order::PayOrder;
use super::service::MAX_RACE_RETRIES;

pub struct PaymentNotice {
    pub payment: ConfirmedPayment,
    /// The order number in the callback URL, when the route had one.
    pub path_order_number: Option<String>,
    pub raw: IncomingNotification,
}

/// How a confirmation was handled. Every variant is acknowledged to WeChat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationHandled {
    pub outcome: NotificationOutcome,
    pub out_trade_no: Option<OrderNumber>,
    pub reason: Option<String>,
}

impl NotificationHandled {
    pub(super) fn new(
        outcome: NotificationOutcome,
        number: Option<OrderNumber>,
        reason: Option<String>,
    ) -> Self {
        NotificationHandled {
            outcome,
            out_trade_no: number,
            reason,
        }
    }
}

/// Where a confirmation came from. A callback is unsigned (any mini-program user can send
/// one through Cloud Hosting), so it changes nothing until WeChat's own record, asked by a
/// query, confirms it; what is then recorded is that record. The answer to our query, the
/// statement and a signed notification (API v3, verified over its exact bytes) are
/// WeChat's own record already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    Callback,
    Query,
    Signed,
}

/// What WeChat's record says of a callback's claim.
enum Confirmation {
    Confirmed(ConfirmedPayment, Box<PayOrder>),
    AlreadyRecorded(OrderNumber),
    Unconfirmed(Option<OrderNumber>, String),
}

/// The callback being handled, for its log row.
#[derive(Debug, Clone, Copy)]
pub(super) struct Audit<'a> {
    raw: &'a IncomingNotification,
    started: Instant,
}

impl Audit<'_> {
    pub(super) fn decided(
        &self,
        outcome: NotificationOutcome,
        message: Option<String>,
    ) -> DecidedNotification {
        DecidedNotification {
            notification: self.raw.clone(),
            outcome,
            error_message: message,
            processing_ms: i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX),
        }
    }
}

impl PaymentService {
    /// Handles an unsigned payment callback. `Ok`: the outcome is durably recorded,
    /// answer success. `Err`: answer an error so that WeChat retries.
    ///
    /// A callback that marks the pay order paid is logged in the pay order's own
    /// transaction, with the message to the goods: the payment, its record and the news
    /// are durable together or not at all. Any other outcome is logged on its own and
    /// acknowledged only once that succeeded.
    pub async fn handle_notification(
        &self,
        notice: &PaymentNotice,
    ) -> Result<NotificationHandled, ServiceError> {
        self.handle_logged(notice, Source::Callback).await
    }

    /// A payment notification whose signature the adapter verified (API v3): WeChat's
    /// own record, so no confirming query; logged and acknowledged like a callback.
    pub async fn handle_signed_notification(
        &self,
        notice: &PaymentNotice,
    ) -> Result<NotificationHandled, ServiceError> {
        self.handle_logged(notice, Source::Signed).await
    }

    async fn handle_logged(
        &self,
        notice: &PaymentNotice,
        source: Source,
    ) -> Result<NotificationHandled, ServiceError> {
        let audit = Audit {
            raw: &notice.raw,
            started: Instant::now(),
        };
        let result = self
            .accept(
                &notice.payment,
                notice.path_order_number.as_deref(),
                source,
                Some(audit),
                None,
            )
            .await;
        let notifications = &self.core().ports.notifications;
        match result {
            // A won transition logged the callback already.
            Ok((handled, true)) => Ok(handled),
            Ok((handled, false)) => {
                notifications
                    .record_decided(&audit.decided(handled.outcome, handled.reason.clone()))
                    .await?;
                Ok(handled)
            }
            Err(error) => {
                // WeChat retries anyway: the log of this attempt is only for the audit.
                let decided = audit.decided(NotificationOutcome::Error, Some(error.to_string()));
                if let Err(log_error) = notifications.record_decided(&decided).await {
                    tracing::warn!(error = %log_error, "could not log the failed callback");
                }
                Err(error)
            }
        }
    }

    /// Logs a callback that could not even be parsed, and refuses it for good.
    pub async fn reject_malformed(
        &self,
        raw: &IncomingNotification,
        reason: &str,
    ) -> Result<(), ServiceError> {
        self.log_only(raw, NotificationOutcome::Rejected, Some(reason.to_owned()))
            .await
    }

    /// Logs a refund notification: refund results are taken from the gateway's refund
    /// query, never from the notification itself.
    pub async fn record_refund_notice(
        &self,
        raw: &IncomingNotification,
    ) -> Result<(), ServiceError> {
        self.log_only(raw, NotificationOutcome::Processed, None)
            .await
    }

    async fn log_only(
        &self,
        raw: &IncomingNotification,
        outcome: NotificationOutcome,
        reason: Option<String>,
    ) -> Result<(), ServiceError> {
        self.core()
            .ports
            .notifications
            .record_decided(&DecidedNotification {
                notification: raw.clone(),
                outcome,
                error_message: reason,
                processing_ms: 0,
            })
            .await?;
        Ok(())
    }

    /// Accepts WeChat's record of a payment found by a query or on the statement.
    pub(super) async fn accept_found(
        &self,
        payment: &ConfirmedPayment,
    ) -> Result<NotificationHandled, ServiceError> {
        Ok(self
            .accept(payment, None, Source::Query, None, None)
            .await?
            .0)
    }

    /// The decision, and whether a won transition logged the callback with it.
    pub(super) async fn accept(
        &self,
        payment: &ConfirmedPayment,
        path_order_number: Option<&str>,
        source: Source,
        audit: Option<Audit<'_>>,
        by: Option<&AdminAct>,
    ) -> Result<(NotificationHandled, bool), ServiceError> {
        let confirmed;
        let mut known = None;
        let payment = match source {
            Source::Query | Source::Signed => payment,
            Source::Callback => match self.confirm_callback(payment, path_order_number).await? {
                Confirmation::Confirmed(record, order) => {
                    confirmed = record;
                    known = Some(*order);
                    &confirmed
                }
                Confirmation::AlreadyRecorded(number) => {
                    let handled = NotificationHandled::new(
                        NotificationOutcome::Duplicate,
                        Some(number),
                        None,
                    );
                    return Ok((handled, false));
                }
                Confirmation::Unconfirmed(number, reason) => {
                    let handled = NotificationHandled::new(
                        NotificationOutcome::Unconfirmed,
                        number,
                        Some(reason),
                    );
                    return Ok((handled, false));
                }
            },
        };
        let ports = &self.core().ports;
        let Ok(number) = OrderNumber::parse(&payment.order_number) else {
            let reason = format!("unknown order {:?}", payment.order_number);
            let handled =
                NotificationHandled::new(NotificationOutcome::Rejected, None, Some(reason));
            return Ok((handled, false));
        };
        for _ in 0..MAX_RACE_RETRIES {
            let order = match known.take() {
                Some(order) => Some(order),
                None => ports.pay_orders.find(&number).await?,
            };
            let Some(order) = order else {
                ports
                    .alert(
                        AlertLevel::Critical,
                        "payment for an unknown order",
                        &format!(
                            "WeChat transaction {} paid {} for unknown order {number}",
                            payment.transaction_id, payment.amount
                        ),
                    )
                    .await;
                let reason = format!("unknown order {number}");
                let handled =
                    NotificationHandled::new(NotificationOutcome::Rejected, None, Some(reason));
                return Ok((handled, false));
            };
            if let Some(decided) = self.decide(&order, payment, source, audit, by).await? {
                return Ok(decided);
            }
            // Lost a race with another writer: read the pay order again.
        }
        Err(ServiceError::Unavailable(format!(
            "payment {number} kept changing; payment not recorded yet"
        )))
    }

    /// Holds a callback's claim against WeChat's own record (a query by order number),
    /// before anything is written. `Err(Unavailable)` makes WeChat retry the callback.
    async fn confirm_callback(
        &self,
        claim: &ConfirmedPayment,
        path_order_number: Option<&str>,
    ) -> Result<Confirmation, ServiceError> {
        let number = OrderNumber::parse(&claim.order_number).ok();
        if let Some(path) = path_order_number
            && path != claim.order_number
        {
            return Ok(Confirmation::Unconfirmed(
                number,
                format!(
                    "callback URL names {path}, body names {}",
                    claim.order_number
                ),
            ));
        }
        let Some(number) = number else {
            return Ok(Confirmation::Unconfirmed(
                None,
                format!("unknown order {:?}", claim.order_number),
            ));
        };
        // A payment for an order we do not have is found by the daily reconciliation,
        // which reads WeChat's statement; a callback alone proves nothing.
        let ports = &self.core().ports;
        let Some(order) = ports.pay_orders.find(&number).await? else {
            return Ok(Confirmation::Unconfirmed(
                Some(number.clone()),
                format!("unknown order {number}"),
            ));
        };
        if order.status.money_received()
            && order.transaction_id.as_deref() == Some(claim.transaction_id.as_str())
        {
            return Ok(Confirmation::AlreadyRecorded(number));
        }
        let state = ports.gateway.query_order(&number).await.map_err(|error| {
            ServiceError::Unavailable(format!("cannot confirm the payment with WeChat: {error}"))
        })?;
        Ok(match state.standing_payment() {
            Some(record)
                if record.transaction_id == claim.transaction_id
                    && record.amount == claim.amount =>
            {
                Confirmation::Confirmed(record.clone(), Box::new(order))
            }
            _ => Confirmation::Unconfirmed(
                Some(number),
                format!(
                    "callback says transaction {} paid {}, WeChat says {}",
                    claim.transaction_id,
                    claim.amount,
                    trade_state_name(&state)
                ),
            ),
        })
    }
}

/// What WeChat said about an order, as the audit trail names it.
pub(super) fn trade_state_name(state: &TradeState) -> &'static str {
    match state {
        TradeState::Paid(_) => "paid",
        TradeState::NotPaid => "not_paid",
        TradeState::UserPaying => "user_paying",
        TradeState::Refunded(_) => "refunded",
        TradeState::Closed => "closed",
        TradeState::Revoked => "revoked",
        TradeState::PayError => "pay_error",
        TradeState::NotFound => "not_found",
    }
}
