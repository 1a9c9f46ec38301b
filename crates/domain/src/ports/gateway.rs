//! The payment gateway port (WeChat Pay through Cloud Hosting today, API v3 later).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Fen;
use crate::order::{OpenId, OrderNumber};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// The call may not have arrived or its answer was lost: the outcome is unknown.
    #[error("payment gateway unavailable: {0}")]
    Unavailable(String),
    /// WeChat says the order is paid already (`ORDERPAID`).
    #[error("order already paid at the gateway")]
    OrderPaid,
    /// WeChat says the order is closed (`ORDERCLOSED`).
    #[error("order already closed at the gateway")]
    OrderClosed,
    /// WeChat does not know the order (`ORDERNOTEXIST`) or refund.
    #[error("not found at the gateway")]
    NotFound,
    /// Any other definite refusal, with WeChat's code and text (e.g. `受理关系不存在`).
    #[error("payment gateway refused: {code}: {message}")]
    Rejected { code: String, message: String },
}

/// What the mini-program needs to start a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    pub order_number: OrderNumber,
    pub openid: OpenId,
    pub description: String,
    pub amount: Fen,
    pub client_ip: String,
    /// After this the gateway must refuse to take the payment (`time_expire`), so that an
    /// order expiry closes can never be paid afterwards.
    pub expires_at: DateTime<Utc>,
}

/// The object handed unchanged to `wx.requestPayment`
/// (`appId, timeStamp, nonceStr, package, signType, paySign`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentParams(pub serde_json::Value);

/// A payment as the gateway sees it (`trade_state`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradeState {
    NotPaid,
    UserPaying,
    Paid(ConfirmedPayment),
    /// Paid, then (partly) refunded.
    Refunded(ConfirmedPayment),
    Closed,
    Revoked,
    PayError,
    NotFound,
}

impl TradeState {
    /// The payment that stands now; `None` for every other state, including `Refunded`:
    /// money given back must not be taken as received.
    pub fn standing_payment(&self) -> Option<&ConfirmedPayment> {
        match self {
            TradeState::Paid(payment) => Some(payment),
            TradeState::NotPaid
            | TradeState::UserPaying
            | TradeState::Refunded(_)
            | TradeState::Closed
            | TradeState::Revoked
            | TradeState::PayError
            | TradeState::NotFound => None,
        }
    }
}

/// A payment confirmed by the gateway, from a callback or a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmedPayment {
    pub order_number: String,
    pub transaction_id: String,
    pub amount: Fen,
    pub attach: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    /// The payer's openid as WeChat records it, when the answer names one.
    pub payer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub order_number: OrderNumber,
    pub refund_no: String,
    pub total: Fen,
    pub amount: Fen,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundState {
    Processing { gateway_refund_id: Option<String> },
    Succeeded { gateway_refund_id: Option<String> },
    Failed { reason: String },
}

/// What a line of the gateway's daily statement records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    Payment,
    Refund,
}

/// One line of the gateway's daily statement: a payment received or a refund paid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementEntry {
    /// As printed by the gateway: not necessarily one of our order numbers.
    pub order_number: String,
    pub transaction_id: String,
    /// The amount paid (payment) or paid back (refund).
    pub amount: Fen,
    pub kind: StatementKind,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    async fn create_payment(&self, request: &PaymentRequest)
    -> Result<PaymentParams, GatewayError>;

    /// A Native (QR code) payment: the `code_url` to show. Only the direct API v3 channel
    /// offers it; the default refuses for good.
    async fn create_native_payment(
        &self,
        request: &PaymentRequest,
    ) -> Result<String, GatewayError> {
        Err(GatewayError::Rejected {
            code: "NOT_SUPPORTED".to_owned(),
            message: format!(
                "Native payments need the WeChat Pay API v3 channel (order {})",
                request.order_number
            ),
        })
    }

    async fn query_order(&self, order_number: &OrderNumber) -> Result<TradeState, GatewayError>;

    /// `Ok` once closed (closing a closed order is `OrderClosed`; a paid one is `OrderPaid`).
    async fn close_order(&self, order_number: &OrderNumber) -> Result<(), GatewayError>;

    async fn refund(&self, request: &RefundRequest) -> Result<RefundState, GatewayError>;

    async fn query_refund(&self, refund_no: &str) -> Result<RefundState, GatewayError>;

    /// The statement of one day (the gateway's own calendar day); a day without one is empty.
    async fn statement(&self, day: NaiveDate) -> Result<Vec<StatementEntry>, GatewayError>;
}
