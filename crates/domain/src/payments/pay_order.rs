//! The pay order: one attempt to collect money for one merchant order of some kind of
//! goods. Every change is computed here as a [`PayTransition`]; the repository writes it
//! with a compare-and-set on status and version, with the outbox rows, the refund row and
//! the callback's log row it carries, in one transaction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::accounts::audit::AuditEntry;
use crate::money::Fen;
use crate::order::{Anomaly, AnomalyKind, OpenId, OrderNumber};
use crate::ports::{DecidedNotification, Refund};

use super::status::{
    FulfilmentEvent, GoodsKind, PayChannel, PayEvent, PayStatus, PayTransitionError,
};

/// What the goods ask the core to collect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayOrderDraft {
    /// `out_trade_no` at WeChat.
    pub out_trade_no: OrderNumber,
    pub kind: GoodsKind,
    pub merchant_order_no: String,
    pub amount: Fen,
    pub payer: OpenId,
    pub description: String,
    /// After this WeChat refuses the payment and expiry closes the pay order.
    pub time_expire: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayOrder {
    pub out_trade_no: OrderNumber,
    pub kind: GoodsKind,
    pub merchant_order_no: String,
    pub amount: Fen,
    pub channel: PayChannel,
    pub payer: OpenId,
    pub description: String,
    pub time_expire: DateTime<Utc>,
    pub status: PayStatus,
    /// WeChat's `transaction_id` of the payment.
    pub transaction_id: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    /// The sum of succeeded refunds: never more than `amount`.
    pub refunded: Fen,
    /// The refund in flight while `Refunding`, zero otherwise.
    pub refunding: Fen,
    /// The payment arrived after the pay order was closed, and is given back.
    pub late_payment: bool,
    pub anomaly: Option<Anomaly>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// A fact for the owning goods, written with the change that caused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FulfilmentMessage {
    /// Assigned by the outbox; 0 before it is stored.
    pub id: i64,
    pub out_trade_no: OrderNumber,
    pub kind: GoodsKind,
    pub merchant_order_no: String,
    pub event: FulfilmentEvent,
    pub transaction_id: Option<String>,
    /// Paid: the amount paid. Refunded: this refund's amount.
    pub amount: Fen,
    /// The sum refunded so far (after this refund).
    pub refunded: Fen,
    /// Refunded: nothing of the payment stands any more.
    pub in_full: bool,
    pub paid_at: Option<DateTime<Utc>>,
    /// Flagged: what a person should look at. RefundFailed: why.
    pub anomaly: Option<Anomaly>,
    /// Why, in words, for the goods' history (e.g. which notification paid).
    #[serde(default)]
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// The compare-and-set a repository performs: write `pay_order` only if the stored row
/// still has `expected_status` and `expected_version`; with it, in the same transaction,
/// append `outbox`, insert `refund`, log `notification` and record `audit`.
#[derive(Debug, Clone, PartialEq)]
pub struct PayTransition {
    pub expected_status: PayStatus,
    pub expected_version: i32,
    pub pay_order: PayOrder,
    pub outbox: Vec<FulfilmentMessage>,
    pub refund: Option<Refund>,
    pub notification: Option<DecidedNotification>,
    pub audit: Option<AuditEntry>,
}

impl PayTransition {
    pub fn audited(mut self, entry: AuditEntry) -> Self {
        self.audit = Some(entry);
        self
    }

    pub fn notified(mut self, notification: DecidedNotification) -> Self {
        self.notification = Some(notification);
        self
    }
}

impl PayOrder {
    pub fn new(draft: PayOrderDraft, channel: PayChannel, now: DateTime<Utc>) -> Self {
        PayOrder {
            out_trade_no: draft.out_trade_no,
            kind: draft.kind,
            merchant_order_no: draft.merchant_order_no,
            amount: draft.amount,
            channel,
            payer: draft.payer,
            description: draft.description,
            time_expire: draft.time_expire,
            status: PayStatus::Unpaid,
            transaction_id: None,
            paid_at: None,
            refunded: Fen::new(0),
            refunding: Fen::new(0),
            late_payment: false,
            anomaly: None,
            created_at: now,
            updated_at: now,
            version: 0,
        }
    }

    /// A pay order that was never offered for payment, closed at once (its goods expired
    /// before payment started): with the message that tells them.
    pub fn abandoned(
        draft: PayOrderDraft,
        channel: PayChannel,
        now: DateTime<Utc>,
    ) -> (Self, FulfilmentMessage) {
        let mut order = PayOrder::new(draft, channel, now);
        order.status = PayStatus::Closed;
        let message = order.message(FulfilmentEvent::Closed, now);
        (order, message)
    }

    /// What remains refundable.
    pub fn refundable(&self) -> Fen {
        Fen::new(self.amount.value() - self.refunded.value())
    }

    /// A message about this pay order, as it is after the change.
    pub fn message(&self, event: FulfilmentEvent, now: DateTime<Utc>) -> FulfilmentMessage {
        FulfilmentMessage {
            id: 0,
            out_trade_no: self.out_trade_no.clone(),
            kind: self.kind,
            merchant_order_no: self.merchant_order_no.clone(),
            event,
            transaction_id: self.transaction_id.clone(),
            amount: self.amount,
            refunded: self.refunded,
            in_full: self.refunded == self.amount,
            paid_at: self.paid_at,
            anomaly: self.anomaly.clone(),
            note: String::new(),
            created_at: now,
        }
    }

    fn transition(
        &self,
        event: PayEvent,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut PayOrder),
    ) -> Result<PayTransition, PayTransitionError> {
        let status = self.status.apply(event)?;
        let mut next = self.clone();
        next.status = status;
        change(&mut next);
        next.updated_at = now;
        next.version = self.version + 1;
        Ok(PayTransition {
            expected_status: self.status,
            expected_version: self.version,
            pay_order: next,
            outbox: Vec::new(),
            refund: None,
            notification: None,
            audit: None,
        })
    }

    /// WeChat's record shows the payment: paid, and the goods are told.
    pub fn mark_paid(
        &self,
        transaction_id: &str,
        paid_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<PayTransition, PayTransitionError> {
        let mut transition = self.transition(PayEvent::PaymentConfirmed, now, |order| {
            order.transaction_id = Some(transaction_id.to_owned());
            order.paid_at = Some(paid_at);
        })?;
        let message = transition.pay_order.message(FulfilmentEvent::Paid, now);
        transition.outbox.push(message);
        Ok(transition)
    }

    /// Closed unpaid (expired or cancelled): the goods are told.
    pub fn close(&self, now: DateTime<Utc>) -> Result<PayTransition, PayTransitionError> {
        let mut transition = self.transition(PayEvent::Closed, now, |_| {})?;
        let message = transition.pay_order.message(FulfilmentEvent::Closed, now);
        transition.outbox.push(message);
        Ok(transition)
    }

    /// Starts a refund of `amount` (at most what remains), with its refund row: the
    /// refund number is derived from the winning version, so a retry of this attempt
    /// reuses it and WeChat never pays one attempt twice.
    pub fn request_refund(
        &self,
        amount: Fen,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<PayTransition, RefundRefused> {
        if amount.value() <= 0 {
            return Err(RefundRefused::Amount(format!(
                "a refund must be positive, not {amount}"
            )));
        }
        if amount.value() > self.refundable().value() {
            return Err(RefundRefused::Amount(format!(
                "{amount} is more than the {} that can still be refunded",
                self.refundable()
            )));
        }
        let mut transition = self.transition(PayEvent::RefundRequested, now, |order| {
            order.refunding = amount;
        })?;
        let next = &transition.pay_order;
        transition.refund = Some(new_refund(next, amount, reason, now));
        let mut message = next.message(FulfilmentEvent::Refunding, now);
        message.amount = amount;
        transition.outbox.push(message);
        Ok(transition)
    }

    /// A payment WeChat confirms on a closed pay order: recorded, flagged and given back
    /// in full (the goods were released when it closed).
    pub fn accept_late_payment(
        &self,
        transaction_id: &str,
        amount: Fen,
        paid_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<PayTransition, PayTransitionError> {
        let details = format!(
            "transaction {transaction_id} paid {amount} after the order was closed: refunded automatically"
        );
        let mut transition = self.transition(PayEvent::LatePaymentConfirmed, now, |order| {
            order.transaction_id = Some(transaction_id.to_owned());
            order.paid_at = Some(paid_at);
            order.late_payment = true;
            order.refunding = amount;
            order.anomaly = Some(Anomaly {
                kind: AnomalyKind::PaymentAfterClose,
                details,
            });
        })?;
        let next = &transition.pay_order;
        transition.refund = Some(new_refund(next, amount, "payment after close", now));
        transition
            .outbox
            .push(next.message(FulfilmentEvent::Flagged, now));
        Ok(transition)
    }

    /// The refund in flight finished.
    pub fn finish_refund(
        &self,
        succeeded: bool,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<PayTransition, PayTransitionError> {
        let refunded = Fen::new(self.refunded.value() + self.refunding.value());
        let (event, kind) = match (succeeded, refunded == self.amount || self.late_payment) {
            (true, true) => (PayEvent::RefundedInFull, FulfilmentEvent::Refunded),
            (true, false) => (PayEvent::RefundedInPart, FulfilmentEvent::Refunded),
            (false, _) => (PayEvent::RefundFailed, FulfilmentEvent::RefundFailed),
        };
        let this_refund = self.refunding;
        let mut transition = self.transition(event, now, |order| {
            order.refunding = Fen::new(0);
            if succeeded {
                order.refunded = refunded;
            } else {
                order.anomaly = Some(Anomaly {
                    kind: AnomalyKind::RefundRejected,
                    details: reason.to_owned(),
                });
            }
        })?;
        let mut message = transition.pay_order.message(kind, now);
        message.amount = this_refund;
        message.in_full = succeeded && event == PayEvent::RefundedInFull;
        transition.outbox.push(message);
        Ok(transition)
    }

    /// Notes something a person should look at; the status stays. The goods are told.
    pub fn flag(&self, kind: AnomalyKind, details: &str, now: DateTime<Utc>) -> PayTransition {
        let mut next = self.clone();
        next.anomaly = Some(Anomaly {
            kind,
            details: details.to_owned(),
        });
        next.updated_at = now;
        next.version = self.version + 1;
        let message = next.message(FulfilmentEvent::Flagged, now);
        PayTransition {
            expected_status: self.status,
            expected_version: self.version,
            pay_order: next,
            outbox: vec![message],
            refund: None,
            notification: None,
            audit: None,
        }
    }

    /// The same anomaly is recorded already.
    pub fn is_flagged(&self, kind: AnomalyKind, details: &str) -> bool {
        self.anomaly
            .as_ref()
            .is_some_and(|anomaly| anomaly.kind == kind && anomaly.details == details)
    }
}

fn new_refund(next: &PayOrder, amount: Fen, reason: &str, now: DateTime<Utc>) -> Refund {
    Refund {
        refund_no: format!("{}R{}", next.out_trade_no, next.version),
        order_number: next.out_trade_no.clone(),
        amount,
        reason: reason.to_owned(),
        status: crate::ports::RefundStatus::Processing,
        gateway_refund_id: None,
        created_at: now,
        updated_at: now,
        version: 0,
    }
}

/// Why a refund cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundRefused {
    #[error("{0}")]
    Amount(String),
    #[error(transparent)]
    State(#[from] PayTransitionError),
}
