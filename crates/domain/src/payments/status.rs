//! The pay order's state machine and the names the core shares with every kind of goods.
//! Every match names every state, so that a new state fails to compile, not at run time.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A name that is not one of an enum's stored values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownName {
    pub kind: &'static str,
    pub value: String,
}

/// Gives a fieldless enum its stored names: `ALL`, `as_str`, `FromStr` and `Display`.
macro_rules! stored_names {
    ($type:ident, $kind:literal, [$($variant:ident => $name:literal),+ $(,)?]) => {
        impl $type {
            pub const ALL: &'static [$type] = &[$($type::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($type::$variant => $name),+
                }
            }
        }

        impl FromStr for $type {
            type Err = UnknownName;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                $type::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == raw)
                    .ok_or_else(|| UnknownName { kind: $kind, value: raw.to_owned() })
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// The kind of goods a pay order collects money for; each kind fulfils its own orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoodsKind {
    TopUp,
    Points,
    Mall,
}

stored_names!(GoodsKind, "goods kind", [TopUp => "topup", Points => "points", Mall => "mall"]);

/// The way the money is collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayChannel {
    /// WeChat Cloud Hosting's open interface (unsigned callbacks, confirmed by query).
    Cloud,
    /// WeChat Pay API v3, direct (signed notifications).
    V3,
}

stored_names!(PayChannel, "pay channel", [Cloud => "cloud", V3 => "v3"]);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayStatus {
    Unpaid,
    Paid,
    /// Expired or cancelled before payment.
    Closed,
    /// A refund is in flight (also the refund of a payment that arrived after closing).
    Refunding,
    /// Everything paid was given back.
    Refunded,
    /// The last refund failed; a person may try again.
    RefundFailed,
}

stored_names!(PayStatus, "pay status", [
    Unpaid => "unpaid",
    Paid => "paid",
    Closed => "closed",
    Refunding => "refunding",
    Refunded => "refunded",
    RefundFailed => "refund_failed",
]);

/// What moves a pay order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PayEvent {
    /// WeChat's record shows the payment.
    PaymentConfirmed,
    Closed,
    /// A payment confirmed on a closed order: it is kept and given back.
    LatePaymentConfirmed,
    RefundRequested,
    /// A refund succeeded and gave back everything paid.
    RefundedInFull,
    /// A refund succeeded and part of the payment stands.
    RefundedInPart,
    RefundFailed,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a pay order cannot go from {from} on {event:?}")]
pub struct PayTransitionError {
    pub from: PayStatus,
    pub event: PayEvent,
}

impl PayStatus {
    /// Money was taken from the payer (whatever happened after).
    pub fn money_received(self) -> bool {
        match self {
            PayStatus::Paid
            | PayStatus::Refunding
            | PayStatus::Refunded
            | PayStatus::RefundFailed => true,
            PayStatus::Unpaid | PayStatus::Closed => false,
        }
    }

    pub fn apply(self, event: PayEvent) -> Result<PayStatus, PayTransitionError> {
        use PayEvent as E;
        use PayStatus as S;
        let next = match self {
            S::Unpaid => match event {
                E::PaymentConfirmed => Some(S::Paid),
                E::Closed => Some(S::Closed),
                E::LatePaymentConfirmed
                | E::RefundRequested
                | E::RefundedInFull
                | E::RefundedInPart
                | E::RefundFailed => None,
            },
            S::Paid | S::RefundFailed => match event {
                E::RefundRequested => Some(S::Refunding),
                E::PaymentConfirmed
                | E::Closed
                | E::LatePaymentConfirmed
                | E::RefundedInFull
                | E::RefundedInPart
                | E::RefundFailed => None,
            },
            S::Refunding => match event {
                E::RefundedInFull => Some(S::Refunded),
                E::RefundedInPart => Some(S::Paid),
                E::RefundFailed => Some(S::RefundFailed),
                E::PaymentConfirmed | E::Closed | E::LatePaymentConfirmed | E::RefundRequested => {
                    None
                }
            },
            S::Closed => match event {
                E::LatePaymentConfirmed => Some(S::Refunding),
                E::PaymentConfirmed
                | E::Closed
                | E::RefundRequested
                | E::RefundedInFull
                | E::RefundedInPart
                | E::RefundFailed => None,
            },
            S::Refunded => None,
        };
        next.ok_or(PayTransitionError { from: self, event })
    }
}

/// What the core tells the goods that own a pay order, through the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FulfilmentEvent {
    Paid,
    Closed,
    /// A refund was requested and is in flight.
    Refunding,
    Refunded,
    RefundFailed,
    /// Something a person should look at (an amount WeChat confirmed that differs, a
    /// payment after close...); nothing to deliver.
    Flagged,
}

stored_names!(FulfilmentEvent, "fulfilment event", [
    Paid => "paid",
    Closed => "closed",
    Refunding => "refunding",
    Refunded => "refunded",
    RefundFailed => "refund_failed",
    Flagged => "flagged",
]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back() {
        for status in PayStatus::ALL {
            assert_eq!(status.as_str().parse::<PayStatus>(), Ok(*status));
        }
        for kind in GoodsKind::ALL {
            assert_eq!(kind.as_str().parse::<GoodsKind>(), Ok(*kind));
        }
        for event in FulfilmentEvent::ALL {
            assert_eq!(event.as_str().parse::<FulfilmentEvent>(), Ok(*event));
        }
        assert!("paid!".parse::<PayStatus>().is_err());
    }

    #[test]
    fn a_closed_order_takes_a_late_payment_only_to_give_it_back() {
        assert_eq!(
            PayStatus::Closed.apply(PayEvent::LatePaymentConfirmed),
            Ok(PayStatus::Refunding)
        );
        assert!(PayStatus::Closed.apply(PayEvent::PaymentConfirmed).is_err());
    }

    #[test]
    fn refunded_is_final_and_a_partial_refund_leaves_the_rest_paid() {
        for event in [
            PayEvent::PaymentConfirmed,
            PayEvent::Closed,
            PayEvent::LatePaymentConfirmed,
            PayEvent::RefundRequested,
            PayEvent::RefundedInFull,
            PayEvent::RefundedInPart,
            PayEvent::RefundFailed,
        ] {
            assert!(PayStatus::Refunded.apply(event).is_err());
        }
        assert_eq!(
            PayStatus::Refunding.apply(PayEvent::RefundedInPart),
            Ok(PayStatus::Paid)
        );
    }
}
