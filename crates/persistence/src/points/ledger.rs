//! The points ledger port: postings (see [`super::posting`]), accounts and entries, and the
//! checks and figures (see [`super::figures`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::accounts::audit::AuditEntry;
use elife_domain::order::OpenId;
use elife_domain::points::{
    Drift, EntryKind, LedgerEntry, PointsAccount, PointsDay, PointsLedger, PostOutcome, Posting,
    Reference,
};
use elife_domain::ports::{Page, PageRequest, RepositoryError};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::figures;
use super::posting::post;
use crate::entities::{points_accounts as accounts, points_ledger as ledger};
use crate::error::{corrupt, map_db_err};
use crate::paging::fetch_page;
use crate::time::from_db;

#[derive(Debug, Clone)]
pub struct SeaOrmPointsLedger {
    db: DatabaseConnection,
}

impl SeaOrmPointsLedger {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmPointsLedger { db }
    }
}

#[async_trait]
impl PointsLedger for SeaOrmPointsLedger {
    async fn post(
        &self,
        posting: &Posting,
        audit: Option<AuditEntry>,
    ) -> Result<PostOutcome, RepositoryError> {
        post(&self.db, posting, audit.as_ref()).await
    }

    async fn account(&self, user: &OpenId) -> Result<Option<PointsAccount>, RepositoryError> {
        accounts::Entity::find_by_id(user.as_str().to_owned())
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(account_from_row)
            .transpose()
    }

    async fn entries(
        &self,
        user: &OpenId,
        page: PageRequest,
    ) -> Result<Page<LedgerEntry>, RepositoryError> {
        let query = ledger::Entity::find().filter(ledger::Column::Openid.eq(user.as_str()));
        fetch_page(&self.db, query, &[ledger::Column::Id], page, entry_from_row).await
    }

    async fn drifted(&self, limit: u64) -> Result<Vec<Drift>, RepositoryError> {
        figures::drifted(&self.db, limit).await
    }

    async fn daily(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<PointsDay>, RepositoryError> {
        figures::daily(&self.db, from, before).await
    }
}

fn account_from_row(row: accounts::Model) -> Result<PointsAccount, RepositoryError> {
    Ok(PointsAccount {
        user: OpenId::parse(&row.openid).map_err(|e| corrupt("points account openid", e))?,
        balance: row.balance,
        updated_at: from_db(row.updated_at),
    })
}

pub(super) fn entry_from_row(row: ledger::Model) -> Result<LedgerEntry, RepositoryError> {
    let context = |what: &str| format!("points ledger row {}: {what}", row.id);
    Ok(LedgerEntry {
        id: row.id,
        user: OpenId::parse(&row.openid).map_err(|e| corrupt(&context("openid"), e))?,
        kind: row
            .kind
            .parse::<EntryKind>()
            .map_err(|e| corrupt(&context("kind"), e))?,
        reference: Reference {
            biz_type: row.biz_type,
            biz_id: row.biz_id,
        },
        delta: row.delta,
        balance_after: row.balance_after,
        note: row.note,
        created_at: from_db(row.created_at),
    })
}
