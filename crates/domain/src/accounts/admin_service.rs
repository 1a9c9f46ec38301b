//! The admin use cases: logging in (with lockout and slow-down), and the management of
//! accounts by super admins, each change audited in its own transaction.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::admin_error::AdminError;
use super::admins::{
    AdminAccount, AdminId, AdminRepository, AdminUpdate, NewAdmin, PasswordHasher, Role, Username,
};
use super::audit::{AdminAct, AuditAction};
use super::login_throttle::{AddressFailures, LoginPolicy, Pause};
use super::permissions::{Permission, allows};
use crate::ports::{CasOutcome, Clock, Page, PageRequest};

/// Lost compare-and-sets tolerated in one call before giving up.
const MAX_RACE_RETRIES: usize = 5;

/// Passwords shorter than this are refused; long passphrases are welcome.
pub const MIN_PASSWORD_LEN: usize = 12;
/// Bounds the work of hashing what a caller sends.
pub const MAX_PASSWORD_LEN: usize = 256;
pub const MAX_DISPLAY_NAME_LEN: usize = 64;

/// What a super admin may change on an account; `None` keeps the field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminChanges {
    pub role: Option<Role>,
    pub display_name: Option<String>,
    pub enabled: Option<bool>,
}

/// A new account as typed by a super admin (or on the command line).
#[derive(Clone, PartialEq, Eq)]
pub struct CreateAdmin {
    pub username: String,
    pub password: String,
    pub display_name: Option<String>,
    pub role: Role,
}

impl std::fmt::Debug for CreateAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateAdmin")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("role", &self.role)
            .finish()
    }
}

/// The ports this service needs, and nothing else.
pub struct AdminService {
    admins: Arc<dyn AdminRepository>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    pause: Arc<dyn Pause>,
    policy: LoginPolicy,
    addresses: AddressFailures,
}

impl AdminService {
    pub fn new(
        admins: Arc<dyn AdminRepository>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        pause: Arc<dyn Pause>,
        policy: LoginPolicy,
    ) -> Self {
        AdminService {
            admins,
            hasher,
            clock,
            pause,
            policy,
            addresses: AddressFailures::default(),
        }
    }

    pub fn policy(&self) -> LoginPolicy {
        self.policy
    }

    /// Checks a username and password. Every failure is counted (on the account in the
    /// database, and on the client address in process) and answered after a delay that
    /// grows with the failures; an account is locked for `lock_for` after `max_failures`
    /// failures in a row, and then refuses even the right password until the lock ends.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client_address: Option<&str>,
    ) -> Result<AdminAccount, AdminError> {
        let now = self.clock.now();
        if let Some(address) = client_address
            && let Some(until) = self.addresses.blocked_until(address, now, &self.policy)
        {
            tracing::warn!(
                address,
                "admin login refused: too many failures from this address"
            );
            return Err(AdminError::Throttled {
                retry_after: (until - now).to_std().unwrap_or_default(),
            });
        }
        let account = match Username::parse(username) {
            Ok(name) => self.admins.find_by_username(name.as_str()).await?,
            Err(_) => None,
        };
        let Some(account) = account else {
            // Same work as a real verification, so timing does not reveal the name is unknown.
            self.hasher.verify_dummy(password);
            self.fail(client_address, 0, now).await;
            return Err(AdminError::InvalidCredentials);
        };
        if let Some(until) = account.locked_until.filter(|until| *until > now) {
            self.hasher.verify_dummy(password);
            self.fail(client_address, account.failed_attempts, now)
                .await;
            return Err(AdminError::Locked { until });
        }
        if !self.hasher.verify(password, &account.password_hash)? {
            let failures = self.record_failure(account, now).await?;
            self.fail(client_address, failures, now).await;
            return Err(AdminError::InvalidCredentials);
        }
        if !account.enabled {
            return Err(AdminError::Disabled);
        }
        let account = self.record_success(account, now).await?;
        tracing::info!(admin = %account.username, role = %account.role, "admin logged in");
        Ok(account)
    }

    /// Counts a failure of `address` and waits before answering.
    async fn fail(&self, address: Option<&str>, account_failures: u32, now: DateTime<Utc>) {
        let address_failures = address
            .map(|address| self.addresses.record(address, now, self.policy.ip_window))
            .unwrap_or_default();
        let failures = account_failures.max(address_failures).max(1);
        self.pause.pause(self.policy.delay(failures)).await;
    }

    /// Raises the account's failure count, locking it at the limit; returns the count.
    async fn record_failure(
        &self,
        mut account: AdminAccount,
        now: DateTime<Utc>,
    ) -> Result<u32, AdminError> {
        for _ in 0..MAX_RACE_RETRIES {
            let failures = account.failed_attempts.saturating_add(1);
            let mut next = account.clone();
            if failures >= self.policy.max_failures {
                next.failed_attempts = 0;
                next.locked_until = Some(now + self.policy.lock_for);
                tracing::warn!(admin = %account.username, "admin account locked after repeated failed logins");
            } else {
                next.failed_attempts = failures;
            }
            if self.write(&account, next, None).await? == CasOutcome::Won {
                return Ok(failures);
            }
            account = self.reload(account.id).await?;
        }
        Err(AdminError::Unavailable(
            "the account kept changing; failure not recorded".to_owned(),
        ))
    }

    async fn record_success(
        &self,
        mut account: AdminAccount,
        now: DateTime<Utc>,
    ) -> Result<AdminAccount, AdminError> {
        for _ in 0..MAX_RACE_RETRIES {
            let mut next = account.clone();
            next.failed_attempts = 0;
            next.locked_until = None;
            next.last_login_at = Some(now);
            if self.write(&account, next, None).await? == CasOutcome::Won {
                return self.reload(account.id).await;
            }
            account = self.reload(account.id).await?;
        }
        Err(AdminError::Unavailable(
            "the account kept changing; login not recorded".to_owned(),
        ))
    }

    /// The account behind a verified access token, if it still exists and is enabled: read
    /// on every request, so disabling or demoting takes effect at once.
    pub async fn active_account(&self, id: AdminId) -> Result<Option<AdminAccount>, AdminError> {
        Ok(self
            .admins
            .find(id)
            .await?
            .filter(|account| account.enabled))
    }

    pub async fn find_by_username(&self, username: &str) -> Result<AdminAccount, AdminError> {
        let name = Username::parse(username).map_err(AdminError::Validation)?;
        self.admins
            .find_by_username(name.as_str())
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("admin {} not found", name.as_str())))
    }

    pub async fn get(&self, act: &AdminAct, id: AdminId) -> Result<AdminAccount, AdminError> {
        ensure_manager(act)?;
        self.reload(id).await
    }

    pub async fn list(
        &self,
        act: &AdminAct,
        page: PageRequest,
    ) -> Result<Page<AdminAccount>, AdminError> {
        ensure_manager(act)?;
        if page.page == 0 || page.limit == 0 || page.limit > PageRequest::MAX_LIMIT {
            return Err(AdminError::Validation(format!(
                "page must be at least 1 and limit between 1 and {}",
                PageRequest::MAX_LIMIT
            )));
        }
        Ok(self.admins.list(page).await?)
    }

    /// A super admin creates an account.
    pub async fn create(
        &self,
        act: &AdminAct,
        command: CreateAdmin,
    ) -> Result<AdminAccount, AdminError> {
        ensure_manager(act)?;
        let username = Username::parse(&command.username).map_err(AdminError::Validation)?;
        check_password(&command.password)?;
        let display_name = match command.display_name {
            Some(name) => check_display_name(&name)?,
            None => username.as_str().to_owned(),
        };
        let now = self.clock.now();
        let admin = NewAdmin {
            password_hash: self.hasher.hash(&command.password)?,
            username,
            display_name,
            role: command.role,
            created_at: now,
        };
        let after = serde_json::json!({
            "username": admin.username.as_str(),
            "displayName": admin.display_name,
            "role": admin.role.as_str(),
            "enabled": true,
        });
        let audit = act.entry(AuditAction::AdminCreate, "", None, None, Some(after), now);
        let created = self
            .admins
            .insert(&admin, Some(audit))
            .await
            .map_err(|error| match AdminError::from(error) {
                AdminError::Conflict(_) => {
                    AdminError::Conflict(format!("username {} is taken", admin.username.as_str()))
                }
                other => other,
            })?;
        tracing::info!(admin = %created.username, role = %created.role, by = %act.actor.username, "admin created");
        Ok(created)
    }

    /// A super admin changes an account's role, display name or enabled flag. The last
    /// enabled super admin can be neither disabled nor demoted. Nothing to change writes
    /// nothing (and no audit row).
    pub async fn update(
        &self,
        act: &AdminAct,
        id: AdminId,
        changes: &AdminChanges,
    ) -> Result<AdminAccount, AdminError> {
        ensure_manager(act)?;
        let display_name = changes
            .display_name
            .as_deref()
            .map(check_display_name)
            .transpose()?;
        for _ in 0..MAX_RACE_RETRIES {
            let current = self.reload(id).await?;
            let mut next = current.clone();
            if let Some(role) = changes.role {
                next.role = role;
            }
            if let Some(name) = &display_name {
                next.display_name = name.clone();
            }
            if let Some(enabled) = changes.enabled {
                next.enabled = enabled;
            }
            if next == current {
                return Ok(current);
            }
            let demotes = current.is_active_super_admin() && !next.is_active_super_admin();
            if demotes && self.admins.count_active_super_admins().await? <= 1 {
                return Err(AdminError::Conflict(format!(
                    "{} is the last enabled super admin: it can be neither disabled nor demoted",
                    current.username
                )));
            }
            let now = self.clock.now();
            let audit = act.entry(
                AuditAction::AdminUpdate,
                id.to_string(),
                None,
                Some(current.audit_view()),
                Some(next.audit_view()),
                now,
            );
            if self.write(&current, next, Some(audit)).await? == CasOutcome::Won {
                let updated = self.reload(id).await?;
                tracing::info!(admin = %updated.username, role = %updated.role, enabled = updated.enabled, by = %act.actor.username, "admin changed");
                return Ok(updated);
            }
        }
        Err(AdminError::Conflict(
            "the account kept changing; try again".to_owned(),
        ))
    }

    /// A super admin sets a new password; the lock and failure count are cleared.
    pub async fn reset_password(
        &self,
        act: &AdminAct,
        id: AdminId,
        password: &str,
    ) -> Result<AdminAccount, AdminError> {
        ensure_manager(act)?;
        check_password(password)?;
        let hash = self.hasher.hash(password)?;
        for _ in 0..MAX_RACE_RETRIES {
            let current = self.reload(id).await?;
            let mut next = current.clone();
            next.password_hash = hash.clone();
            next.failed_attempts = 0;
            next.locked_until = None;
            let now = self.clock.now();
            let audit = act.entry(
                AuditAction::AdminPasswordReset,
                id.to_string(),
                None,
                None,
                Some(serde_json::json!({ "passwordChanged": true })),
                now,
            );
            if self.write(&current, next, Some(audit)).await? == CasOutcome::Won {
                tracing::info!(admin = %current.username, by = %act.actor.username, "admin password reset");
                return self.reload(id).await;
            }
        }
        Err(AdminError::Conflict(
            "the account kept changing; try again".to_owned(),
        ))
    }

    async fn reload(&self, id: AdminId) -> Result<AdminAccount, AdminError> {
        self.admins
            .find(id)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("admin {id} not found")))
    }

    /// The compare-and-set of `current` to `next` (version and time set here).
    async fn write(
        &self,
        current: &AdminAccount,
        mut next: AdminAccount,
        audit: Option<super::audit::AuditEntry>,
    ) -> Result<CasOutcome, AdminError> {
        next.version = current.version + 1;
        next.updated_at = self.clock.now();
        let update = AdminUpdate {
            expected_version: current.version,
            keep_a_super_admin: current.is_active_super_admin() && !next.is_active_super_admin(),
            account: next,
            audit,
        };
        Ok(self.admins.update(&update).await?)
    }
}

fn ensure_manager(act: &AdminAct) -> Result<(), AdminError> {
    if allows(act.actor.role, Permission::ManageAdmins) {
        Ok(())
    } else {
        Err(AdminError::Forbidden(format!(
            "role {} may not manage admins",
            act.actor.role
        )))
    }
}

fn check_password(password: &str) -> Result<(), AdminError> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_LEN {
        return Err(AdminError::Validation(format!(
            "password must be at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(AdminError::Validation(format!(
            "password must be at most {MAX_PASSWORD_LEN} bytes"
        )));
    }
    Ok(())
}

fn check_display_name(raw: &str) -> Result<String, AdminError> {
    let name = raw.trim();
    if name.is_empty()
        || name.chars().count() > MAX_DISPLAY_NAME_LEN
        || name.chars().any(char::is_control)
    {
        return Err(AdminError::Validation(format!(
            "displayName must be 1 to {MAX_DISPLAY_NAME_LEN} printable characters"
        )));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
#[path = "admin_service_tests.rs"]
mod tests;
