//! Things that should not happen, recorded on the order for a person to look at.
//! Recording one never moves money.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// The callback's `totalFee` differs from the order's price.
    AmountMismatch,
    /// The callback's `attach` names another order.
    AttachMismatch,
    /// The order number in the callback URL differs from `outTradeNo`.
    OrderNumberMismatch,
    /// A payment arrived for an order already closed.
    PaymentAfterClose,
    /// A second, different WeChat transaction paid the same order.
    DuplicatePayment,
    /// A top-up whose outcome is not known.
    RechargeOutcomeUnknown,
    /// A refund the gateway refused.
    RefundRejected,
    /// A callback the gateway's own records do not confirm (forged, or for another payment).
    UnconfirmedPayment,
    /// WeChat's record names another payer than the one the payment was made out to.
    PayerMismatch,
}

impl AnomalyKind {
    pub const ALL: [AnomalyKind; 9] = [
        AnomalyKind::AmountMismatch,
        AnomalyKind::AttachMismatch,
        AnomalyKind::OrderNumberMismatch,
        AnomalyKind::PaymentAfterClose,
        AnomalyKind::DuplicatePayment,
        AnomalyKind::RechargeOutcomeUnknown,
        AnomalyKind::RefundRejected,
        AnomalyKind::UnconfirmedPayment,
        AnomalyKind::PayerMismatch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AnomalyKind::AmountMismatch => "amount_mismatch",
            AnomalyKind::AttachMismatch => "attach_mismatch",
            AnomalyKind::OrderNumberMismatch => "order_number_mismatch",
            AnomalyKind::PaymentAfterClose => "payment_after_close",
            AnomalyKind::DuplicatePayment => "duplicate_payment",
            AnomalyKind::RechargeOutcomeUnknown => "recharge_outcome_unknown",
            AnomalyKind::RefundRejected => "refund_rejected",
            AnomalyKind::UnconfirmedPayment => "unconfirmed_payment",
            AnomalyKind::PayerMismatch => "payer_mismatch",
        }
    }
}

impl FromStr for AnomalyKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AnomalyKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| format!("unknown anomaly {s:?}"))
    }
}

impl fmt::Display for AnomalyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    pub details: String,
}
