//! Refunds: the request, WeChat Pay's answer / query, and the `REFUND.*` notification.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::order::OrderReference;
use super::wire_enum;

wire_enum! {
    /// `status` of a refund (`refund_status` in notifications).
    pub enum RefundStatus {
        Success => "SUCCESS",
        /// Closed without paying out.
        Closed => "CLOSED",
        Processing => "PROCESSING",
        /// Stuck (e.g. the payer's card is closed): needs a person, may still succeed.
        Abnormal => "ABNORMAL",
    }
}

impl RefundStatus {
    /// SUCCESS and CLOSED end a refund; ABNORMAL does not (it can be retried to success).
    pub fn is_final(self) -> bool {
        match self {
            RefundStatus::Success | RefundStatus::Closed => true,
            RefundStatus::Processing | RefundStatus::Abnormal => false,
        }
    }
}

/// Ask WeChat Pay to give (part of) a payment back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundOrder {
    pub order: OrderReference,
    /// Our refund number: the same number on every retry of one refund (1-64 of
    /// `[A-Za-z0-9_-|*@]`).
    pub out_refund_no: String,
    pub reason: Option<String>,
    pub refund_fen: i64,
    /// The original order's total.
    pub total_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAmount {
    pub total: i64,
    pub refund: i64,
    #[serde(default)]
    pub payer_total: Option<i64>,
    #[serde(default)]
    pub payer_refund: Option<i64>,
    #[serde(default)]
    pub settlement_refund: Option<i64>,
    #[serde(default)]
    pub settlement_total: Option<i64>,
    #[serde(default)]
    pub discount_refund: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
}

/// A refund as `POST /v3/refund/domestic/refunds` and its query return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub refund_id: String,
    pub out_refund_no: String,
    #[serde(default)]
    pub transaction_id: Option<String>,
    #[serde(default)]
    pub out_trade_no: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub user_received_account: Option<String>,
    #[serde(default, with = "super::optional_time")]
    pub success_time: Option<DateTime<FixedOffset>>,
    #[serde(default, with = "super::optional_time")]
    pub create_time: Option<DateTime<FixedOffset>>,
    pub status: RefundStatus,
    #[serde(default)]
    pub funds_account: Option<String>,
    pub amount: RefundAmount,
}

/// The decrypted `resource` of a `REFUND.SUCCESS` / `REFUND.ABNORMAL` / `REFUND.CLOSED`
/// notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundNotice {
    #[serde(default)]
    pub mchid: Option<String>,
    pub out_trade_no: String,
    #[serde(default)]
    pub transaction_id: Option<String>,
    pub out_refund_no: String,
    pub refund_id: String,
    pub refund_status: RefundStatus,
    #[serde(default, with = "super::optional_time")]
    pub success_time: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub user_received_account: Option<String>,
    pub amount: RefundAmount,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refund_answer_reads() {
        let json = r#"{"amount":{"currency":"CNY","discount_refund":0,"from":[],"payer_refund":1,
            "payer_total":1,"refund":1,"settlement_refund":1,"settlement_total":1,"total":1},
            "channel":"ORIGINAL","create_time":"2021-03-22T10:40:34+08:00","funds_account":"AVAILABLE",
            "out_refund_no":"R1","out_trade_no":"T1","promotion_detail":[],
            "refund_id":"50300507392021032207432496488","status":"PROCESSING",
            "transaction_id":"4200000891202103228088184743","user_received_account":"支付用户零钱"}"#;
        let refund: Refund = serde_json::from_str(json).unwrap();
        assert_eq!(refund.status, RefundStatus::Processing);
        assert_eq!(refund.amount.refund, 1);
        assert_eq!(refund.success_time, None);
        assert!(refund.create_time.is_some());
    }

    #[test]
    fn a_refund_notice_reads_and_abnormal_is_not_final() {
        let json = r#"{"mchid":"1900000100","transaction_id":"1008450740201411110005820873",
            "out_trade_no":"20150806125346","refund_id":"50200207182018070300011301001",
            "out_refund_no":"7752501201407033233368018","refund_status":"ABNORMAL",
            "user_received_account":"招商银行信用卡0403",
            "amount":{"total":999,"refund":999,"payer_total":999,"payer_refund":999}}"#;
        let notice: RefundNotice = serde_json::from_str(json).unwrap();
        assert_eq!(notice.refund_status, RefundStatus::Abnormal);
        assert!(!notice.refund_status.is_final());
        assert!(RefundStatus::Success.is_final());
        assert!(RefundStatus::Closed.is_final());
        assert!(!RefundStatus::Processing.is_final());
        for status in RefundStatus::ALL {
            assert_eq!(status.as_str().parse::<RefundStatus>(), Ok(*status));
        }
    }
}
