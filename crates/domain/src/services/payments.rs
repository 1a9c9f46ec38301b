//! Taking payment: creating it at the gateway, accepting its confirmation (callback or
//! query) exactly once, and expiring orders nobody paid.

use std::time::Instant;

use chrono::{Duration, NaiveDate};

use crate::accounts::audit::{AdminAct, AuditAction, order_state_view};
use crate::order::{AnomalyKind, OpenId, Order, OrderNumber, PaymentStatus};
use crate::ports::{
    AlertLevel, CasOutcome, ConfirmedPayment, DecidedNotification, GatewayError,
    IncomingNotification, NotificationOutcome, PaymentParams, PaymentRequest, StatementEntry,
    StatementKind, TradeState, WorkQueue,
};

use super::{MAX_RACE_RETRIES, OrderService, Ports, ServiceError, Work};

/// A payment callback: the parsed confirmation plus the raw request for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentNotice {
    pub payment: ConfirmedPayment,
    /// The order number in the callback URL, when the route had one.
    pub path_order_number: Option<String>,
    pub raw: IncomingNotification,
}

/// How a confirmation was handled. Every variant is acknowledged to WeChat.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationHandled {
    pub outcome: NotificationOutcome,
    pub order_number: Option<OrderNumber>,
    /// The order became paid now: its top-up should be dispatched (after answering). This is
    /// the order as written, for `RechargeService::dispatch_order`, which saves reading it
    /// back.
    pub dispatch: Option<Order>,
    pub reason: Option<String>,
}

impl NotificationHandled {
    fn processed(paid: Order) -> Self {
        NotificationHandled {
            outcome: NotificationOutcome::Processed,
            order_number: Some(paid.number.clone()),
            dispatch: Some(paid),
            reason: None,
        }
    }

    fn duplicate(number: OrderNumber) -> Self {
        NotificationHandled {
            outcome: NotificationOutcome::Duplicate,
            order_number: Some(number),
            dispatch: None,
            reason: None,
        }
    }

    fn unconfirmed(number: Option<OrderNumber>, reason: String) -> Self {
        NotificationHandled {
            outcome: NotificationOutcome::Unconfirmed,
            order_number: number,
            dispatch: None,
            reason: Some(reason),
        }
    }

    fn rejected(number: Option<OrderNumber>, reason: String) -> Self {
        NotificationHandled {
            outcome: NotificationOutcome::Rejected,
            order_number: number,
            dispatch: None,
            reason: Some(reason),
        }
    }
}

/// Where a confirmation came from. A callback is unsigned (any mini-program user can send
/// one through Cloud Hosting), so it changes nothing until WeChat's own record, asked by a
/// query, confirms it; what is then recorded is that record. An answer to our own query is
/// WeChat's record already.
///
/// A signed notification (API v3) is WeChat's own word, verified over its exact bytes:
/// accepted like the answer to our query, without asking again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Callback,
    Query,
    Signed,
}

/// What WeChat's record says of a callback's claim.
enum Confirmation {
    /// The payment stands as claimed: WeChat's own record of it, and the order as read.
    Confirmed(ConfirmedPayment, Box<Order>),
    /// The order already records this very transaction: nothing to do.
    AlreadyRecorded(OrderNumber),
    /// Not confirmed: the order is not touched, no person is paged.
    Unconfirmed(Option<OrderNumber>, String),
}

/// The callback being handled, for its log row.
#[derive(Debug, Clone, Copy)]
struct Audit<'a> {
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

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    pub closed: usize,
    pub found_paid: usize,
    pub skipped: usize,
    /// The cursor the next run passes as `after` (see `SweepReport::next`).
    pub next: Option<OrderNumber>,
}

/// The gateway's statement of one day held against our orders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconciliationReport {
    pub day: NaiveDate,
    /// Every line of the statement, payments and refunds.
    pub entries: usize,
    /// Payments recorded here already with the same transaction and amount.
    pub matched: usize,
    /// Payments our order had missed (no callback came): now recorded as paid.
    pub recovered: usize,
    pub mismatches: Vec<Mismatch>,
}

/// A statement payment that does not agree with our order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub order_number: String,
    pub transaction_id: String,
    pub reason: String,
}

pub struct PaymentService {
    ports: Ports,
    orders: OrderService,
    /// How long an order may be paid after it was created; expiry closes it afterwards.
    payment_window: Duration,
}

/// No new payment is started this close to the end of the window, so that none can be
/// under way when expiry looks at the order.
const PAYMENT_START_MARGIN_MINUTES: i64 = 1;

impl PaymentService {
    /// `payment_window` is the same as the expiry job's `expire_after` (`ORDER_EXPIRE_MINUTES`).
    pub fn new(ports: Ports, payment_window: Duration) -> Self {
        PaymentService {
            orders: OrderService::new(ports.clone()),
            ports,
            payment_window,
        }
    }

    /// The `wx.requestPayment` parameters for the owner's unpaid order.
    pub async fn create_payment(
        &self,
        openid: &OpenId,
        number: &str,
        client_ip: &str,
    ) -> Result<PaymentParams, ServiceError> {
        let order = self.orders.find_for_user(openid, number).await?;
        match order.payment_status {
            PaymentStatus::Unpaid => {}
            PaymentStatus::Paid
            | PaymentStatus::Closed
            | PaymentStatus::Refunding
            | PaymentStatus::Refunded
            | PaymentStatus::RefundFailed => {
                return Err(ServiceError::Conflict(format!(
                    "order {} is {}, not awaiting payment",
                    order.number, order.payment_status
                )));
            }
        }
        let expires_at = order.created_at + self.payment_window;
        if self.ports.clock.now() + Duration::minutes(PAYMENT_START_MARGIN_MINUTES) >= expires_at {
            return Err(ServiceError::Conflict(format!(
                "order {} has expired; please place a new order",
                order.number
            )));
        }
        let request = PaymentRequest {
            order_number: order.number.clone(),
            openid: order.openid.clone(),
            description: format!("{} {}", order.product.operator, order.product.eng_name),
            amount: order.price_fen,
            client_ip: client_ip.to_owned(),
            expires_at,
        };
        Ok(self.ports.gateway.create_payment(&request).await?)
    }

    /// Handles a payment callback. `Ok` means: the outcome is durably recorded, answer
    /// success. `Err` means: answer an error so that WeChat retries.
    ///
    /// The callback is logged once, with its outcome, after deciding (no `received` row
    /// first). A callback that marks the order paid is logged in the order's own
    /// transaction (`apply_notified`): the payment and its record are durable together or
    /// not at all. Any other outcome is logged on its own, and acknowledged only once that
    /// succeeded. So a crash at any point either left nothing acknowledged, and WeChat's retry
    /// decides again (a paid order then reads as a duplicate, an anomaly already flagged is
    /// not flagged twice), or the payment and its record are both durable; a paid order is
    /// never lost and an unrecorded callback never acknowledged.
    pub async fn handle_notification(
        &self,
        notice: &PaymentNotice,
    ) -> Result<NotificationHandled, ServiceError> {
        self.handle_logged(notice, Source::Callback).await
    }

    /// Handles a payment notification whose signature the adapter verified (WeChat Pay API
    /// v3): WeChat's own record, so no confirming query; logged and acknowledged exactly as
    /// [`Self::handle_notification`] does. A replay of a recorded payment is a duplicate.
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
            .accept_payment(
                &notice.payment,
                notice.path_order_number.as_deref(),
                source,
                Some(audit),
                None,
            )
            .await;
        match result {
            // Only a won `apply_notified` processes a callback: it is logged already.
            Ok(handled) if handled.outcome == NotificationOutcome::Processed => Ok(handled),
            Ok(handled) => {
                self.ports
                    .notifications
                    .record_decided(&audit.decided(handled.outcome, handled.reason.clone()))
                    .await?;
                Ok(handled)
            }
            Err(error) => {
                // WeChat retries anyway: the log of this attempt is only for the audit.
                if let Err(log_error) = self
                    .ports
                    .notifications
                    .record_decided(
                        &audit.decided(NotificationOutcome::Error, Some(error.to_string())),
                    )
                    .await
                {
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

    /// Logs a refund notification. Refund results are taken from the gateway's refund
    /// query (the refund job), never from an unsigned notification, so this only records it.
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
        self.ports
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

    /// `audit`: the callback to log with the order's change when it marks the order paid;
    /// `by`: the admin whose query found the payment, audited with that change.
    async fn accept_payment(
        &self,
        payment: &ConfirmedPayment,
        path_order_number: Option<&str>,
        source: Source,
        audit: Option<Audit<'_>>,
        by: Option<&AdminAct>,
    ) -> Result<NotificationHandled, ServiceError> {
        let confirmed;
        // The order as the confirmation read it, used for the first attempt.
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
                    return Ok(NotificationHandled::duplicate(number));
                }
                Confirmation::Unconfirmed(number, reason) => {
                    return Ok(NotificationHandled::unconfirmed(number, reason));
                }
            },
        };
        let Ok(number) = OrderNumber::parse(&payment.order_number) else {
            return Ok(NotificationHandled::rejected(
                None,
                format!("unknown order {:?}", payment.order_number),
            ));
        };
        for _ in 0..MAX_RACE_RETRIES {
            let order = match known.take() {
                Some(order) => Some(order),
                None => self.ports.orders.find(&number).await?,
            };
            let Some(order) = order else {
                self.ports
                    .alert(
                        AlertLevel::Critical,
                        "payment for an unknown order",
                        &format!(
                            "WeChat transaction {} paid {} for unknown order {number}",
                            payment.transaction_id, payment.amount
                        ),
                    )
                    .await;
                return Ok(NotificationHandled::rejected(
                    None,
                    format!("unknown order {number}"),
                ));
            };
            let verdict = match self.check_payment(&order, payment) {
                Err((kind, details)) => self
                    .flag(&order, kind, &details)
                    .await?
                    .map(|()| NotificationHandled::rejected(Some(number.clone()), details)),
                Ok(()) => {
                    self.record_payment(&order, payment, source, audit, by)
                        .await?
                }
            };
            if let Some(handled) = verdict {
                return Ok(handled);
            }
            // Lost a race with another writer: read the order again.
        }
        Err(ServiceError::Unavailable(format!(
            "order {number} kept changing; payment not recorded yet"
        )))
    }

    /// Checks that a confirmation, WeChat's own record, agrees with the order; an anomaly
    /// otherwise. (Which order a record is about is the adapter's business: it reads the
    /// record by `out_trade_no` and checks the `attach` of callbacks.)
    fn check_payment(
        &self,
        order: &Order,
        payment: &ConfirmedPayment,
    ) -> Result<(), (AnomalyKind, String)> {
        if payment.amount != order.price_fen {
            return Err((
                AnomalyKind::AmountMismatch,
                format!(
                    "paid {} by transaction {}, order costs {}",
                    payment.amount, payment.transaction_id, order.price_fen
                ),
            ));
        }
        Ok(())
    }

    /// `Some(outcome)` when decided, `None` when a race was lost.
    async fn record_payment(
        &self,
        order: &Order,
        payment: &ConfirmedPayment,
        source: Source,
        audit: Option<Audit<'_>>,
        by: Option<&AdminAct>,
    ) -> Result<Option<NotificationHandled>, ServiceError> {
        let number = order.number.clone();
        match order.payment_status {
            PaymentStatus::Unpaid => {
                let paid_at = payment.paid_at.unwrap_or_else(|| self.ports.clock.now());
                let reason = match source {
                    Source::Callback => format!(
                        "paid: WeChat callback, transaction {}",
                        payment.transaction_id
                    ),
                    Source::Query => format!(
                        "paid: found by order query, transaction {}",
                        payment.transaction_id
                    ),
                    Source::Signed => format!(
                        "paid: WeChat Pay signed notification, transaction {}",
                        payment.transaction_id
                    ),
                };
                let mut transition = order.mark_paid(&payment.transaction_id, paid_at, &reason)?;
                if let Some(act) = by {
                    let entry = act.entry(
                        AuditAction::PaymentSync,
                        order.number.as_str(),
                        Some(&reason),
                        Some(order_state_view(transition.event.from)),
                        Some(order_state_view(transition.event.to)),
                        self.ports.clock.now(),
                    );
                    transition = transition.audited(entry);
                }
                let outcome = match audit {
                    Some(audit) => {
                        let logged = audit.decided(NotificationOutcome::Processed, None);
                        self.ports
                            .orders
                            .apply_notified(&transition, &logged)
                            .await?
                    }
                    None => self.ports.orders.apply(&transition).await?,
                };
                match outcome {
                    CasOutcome::Won => {
                        tracing::info!(order = %number, transaction = %payment.transaction_id, "payment recorded");
                        Ok(Some(NotificationHandled::processed(transition.order)))
                    }
                    CasOutcome::Lost => Ok(None),
                }
            }
            PaymentStatus::Paid
            | PaymentStatus::Refunding
            | PaymentStatus::Refunded
            | PaymentStatus::RefundFailed => {
                if order.transaction_id.as_deref() == Some(payment.transaction_id.as_str()) {
                    return Ok(Some(NotificationHandled::duplicate(number)));
                }
                let details = format!(
                    "order already paid by transaction {:?}; transaction {} paid {} again",
                    order.transaction_id, payment.transaction_id, payment.amount
                );
                Ok(self
                    .flag(order, AnomalyKind::DuplicatePayment, &details)
                    .await?
                    .map(|()| NotificationHandled::rejected(Some(number), details)))
            }
            PaymentStatus::Closed => {
                let details = format!(
                    "transaction {} paid {} after the order was closed: refund it by hand",
                    payment.transaction_id, payment.amount
                );
                Ok(self
                    .flag(order, AnomalyKind::PaymentAfterClose, &details)
                    .await?
                    .map(|()| NotificationHandled::rejected(Some(number), details)))
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
        // which reads WeChat's signed statement; a callback alone proves nothing.
        let Some(order) = self.ports.orders.find(&number).await? else {
            return Ok(Confirmation::Unconfirmed(
                Some(number.clone()),
                format!("unknown order {number}"),
            ));
        };
        if order.payment_status.money_received()
            && order.transaction_id.as_deref() == Some(claim.transaction_id.as_str())
        {
            return Ok(Confirmation::AlreadyRecorded(number));
        }
        let state = self
            .ports
            .gateway
            .query_order(&number)
            .await
            .map_err(|error| {
                ServiceError::Unavailable(format!(
                    "cannot confirm the payment with WeChat: {error}"
                ))
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

    /// Records an anomaly on the order (statuses unchanged) and alerts; `None` if a race
    /// was lost. An anomaly already recorded with the same details is not written again.
    async fn flag(
        &self,
        order: &Order,
        kind: AnomalyKind,
        details: &str,
    ) -> Result<Option<()>, ServiceError> {
        let already = order
            .anomaly
            .as_ref()
            .is_some_and(|anomaly| anomaly.kind == kind && anomaly.details == details);
        if !already {
            let transition = order.flag_anomaly(kind, details, self.ports.clock.now());
            if self.ports.orders.apply(&transition).await? == CasOutcome::Lost {
                return Ok(None);
            }
            tracing::error!(order = %order.number, anomaly = %kind, details, "payment anomaly");
            self.ports
                .alert(
                    AlertLevel::Critical,
                    &format!("order {}: {kind}", order.number),
                    details,
                )
                .await;
        }
        Ok(Some(()))
    }

    /// Closes unpaid orders older than `expire_after`, after asking the gateway: an order
    /// found paid there is processed as paid, never closed.
    pub async fn expire_unpaid(
        &self,
        expire_after: Duration,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<ExpiryReport, ServiceError> {
        let Work {
            orders: candidates,
            next,
        } = self
            .ports
            .work(WorkQueue::ExpiredUnpaid, expire_after, after, limit)
            .await?;
        let mut report = ExpiryReport {
            next,
            ..ExpiryReport::default()
        };
        for order in candidates {
            match self.expire_one(&order).await {
                Ok(Expiry::Closed) => report.closed += 1,
                Ok(Expiry::FoundPaid) => report.found_paid += 1,
                Ok(Expiry::Skipped) => report.skipped += 1,
                Err(error) => {
                    tracing::warn!(order = %order.number, %error, "expiry deferred");
                    report.skipped += 1;
                }
            }
        }
        Ok(report)
    }

    async fn expire_one(&self, order: &Order) -> Result<Expiry, ServiceError> {
        match self.ports.gateway.query_order(&order.number).await? {
            TradeState::Paid(payment) => return self.settle_found_payment(payment).await,
            TradeState::Refunded(payment) => {
                // Recorded once (the flag is not rewritten with the same details), so the
                // alert is not repeated on every expiry run.
                let details = format!(
                    "WeChat says transaction {} paid {} and was refunded, while unpaid here",
                    payment.transaction_id, payment.amount
                );
                self.flag(order, AnomalyKind::UnconfirmedPayment, &details)
                    .await?;
                return Ok(Expiry::Skipped);
            }
            TradeState::UserPaying => return Ok(Expiry::Skipped),
            TradeState::NotPaid | TradeState::PayError => {
                match self.ports.gateway.close_order(&order.number).await {
                    Ok(()) | Err(GatewayError::OrderClosed) | Err(GatewayError::NotFound) => {}
                    Err(GatewayError::OrderPaid) => {
                        // Paid between our query and the close: ask again and take it.
                        return match self.ports.gateway.query_order(&order.number).await? {
                            TradeState::Paid(payment) => self.settle_found_payment(payment).await,
                            TradeState::NotPaid
                            | TradeState::UserPaying
                            | TradeState::Refunded(_)
                            | TradeState::Closed
                            | TradeState::Revoked
                            | TradeState::PayError
                            | TradeState::NotFound => Ok(Expiry::Skipped),
                        };
                    }
                    Err(error @ (GatewayError::Unavailable(_) | GatewayError::Rejected { .. })) => {
                        return Err(error.into());
                    }
                }
            }
            TradeState::Closed | TradeState::Revoked | TradeState::NotFound => {}
        }
        let transition = order.close("expired unpaid", self.ports.clock.now())?;
        Ok(match self.ports.orders.apply(&transition).await? {
            CasOutcome::Won => Expiry::Closed,
            CasOutcome::Lost => Expiry::Skipped,
        })
    }

    async fn settle_found_payment(
        &self,
        payment: ConfirmedPayment,
    ) -> Result<Expiry, ServiceError> {
        let handled = self
            .accept_payment(&payment, None, Source::Query, None, None)
            .await?;
        Ok(match handled.outcome {
            NotificationOutcome::Processed | NotificationOutcome::Duplicate => Expiry::FoundPaid,
            NotificationOutcome::Received
            | NotificationOutcome::Rejected
            | NotificationOutcome::Unconfirmed
            | NotificationOutcome::Error => Expiry::Skipped,
        })
    }

    /// An admin asks the gateway about an unpaid order now (e.g. the customer says they
    /// paid). A payment found and recorded is audited with the order's change; any other
    /// answer is audited alone, as an attempt that changed nothing.
    pub async fn sync_with_gateway(
        &self,
        number: &OrderNumber,
        act: &AdminAct,
    ) -> Result<Option<NotificationHandled>, ServiceError> {
        let state = self.ports.gateway.query_order(number).await?;
        let handled = match &state {
            TradeState::Paid(payment) => Some(
                self.accept_payment(payment, None, Source::Query, None, Some(act))
                    .await?,
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
                number.as_str(),
                None,
                None,
                Some(serde_json::json!({ "changed": false, "found": found })),
                self.ports.clock.now(),
            );
            self.ports.audit.record(&entry).await?;
        }
        Ok(handled)
    }
}

impl PaymentService {
    /// Holds the gateway's statement of `day` against our orders. A payment our order
    /// missed is accepted exactly as one found by query (the every-minute job then tops it
    /// up); a payment that disagrees is flagged on the order where there is one. One
    /// critical alert sums up the mismatches.
    pub async fn reconcile(&self, day: NaiveDate) -> Result<ReconciliationReport, ServiceError> {
        let entries = self.ports.gateway.statement(day).await?;
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
            self.ports
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
        let order = match OrderNumber::parse(&entry.order_number) {
            Ok(number) => self.ports.orders.find(&number).await?,
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
        if order.payment_status == PaymentStatus::Unpaid {
            let state = self.ports.gateway.query_order(&order.number).await?;
            let still_paid = state
                .standing_payment()
                .is_some_and(|found| found.transaction_id == entry.transaction_id);
            if !still_paid {
                return Ok(Reconciled::Mismatch(format!(
                    "the statement says transaction {} paid {}, WeChat now says {state:?}",
                    entry.transaction_id, entry.amount
                )));
            }
        }
        let payment = ConfirmedPayment {
            order_number: entry.order_number.clone(),
            transaction_id: entry.transaction_id.clone(),
            amount: entry.amount,
            attach: None,
            paid_at: None,
        };
        // The statement is WeChat's own record, trusted like the answer to our query.
        let handled = self
            .accept_payment(&payment, None, Source::Query, None, None)
            .await?;
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

enum Reconciled {
    Matched,
    Recovered,
    Mismatch(String),
}

enum Expiry {
    Closed,
    FoundPaid,
    Skipped,
}

/// What WeChat said about an order, as the audit trail names it.
fn trade_state_name(state: &TradeState) -> &'static str {
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
