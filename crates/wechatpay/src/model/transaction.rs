//! A payment as WeChat Pay reports it (query answers and `TRANSACTION.*` notifications).

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::wire_enum;

wire_enum! {
    /// `trade_state`.
    pub enum TradeState {
        /// Paid.
        Success => "SUCCESS",
        /// Paid, then (partly) refunded.
        Refund => "REFUND",
        NotPaid => "NOTPAY",
        Closed => "CLOSED",
        /// Cancelled (card payments only).
        Revoked => "REVOKED",
        /// The payer is entering the password.
        UserPaying => "USERPAYING",
        /// Failed at the bank.
        PayError => "PAYERROR",
    }
}

impl TradeState {
    /// True when money was received (even if some went back since).
    pub fn money_received(self) -> bool {
        match self {
            TradeState::Success | TradeState::Refund => true,
            TradeState::NotPaid
            | TradeState::Closed
            | TradeState::Revoked
            | TradeState::UserPaying
            | TradeState::PayError => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    #[serde(default)]
    pub appid: Option<String>,
    #[serde(default)]
    pub mchid: Option<String>,
    pub out_trade_no: String,
    /// Absent until paid.
    #[serde(default)]
    pub transaction_id: Option<String>,
    /// JSAPI, NATIVE, APP, MWEB...: descriptive, kept as written.
    #[serde(default)]
    pub trade_type: Option<String>,
    pub trade_state: TradeState,
    #[serde(default)]
    pub trade_state_desc: Option<String>,
    #[serde(default)]
    pub bank_type: Option<String>,
    #[serde(default)]
    pub attach: Option<String>,
    #[serde(default, with = "super::optional_time")]
    pub success_time: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub payer: Option<Payer>,
    #[serde(default)]
    pub amount: Option<TransactionAmount>,
}

impl Transaction {
    /// The order amount in fen.
    pub fn total_fen(&self) -> Option<i64> {
        self.amount.as_ref().and_then(|amount| amount.total)
    }

    /// What the payer actually paid in fen (after coupons).
    pub fn payer_total_fen(&self) -> Option<i64> {
        self.amount.as_ref().and_then(|amount| amount.payer_total)
    }

    pub fn payer_openid(&self) -> Option<&str> {
        self.payer
            .as_ref()
            .and_then(|payer| payer.openid.as_deref())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payer {
    #[serde(default)]
    pub openid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionAmount {
    #[serde(default)]
    pub total: Option<i64>,
    #[serde(default)]
    pub payer_total: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub payer_currency: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paid_transaction_reads_from_the_documented_example() {
        let json = r#"{"amount":{"currency":"CNY","payer_currency":"CNY","payer_total":1,"total":1},
            "appid":"wxdace645e0bc2cXXX","attach":"","bank_type":"OTHERS","mchid":"1900006XXX",
            "out_trade_no":"44_2126281063_5504","payer":{"openid":"o4GgauJP_mgWEWictzA15WT15XXX"},
            "promotion_detail":[],"success_time":"2021-03-22T10:29:05+08:00",
            "trade_state":"SUCCESS","trade_state_desc":"支付成功","trade_type":"JSAPI",
            "transaction_id":"4200000891202103228088184743"}"#;
        let transaction: Transaction = serde_json::from_str(json).unwrap();
        assert_eq!(transaction.trade_state, TradeState::Success);
        assert_eq!(transaction.total_fen(), Some(1));
        assert_eq!(transaction.payer_total_fen(), Some(1));
        assert_eq!(
            transaction.payer_openid(),
            Some("o4GgauJP_mgWEWictzA15WT15XXX")
        );
        assert_eq!(transaction.success_time.unwrap().timestamp(), 1_616_380_145);
    }

    #[test]
    fn an_unpaid_transaction_has_few_fields() {
        let json = r#"{"amount":{"payer_currency":"CNY","total":100},"appid":"wx1","mchid":"1",
            "out_trade_no":"T1","promotion_detail":[],"scene_info":{"device_id":""},
            "trade_state":"NOTPAY","trade_state_desc":"订单未支付","success_time":""}"#;
        let transaction: Transaction = serde_json::from_str(json).unwrap();
        assert_eq!(transaction.trade_state, TradeState::NotPaid);
        assert_eq!(transaction.transaction_id, None);
        assert_eq!(transaction.success_time, None);
        assert_eq!(transaction.payer_openid(), None);
    }

    #[test]
    fn trade_states_round_trip_and_unknown_ones_fail() {
        for state in TradeState::ALL {
            assert_eq!(state.as_str().parse::<TradeState>(), Ok(*state));
        }
        assert_eq!(TradeState::ALL.len(), 7);
        assert!("ACCEPT".parse::<TradeState>().is_err());
        assert!(
            serde_json::from_str::<Transaction>(r#"{"out_trade_no":"T","trade_state":"NEW"}"#)
                .is_err()
        );
        assert!(TradeState::Refund.money_received());
        assert!(!TradeState::Closed.money_received());
    }
}
