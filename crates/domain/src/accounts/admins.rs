//! Admin accounts: who may operate the back office, with which role, and the ports that
//! store them and hash their passwords.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::audit::AuditEntry;
use crate::ports::{CasOutcome, Page, PageRequest, RepositoryError};

/// What an admin may do is decided by their role alone (see [`super::permissions`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    SuperAdmin,
    Admin,
    Operator,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::SuperAdmin, Role::Admin, Role::Operator, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "super_admin",
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Viewer => "viewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: expected super_admin, admin, operator or viewer")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == raw.trim())
            .ok_or_else(|| UnknownRole(raw.to_owned()))
    }
}

/// The database id of an admin account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AdminId(pub i64);

impl fmt::Display for AdminId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for AdminId {
    type Err = std::num::ParseIntError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        raw.trim().parse().map(AdminId)
    }
}

/// Pseudo-actors that are not accounts: they may never be taken as usernames.
pub const RESERVED_USERNAMES: [&str; 3] = ["break-glass", "cli", "system"];

/// A login name: 3 to 32 characters of `a-z`, `0-9`, `.`, `_` and `-`, stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim().to_ascii_lowercase();
        let allowed = name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&name.len()) || !allowed {
            return Err(format!(
                "username must be {} to {} characters of a-z, 0-9, '.', '_' or '-'",
                Self::MIN_LEN,
                Self::MAX_LEN
            ));
        }
        if RESERVED_USERNAMES.contains(&name.as_str()) {
            return Err(format!("username {name:?} is reserved"));
        }
        Ok(Username(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An admin account as stored. `version` guards every change (compare-and-set).
#[derive(Clone, PartialEq, Eq)]
pub struct AdminAccount {
    pub id: AdminId,
    pub username: String,
    /// A PHC string (`$argon2id$...`); never shown.
    pub password_hash: String,
    pub display_name: String,
    pub role: Role,
    pub enabled: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    /// Failed logins since the last success or lock.
    pub failed_attempts: u32,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl AdminAccount {
    /// An enabled super admin: the accounts that keep the back office manageable.
    pub fn is_active_super_admin(&self) -> bool {
        self.enabled && self.role == Role::SuperAdmin
    }

    pub fn is_locked_at(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }

    /// What the audit trail keeps of an account: never the password hash.
    pub fn audit_view(&self) -> serde_json::Value {
        serde_json::json!({
            "username": self.username,
            "displayName": self.display_name,
            "role": self.role.as_str(),
            "enabled": self.enabled,
        })
    }
}

// The hash stays out of logs.
impl fmt::Debug for AdminAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminAccount")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password_hash", &"<redacted>")
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("enabled", &self.enabled)
            .field("last_login_at", &self.last_login_at)
            .field("failed_attempts", &self.failed_attempts)
            .field("locked_until", &self.locked_until)
            .field("version", &self.version)
            .finish()
    }
}

/// An account to create.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAdmin {
    pub username: Username,
    pub password_hash: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

impl fmt::Debug for NewAdmin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAdmin")
            .field("username", &self.username)
            .field("password_hash", &"<redacted>")
            .field("role", &self.role)
            .finish()
    }
}

/// A compare-and-set of one account: written only if the stored version is still
/// `expected_version`; `account.version` must be `expected_version + 1`.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminUpdate {
    pub expected_version: i32,
    pub account: AdminAccount,
    /// Written in the same transaction as the change.
    pub audit: Option<AuditEntry>,
    /// The change takes super-admin power from this account: the repository serialises it
    /// with every other such change and refuses it (as `Lost`) if it would leave no enabled
    /// super admin, so two super admins demoting each other at once cannot both win.
    pub keep_a_super_admin: bool,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AdminRepository: Send + Sync {
    /// Stores a new account, with `audit` in the same transaction (its target id is set to
    /// the new account's id). `Duplicate` if the username is taken.
    async fn insert(
        &self,
        admin: &NewAdmin,
        audit: Option<AuditEntry>,
    ) -> Result<AdminAccount, RepositoryError>;

    async fn find(&self, id: AdminId) -> Result<Option<AdminAccount>, RepositoryError>;

    async fn find_by_username(
        &self,
        username: &str,
    ) -> Result<Option<AdminAccount>, RepositoryError>;

    /// By id ascending.
    async fn list(&self, page: PageRequest) -> Result<Page<AdminAccount>, RepositoryError>;

    async fn count_active_super_admins(&self) -> Result<u64, RepositoryError>;

    /// The compare-and-set of [`AdminUpdate`], with its audit row, in one transaction.
    async fn update(&self, update: &AdminUpdate) -> Result<CasOutcome, RepositoryError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct PasswordHashError(pub String);

/// Hashes and checks passwords. Synchronous: pure (if deliberately slow) computation.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait PasswordHasher: Send + Sync {
    /// A self-describing hash (PHC string) with a fresh salt.
    fn hash(&self, password: &str) -> Result<String, PasswordHashError>;

    /// Whether `password` matches `hash`, compared in constant time.
    fn verify(&self, password: &str, hash: &str) -> Result<bool, PasswordHashError>;

    /// Spends the time of one verification for a username that does not exist, so that
    /// timing does not tell which usernames do.
    fn verify_dummy(&self, password: &str);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn usernames_are_lower_case_bounded_and_not_reserved() {
        assert_eq!(Username::parse(" Alice.B ").unwrap().as_str(), "alice.b");
        for bad in [
            "ab",
            "a b c",
            "ünïcode",
            "break-glass",
            "CLI",
            &"x".repeat(33),
        ] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }
}
