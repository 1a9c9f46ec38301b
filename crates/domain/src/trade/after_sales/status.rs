//! The after-sale's state machine, on statuses alone. One exhaustive `match` on
//! (status, event), the kind deciding the two steps that differ: a refund-only application
//! is refunded once approved; a return is refunded once the goods came back.

use serde::{Deserialize, Serialize};

use crate::trade::orders::stored_names;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterSaleKind {
    /// 仅退款.
    RefundOnly,
    /// 退货退款: the goods come back first.
    ReturnAndRefund,
}

impl AfterSaleKind {
    pub const ALL: [AfterSaleKind; 2] = [AfterSaleKind::RefundOnly, AfterSaleKind::ReturnAndRefund];
}

stored_names!(AfterSaleKind, "after-sale kind", [
    RefundOnly => "refund_only",
    ReturnAndRefund => "return_and_refund",
]);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterSaleStatus {
    /// Waiting for the merchant's review.
    Applied,
    Approved,
    Rejected,
    /// The buyer shipped the goods back.
    Returning,
    /// The merchant received them (and restocked).
    Received,
    /// A refund is in flight at the payments core.
    Refunding,
    Refunded,
    /// The last refund failed; it may be tried again.
    RefundFailed,
    /// Withdrawn by the buyer.
    Cancelled,
}

impl AfterSaleStatus {
    pub const ALL: [AfterSaleStatus; 9] = [
        AfterSaleStatus::Applied,
        AfterSaleStatus::Approved,
        AfterSaleStatus::Rejected,
        AfterSaleStatus::Returning,
        AfterSaleStatus::Received,
        AfterSaleStatus::Refunding,
        AfterSaleStatus::Refunded,
        AfterSaleStatus::RefundFailed,
        AfterSaleStatus::Cancelled,
    ];

    /// Still in progress: its item can take no other application, and its amount counts
    /// against the item's pay price.
    pub fn is_open(self) -> bool {
        match self {
            AfterSaleStatus::Applied
            | AfterSaleStatus::Approved
            | AfterSaleStatus::Returning
            | AfterSaleStatus::Received
            | AfterSaleStatus::Refunding
            | AfterSaleStatus::RefundFailed => true,
            AfterSaleStatus::Rejected | AfterSaleStatus::Refunded | AfterSaleStatus::Cancelled => {
                false
            }
        }
    }

    /// Its amount is given back or may still be: counted against the item's pay price.
    pub fn commits_amount(self) -> bool {
        self.is_open() || self == AfterSaleStatus::Refunded
    }

    /// The status-level transition table.
    pub fn on(
        self,
        kind: AfterSaleKind,
        event: AfterSaleEventKind,
    ) -> Result<AfterSaleStatus, AfterSaleTransitionError> {
        use AfterSaleEventKind as E;
        use AfterSaleKind as K;
        use AfterSaleStatus as S;
        let next = match self {
            S::Applied => match event {
                E::Approve => Some(S::Approved),
                E::Reject => Some(S::Rejected),
                E::Cancel => Some(S::Cancelled),
                E::ShipBack
                | E::Receive
                | E::StartRefund
                | E::RefundSucceeded
                | E::RefundFailed => None,
            },
            S::Approved => match (event, kind) {
                (E::ShipBack, K::ReturnAndRefund) => Some(S::Returning),
                (E::StartRefund, K::RefundOnly) => Some(S::Refunding),
                (E::Cancel, K::RefundOnly | K::ReturnAndRefund) => Some(S::Cancelled),
                (E::ShipBack, K::RefundOnly)
                | (E::StartRefund, K::ReturnAndRefund)
                | (
                    E::Approve | E::Reject | E::Receive | E::RefundSucceeded | E::RefundFailed,
                    K::RefundOnly | K::ReturnAndRefund,
                ) => None,
            },
            // The goods are on their way: only the merchant's receipt moves it on.
            S::Returning => match event {
                E::Receive => Some(S::Received),
                E::Approve
                | E::Reject
                | E::ShipBack
                | E::StartRefund
                | E::RefundSucceeded
                | E::RefundFailed
                | E::Cancel => None,
            },
            S::Received | S::RefundFailed => match event {
                E::StartRefund => Some(S::Refunding),
                E::Approve
                | E::Reject
                | E::ShipBack
                | E::Receive
                | E::RefundSucceeded
                | E::RefundFailed
                | E::Cancel => None,
            },
            S::Refunding => match event {
                E::RefundSucceeded => Some(S::Refunded),
                E::RefundFailed => Some(S::RefundFailed),
                E::Approve | E::Reject | E::ShipBack | E::Receive | E::StartRefund | E::Cancel => {
                    None
                }
            },
            S::Rejected | S::Refunded | S::Cancelled => None,
        };
        next.ok_or(AfterSaleTransitionError {
            from: self,
            kind,
            event,
        })
    }
}

stored_names!(AfterSaleStatus, "after-sale status", [
    Applied => "applied",
    Approved => "approved",
    Rejected => "rejected",
    Returning => "returning",
    Received => "received",
    Refunding => "refunding",
    Refunded => "refunded",
    RefundFailed => "refund_failed",
    Cancelled => "cancelled",
]);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterSaleEventKind {
    Approve,
    Reject,
    ShipBack,
    Receive,
    StartRefund,
    RefundSucceeded,
    RefundFailed,
    Cancel,
}

impl AfterSaleEventKind {
    pub const ALL: [AfterSaleEventKind; 8] = [
        AfterSaleEventKind::Approve,
        AfterSaleEventKind::Reject,
        AfterSaleEventKind::ShipBack,
        AfterSaleEventKind::Receive,
        AfterSaleEventKind::StartRefund,
        AfterSaleEventKind::RefundSucceeded,
        AfterSaleEventKind::RefundFailed,
        AfterSaleEventKind::Cancel,
    ];
}

stored_names!(AfterSaleEventKind, "after-sale event", [
    Approve => "approve",
    Reject => "reject",
    ShipBack => "ship_back",
    Receive => "receive",
    StartRefund => "start_refund",
    RefundSucceeded => "refund_succeeded",
    RefundFailed => "refund_failed",
    Cancel => "cancel",
]);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {kind} after-sale cannot go from {from} on {event}")]
pub struct AfterSaleTransitionError {
    pub from: AfterSaleStatus,
    pub kind: AfterSaleKind,
    pub event: AfterSaleEventKind,
}
