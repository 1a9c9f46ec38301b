//! One posting, in one transaction: the reference is looked up, the account opened at zero
//! if it has no row yet, the balance moved by the guarded update (the only writer of a
//! balance, so no concurrency can make it negative), the ledger row appended with the
//! balance after it, and the audit row written; anything short of that is rolled back.
//! The unique index on (kind, biz_type, biz_id) settles two postings of one event that
//! raced past the lookup: the loser answers the winner's row.
//!
//! A transaction the database chose as a deadlock victim is run again (a posting is
//! once-only by its reference, so repeating it is safe): InnoDB can deadlock two inserts
//! waiting on a third that rolls back.

use chrono::NaiveDateTime;
use elife_domain::accounts::audit::AuditEntry;
use elife_domain::order::OpenId;
use elife_domain::points::{EntryKind, LedgerEntry, PostOutcome, Posting, Reference};
use elife_domain::ports::RepositoryError;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QuerySelect, SqlErr,
};

use super::ledger::entry_from_row;
use crate::audit::insert_entry;
use crate::connection::{begin_write, finish};
use crate::entities::{points_accounts as accounts, points_ledger as ledger};
use crate::error::{is_deadlock, map_db_err, rollback_quietly};
use crate::time::{from_db, to_db};

/// Runs of a posting whose transaction was a deadlock victim, at most.
const RUNS: usize = 3;

/// What a posting's transaction came to; all but `Posted` are rolled back.
enum Attempt {
    Posted(LedgerEntry),
    /// The reference was posted before this transaction looked.
    Earlier(LedgerEntry),
    /// Refused at this balance (read under the account's lock, or no account at all).
    Insufficient {
        balance: i64,
    },
    /// A concurrent posting of the same reference inserted its row first.
    Raced,
}

/// Why a transaction stopped short: the database's error (perhaps worth another run) or
/// a stored value the domain refuses.
enum Stop {
    Db(DbErr),
    Refused(RepositoryError),
}

impl From<DbErr> for Stop {
    fn from(error: DbErr) -> Self {
        Stop::Db(error)
    }
}

pub(super) async fn post(
    db: &DatabaseConnection,
    posting: &Posting,
    audit: Option<&AuditEntry>,
) -> Result<PostOutcome, RepositoryError> {
    let mut run = 0;
    loop {
        run += 1;
        let txn = begin_write(db).await.map_err(map_db_err)?;
        let attempt = match attempt(&txn, posting, audit).await {
            Ok(attempt) => attempt,
            Err(Stop::Db(error)) if run < RUNS && is_deadlock(&error) => {
                tracing::info!(run, error = %error, "points posting was a deadlock victim; running it again");
                rollback_quietly(txn, "posting").await;
                continue;
            }
            Err(Stop::Db(error)) => return finish(txn, Err(map_db_err(error))).await,
            Err(Stop::Refused(error)) => return finish(txn, Err(error)).await,
        };
        return match attempt {
            Attempt::Posted(entry) => finish(txn, Ok(PostOutcome::Posted(entry))).await,
            Attempt::Earlier(entry) => {
                txn.rollback().await.map_err(map_db_err)?;
                Ok(PostOutcome::AlreadyPosted(entry))
            }
            Attempt::Insufficient { balance } => {
                txn.rollback().await.map_err(map_db_err)?;
                Ok(PostOutcome::Insufficient { balance })
            }
            Attempt::Raced => {
                // PostgreSQL has aborted the transaction; MySQL's snapshot predates the
                // winner: the winner's row is read outside it.
                txn.rollback().await.map_err(map_db_err)?;
                match find_posted(db, posting.kind, &posting.reference).await {
                    Ok(Some(winner)) => Ok(PostOutcome::AlreadyPosted(winner)),
                    Ok(None) => Err(RepositoryError::Duplicate(format!(
                        "points posting {} {}:{}",
                        posting.kind, posting.reference.biz_type, posting.reference.biz_id
                    ))),
                    Err(Stop::Db(error)) => Err(map_db_err(error)),
                    Err(Stop::Refused(error)) => Err(error),
                }
            }
        };
    }
}

/// The statements of one posting, in its transaction.
async fn attempt(
    txn: &DatabaseTransaction,
    posting: &Posting,
    audit: Option<&AuditEntry>,
) -> Result<Attempt, Stop> {
    if let Some(earlier) = find_posted(txn, posting.kind, &posting.reference).await? {
        return Ok(Attempt::Earlier(earlier));
    }
    let at = to_db(posting.at);
    if !open_account(txn, posting, at).await? {
        return Ok(Attempt::Insufficient { balance: 0 });
    }
    // A refusal is confirmed under the row lock: a credit committed between the update and
    // the read is let through by a second update instead of refused at a balance that
    // covers it. The lock held, that second update cannot miss.
    let mut refusals = 0;
    while !move_balance(txn, posting, at).await? {
        let balance = locked_balance(txn, &posting.user).await?;
        refusals += 1;
        let covered = balance
            .checked_add(posting.delta)
            .is_some_and(|after| after >= 0);
        if !covered || refusals > 1 {
            return Ok(Attempt::Insufficient { balance });
        }
    }
    // The transaction's own update is what it reads, on every backend.
    let balance_after: Option<i64> = accounts::Entity::find_by_id(posting.user.as_str().to_owned())
        .select_only()
        .column(accounts::Column::Balance)
        .into_tuple()
        .one(txn)
        .await?;
    let balance_after = balance_after.ok_or_else(|| vanished(&posting.user))?;
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
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Ok(Attempt::Raced);
        }
        Err(error) => return Err(error.into()),
    };
    if let Some(audit) = audit {
        insert_entry(txn, audit).await?;
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

/// Makes sure the account has a row; `false` (nothing written) when it has none and the
/// posting takes points: a balance of zero covers no debit. Only credits create accounts,
/// so the transaction that inserts an account never rolls back for want of points, which
/// on InnoDB would deadlock the postings queued behind its insert.
///
/// The insert is `ON CONFLICT DO NOTHING` (on MySQL `ON DUPLICATE KEY UPDATE openid =
/// openid`): a refused plain insert would abort the transaction on PostgreSQL.
async fn open_account(
    txn: &DatabaseTransaction,
    posting: &Posting,
    at: NaiveDateTime,
) -> Result<bool, Stop> {
    let user = posting.user.as_str();
    let exists: Option<String> = accounts::Entity::find_by_id(user.to_owned())
        .select_only()
        .column(accounts::Column::Openid)
        .into_tuple()
        .one(txn)
        .await?;
    if exists.is_some() {
        return Ok(true);
    }
    if posting.delta < 0 {
        return Ok(false);
    }
    let row = accounts::ActiveModel {
        openid: Set(user.to_owned()),
        balance: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
    };
    accounts::Entity::insert(row)
        .on_conflict_do_nothing_on([accounts::Column::Openid])
        .exec_without_returning(txn)
        .await?;
    Ok(true)
}

/// The guarded update: `balance + delta` only while the result is a balance (at least zero
/// and no overflow). The bound is computed here so that the SQL never overflows; `false`
/// when the row did not qualify.
async fn move_balance(
    txn: &DatabaseTransaction,
    posting: &Posting,
    at: NaiveDateTime,
) -> Result<bool, Stop> {
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
        .await?;
    match updated.rows_affected {
        0 => Ok(false),
        1 => Ok(true),
        many => Err(Stop::Refused(RepositoryError::Corrupt(format!(
            "{many} points accounts for {}",
            posting.user.masked()
        )))),
    }
}

/// The balance as the next writer will see it: `FOR UPDATE` (MySQL's plain read would
/// answer the transaction's snapshot); SQLite's write transaction holds the database already.
async fn locked_balance(txn: &DatabaseTransaction, user: &OpenId) -> Result<i64, Stop> {
    let balance: Option<i64> = accounts::Entity::find_by_id(user.as_str().to_owned())
        .select_only()
        .column(accounts::Column::Balance)
        .lock_exclusive()
        .into_tuple()
        .one(txn)
        .await?;
    balance.ok_or_else(|| vanished(user))
}

fn vanished(user: &OpenId) -> Stop {
    Stop::Refused(RepositoryError::Corrupt(format!(
        "points account {} vanished inside its posting",
        user.masked()
    )))
}

async fn find_posted<C: ConnectionTrait>(
    db: &C,
    kind: EntryKind,
    reference: &Reference,
) -> Result<Option<LedgerEntry>, Stop> {
    ledger::Entity::find()
        .filter(ledger::Column::Kind.eq(kind.as_str()))
        .filter(ledger::Column::BizType.eq(reference.biz_type.as_str()))
        .filter(ledger::Column::BizId.eq(reference.biz_id.as_str()))
        .one(db)
        .await?
        .map(entry_from_row)
        .transpose()
        .map_err(Stop::Refused)
}
