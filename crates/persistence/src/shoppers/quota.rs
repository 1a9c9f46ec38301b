//! Per-shopper quotas: how many addresses, favourites, views and cart lines a shopper
//! holds, kept in `shopper_quotas` and moved only inside the transaction that inserts or
//! deletes the rows they count. A new row is admitted by a guarded increment checked by
//! rows affected, so two concurrent inserts cannot both take the last place.

use elife_domain::order::OpenId;
use elife_domain::ports::RepositoryError;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter,
};

use super::entities::quotas;
use crate::error::{is_deadlock, map_db_err, rollback_quietly};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Addresses,
    Favourites,
    History,
    Cart,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Addresses => "addresses",
            Kind::Favourites => "favourites",
            Kind::History => "history",
            Kind::Cart => "cart",
        }
    }
}

/// Creates the quota row at 0 if missing, outside any transaction: a duplicate means it
/// exists (inside a transaction, PostgreSQL would abort the whole transaction on it).
pub(crate) async fn ensure(
    db: &DatabaseConnection,
    buyer: &OpenId,
    kind: Kind,
) -> Result<(), RepositoryError> {
    let row = quotas::ActiveModel {
        buyer: Set(buyer.as_str().to_owned()),
        kind: Set(kind.as_str().to_owned()),
        used: Set(0),
        version: Set(0),
    };
    match quotas::Entity::insert(row).exec_without_returning(db).await {
        Ok(_) => Ok(()),
        Err(error) => match map_db_err(error) {
            RepositoryError::Duplicate(_) => Ok(()),
            other => Err(other),
        },
    }
}

fn of(buyer: &OpenId, kind: Kind) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(quotas::Column::Buyer.eq(buyer.as_str()))
        .add(quotas::Column::Kind.eq(kind.as_str()))
}

/// Takes one place if fewer than `limit` are used; `false` when full. Holds the quota
/// row's lock until the transaction ends (on SQLite the write transaction already does).
pub(crate) async fn take<C: ConnectionTrait>(
    txn: &C,
    buyer: &OpenId,
    kind: Kind,
    limit: usize,
) -> Result<bool, RepositoryError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let updated = quotas::Entity::update_many()
        .col_expr(quotas::Column::Used, Expr::col(quotas::Column::Used).add(1))
        .col_expr(
            quotas::Column::Version,
            Expr::col(quotas::Column::Version).add(1),
        )
        .filter(of(buyer, kind))
        .filter(quotas::Column::Used.lt(limit))
        .exec(txn)
        .await
        .map_err(db_err)?;
    Ok(updated.rows_affected == 1)
}

/// Gives back `count` places (rows deleted), or with 0 only locks the row, so that the
/// shopper's other changes of this kind wait for this transaction. `false` when the row
/// does not exist.
pub(crate) async fn give_back<C: ConnectionTrait>(
    txn: &C,
    buyer: &OpenId,
    kind: Kind,
    count: u64,
) -> Result<bool, RepositoryError> {
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    let updated = quotas::Entity::update_many()
        .col_expr(
            quotas::Column::Used,
            Expr::col(quotas::Column::Used).sub(count),
        )
        .col_expr(
            quotas::Column::Version,
            Expr::col(quotas::Column::Version).add(1),
        )
        .filter(of(buyer, kind))
        .exec(txn)
        .await
        .map_err(db_err)?;
    Ok(updated.rows_affected == 1)
}

/// How many times a transaction that lost a race (a unique key taken meanwhile, a
/// deadlock, a row gone) is run again before giving up.
pub(crate) const ATTEMPTS: usize = 8;

/// What one attempt of a retried transaction found.
pub(crate) enum Attempt<T> {
    Done(T),
    /// Someone else changed the rows meanwhile: run it again.
    Again,
}

/// Inside retried transactions: a deadlock becomes a lost race (the database rolled the
/// transaction back; running it again is safe), everything else as [`map_db_err`].
pub(crate) fn db_err(error: DbErr) -> RepositoryError {
    if is_deadlock(&error) {
        RepositoryError::Duplicate(DEADLOCK.to_owned())
    } else {
        map_db_err(error)
    }
}

const DEADLOCK: &str = "a concurrent change (deadlock)";

/// Ends one attempt: commits `Done`, rolls back otherwise. `Ok(None)` asks for another
/// attempt: the rows changed meanwhile, a unique key was taken first, or a deadlock.
pub(crate) async fn settle<T>(
    txn: DatabaseTransaction,
    result: Result<Attempt<T>, RepositoryError>,
) -> Result<Option<T>, RepositoryError> {
    match result {
        Ok(Attempt::Done(value)) => match txn.commit().await {
            Ok(()) => Ok(Some(value)),
            Err(error) if is_deadlock(&error) => Ok(None),
            Err(error) => Err(map_db_err(error)),
        },
        Ok(Attempt::Again) | Err(RepositoryError::Duplicate(_)) => {
            rollback_quietly(txn, "shopper change").await;
            Ok(None)
        }
        Err(error) => {
            rollback_quietly(txn, "shopper change").await;
            Err(error)
        }
    }
}

/// After [`ATTEMPTS`] lost races.
pub(crate) fn gave_up(what: &str) -> RepositoryError {
    RepositoryError::Unavailable(format!(
        "{what}: lost {ATTEMPTS} races with concurrent changes; try again"
    ))
}
