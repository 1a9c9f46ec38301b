//! The mall order's state machine, on statuses alone: which event each status takes and
//! where it leads. One exhaustive `match`, so a new status or event fails to compile until
//! every pair is decided.

use serde::{Deserialize, Serialize};

/// Implements `as_str`, `FromStr` and `Display` from an enum's `ALL` and its names.
macro_rules! stored_names {
    ($type:ident, $kind:literal, [$($variant:ident => $name:literal),+ $(,)?]) => {
        impl $type {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($type::$variant => $name),+
                }
            }
        }

        impl ::std::str::FromStr for $type {
            type Err = $crate::payments::UnknownName;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                $type::ALL
                    .into_iter()
                    .find(|value| value.as_str() == raw)
                    .ok_or_else(|| $crate::payments::UnknownName {
                        kind: $kind,
                        value: raw.to_owned(),
                    })
            }
        }

        impl ::std::fmt::Display for $type {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use stored_names;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MallOrderStatus {
    /// 待付款: placed, stock reserved, waiting for the payment until its deadline.
    Unpaid,
    /// 待发货: paid, waiting for the merchant to ship.
    Paid,
    /// 待收货: shipped, waiting for the buyer (or the clock) to confirm receipt.
    Shipped,
    /// 已完成.
    Completed,
    /// 已取消: never paid (by the buyer, the deadline or an admin); stock given back.
    Cancelled,
}

impl MallOrderStatus {
    pub const ALL: [MallOrderStatus; 5] = [
        MallOrderStatus::Unpaid,
        MallOrderStatus::Paid,
        MallOrderStatus::Shipped,
        MallOrderStatus::Completed,
        MallOrderStatus::Cancelled,
    ];

    /// What the shopper reads.
    pub fn label_zh(self) -> &'static str {
        match self {
            MallOrderStatus::Unpaid => "待付款",
            MallOrderStatus::Paid => "待发货",
            MallOrderStatus::Shipped => "待收货",
            MallOrderStatus::Completed => "已完成",
            MallOrderStatus::Cancelled => "已取消",
        }
    }

    /// Money was received for the order (after-sales may give some back).
    pub fn money_received(self) -> bool {
        match self {
            MallOrderStatus::Paid | MallOrderStatus::Shipped | MallOrderStatus::Completed => true,
            MallOrderStatus::Unpaid | MallOrderStatus::Cancelled => false,
        }
    }

    /// The status-level transition table.
    pub fn on(self, event: OrderEventKind) -> Result<Verdict, OrderTransitionError> {
        use MallOrderStatus as S;
        use OrderEventKind as E;
        let verdict = match self {
            S::Unpaid => match event {
                E::Paid => Some(Verdict::To(S::Paid)),
                E::Cancel => Some(Verdict::To(S::Cancelled)),
                E::Ship | E::ConfirmReceipt => None,
            },
            S::Paid => match event {
                E::Paid => Some(Verdict::AlreadyPaid),
                E::Ship => Some(Verdict::To(S::Shipped)),
                // A paid order is given back through after-sales, never cancelled.
                E::Cancel | E::ConfirmReceipt => None,
            },
            S::Shipped => match event {
                E::Paid => Some(Verdict::AlreadyPaid),
                E::ConfirmReceipt => Some(Verdict::To(S::Completed)),
                E::Cancel | E::Ship => None,
            },
            S::Completed => match event {
                E::Paid => Some(Verdict::AlreadyPaid),
                E::Cancel | E::Ship | E::ConfirmReceipt => None,
            },
            S::Cancelled => match event {
                // The stock was given back: a payment now never revives the order.
                E::Paid => Some(Verdict::LatePayment),
                E::Cancel | E::Ship | E::ConfirmReceipt => None,
            },
        };
        verdict.ok_or(OrderTransitionError { from: self, event })
    }
}

stored_names!(MallOrderStatus, "mall order status", [
    Unpaid => "unpaid",
    Paid => "paid",
    Shipped => "shipped",
    Completed => "completed",
    Cancelled => "cancelled",
]);

/// What can happen to an order, without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderEventKind {
    Paid,
    Cancel,
    Ship,
    ConfirmReceipt,
}

impl OrderEventKind {
    pub const ALL: [OrderEventKind; 4] = [
        OrderEventKind::Paid,
        OrderEventKind::Cancel,
        OrderEventKind::Ship,
        OrderEventKind::ConfirmReceipt,
    ];
}

stored_names!(OrderEventKind, "mall order event", [
    Paid => "paid",
    Cancel => "cancel",
    Ship => "ship",
    ConfirmReceipt => "confirm_receipt",
]);

/// Where an event takes a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    To(MallOrderStatus),
    /// A payment for a cancelled order: the order stays cancelled, the money goes back.
    LatePayment,
    /// A payment for an order paid already: the same payment repeated (nothing to do), or
    /// a second one, given back.
    AlreadyPaid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a mall order cannot go from {from} on {event}")]
pub struct OrderTransitionError {
    pub from: MallOrderStatus,
    pub event: OrderEventKind,
}

/// Who cancelled an unpaid order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    Buyer,
    /// Its payment deadline passed (after the payments core closed the payment).
    Timeout,
    Admin,
}

impl CancelReason {
    pub const ALL: [CancelReason; 3] = [
        CancelReason::Buyer,
        CancelReason::Timeout,
        CancelReason::Admin,
    ];
}

stored_names!(CancelReason, "cancel reason", [
    Buyer => "buyer",
    Timeout => "timeout",
    Admin => "admin",
]);

/// Who confirmed receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptBy {
    Buyer,
    /// N days after shipping, by the job.
    Automatic,
}

impl ReceiptBy {
    pub const ALL: [ReceiptBy; 2] = [ReceiptBy::Buyer, ReceiptBy::Automatic];
}

stored_names!(ReceiptBy, "receipt confirmation", [
    Buyer => "buyer",
    Automatic => "automatic",
]);
