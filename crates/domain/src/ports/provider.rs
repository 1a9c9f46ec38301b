//! The top-up provider port (Unitel). One trait per provider kind; a second operator
//! would be a second adapter of the same trait.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::money::Mnt;
use crate::msisdn::Msisdn;
use crate::order::{OrderNumber, RechargeKind};

/// Errors of calls that move no money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// A clear business refusal (unknown number, ...).
    #[error("provider refused: {code}: {message}")]
    Rejected { code: String, message: String },
    #[error("provider answer could not be read: {0}")]
    InvalidResponse(String),
}

/// Errors of money calls: either nothing happened for sure, or nobody knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopUpError {
    /// The provider said clearly that the top-up was not made.
    #[error("top-up refused: {code}: {message}")]
    Rejected { code: String, message: String },
    /// Timeout, dropped connection, 5xx, unreadable answer: it may or may not have happened.
    /// Never send it again automatically.
    #[error("top-up outcome unknown: {0}")]
    OutcomeUnknown(String),
    /// The request provably never reached the provider (no connection could be opened, no
    /// token could be had): nothing happened, and it may be sent again later.
    #[error("top-up not sent: {0}")]
    NotSent(String),
}

/// A product of the subscriber's price list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub kind: RechargeKind,
    /// The list it came from (`day`, `noday`, `special`, `data`, `days`, `entertainment`).
    pub group: String,
    pub code: String,
    pub name: String,
    pub eng_name: String,
    pub price: Mnt,
    pub unit: Option<i64>,
    pub data: Option<String>,
    pub days: Option<i32>,
}

/// The subscriber's price list: typed products plus the answer as the provider gave it
/// (the mini-program shows the raw one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceList {
    pub products: Vec<Product>,
    pub raw: serde_json::Value,
}

impl PriceList {
    pub fn find(&self, kind: RechargeKind, code: &str) -> Option<&Product> {
        self.products
            .iter()
            .find(|product| product.kind == kind && product.code == code)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostpaidBill {
    /// What is owed now; a postpaid order pays exactly this.
    pub total_unpaid: Mnt,
    pub invoice_unpaid: Mnt,
    pub invoice_amount: Mnt,
    pub remain_amount: Mnt,
    pub invoice_date: Option<String>,
    pub invoice_status: Option<String>,
    pub raw: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopUpRequest {
    /// Sent as `transactions[0].journal_id`.
    pub journal_id: OrderNumber,
    pub msisdn: Msisdn,
    pub kind: RechargeKind,
    /// Card or package code; ignored for postpaid.
    pub product_code: String,
    pub amount: Mnt,
}

/// The provider accepted the top-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopUpAccepted {
    Succeeded {
        seq: Option<String>,
        sv_id: Option<String>,
        /// The VAT e-receipt (`vat`), kept with the order.
        receipt: Option<serde_json::Value>,
    },
    /// Accepted, not finished: confirm with [`TopUpProvider::check_transaction`].
    Pending { seq: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionCheck {
    Succeeded { receipt: Option<serde_json::Value> },
    Failed { code: String, message: String },
    StillPending,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TopUpProvider: Send + Sync {
    async fn price_list(&self, msisdn: &Msisdn) -> Result<PriceList, ProviderError>;

    async fn postpaid_bill(&self, msisdn: &Msisdn) -> Result<PostpaidBill, ProviderError>;

    /// Sends the top-up once. Never retried by an adapter.
    async fn top_up(&self, request: &TopUpRequest) -> Result<TopUpAccepted, TopUpError>;

    async fn check_transaction(&self, seq: &str) -> Result<TransactionCheck, ProviderError>;
}

/// Starts a paid order's top-up soon, after the caller's work: the server runs it in the
/// background, bounded per instance; the recharge job catches any it drops.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TopUpQueue: Send + Sync {
    fn start(&self, order: crate::order::Order);
}
