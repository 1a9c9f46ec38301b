//! Request bodies, as the old backend sent them (and Unitel accepts them).

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct ServiceTypeRequest<'a> {
    pub msisdn: &'a str,
    /// `"1"` asks for the detailed price list.
    pub info: &'static str,
}

#[derive(Debug, Serialize)]
pub struct BillRequest<'a> {
    /// The account owner; for a subscriber paying their own bill, the number itself.
    pub owner: &'a str,
    pub msisdn: &'a str,
}

#[derive(Debug, Serialize)]
pub struct CheckRequest<'a> {
    pub seq_id: &'a str,
}

/// `/service/recharge`, `/service/datapackage` and `/service/payment` share this body;
/// each sets only its own product fields.
#[derive(Debug, Serialize)]
pub struct TopUpBody<'a> {
    pub msisdn: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<&'static str>,
    /// `"1"`: issue a VAT e-receipt (kept with the order).
    pub vatflag: &'static str,
    /// Empty: the buyer is a person, not a VAT-registered company.
    pub vat_register_no: &'static str,
    pub transactions: [Transaction<'a>; 1],
}

#[derive(Debug, Serialize)]
pub struct Transaction<'a> {
    /// The shop's order number.
    pub journal_id: &'a str,
    /// Whole MNT as a string, e.g. `"3000"`.
    pub amount: String,
    pub description: &'static str,
    pub account: &'static str,
}
