//! What the admin use cases can answer besides success; the inbound adapter maps each to a
//! status.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::admins::PasswordHashError;
use crate::ports::RepositoryError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Wrong username or password; which of the two is never said.
    #[error("invalid username or password")]
    InvalidCredentials,
    /// Too many failed logins on this account: refused until `until`, even with the right
    /// password.
    #[error("account locked after repeated failed logins; try again later")]
    Locked { until: DateTime<Utc> },
    /// Too many failed logins from this address.
    #[error("too many failed logins from this address; try again later")]
    Throttled { retry_after: Duration },
    /// The right password of a disabled account.
    #[error("this account is disabled")]
    Disabled,
    /// The actor's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

impl From<RepositoryError> for AdminError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::Duplicate(what) => {
                AdminError::Conflict(format!("{what} already exists"))
            }
            RepositoryError::Corrupt(_) | RepositoryError::Unavailable(_) => {
                AdminError::Unavailable(error.to_string())
            }
        }
    }
}

impl From<PasswordHashError> for AdminError {
    fn from(error: PasswordHashError) -> Self {
        AdminError::Unavailable(error.to_string())
    }
}
