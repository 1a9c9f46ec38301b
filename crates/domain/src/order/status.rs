//! The two state machines of an order. Every transition is a pure function; every match
//! names every state, so that adding a state forces each rule to be revisited.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("payment cannot go from {from} on {event:?}")]
    Payment {
        from: PaymentStatus,
        event: PaymentEvent,
    },
    #[error("recharge cannot go from {from} on {event:?}")]
    Recharge {
        from: RechargeStatus,
        event: RechargeEvent,
    },
    #[error("unknown {kind} status {value:?}")]
    UnknownStatus { kind: &'static str, value: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Unpaid,
    Paid,
    /// Expired or cancelled before payment.
    Closed,
    Refunding,
    Refunded,
    RefundFailed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaymentEvent {
    PaymentConfirmed,
    Closed,
    RefundRequested,
    RefundSucceeded,
    RefundFailed,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 6] = [
        PaymentStatus::Unpaid,
        PaymentStatus::Paid,
        PaymentStatus::Closed,
        PaymentStatus::Refunding,
        PaymentStatus::Refunded,
        PaymentStatus::RefundFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Unpaid => "unpaid",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Closed => "closed",
            PaymentStatus::Refunding => "refunding",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::RefundFailed => "refund_failed",
        }
    }

    /// Money was taken from the customer (whatever happened after).
    pub fn money_received(self) -> bool {
        match self {
            PaymentStatus::Paid
            | PaymentStatus::Refunding
            | PaymentStatus::Refunded
            | PaymentStatus::RefundFailed => true,
            PaymentStatus::Unpaid | PaymentStatus::Closed => false,
        }
    }

    /// No event moves the payment out of this state.
    pub fn is_terminal(self) -> bool {
        match self {
            PaymentStatus::Closed | PaymentStatus::Refunded => true,
            PaymentStatus::Unpaid
            | PaymentStatus::Paid
            | PaymentStatus::Refunding
            | PaymentStatus::RefundFailed => false,
        }
    }

    pub fn apply(self, event: PaymentEvent) -> Result<PaymentStatus, TransitionError> {
        use PaymentEvent as E;
        use PaymentStatus as S;
        let next = match self {
            S::Unpaid => match event {
                E::PaymentConfirmed => Some(S::Paid),
                E::Closed => Some(S::Closed),
                E::RefundRequested | E::RefundSucceeded | E::RefundFailed => None,
            },
            S::Paid => match event {
                E::RefundRequested => Some(S::Refunding),
                E::PaymentConfirmed | E::Closed | E::RefundSucceeded | E::RefundFailed => None,
            },
            S::Refunding => match event {
                E::RefundSucceeded => Some(S::Refunded),
                E::RefundFailed => Some(S::RefundFailed),
                E::PaymentConfirmed | E::Closed | E::RefundRequested => None,
            },
            // A person may try a failed refund again.
            S::RefundFailed => match event {
                E::RefundRequested => Some(S::Refunding),
                E::PaymentConfirmed | E::Closed | E::RefundSucceeded | E::RefundFailed => None,
            },
            S::Closed | S::Refunded => None,
        };
        next.ok_or(TransitionError::Payment { from: self, event })
    }
}

impl FromStr for PaymentStatus {
    type Err = TransitionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PaymentStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| TransitionError::UnknownStatus {
                kind: "payment",
                value: s.to_owned(),
            })
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RechargeStatus {
    /// Not paid yet: nothing to top up (`null` in the database and the API).
    NotStarted,
    /// Paid, waiting for a worker to claim it.
    Pending,
    /// Claimed by one worker: the request to the provider may be on the wire. Never re-sent.
    Submitting,
    /// The provider accepted it but has not finished; confirm by seq.
    Confirming,
    Success,
    /// The provider said clearly that nothing was topped up.
    Failed,
    /// Nobody knows whether the number was topped up: reconciliation or a person decides.
    Unknown,
}

/// How a recharge outcome was decided when it was not the provider's direct answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Resolution {
    Succeeded,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RechargeEvent {
    PaymentConfirmed,
    Claimed,
    ProviderSucceeded,
    ProviderFailed,
    ProviderPending,
    OutcomeLost,
    /// The request provably never left (no connection, no token): back in the queue.
    NotSent,
    /// Reconciliation or a person decided the outcome of an `unknown` or `failed` top-up.
    Resolved(Resolution),
}

impl RechargeStatus {
    pub const ALL: [RechargeStatus; 7] = [
        RechargeStatus::NotStarted,
        RechargeStatus::Pending,
        RechargeStatus::Submitting,
        RechargeStatus::Confirming,
        RechargeStatus::Success,
        RechargeStatus::Failed,
        RechargeStatus::Unknown,
    ];

    /// The stored and displayed value; `None` for [`RechargeStatus::NotStarted`] (SQL NULL).
    pub fn as_db(self) -> Option<&'static str> {
        match self {
            RechargeStatus::NotStarted => None,
            RechargeStatus::Pending => Some("pending"),
            RechargeStatus::Submitting => Some("submitting"),
            RechargeStatus::Confirming => Some("confirming"),
            RechargeStatus::Success => Some("success"),
            RechargeStatus::Failed => Some("failed"),
            RechargeStatus::Unknown => Some("unknown"),
        }
    }

    pub fn as_str(self) -> &'static str {
        self.as_db().unwrap_or("none")
    }

    pub fn from_db(value: Option<&str>) -> Result<Self, TransitionError> {
        match value {
            None => Ok(RechargeStatus::NotStarted),
            // The old backend wrote `timeout` where the outcome was not known.
            Some("timeout") => Ok(RechargeStatus::Unknown),
            Some(s) => RechargeStatus::ALL
                .into_iter()
                .find(|status| status.as_db() == Some(s))
                .ok_or_else(|| TransitionError::UnknownStatus {
                    kind: "recharge",
                    value: s.to_owned(),
                }),
        }
    }

    /// A request may have reached the provider: the order must never be submitted again.
    pub fn was_submitted(self) -> bool {
        match self {
            RechargeStatus::Submitting
            | RechargeStatus::Confirming
            | RechargeStatus::Success
            | RechargeStatus::Failed
            | RechargeStatus::Unknown => true,
            RechargeStatus::NotStarted | RechargeStatus::Pending => false,
        }
    }

    /// No automatic event moves the recharge out of this state.
    pub fn is_settled(self) -> bool {
        match self {
            RechargeStatus::Success | RechargeStatus::Failed | RechargeStatus::Unknown => true,
            RechargeStatus::NotStarted
            | RechargeStatus::Pending
            | RechargeStatus::Submitting
            | RechargeStatus::Confirming => false,
        }
    }

    /// Needs a person's attention.
    pub fn needs_attention(self) -> bool {
        match self {
            RechargeStatus::Failed | RechargeStatus::Unknown => true,
            RechargeStatus::NotStarted
            | RechargeStatus::Pending
            | RechargeStatus::Submitting
            | RechargeStatus::Confirming
            | RechargeStatus::Success => false,
        }
    }

    pub fn apply(self, event: RechargeEvent) -> Result<RechargeStatus, TransitionError> {
        use RechargeEvent as E;
        use RechargeStatus as S;
        let next = match self {
            S::NotStarted => match event {
                E::PaymentConfirmed => Some(S::Pending),
                E::Claimed
                | E::ProviderSucceeded
                | E::ProviderFailed
                | E::ProviderPending
                | E::OutcomeLost
                | E::NotSent
                | E::Resolved(_) => None,
            },
            S::Pending => match event {
                E::Claimed => Some(S::Submitting),
                E::PaymentConfirmed
                | E::ProviderSucceeded
                | E::ProviderFailed
                | E::ProviderPending
                | E::OutcomeLost
                | E::NotSent
                | E::Resolved(_) => None,
            },
            S::Submitting => match event {
                E::ProviderSucceeded => Some(S::Success),
                E::ProviderFailed => Some(S::Failed),
                E::ProviderPending => Some(S::Confirming),
                E::OutcomeLost => Some(S::Unknown),
                // The only way back to the queue: the request provably never left.
                E::NotSent => Some(S::Pending),
                E::PaymentConfirmed | E::Claimed | E::Resolved(_) => None,
            },
            S::Confirming => match event {
                E::ProviderSucceeded => Some(S::Success),
                E::ProviderFailed => Some(S::Failed),
                E::PaymentConfirmed
                | E::Claimed
                | E::ProviderPending
                | E::OutcomeLost
                | E::NotSent
                | E::Resolved(_) => None,
            },
            S::Unknown => match event {
                E::Resolved(Resolution::Succeeded) => Some(S::Success),
                E::Resolved(Resolution::Failed) => Some(S::Failed),
                E::PaymentConfirmed
                | E::Claimed
                | E::ProviderSucceeded
                | E::ProviderFailed
                | E::ProviderPending
                | E::OutcomeLost
                | E::NotSent => None,
            },
            // Reconciliation may find that a "failed" top-up went through after all.
            S::Failed => match event {
                E::Resolved(Resolution::Succeeded) => Some(S::Success),
                E::Resolved(Resolution::Failed)
                | E::PaymentConfirmed
                | E::Claimed
                | E::ProviderSucceeded
                | E::ProviderFailed
                | E::ProviderPending
                | E::OutcomeLost
                | E::NotSent => None,
            },
            S::Success => None,
        };
        next.ok_or(TransitionError::Recharge { from: self, event })
    }
}

/// The displayed value ([`RechargeStatus::as_str`]: `none` before payment), or the old
/// backend's `timeout`, read as [`RechargeStatus::Unknown`] like [`RechargeStatus::from_db`].
impl FromStr for RechargeStatus {
    type Err = TransitionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match RechargeStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
        {
            Some(status) => Ok(status),
            None => RechargeStatus::from_db(Some(s)),
        }
    }
}

impl fmt::Display for RechargeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Resolution {
    pub const ALL: [Resolution; 2] = [Resolution::Succeeded, Resolution::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Succeeded => "succeeded",
            Resolution::Failed => "failed",
        }
    }

    /// The other word a person types for it (the recharge status it leads to, or the noun).
    fn alias(self) -> &'static str {
        match self {
            Resolution::Succeeded => "success",
            Resolution::Failed => "failure",
        }
    }
}

/// What a person typed (an admin's form, the CLI): either word of a resolution, in any case,
/// surrounding blanks ignored.
impl FromStr for Resolution {
    type Err = TransitionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let word = s.trim().to_ascii_lowercase();
        Resolution::ALL
            .into_iter()
            .find(|resolution| resolution.as_str() == word || resolution.alias() == word)
            .ok_or_else(|| TransitionError::UnknownStatus {
                kind: "resolution",
                value: s.to_owned(),
            })
    }
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PaymentEvent as PE;
    use PaymentStatus as P;
    use RechargeEvent as RE;
    use RechargeStatus as R;

    const PAYMENT_EVENTS: [PaymentEvent; 5] = [
        PE::PaymentConfirmed,
        PE::Closed,
        PE::RefundRequested,
        PE::RefundSucceeded,
        PE::RefundFailed,
    ];

    const RECHARGE_EVENTS: [RechargeEvent; 9] = [
        RE::PaymentConfirmed,
        RE::Claimed,
        RE::ProviderSucceeded,
        RE::ProviderFailed,
        RE::ProviderPending,
        RE::OutcomeLost,
        RE::NotSent,
        RE::Resolved(Resolution::Succeeded),
        RE::Resolved(Resolution::Failed),
    ];

    /// The whole table: every (state, event) pair, allowed ones with their target.
    #[test]
    fn payment_transition_table() {
        let allowed = [
            (P::Unpaid, PE::PaymentConfirmed, P::Paid),
            (P::Unpaid, PE::Closed, P::Closed),
            (P::Paid, PE::RefundRequested, P::Refunding),
            (P::Refunding, PE::RefundSucceeded, P::Refunded),
            (P::Refunding, PE::RefundFailed, P::RefundFailed),
            (P::RefundFailed, PE::RefundRequested, P::Refunding),
        ];
        for from in PaymentStatus::ALL {
            for event in PAYMENT_EVENTS {
                let expected = allowed
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|(_, _, to)| *to);
                match expected {
                    Some(to) => assert_eq!(from.apply(event), Ok(to), "{from} on {event:?}"),
                    None => assert_eq!(
                        from.apply(event),
                        Err(TransitionError::Payment { from, event }),
                        "{from} on {event:?} must be refused"
                    ),
                }
            }
        }
    }

    #[test]
    fn recharge_transition_table() {
        let allowed = [
            (R::NotStarted, RE::PaymentConfirmed, R::Pending),
            (R::Pending, RE::Claimed, R::Submitting),
            (R::Submitting, RE::ProviderSucceeded, R::Success),
            (R::Submitting, RE::ProviderFailed, R::Failed),
            (R::Submitting, RE::ProviderPending, R::Confirming),
            (R::Submitting, RE::OutcomeLost, R::Unknown),
            (R::Submitting, RE::NotSent, R::Pending),
            (R::Confirming, RE::ProviderSucceeded, R::Success),
            (R::Confirming, RE::ProviderFailed, R::Failed),
            (R::Unknown, RE::Resolved(Resolution::Succeeded), R::Success),
            (R::Unknown, RE::Resolved(Resolution::Failed), R::Failed),
            (R::Failed, RE::Resolved(Resolution::Succeeded), R::Success),
        ];
        for from in RechargeStatus::ALL {
            for event in RECHARGE_EVENTS {
                let expected = allowed
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|(_, _, to)| *to);
                match expected {
                    Some(to) => assert_eq!(from.apply(event), Ok(to), "{from} on {event:?}"),
                    None => assert_eq!(
                        from.apply(event),
                        Err(TransitionError::Recharge { from, event }),
                        "{from} on {event:?} must be refused"
                    ),
                }
            }
        }
    }

    #[test]
    fn only_claiming_leads_into_submission() {
        for from in RechargeStatus::ALL {
            for event in RECHARGE_EVENTS {
                if let Ok(to) = from.apply(event) {
                    if to == R::Submitting {
                        assert_eq!((from, event), (R::Pending, RE::Claimed));
                    }
                    // Once a request may have left, the order is never sendable again —
                    // except when it provably did not leave.
                    if from.was_submitted() && !to.was_submitted() {
                        assert_eq!((from, event, to), (R::Submitting, RE::NotSent, R::Pending));
                    }
                }
            }
        }
    }

    #[test]
    fn statuses_round_trip_through_storage() {
        for status in PaymentStatus::ALL {
            assert_eq!(status.as_str().parse::<PaymentStatus>(), Ok(status));
        }
        for status in RechargeStatus::ALL {
            assert_eq!(RechargeStatus::from_db(status.as_db()), Ok(status));
        }
        assert!("timeout".parse::<PaymentStatus>().is_err());
        assert!(RechargeStatus::from_db(Some("bogus")).is_err());
    }

    #[test]
    fn displayed_statuses_parse_back() {
        for status in RechargeStatus::ALL {
            assert_eq!(status.to_string().parse::<RechargeStatus>(), Ok(status));
        }
        assert_eq!("timeout".parse::<RechargeStatus>(), Ok(R::Unknown));
        assert_eq!(
            "bogus".parse::<RechargeStatus>(),
            Err(TransitionError::UnknownStatus {
                kind: "recharge",
                value: "bogus".to_owned()
            })
        );
        assert!("".parse::<RechargeStatus>().is_err());
    }

    #[test]
    fn resolutions_parse_from_either_word() {
        for resolution in Resolution::ALL {
            assert_eq!(resolution.to_string().parse::<Resolution>(), Ok(resolution));
        }
        for (typed, expected) in [
            (" Success ", Resolution::Succeeded),
            ("SUCCEEDED", Resolution::Succeeded),
            ("failure", Resolution::Failed),
            ("Failed\n", Resolution::Failed),
        ] {
            assert_eq!(typed.parse::<Resolution>(), Ok(expected), "{typed:?}");
        }
        for refused in ["", "ok", "unknown", "succeed"] {
            assert!(refused.parse::<Resolution>().is_err(), "{refused:?}");
        }
    }

    /// The figures' rules: money received is exactly what is neither unpaid nor closed;
    /// a settled top-up is one no automatic event moves.
    #[test]
    fn classifiers_name_their_states() {
        let received: Vec<_> = PaymentStatus::ALL
            .into_iter()
            .filter(|status| status.money_received())
            .collect();
        assert_eq!(
            received,
            [P::Paid, P::Refunding, P::Refunded, P::RefundFailed]
        );
        let settled: Vec<_> = RechargeStatus::ALL
            .into_iter()
            .filter(|status| status.is_settled())
            .collect();
        assert_eq!(settled, [R::Success, R::Failed, R::Unknown]);
        for from in RechargeStatus::ALL {
            if from.is_settled() {
                for event in RECHARGE_EVENTS {
                    let automatic = !matches!(event, RE::Resolved(_));
                    if automatic {
                        assert!(from.apply(event).is_err(), "{from} on {event:?}");
                    }
                }
            }
        }
    }
}
