//! The order aggregate: one customer buying one top-up for one number.
//!
//! Every change is computed here as a [`Transition`]: the state the order must still be in
//! (statuses and version) and the order after the change. The repository writes it with a
//! compare-and-set, so of two racing writers exactly one wins.

mod anomaly;
mod ids;
mod product;
mod status;

pub use anomaly::{Anomaly, AnomalyKind};
pub use ids::{IdError, OpenId, OrderNumber};
pub use product::{ProductSnapshot, RechargeKind, UnknownRechargeKind};
pub use status::{
    PaymentEvent, PaymentStatus, RechargeEvent, RechargeStatus, Resolution, TransitionError,
};

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::{ExchangeRate, Fen};
use crate::msisdn::Msisdn;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("order {order} cannot be refunded while its top-up is {recharge}")]
    RefundNotAllowed {
        order: OrderNumber,
        recharge: RechargeStatus,
    },
    #[error("order {order} cannot be marked successful after its payment became {payment}")]
    ResolutionNotAllowed {
        order: OrderNumber,
        payment: PaymentStatus,
    },
}

/// Who made a change: the system itself or a named administrator.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Actor {
    System,
    Admin(String),
}

impl Actor {
    pub fn is_person(&self) -> bool {
        match self {
            Actor::System => false,
            Actor::Admin(_) => true,
        }
    }

    /// Stored form: `system` or `admin:<id>`.
    pub fn as_stored(&self) -> String {
        match self {
            Actor::System => "system".to_owned(),
            Actor::Admin(id) => format!("admin:{id}"),
        }
    }

    pub fn from_stored(value: &str) -> Actor {
        match value.strip_prefix("admin:") {
            Some(id) => Actor::Admin(id.to_owned()),
            None => Actor::System,
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_stored())
    }
}

/// Both statuses of an order at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OrderState {
    pub payment: PaymentStatus,
    pub recharge: RechargeStatus,
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.payment, self.recharge)
    }
}

/// One line of an order's append-only history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    pub order_number: OrderNumber,
    pub from: OrderState,
    pub to: OrderState,
    pub actor: Actor,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// What the provider said about a submitted top-up, as the order records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopUpResult {
    Succeeded {
        seq: Option<String>,
        receipt: Option<serde_json::Value>,
    },
    Pending {
        seq: String,
    },
    Failed {
        reason: String,
    },
    Unknown {
        reason: String,
    },
    /// The request provably never reached the provider: queued again.
    NotSent {
        reason: String,
    },
}

/// The compare-and-set a repository performs: write `order` only if the stored row still
/// has `expected_state` and `expected_version`; append `event` (and `audit`, when a person
/// made the change) in the same transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub expected_state: OrderState,
    pub expected_version: i32,
    pub order: Order,
    pub event: OrderEvent,
    /// The audit row of an admin's change, committed with it or not at all.
    pub audit: Option<crate::accounts::audit::AuditEntry>,
}

impl Transition {
    /// The same change, recorded in the audit trail by `entry`.
    pub fn audited(mut self, entry: crate::accounts::audit::AuditEntry) -> Transition {
        self.audit = Some(entry);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub number: OrderNumber,
    pub openid: OpenId,
    pub msisdn: Msisdn,
    pub product: ProductSnapshot,
    pub price_fen: Fen,
    /// The `MNT_TO_CNY` rate the price was computed with.
    pub exchange_rate: ExchangeRate,
    pub payment_status: PaymentStatus,
    pub recharge_status: RechargeStatus,
    /// The provider's transaction key (`seq`), for confirmation.
    pub seq_id: Option<String>,
    /// WeChat's `transaction_id` of the payment.
    pub transaction_id: Option<String>,
    /// The provider's receipt (Unitel's `vat` e-receipt object).
    pub provider_receipt: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    /// When a worker claimed the top-up (the request may have left then).
    pub recharge_at: Option<DateTime<Utc>>,
    pub recharged_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub anomaly: Option<Anomaly>,
}

impl Order {
    /// A new, unpaid order.
    pub fn new(
        number: OrderNumber,
        openid: OpenId,
        msisdn: Msisdn,
        product: ProductSnapshot,
        exchange_rate: ExchangeRate,
        price_fen: Fen,
        now: DateTime<Utc>,
    ) -> Self {
        Order {
            number,
            openid,
            msisdn,
            product,
            price_fen,
            exchange_rate,
            payment_status: PaymentStatus::Unpaid,
            recharge_status: RechargeStatus::NotStarted,
            seq_id: None,
            transaction_id: None,
            provider_receipt: None,
            created_at: now,
            paid_at: None,
            recharge_at: None,
            recharged_at: None,
            closed_at: None,
            version: 0,
            anomaly: None,
        }
    }

    pub fn state(&self) -> OrderState {
        OrderState {
            payment: self.payment_status,
            recharge: self.recharge_status,
        }
    }

    pub fn is_owned_by(&self, openid: &OpenId) -> bool {
        &self.openid == openid
    }

    /// Builds the compare-and-set for a change made by `change` to a copy of this order.
    fn transition(
        &self,
        actor: Actor,
        reason: impl Into<String>,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut Order),
    ) -> Transition {
        let mut next = self.clone();
        change(&mut next);
        next.version = self.version + 1;
        Transition {
            expected_state: self.state(),
            expected_version: self.version,
            event: OrderEvent {
                order_number: self.number.clone(),
                from: self.state(),
                to: next.state(),
                actor,
                reason: reason.into(),
                at: now,
            },
            order: next,
            audit: None,
        }
    }

    /// WeChat confirmed the payment: paid, and the top-up is queued.
    pub fn mark_paid(
        &self,
        transaction_id: &str,
        paid_at: DateTime<Utc>,
        reason: &str,
    ) -> Result<Transition, OrderError> {
        let payment = self.payment_status.apply(PaymentEvent::PaymentConfirmed)?;
        let recharge = self
            .recharge_status
            .apply(RechargeEvent::PaymentConfirmed)?;
        Ok(self.transition(Actor::System, reason, paid_at, |order| {
            order.payment_status = payment;
            order.recharge_status = recharge;
            order.transaction_id = Some(transaction_id.to_owned());
            order.paid_at = Some(paid_at);
        }))
    }

    /// Closed unpaid (expired or cancelled).
    pub fn close(&self, reason: &str, now: DateTime<Utc>) -> Result<Transition, OrderError> {
        let payment = self.payment_status.apply(PaymentEvent::Closed)?;
        Ok(self.transition(Actor::System, reason, now, |order| {
            order.payment_status = payment;
            order.closed_at = Some(now);
        }))
    }

    /// A worker takes the top-up. Winning this compare-and-set is the only way to send it.
    pub fn claim_recharge(&self, now: DateTime<Utc>) -> Result<Transition, OrderError> {
        if self.payment_status != PaymentStatus::Paid {
            return Err(TransitionError::Recharge {
                from: self.recharge_status,
                event: RechargeEvent::Claimed,
            }
            .into());
        }
        let recharge = self.recharge_status.apply(RechargeEvent::Claimed)?;
        Ok(
            self.transition(Actor::System, "claimed for submission", now, |order| {
                order.recharge_status = recharge;
                order.recharge_at = Some(now);
            }),
        )
    }

    /// Records the provider's answer to the one submission.
    pub fn record_top_up(
        &self,
        result: &TopUpResult,
        now: DateTime<Utc>,
    ) -> Result<Transition, OrderError> {
        let (event, reason) = match result {
            TopUpResult::Succeeded { .. } => (
                RechargeEvent::ProviderSucceeded,
                "provider succeeded".to_owned(),
            ),
            TopUpResult::Pending { seq } => (
                RechargeEvent::ProviderPending,
                format!("provider accepted, confirming seq {seq}"),
            ),
            TopUpResult::Failed { reason } => (
                RechargeEvent::ProviderFailed,
                format!("provider failed: {reason}"),
            ),
            TopUpResult::Unknown { reason } => (
                RechargeEvent::OutcomeLost,
                format!("outcome unknown: {reason}"),
            ),
            TopUpResult::NotSent { reason } => (
                RechargeEvent::NotSent,
                format!("not sent, queued again: {reason}"),
            ),
        };
        let recharge = self.recharge_status.apply(event)?;
        Ok(
            self.transition(Actor::System, reason.clone(), now, |order| {
                order.recharge_status = recharge;
                match result {
                    TopUpResult::Succeeded { seq, receipt } => {
                        if seq.is_some() {
                            order.seq_id = seq.clone();
                        }
                        if receipt.is_some() {
                            order.provider_receipt = receipt.clone();
                        }
                        order.recharged_at = Some(now);
                    }
                    TopUpResult::Pending { seq } => order.seq_id = Some(seq.clone()),
                    TopUpResult::Failed { .. } => {}
                    TopUpResult::NotSent { .. } => order.recharge_at = None,
                    TopUpResult::Unknown { .. } => {
                        order.anomaly = Some(Anomaly {
                            kind: AnomalyKind::RechargeOutcomeUnknown,
                            details: reason,
                        });
                    }
                }
            }),
        )
    }

    /// Reconciliation or a person decides an `unknown` or `failed` top-up.
    pub fn resolve(
        &self,
        resolution: Resolution,
        actor: Actor,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Transition, OrderError> {
        if resolution == Resolution::Succeeded && self.payment_status != PaymentStatus::Paid {
            return Err(OrderError::ResolutionNotAllowed {
                order: self.number.clone(),
                payment: self.payment_status,
            });
        }
        let recharge = self
            .recharge_status
            .apply(RechargeEvent::Resolved(resolution))?;
        Ok(self.transition(actor, reason, now, |order| {
            order.recharge_status = recharge;
            match resolution {
                Resolution::Succeeded => order.recharged_at = Some(now),
                Resolution::Failed => {}
            }
        }))
    }

    /// Starts a refund: only after a definitive failure, or by a person's decision when
    /// no top-up is in flight.
    pub fn request_refund(
        &self,
        actor: Actor,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Transition, OrderError> {
        let allowed = match self.recharge_status {
            RechargeStatus::Failed => true,
            RechargeStatus::Pending | RechargeStatus::Unknown | RechargeStatus::Success => {
                actor.is_person()
            }
            RechargeStatus::NotStarted
            | RechargeStatus::Submitting
            | RechargeStatus::Confirming => false,
        };
        if !allowed {
            return Err(OrderError::RefundNotAllowed {
                order: self.number.clone(),
                recharge: self.recharge_status,
            });
        }
        self.mark_refunding(actor, reason, now)
    }

    /// The payment went into refund (the payments core decided, after the rule of
    /// [`Self::request_refund`] was checked by whoever asked).
    pub fn mark_refunding(
        &self,
        actor: Actor,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Transition, OrderError> {
        let payment = self.payment_status.apply(PaymentEvent::RefundRequested)?;
        Ok(self.transition(actor, reason, now, |order| order.payment_status = payment))
    }

    pub fn finish_refund(
        &self,
        succeeded: bool,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Transition, OrderError> {
        let event = if succeeded {
            PaymentEvent::RefundSucceeded
        } else {
            PaymentEvent::RefundFailed
        };
        let payment = self.payment_status.apply(event)?;
        Ok(self.transition(Actor::System, reason, now, |order| {
            order.payment_status = payment;
            if !succeeded {
                order.anomaly = Some(Anomaly {
                    kind: AnomalyKind::RefundRejected,
                    details: reason.to_owned(),
                });
            }
        }))
    }

    /// Notes an anomaly; statuses stay as they are.
    pub fn flag_anomaly(&self, kind: AnomalyKind, details: &str, now: DateTime<Utc>) -> Transition {
        self.transition(
            Actor::System,
            format!("anomaly {kind}: {details}"),
            now,
            |order| {
                order.anomaly = Some(Anomaly {
                    kind,
                    details: details.to_owned(),
                });
            },
        )
    }
}

#[cfg(test)]
pub(crate) mod tests;
