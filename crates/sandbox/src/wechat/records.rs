//! What the simulated WeChat Pay records: orders, refunds and notification attempts, and
//! the snapshot of them the tests read.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SimTradeState {
    #[serde(rename = "NOTPAY")]
    NotPay,
    #[serde(rename = "SUCCESS")]
    Success,
    #[serde(rename = "REFUND")]
    Refund,
    #[serde(rename = "CLOSED")]
    Closed,
}

impl SimTradeState {
    pub fn as_wechat(self) -> &'static str {
        match self {
            SimTradeState::NotPay => "NOTPAY",
            SimTradeState::Success => "SUCCESS",
            SimTradeState::Refund => "REFUND",
            SimTradeState::Closed => "CLOSED",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SimOrder {
    pub out_trade_no: String,
    pub prepay_id: String,
    pub body: String,
    pub openid: String,
    pub sub_mch_id: String,
    pub env_id: String,
    pub spbill_create_ip: String,
    pub total_fee: i64,
    pub attach: Option<String>,
    pub container_service: String,
    pub container_path: String,
    pub created_at: DateTime<Utc>,
    /// `time_expire` of `unifiedOrder`, if given.
    pub time_expire: Option<DateTime<Utc>>,
    pub state: SimTradeState,
    pub transaction_id: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub refunded_fee: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SimRefundStatus {
    #[serde(rename = "PROCESSING")]
    Processing,
    #[serde(rename = "SUCCESS")]
    Success,
    #[serde(rename = "REFUNDCLOSE")]
    Closed,
    #[serde(rename = "CHANGE")]
    Change,
}

impl SimRefundStatus {
    pub fn as_wechat(self) -> &'static str {
        match self {
            SimRefundStatus::Processing => "PROCESSING",
            SimRefundStatus::Success => "SUCCESS",
            SimRefundStatus::Closed => "REFUNDCLOSE",
            SimRefundStatus::Change => "CHANGE",
        }
    }

    pub(crate) fn parse(raw: &str) -> Option<Self> {
        match raw {
            "PROCESSING" => Some(SimRefundStatus::Processing),
            "SUCCESS" => Some(SimRefundStatus::Success),
            "REFUNDCLOSE" => Some(SimRefundStatus::Closed),
            "CHANGE" => Some(SimRefundStatus::Change),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SimRefund {
    pub out_refund_no: String,
    pub refund_id: String,
    pub out_trade_no: String,
    pub transaction_id: String,
    pub total_fee: i64,
    pub refund_fee: i64,
    pub refund_desc: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Set by a test (`/__sandbox/wechat/refunds/{no}/status`); otherwise PROCESSING until
    /// the configured processing time has passed, then SUCCESS.
    pub forced_status: Option<SimRefundStatus>,
}

impl SimRefund {
    pub(crate) fn status(&self, now: DateTime<Utc>, processing_ms: u64) -> SimRefundStatus {
        if let Some(forced) = self.forced_status {
            return forced;
        }
        let processing =
            ChronoDuration::milliseconds(i64::try_from(processing_ms).unwrap_or(i64::MAX));
        if now >= self.created_at + processing {
            SimRefundStatus::Success
        } else {
            SimRefundStatus::Processing
        }
    }
}

/// One attempt to deliver one copy of a payment notification.
#[derive(Debug, Clone, Serialize)]
pub struct CallbackAttempt {
    pub out_trade_no: String,
    pub copy: u32,
    pub attempt: u32,
    pub at: DateTime<Utc>,
    pub url: Option<String>,
    pub http_status: Option<u16>,
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub acknowledged: bool,
    /// The amount the notification claimed (differs from the order's on a "wrong amount" run).
    pub total_fee: i64,
}

/// A copy of everything the simulator knows, as `GET /__sandbox/wechat/ledger` shows it.
/// The live, indexed data is [`super::store::LedgerStore`]; this is a snapshot of it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Ledger {
    pub orders: Vec<SimOrder>,
    pub refunds: Vec<SimRefund>,
    pub callbacks: Vec<CallbackAttempt>,
}
