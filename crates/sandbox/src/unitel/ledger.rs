//! What the simulated operator actually did: every top-up it applied, in order.
//! A top-up sent twice is applied twice, as a real operator would, so tests can
//! assert "exactly one top-up for this order".

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// `/service/recharge` (voice/unit card).
    Recharge,
    /// `/service/datapackage`.
    DataPackage,
    /// `/service/payment` (postpaid bill).
    BillPayment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// Applied; confirmed by `check_transaction_result` once the checks are done.
    Pending,
    Success,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// `transactions[0].journal_id` as sent (the shop's order number).
    pub journal_id: String,
    pub msisdn: String,
    pub operation: Operation,
    /// Card or package code; `None` for a bill payment.
    pub product: Option<String>,
    /// MNT.
    pub amount: i64,
    pub seq: String,
    pub status: EntryStatus,
    /// `check_transaction_result` calls seen for this entry.
    pub checks: u32,
    /// Checks needed before a pending entry succeeds.
    pub checks_until_success: u32,
    pub applied_at: DateTime<Utc>,
}

/// `GET /__sandbox/ledger`: every entry, and the same grouped by journal id and by msisdn.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerView {
    pub entries: Vec<LedgerEntry>,
    pub by_journal_id: BTreeMap<String, Vec<LedgerEntry>>,
    pub by_msisdn: BTreeMap<String, Vec<LedgerEntry>>,
}

impl LedgerView {
    pub fn from_entries(entries: Vec<LedgerEntry>) -> LedgerView {
        let mut by_journal_id: BTreeMap<String, Vec<LedgerEntry>> = BTreeMap::new();
        let mut by_msisdn: BTreeMap<String, Vec<LedgerEntry>> = BTreeMap::new();
        for entry in &entries {
            by_journal_id
                .entry(entry.journal_id.clone())
                .or_default()
                .push(entry.clone());
            by_msisdn
                .entry(entry.msisdn.clone())
                .or_default()
                .push(entry.clone());
        }
        LedgerView {
            entries,
            by_journal_id,
            by_msisdn,
        }
    }

    /// The top-ups applied for one journal id (order number); empty when none.
    pub fn for_journal(&self, journal_id: &str) -> &[LedgerEntry] {
        self.by_journal_id
            .get(journal_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn for_msisdn(&self, msisdn: &str) -> &[LedgerEntry] {
        self.by_msisdn.get(msisdn).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// The live ledger: entries in the order they were applied, plus the lookups the request
/// path needs (by `seq` for `check_transaction_result`, bill payments by msisdn), so no
/// request scans the entries.
#[derive(Debug, Default)]
pub(crate) struct AppliedTopUps {
    entries: Vec<LedgerEntry>,
    position_by_seq: HashMap<String, usize>,
    /// MNT paid through `/service/payment`, by number.
    bill_payments_by_msisdn: HashMap<String, i64>,
}

impl AppliedTopUps {
    pub(crate) fn record(&mut self, entry: LedgerEntry) {
        let position = self.entries.len();
        // A seq is unique; should one repeat, the first entry keeps it, as a scan would find.
        self.position_by_seq
            .entry(entry.seq.clone())
            .or_insert(position);
        match entry.operation {
            Operation::BillPayment => {
                *self
                    .bill_payments_by_msisdn
                    .entry(entry.msisdn.clone())
                    .or_default() += entry.amount;
            }
            Operation::Recharge | Operation::DataPackage => {}
        }
        self.entries.push(entry);
    }

    /// For the checks of `check_transaction_result`; the indexed fields never change.
    pub(crate) fn by_seq_mut(&mut self, seq: &str) -> Option<&mut LedgerEntry> {
        let position = *self.position_by_seq.get(seq)?;
        self.entries.get_mut(position)
    }

    /// MNT paid on a postpaid number through `/service/payment`.
    pub(crate) fn paid_on(&self, msisdn: &str) -> i64 {
        self.bill_payments_by_msisdn
            .get(msisdn)
            .copied()
            .unwrap_or(0)
    }

    pub(crate) fn view(&self) -> LedgerView {
        LedgerView::from_entries(self.entries.clone())
    }
}
