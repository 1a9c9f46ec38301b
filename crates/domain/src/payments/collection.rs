//! Collecting money: opening a pay order, starting the payment at the gateway, and
//! accepting its confirmation (callback, signed notification or query) exactly once.

use std::sync::Arc;
use std::time::Instant;

use chrono::Duration;

use crate::accounts::audit::{AdminAct, AuditAction};
use crate::order::{AnomalyKind, OrderNumber};
use crate::ports::{
    AlertLevel, CasOutcome, ConfirmedPayment, DecidedNotification, IncomingNotification,
    NotificationOutcome, PaymentParams, PaymentRequest, RepositoryError, TradeState,
};
use crate::services::ServiceError;

use super::pay_order::{PayOrder, PayOrderDraft, PayTransition};
use super::relay::FulfilmentRelay;
use super::service::{Core, MAX_RACE_RETRIES, PayPorts};
use super::status::{PayChannel, PayStatus};

/// A payment callback: the parsed confirmation plus the raw request for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    fn new(
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
    fn decided(
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
        let notifications = &self.core.ports.notifications;
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
        self.core
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
    async fn accept(
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
        let ports = &self.core.ports;
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

    /// `None` when a race was lost.
    async fn decide(
        &self,
        order: &PayOrder,
        payment: &ConfirmedPayment,
        source: Source,
        audit: Option<Audit<'_>>,
        by: Option<&AdminAct>,
    ) -> Result<Option<(NotificationHandled, bool)>, ServiceError> {
        let now = self.core.ports.now();
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
        match self.core.ports.pay_orders.apply(&transition).await? {
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
        self.core.tell_goods(&order.out_trade_no).await;
        if late {
            self.core
                .ports
                .alert(
                    AlertLevel::Warning,
                    &format!("payment after close on {}", order.merchant_order_no),
                    "the payment is being refunded automatically",
                )
                .await;
            if let Some(refund) = &transition.refund {
                let refunds = super::refunds::RefundService::from_core(self.core.clone());
                if let Err(error) = refunds.send(order, refund.clone()).await {
                    tracing::warn!(pay_order = %order.out_trade_no, %error, "late payment refund deferred to the refund job");
                }
            }
        }
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
        let ports = &self.core.ports;
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
        let ports = &self.core.ports;
        let transition = order.flag(kind, details, ports.now());
        if ports.pay_orders.apply(&transition).await? == CasOutcome::Lost {
            return Ok(None);
        }
        tracing::error!(pay_order = %order.out_trade_no, anomaly = %kind, details, "payment anomaly");
        self.core.tell_goods(&order.out_trade_no).await;
        ports
            .alert(
                AlertLevel::Critical,
                &format!("order {}: {kind}", order.merchant_order_no),
                details,
            )
            .await;
        Ok(Some(()))
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

fn paid_reason(source: Source, transaction_id: &str) -> String {
    match source {
        Source::Callback => format!("paid: WeChat callback, transaction {transaction_id}"),
        Source::Query => format!("paid: found by order query, transaction {transaction_id}"),
        Source::Signed => {
            format!("paid: WeChat Pay signed notification, transaction {transaction_id}")
        }
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
