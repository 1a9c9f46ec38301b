//! What is being bought: the kind of recharge and the product snapshot kept on the order.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::money::Mnt;
use crate::msisdn::Operator;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("recharge type must be voice, data or postpaid, got {0:?}")]
pub struct UnknownRechargeKind(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RechargeKind {
    /// A voice/unit card (`/service/recharge`).
    Voice,
    /// A data package (`/service/datapackage`).
    Data,
    /// Paying the postpaid bill (`/service/payment`).
    Postpaid,
}

impl RechargeKind {
    pub const ALL: [RechargeKind; 3] = [
        RechargeKind::Voice,
        RechargeKind::Data,
        RechargeKind::Postpaid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RechargeKind::Voice => "voice",
            RechargeKind::Data => "data",
            RechargeKind::Postpaid => "postpaid",
        }
    }
}

impl FromStr for RechargeKind {
    type Err = UnknownRechargeKind;
    /// Case-insensitive: old clients sent `VOICE`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RechargeKind::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownRechargeKind(s.to_owned()))
    }
}

impl fmt::Display for RechargeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The product as it was when the order was made; later price-list changes don't touch it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductSnapshot {
    pub operator: Operator,
    pub kind: RechargeKind,
    /// Unitel's card or package code; for postpaid, a fixed marker.
    pub code: String,
    pub name: String,
    pub eng_name: String,
    pub price: Mnt,
    pub unit: Option<i64>,
    pub data: Option<String>,
    pub days: Option<i32>,
}

impl ProductSnapshot {
    /// The code recorded for postpaid bill payments, which have no product code.
    pub const POSTPAID_CODE: &'static str = "POSTPAID";
}
