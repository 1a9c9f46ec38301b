//! Translation of database errors into the domain's [`RepositoryError`].

use std::ops::Deref;

use elife_domain::ports::RepositoryError;
use sea_orm::{DbErr, RuntimeErr, SqlErr};

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
