//! Translation of database errors into the domain's [`RepositoryError`].

use std::ops::Deref;

use elife_domain::ports::RepositoryError;
use sea_orm::{DatabaseTransaction, DbErr, RuntimeErr, SqlErr};

/// Maps a SeaORM error: unique violations become `Duplicate`, conversion failures of stored
/// values `Corrupt`, everything else (connections, pool, timeouts, locks) `Unavailable`,
/// which tells the caller that retrying the same compare-and-set is safe.
pub fn map_db_err(error: DbErr) -> RepositoryError {
    if let Some(SqlErr::UniqueConstraintViolation(message)) = error.sql_err() {
        return RepositoryError::Duplicate(message);
    }
    match &error {
        DbErr::TryIntoErr { .. } | DbErr::Type(_) | DbErr::Json(_) => {
            RepositoryError::Corrupt(error.to_string())
        }
        DbErr::Query(RuntimeErr::SqlxError(inner)) | DbErr::Exec(RuntimeErr::SqlxError(inner)) => {
            match inner.deref() {
                sea_orm::sqlx::Error::ColumnDecode { .. } | sea_orm::sqlx::Error::Decode(_) => {
                    RepositoryError::Corrupt(error.to_string())
                }
                _ => RepositoryError::Unavailable(error.to_string()),
            }
        }
        _ => RepositoryError::Unavailable(error.to_string()),
    }
}

/// A stored value the domain refuses (an unknown status, a malformed number...).
pub fn corrupt(what: &str, value: impl std::fmt::Display) -> RepositoryError {
    RepositoryError::Corrupt(format!("{what}: {value}"))
}

/// SQLSTATE 40001 (MySQL's deadlock, PostgreSQL's serialization failure) or 40P01
/// (PostgreSQL's deadlock): the database rolled the transaction back, and running it again
/// is safe.
pub(crate) fn is_deadlock(error: &DbErr) -> bool {
    let (DbErr::Exec(RuntimeErr::SqlxError(inner)) | DbErr::Query(RuntimeErr::SqlxError(inner))) =
        error
    else {
        return false;
    };
    inner
        .as_database_error()
        .and_then(|database| database.code())
        .is_some_and(|code| code == "40001" || code == "40P01")
}

/// Rolls back a transaction the database already gave up on; a failure here changes
/// nothing, so it is only logged. `what` names the work (a posting, a stock request).
pub(crate) async fn rollback_quietly(txn: DatabaseTransaction, what: &str) {
    if let Err(error) = txn.rollback().await {
        tracing::warn!(error = %error, "could not roll back a deadlocked {what}");
    }
}
