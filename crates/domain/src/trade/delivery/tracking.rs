//! A parcel's journey as a tracking API reports it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::trade::orders::stored_names;

/// Where the parcel is, as far as the carrier knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackingState {
    /// 揽收: the carrier picked it up.
    Collected,
    /// 在途 (also 转投: handed to another carrier).
    InTransit,
    /// 派件: out for delivery.
    Delivering,
    /// 签收.
    Delivered,
    /// 疑难 or 拒签: held, refused or lost; someone must look.
    Problem,
    /// 退回: on its way back to the merchant.
    Returning,
    /// 退签: back with the merchant.
    Returned,
    /// 清关: in customs.
    Customs,
    /// No record yet, or a state the API added after this code was written.
    Unknown,
}

impl TrackingState {
    pub const ALL: [TrackingState; 9] = [
        TrackingState::Collected,
        TrackingState::InTransit,
        TrackingState::Delivering,
        TrackingState::Delivered,
        TrackingState::Problem,
        TrackingState::Returning,
        TrackingState::Returned,
        TrackingState::Customs,
        TrackingState::Unknown,
    ];

    /// What the shopper reads.
    pub fn label_zh(self) -> &'static str {
        match self {
            TrackingState::Collected => "已揽收",
            TrackingState::InTransit => "运输中",
            TrackingState::Delivering => "派送中",
            TrackingState::Delivered => "已签收",
            TrackingState::Problem => "疑难件",
            TrackingState::Returning => "退回中",
            TrackingState::Returned => "已退签",
            TrackingState::Customs => "清关中",
            TrackingState::Unknown => "暂无物流信息",
        }
    }

    /// Nothing will change any more.
    pub fn is_final(self) -> bool {
        match self {
            TrackingState::Delivered | TrackingState::Returned => true,
            TrackingState::Collected
            | TrackingState::InTransit
            | TrackingState::Delivering
            | TrackingState::Problem
            | TrackingState::Returning
            | TrackingState::Customs
            | TrackingState::Unknown => false,
        }
    }
}

stored_names!(TrackingState, "tracking state", [
    Collected => "collected",
    InTransit => "in_transit",
    Delivering => "delivering",
    Delivered => "delivered",
    Problem => "problem",
    Returning => "returning",
    Returned => "returned",
    Customs => "customs",
    Unknown => "unknown",
]);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackingEvent {
    pub at: DateTime<Utc>,
    /// The carrier's words, e.g. 【深圳转运中心】已发出.
    pub description: String,
    /// Where it happened, when the API says.
    pub place: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracking {
    pub state: TrackingState,
    /// Newest first.
    pub events: Vec<TrackingEvent>,
}

impl Tracking {
    /// No record at the carrier yet (a parcel just handed over).
    pub fn nothing_yet() -> Tracking {
        Tracking {
            state: TrackingState::Unknown,
            events: Vec::new(),
        }
    }
}

/// What is asked of the tracking API.
#[derive(Clone, PartialEq, Eq)]
pub struct TrackingQuery {
    /// The company code, e.g. `shunfeng`.
    pub carrier: String,
    pub tracking_no: String,
    /// The receiver's phone, last 4 digits: some carriers (SF, ZTO) require it.
    pub phone_last4: Option<String>,
}

/// The phone tail is personal data: withheld from logs.
impl fmt::Debug for TrackingQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrackingQuery")
            .field("carrier", &self.carrier)
            .field("tracking_no", &self.tracking_no)
            .field("phone_last4", &self.phone_last4.as_ref().map(|_| "****"))
            .finish()
    }
}

/// Why the tracking API gave no track.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackingError {
    /// The API knows nothing of this number (yet).
    #[error("no tracking record for this number yet")]
    NoRecord,
    /// The API refused the request: our configuration (credentials, signature, an unknown
    /// company) or the number itself. Asking again will not help.
    #[error("tracking refused ({code}): {message}")]
    Rejected { code: String, message: String },
    /// Unreachable, timed out or busy: ask again later.
    #[error("tracking unavailable: {0}")]
    Unavailable(String),
    /// An answer we cannot read.
    #[error("tracking answer unreadable: {0}")]
    InvalidResponse(String),
}
