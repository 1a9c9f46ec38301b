//! What the simulated WeChat Pay records: orders, refunds and notifications with every
//! delivery attempt and the merchant's answer; the snapshot of them tests read.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::signing::{SignatureFault, SignatureHeaders};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum V3TradeState {
    #[serde(rename = "NOTPAY")]
    NotPay,
    Success,
    Closed,
    Refund,
}

impl V3TradeState {
    pub const ALL: [V3TradeState; 4] = [
        V3TradeState::NotPay,
        V3TradeState::Success,
        V3TradeState::Closed,
        V3TradeState::Refund,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            V3TradeState::NotPay => "NOTPAY",
            V3TradeState::Success => "SUCCESS",
            V3TradeState::Closed => "CLOSED",
            V3TradeState::Refund => "REFUND",
        }
    }

    /// `trade_state_desc`.
    pub fn description(self) -> &'static str {
        match self {
            V3TradeState::NotPay => "订单未支付",
            V3TradeState::Success => "支付成功",
            V3TradeState::Closed => "订单已关闭",
            V3TradeState::Refund => "订单发生过退款",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum V3TradeType {
    Jsapi,
    Native,
}

impl V3TradeType {
    pub fn as_str(self) -> &'static str {
        match self {
            V3TradeType::Jsapi => "JSAPI",
            V3TradeType::Native => "NATIVE",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct V3Order {
    pub out_trade_no: String,
    pub trade_type: V3TradeType,
    pub appid: String,
    pub mchid: String,
    pub description: String,
    pub attach: Option<String>,
    pub notify_url: String,
    /// Fen.
    pub total: i64,
    pub currency: String,
    pub payer_openid: Option<String>,
    pub time_expire: Option<DateTime<Utc>>,
    pub prepay_id: Option<String>,
    pub code_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub state: V3TradeState,
    pub transaction_id: Option<String>,
    pub success_time: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Paid after it was closed or had expired (`late` payment).
    pub paid_late: bool,
    /// The creation request as received: a reused `out_trade_no` must repeat it exactly.
    pub request: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum V3RefundStatus {
    Processing,
    Success,
    Closed,
    Abnormal,
}

impl V3RefundStatus {
    pub const ALL: [V3RefundStatus; 4] = [
        V3RefundStatus::Processing,
        V3RefundStatus::Success,
        V3RefundStatus::Closed,
        V3RefundStatus::Abnormal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            V3RefundStatus::Processing => "PROCESSING",
            V3RefundStatus::Success => "SUCCESS",
            V3RefundStatus::Closed => "CLOSED",
            V3RefundStatus::Abnormal => "ABNORMAL",
        }
    }

    pub fn parse(raw: &str) -> Option<V3RefundStatus> {
        V3RefundStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == raw)
    }

    /// A closed refund gives its amount back to the order; the others hold it.
    pub fn holds_amount(self) -> bool {
        match self {
            V3RefundStatus::Processing | V3RefundStatus::Success | V3RefundStatus::Abnormal => true,
            V3RefundStatus::Closed => false,
        }
    }

    /// The notification's `event_type` for reaching this status, if one is sent.
    pub fn event_type(self) -> Option<&'static str> {
        match self {
            V3RefundStatus::Processing => None,
            V3RefundStatus::Success => Some("REFUND.SUCCESS"),
            V3RefundStatus::Closed => Some("REFUND.CLOSED"),
            V3RefundStatus::Abnormal => Some("REFUND.ABNORMAL"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct V3Refund {
    pub out_refund_no: String,
    pub refund_id: String,
    pub out_trade_no: String,
    pub transaction_id: String,
    pub reason: Option<String>,
    pub notify_url: Option<String>,
    /// Fen.
    pub refund: i64,
    pub total: i64,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    pub status: V3RefundStatus,
    pub success_time: Option<DateTime<Utc>>,
    /// The refund request as received: a reused `out_refund_no` must repeat it exactly.
    pub request: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    Transaction,
    Refund,
}

/// One POST of a notification to the merchant.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationAttempt {
    pub attempt: u32,
    pub at: DateTime<Utc>,
    /// The pause before this attempt (0 for the first): the scaled official schedule.
    pub delay_before_ms: u64,
    pub headers: SignatureHeaders,
    /// The exact body sent (differs from the notification's body for a tampered one).
    pub body: String,
    pub http_status: Option<u16>,
    pub response_body: Option<String>,
    pub error: Option<String>,
    /// The merchant answered 2xx.
    pub acknowledged: bool,
    /// An earlier attempt's exact bytes and headers sent again (a replay), not a delivery.
    pub replay: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct V3Notification {
    pub id: String,
    pub kind: NotificationKind,
    pub event_type: String,
    pub out_trade_no: String,
    pub out_refund_no: Option<String>,
    pub url: String,
    /// The wrong thing done on purpose, if any (such notifications are sent once).
    pub fault: Option<SignatureFault>,
    /// The notification JSON as signed.
    pub body: String,
    /// The decrypted `resource`.
    pub resource: Value,
    pub attempts: Vec<NotificationAttempt>,
    /// A delivery attempt (not a replay) was answered 2xx.
    pub acknowledged: bool,
    /// The schedule ran out without a 2xx.
    pub gave_up: bool,
}

/// A copy of everything the simulator knows, as `GET /sandbox/v3/ledger` shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct V3Ledger {
    pub orders: Vec<V3Order>,
    pub refunds: Vec<V3Refund>,
    pub notifications: Vec<V3Notification>,
}

impl V3Ledger {
    pub fn order(&self, out_trade_no: &str) -> Option<&V3Order> {
        self.orders
            .iter()
            .find(|order| order.out_trade_no == out_trade_no)
    }

    pub fn refund(&self, out_refund_no: &str) -> Option<&V3Refund> {
        self.refunds
            .iter()
            .find(|refund| refund.out_refund_no == out_refund_no)
    }

    pub fn notification(&self, id: &str) -> Option<&V3Notification> {
        self.notifications
            .iter()
            .find(|notification| notification.id == id)
    }

    /// Notifications about one order (payment and refunds), oldest first.
    pub fn notifications_of(&self, out_trade_no: &str) -> Vec<&V3Notification> {
        self.notifications
            .iter()
            .filter(|notification| notification.out_trade_no == out_trade_no)
            .collect()
    }
}
