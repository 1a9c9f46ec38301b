//! The points use cases other contexts call: credit, spend, take back, a person's
//! adjustment, and the nightly check that every balance is the sum of its ledger.

use std::sync::Arc;

use crate::accounts::audit::{AdminAct, AuditAction};
use crate::order::OpenId;
use crate::ports::{Alert, AlertLevel, Alerts, Clock, Page, PageRequest};
use crate::services::ServiceError;

use super::ledger::{
    Drift, EntryKind, LedgerEntry, PointsAccount, PointsLedger, PostOutcome, Posting, Reference,
};

/// Accounts named in the nightly alert at most.
const DRIFT_NAMED: u64 = 20;

pub struct PointsService {
    ledger: Arc<dyn PointsLedger>,
    clock: Arc<dyn Clock>,
    alerts: Arc<dyn Alerts>,
}

impl PointsService {
    pub fn new(
        ledger: Arc<dyn PointsLedger>,
        clock: Arc<dyn Clock>,
        alerts: Arc<dyn Alerts>,
    ) -> Self {
        PointsService {
            ledger,
            clock,
            alerts,
        }
    }

    /// Posts `delta` for a business event once; a repeat of the same event changes nothing
    /// and answers the first posting.
    pub async fn post(
        &self,
        user: &OpenId,
        kind: EntryKind,
        reference: Reference,
        delta: i64,
        note: &str,
    ) -> Result<PostOutcome, ServiceError> {
        if delta == 0 {
            return Err(ServiceError::Validation(
                "a posting moves at least one point".to_owned(),
            ));
        }
        let posting = Posting {
            user: user.clone(),
            kind,
            reference,
            delta,
            note: note.to_owned(),
            at: self.clock.now(),
        };
        Ok(self.ledger.post(&posting, None).await?)
    }

    /// Spends points for a business event (e.g. a mall order): refused, with the balance,
    /// when there are not enough.
    pub async fn spend(
        &self,
        user: &OpenId,
        reference: Reference,
        points: i64,
        note: &str,
    ) -> Result<LedgerEntry, ServiceError> {
        if points <= 0 {
            return Err(ServiceError::Validation(
                "points to spend must be positive".to_owned(),
            ));
        }
        match self
            .post(user, EntryKind::Spend, reference, -points, note)
            .await?
        {
            PostOutcome::Posted(entry) | PostOutcome::AlreadyPosted(entry) => Ok(entry),
            PostOutcome::Insufficient { balance } => Err(ServiceError::Conflict(format!(
                "not enough points: {points} needed, {balance} available"
            ))),
        }
    }

    /// A person corrects a balance: a reason is required; audited with the posting.
    pub async fn adjust(
        &self,
        user: &OpenId,
        delta: i64,
        reason: &str,
        act: &AdminAct,
    ) -> Result<LedgerEntry, ServiceError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ServiceError::Validation("a reason is required".to_owned()));
        }
        if delta == 0 {
            return Err(ServiceError::Validation(
                "an adjustment moves at least one point".to_owned(),
            ));
        }
        let now = self.clock.now();
        let reference = Reference::new(
            "admin",
            format!(
                "{}:{}",
                now.timestamp_micros(),
                rand_suffix(user, delta, now)
            ),
        );
        let posting = Posting {
            user: user.clone(),
            kind: EntryKind::AdminAdjustment,
            reference,
            delta,
            note: reason.to_owned(),
            at: now,
        };
        let entry = act.entry(
            AuditAction::PointsAdjust,
            user.as_str(),
            Some(reason),
            None,
            Some(serde_json::json!({ "delta": delta })),
            now,
        );
        match self.ledger.post(&posting, Some(entry)).await? {
            PostOutcome::Posted(entry) | PostOutcome::AlreadyPosted(entry) => Ok(entry),
            PostOutcome::Insufficient { balance } => Err(ServiceError::Conflict(format!(
                "the balance is {balance}: taking {} would make it negative",
                -delta
            ))),
        }
    }

    pub async fn account(&self, user: &OpenId) -> Result<PointsAccount, ServiceError> {
        Ok(self.ledger.account(user).await?.unwrap_or(PointsAccount {
            user: user.clone(),
            balance: 0,
            updated_at: self.clock.now(),
        }))
    }

    pub async fn entries(
        &self,
        user: &OpenId,
        page: PageRequest,
    ) -> Result<Page<LedgerEntry>, ServiceError> {
        if page.page == 0 || page.limit == 0 || page.limit > PageRequest::MAX_LIMIT {
            return Err(ServiceError::Validation(format!(
                "page must be at least 1 and limit between 1 and {}",
                PageRequest::MAX_LIMIT
            )));
        }
        Ok(self.ledger.entries(user, page).await?)
    }

    /// The nightly check: every account whose balance is not the sum of its ledger, with
    /// one critical alert naming them.
    pub async fn check_ledgers(&self) -> Result<Vec<Drift>, ServiceError> {
        let drifted = self.ledger.drifted(DRIFT_NAMED).await?;
        if !drifted.is_empty() {
            let lines: Vec<String> = drifted
                .iter()
                .map(|drift| {
                    format!(
                        "{}: balance {} but ledger sums to {}",
                        crate::privacy::mask_openid(drift.user.as_str()),
                        drift.balance,
                        drift.ledger_sum
                    )
                })
                .collect();
            let alert = Alert {
                level: AlertLevel::Critical,
                title: format!(
                    "{} points account(s) disagree with their ledger",
                    drifted.len()
                ),
                body: lines.join("\n"),
            };
            if let Err(error) = self.alerts.send(&alert).await {
                tracing::warn!(%error, "points alert not delivered");
            }
        }
        Ok(drifted)
    }
}

/// A reference for an adjustment nobody else will post: time, user and amount hashed.
fn rand_suffix(user: &OpenId, delta: i64, now: chrono::DateTime<chrono::Utc>) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(user.as_str().as_bytes());
    hasher.update(delta.to_le_bytes());
    hasher.update(now.timestamp_nanos_opt().unwrap_or_default().to_le_bytes());
    hasher.update(rand::random::<u64>().to_le_bytes());
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
