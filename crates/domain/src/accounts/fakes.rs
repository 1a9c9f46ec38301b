//! In-memory stand-ins of the accounts ports for tests here and in adapters (`mocks`
//! feature): they keep the audit rows written with each change, as the database would in
//! the same transaction.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::admins::{
    AdminAccount, AdminId, AdminRepository, AdminUpdate, NewAdmin, PasswordHashError,
    PasswordHasher,
};
use super::audit::{AuditEntry, AuditFilter, AuditLog, AuditRecord};
use super::login_throttle::Pause;
use crate::ports::{CasOutcome, Page, PageRequest, RepositoryError};

/// The audit rows written so far, shared by the fakes.
#[derive(Debug, Clone, Default)]
pub struct AuditRows(Arc<Mutex<Vec<AuditEntry>>>);

impl AuditRows {
    pub fn push(&self, entry: AuditEntry) -> i64 {
        let mut rows = self.0.lock().unwrap_or_else(|e| e.into_inner());
        rows.push(entry);
        rows.len() as i64
    }

    pub fn all(&self) -> Vec<AuditEntry> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[async_trait]
impl AuditLog for AuditRows {
    async fn record(&self, entry: &AuditEntry) -> Result<i64, RepositoryError> {
        Ok(self.push(entry.clone()))
    }

    async fn list(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>, RepositoryError> {
        let matching: Vec<AuditRecord> = self
            .all()
            .into_iter()
            .enumerate()
            .rev()
            .map(|(index, entry)| AuditRecord {
                id: index as i64 + 1,
                entry,
            })
            .filter(|record| {
                let entry = &record.entry;
                filter
                    .actor
                    .as_ref()
                    .is_none_or(|a| &entry.actor.username == a)
                    && filter.action.is_none_or(|a| entry.action == a)
                    && filter.target_type.is_none_or(|t| entry.target_type == t)
                    && filter
                        .target_id
                        .as_ref()
                        .is_none_or(|t| &entry.target_id == t)
                    && filter.from.is_none_or(|from| entry.at >= from)
                    && filter.before.is_none_or(|before| entry.at < before)
            })
            .collect();
        let total = matching.len() as u64;
        let items = matching
            .into_iter()
            .skip(page.offset() as usize)
            .take(page.limit as usize)
            .collect();
        Ok(Page {
            items,
            total,
            page: page.page,
            limit: page.limit,
        })
    }
}

/// Admin accounts in memory, with the same compare-and-set and last-super-admin rule as
/// the database adapter.
#[derive(Debug, Default)]
pub struct InMemoryAdmins {
    accounts: Mutex<Vec<AdminAccount>>,
    pub audit: AuditRows,
}

impl InMemoryAdmins {
    pub fn new(audit: AuditRows) -> Self {
        InMemoryAdmins {
            accounts: Mutex::default(),
            audit,
        }
    }

    fn accounts(&self) -> std::sync::MutexGuard<'_, Vec<AdminAccount>> {
        self.accounts.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl AdminRepository for InMemoryAdmins {
    async fn insert(
        &self,
        admin: &NewAdmin,
        audit: Option<AuditEntry>,
    ) -> Result<AdminAccount, RepositoryError> {
        let mut accounts = self.accounts();
        if accounts
            .iter()
            .any(|account| account.username == admin.username.as_str())
        {
            return Err(RepositoryError::Duplicate(format!(
                "admin {}",
                admin.username.as_str()
            )));
        }
        let account = AdminAccount {
            id: AdminId(accounts.len() as i64 + 1),
            username: admin.username.as_str().to_owned(),
            password_hash: admin.password_hash.clone(),
            display_name: admin.display_name.clone(),
            role: admin.role,
            enabled: true,
            last_login_at: None,
            failed_attempts: 0,
            locked_until: None,
            created_at: admin.created_at,
            updated_at: admin.created_at,
            version: 0,
        };
        accounts.push(account.clone());
        if let Some(audit) = audit {
            let mut entry = audit;
            entry.target_id = account.id.to_string();
            self.audit.push(entry);
        }
        Ok(account)
    }

    async fn find(&self, id: AdminId) -> Result<Option<AdminAccount>, RepositoryError> {
        Ok(self.accounts().iter().find(|a| a.id == id).cloned())
    }

    async fn find_by_username(
        &self,
        username: &str,
    ) -> Result<Option<AdminAccount>, RepositoryError> {
        Ok(self
            .accounts()
            .iter()
            .find(|a| a.username == username)
            .cloned())
    }

    async fn list(&self, page: PageRequest) -> Result<Page<AdminAccount>, RepositoryError> {
        let accounts = self.accounts();
        Ok(Page {
            items: accounts
                .iter()
                .skip(page.offset() as usize)
                .take(page.limit as usize)
                .cloned()
                .collect(),
            total: accounts.len() as u64,
            page: page.page,
            limit: page.limit,
        })
    }

    async fn count_active_super_admins(&self) -> Result<u64, RepositoryError> {
        Ok(self
            .accounts()
            .iter()
            .filter(|a| a.is_active_super_admin())
            .count() as u64)
    }

    async fn update(&self, update: &AdminUpdate) -> Result<CasOutcome, RepositoryError> {
        let mut accounts = self.accounts();
        let others_keep_power = accounts
            .iter()
            .any(|a| a.id != update.account.id && a.is_active_super_admin());
        let Some(stored) = accounts
            .iter_mut()
            .find(|a| a.id == update.account.id && a.version == update.expected_version)
        else {
            return Ok(CasOutcome::Lost);
        };
        if update.keep_a_super_admin && !others_keep_power {
            return Ok(CasOutcome::Lost);
        }
        *stored = update.account.clone();
        if let Some(audit) = &update.audit {
            self.audit.push(audit.clone());
        }
        Ok(CasOutcome::Won)
    }
}

/// "Hashes" by prefixing: fast, and enough to tell the right password from a wrong one.
#[derive(Debug, Default)]
pub struct PlainHasher {
    pub dummy_verifications: Mutex<u32>,
}

impl PasswordHasher for PlainHasher {
    fn hash(&self, password: &str) -> Result<String, PasswordHashError> {
        Ok(format!("plain${password}"))
    }

    fn verify(&self, password: &str, hash: &str) -> Result<bool, PasswordHashError> {
        Ok(hash.strip_prefix("plain$") == Some(password))
    }

    fn verify_dummy(&self, _password: &str) {
        *self
            .dummy_verifications
            .lock()
            .unwrap_or_else(|e| e.into_inner()) += 1;
    }
}

/// Records the waits instead of waiting.
#[derive(Debug, Default)]
pub struct RecordedPauses(pub Mutex<Vec<Duration>>);

impl RecordedPauses {
    pub fn all(&self) -> Vec<Duration> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[async_trait]
impl Pause for RecordedPauses {
    async fn pause(&self, duration: Duration) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(duration);
    }
}
