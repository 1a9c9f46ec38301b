//! Bills (statements): where to download one, and which.

use serde::Deserialize;

use super::wire_enum;

wire_enum! {
    /// `bill_type` of the trade bill.
    pub enum TradeBillType {
        All => "ALL",
        Success => "SUCCESS",
        Refund => "REFUND",
    }
}

wire_enum! {
    /// `account_type` of the fund-flow bill.
    pub enum FundAccountType {
        Basic => "BASIC",
        Operation => "OPERATION",
        Fees => "FEES",
    }
}

/// Where a bill can be fetched and the digest it must have (`hash_type` is `SHA1`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BillLocation {
    pub hash_type: String,
    pub hash_value: String,
    pub download_url: String,
}
