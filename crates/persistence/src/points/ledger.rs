//! The points ledger. A posting is one transaction: the reference is looked up, the account
//! opened at zero if it has no row yet, the balance moved by the guarded update (the only
//! writer of a balance, so no concurrency can make it negative), the ledger row appended
//! with the balance after it, and the audit row written; anything short of that is rolled
//! back. The unique index on (kind, biz_type, biz_id) settles two postings of one event
//! that raced past the lookup: the loser answers the winner's row.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use elife_domain::accounts::audit::AuditEntry;
use elife_domain::order::OpenId;
use elife_domain::points::{
    Drift, EntryKind, LedgerEntry, PointsAccount, PointsDay, PointsLedger, PostOutcome, Posting,
    Reference,
};
use elife_domain::ports::{Page, PageRequest, RepositoryError};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QuerySelect,
};

use super::figures;
use crate::audit::insert_entry;
use crate::connection::{begin_write, finish};
use crate::entities::{points_accounts as accounts, points_ledger as ledger};
use crate::error::{corrupt, map_db_err};
use crate::paging::fetch_page;
use crate::time::{from_db, to_db};

#[derive(Debug, Clone)]
pub struct SeaOrmPointsLedger {
    db: DatabaseConnection,
}

impl SeaOrmPointsLedger {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmPointsLedger { db }
    }
}

/// What a posting's transaction came to; all but `Posted` are rolled back.
enum Attempt {
    Posted(LedgerEntry),
    /// The reference was posted before this transaction looked.
    Earlier(LedgerEntry),
    Insufficient,
    /// A concurrent posting of the same reference inserted its row first.
    Raced,
}

#[async_trait]
impl PointsLedger for SeaOrmPointsLedger {
    async fn post(
        &self,
        posting: &Posting,
        audit: Option<AuditEntry>,
    ) -> Result<PostOutcome, RepositoryError> {
        let txn = begin_write(&self.db).await.map_err(map_db_err)?;
        let attempt = match attempt(&txn, posting, audit.as_ref()).await {
            Ok(attempt) => attempt,
            Err(error) => return finish(txn, Err(error)).await,
        };
        match attempt {
            Attempt::Posted(entry) => finish(txn, Ok(PostOutcome::Posted(entry))).await,
            Attempt::Earlier(entry) => {
                txn.rollback().await.map_err(map_db_err)?;
                Ok(PostOutcome::AlreadyPosted(entry))
            }
            Attempt::Insufficient => {
                txn.rollback().await.map_err(map_db_err)?;
                // Read afresh: inside the transaction MySQL would answer its snapshot.
                let balance = self.account(&posting.user).await?.map_or(0, |a| a.balance);
                Ok(PostOutcome::Insufficient { balance })
            }
            Attempt::Raced => {
                // PostgreSQL has aborted the transaction; MySQL's snapshot predates the
                // winner: the winner's row is read outside it.
                txn.rollback().await.map_err(map_db_err)?;
                match find_posted(&self.db, posting.kind, &posting.reference).await? {
                    Some(winner) => Ok(PostOutcome::AlreadyPosted(winner)),
                    None => Err(RepositoryError::Duplicate(format!(
                        "points posting {} {}:{}",
                        posting.kind, posting.reference.biz_type, posting.reference.biz_id
                    ))),
                }
            }
        }
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

/// The statements of one posting, in its transaction.
async fn attempt(
    txn: &DatabaseTransaction,
    posting: &Posting,
    audit: Option<&AuditEntry>,
) -> Result<Attempt, RepositoryError> {
    if let Some(earlier) = find_posted(txn, posting.kind, &posting.reference).await? {
        return Ok(Attempt::Earlier(earlier));
    }
    let at = to_db(posting.at);
    open_account(txn, &posting.user, at).await?;
    if !move_balance(txn, posting, at).await? {
        return Ok(Attempt::Insufficient);
    }
    // The transaction's own update is what it reads, on every backend.
    let balance_after: Option<i64> = accounts::Entity::find_by_id(posting.user.as_str().to_owned())
        .select_only()
        .column(accounts::Column::Balance)
        .into_tuple()
        .one(txn)
        .await
        .map_err(map_db_err)?;
    let balance_after = balance_after.ok_or_else(|| {
        RepositoryError::Corrupt(format!(
            "points account {} vanished inside its posting",
            posting.user.masked()
        ))
    })?;
    let row = ledger::ActiveModel {
        id: NotSet,
        openid: Set(posting.user.as_str().to_owned()),
        kind: Set(posting.kind.as_str().to_owned()),
        biz_type: Set(posting.reference.biz_type.clone()),
        biz_id: Set(posting.reference.biz_id.clone()),
        delta: Set(posting.delta),
        balance_after: Set(balance_after),
        note: Set(posting.note.clone()),
        created_at: Set(at),
    };
    let id = match ledger::Entity::insert(row).exec(txn).await {
        Ok(inserted) => inserted.last_insert_id,
        Err(error) => {
            return match map_db_err(error) {
                RepositoryError::Duplicate(_) => Ok(Attempt::Raced),
                other => Err(other),
            };
        }
    };
    if let Some(audit) = audit {
        insert_entry(txn, audit).await.map_err(map_db_err)?;
    }
    Ok(Attempt::Posted(LedgerEntry {
        id,
        user: posting.user.clone(),
        kind: posting.kind,
        reference: posting.reference.clone(),
        delta: posting.delta,
        balance_after,
        note: posting.note.clone(),
        created_at: from_db(at),
    }))
}

/// Creates the account at zero unless it exists. `ON CONFLICT DO NOTHING` (on MySQL
/// `ON DUPLICATE KEY UPDATE openid = openid`): a refused plain insert would abort the
/// transaction on PostgreSQL.
async fn open_account(
    txn: &DatabaseTransaction,
    user: &OpenId,
    at: NaiveDateTime,
) -> Result<(), RepositoryError> {
    let row = accounts::ActiveModel {
        openid: Set(user.as_str().to_owned()),
        balance: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
    };
    accounts::Entity::insert(row)
        .on_conflict_do_nothing_on([accounts::Column::Openid])
        .exec_without_returning(txn)
        .await
        .map_err(map_db_err)?;
    Ok(())
}

/// The guarded update: `balance + delta` only while the result is a balance (at least zero
/// and no overflow). The bound is computed here so that the SQL never overflows; `false`
/// when the row did not qualify.
async fn move_balance(
    txn: &DatabaseTransaction,
    posting: &Posting,
    at: NaiveDateTime,
) -> Result<bool, RepositoryError> {
    let delta = posting.delta;
    let guard = if delta >= 0 {
        accounts::Column::Balance.lte(i64::MAX - delta)
    } else {
        match delta.checked_neg() {
            Some(needed) => accounts::Column::Balance.gte(needed),
            // No balance covers i64::MIN.
            None => return Ok(false),
        }
    };
    let updated = accounts::Entity::update_many()
        .col_expr(
            accounts::Column::Balance,
            Expr::col(accounts::Column::Balance).add(delta),
        )
        .col_expr(accounts::Column::UpdatedAt, Expr::value(at))
        .filter(accounts::Column::Openid.eq(posting.user.as_str()))
        .filter(guard)
        .exec(txn)
        .await
        .map_err(map_db_err)?;
    match updated.rows_affected {
        0 => Ok(false),
        1 => Ok(true),
        many => Err(RepositoryError::Corrupt(format!(
            "{many} points accounts for {}",
            posting.user.masked()
        ))),
    }
}

async fn find_posted<C: ConnectionTrait>(
    db: &C,
    kind: EntryKind,
    reference: &Reference,
) -> Result<Option<LedgerEntry>, RepositoryError> {
    ledger::Entity::find()
        .filter(ledger::Column::Kind.eq(kind.as_str()))
        .filter(ledger::Column::BizType.eq(reference.biz_type.as_str()))
        .filter(ledger::Column::BizId.eq(reference.biz_id.as_str()))
        .one(db)
        .await
        .map_err(map_db_err)?
        .map(entry_from_row)
        .transpose()
}

fn account_from_row(row: accounts::Model) -> Result<PointsAccount, RepositoryError> {
    Ok(PointsAccount {
        user: OpenId::parse(&row.openid).map_err(|e| corrupt("points account openid", e))?,
        balance: row.balance,
        updated_at: from_db(row.updated_at),
    })
}

fn entry_from_row(row: ledger::Model) -> Result<LedgerEntry, RepositoryError> {
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
