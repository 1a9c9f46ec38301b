//! Creating a payment: JSAPI (mini-program) and Native (QR code).

use chrono::{DateTime, Utc};

/// A JSAPI payment for a mini-program user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsapiOrder {
    /// 6-32 of `[A-Za-z0-9_-*]`, unique per merchant.
    pub out_trade_no: String,
    /// Up to 127 characters, shown to the payer.
    pub description: String,
    pub amount_fen: i64,
    pub payer_openid: String,
    /// After this WeChat Pay refuses to take the payment.
    pub time_expire: Option<DateTime<Utc>>,
    /// Up to 128 characters, returned unchanged in queries and notifications.
    pub attach: Option<String>,
    pub payer_client_ip: Option<String>,
}

/// A Native payment: a `code_url` to show as a QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeOrder {
    pub out_trade_no: String,
    pub description: String,
    pub amount_fen: i64,
    pub time_expire: Option<DateTime<Utc>>,
    pub attach: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct JsapiPrepay {
    /// Valid two hours; goes into `wx.requestPayment`'s `package`.
    pub prepay_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct NativePrepay {
    pub code_url: String,
}

/// Which payment a refund or query is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderReference {
    OutTradeNo(String),
    TransactionId(String),
}
