//! The points context on each database: the ledger's guarded balance and once-only
//! postings under concurrency, its checks and daily figures, the packages and the points
//! orders. Where a rule is the domain's, the database is compared with the in-memory
//! reference (`elife_domain::points::memory`) fed the same calls.

mod figures;
mod ledger;
mod notifications;
mod orders;
mod packages;

use chrono::{DateTime, TimeDelta, Utc};
use elife_domain::accounts::audit::{AdminAct, AuditAction, AuditActor, AuditEntry};
use elife_domain::order::OpenId;
use elife_domain::points::{EntryKind, LedgerEntry, PointsLedger, Posting, Reference};
use elife_domain::ports::PageRequest;
use elife_domain::testing::t0;

pub(crate) fn user(name: &str) -> OpenId {
    OpenId::parse(name).expect("openid")
}

pub(crate) fn minutes(m: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(m)
}

pub(crate) fn posting(
    user: &OpenId,
    kind: EntryKind,
    biz_id: &str,
    delta: i64,
    at: DateTime<Utc>,
) -> Posting {
    Posting {
        user: user.clone(),
        kind,
        reference: Reference::new("test", biz_id),
        delta,
        note: format!("{kind} {delta}"),
        at,
    }
}

/// An admin's adjustment audit row for `user`.
pub(crate) fn adjustment_audit(user: &OpenId, delta: i64, at: DateTime<Utc>) -> AuditEntry {
    AdminAct::new(AuditActor::cli(), Some("req-points".to_owned())).entry(
        AuditAction::PointsAdjust,
        user.as_str(),
        Some("goodwill"),
        None,
        Some(serde_json::json!({ "delta": delta })),
        at,
    )
}

/// Every entry of `user`, oldest first, page by page.
pub(crate) async fn all_entries(ledger: &dyn PointsLedger, user: &OpenId) -> Vec<LedgerEntry> {
    let mut entries = Vec::new();
    for page in 1.. {
        let found = ledger
            .entries(user, PageRequest { page, limit: 100 })
            .await
            .expect("entries");
        let last_page = found.items.len() < 100;
        entries.extend(found.items);
        if last_page {
            break;
        }
    }
    entries.reverse();
    entries
}
