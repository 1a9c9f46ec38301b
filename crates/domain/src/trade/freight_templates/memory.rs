//! Freight templates in memory, with storage's compare-and-set and single default.

use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::ports::{CasOutcome, RepositoryError};
use crate::trade::pricing::FreightTemplate;

use super::{FreightTemplateDraft, FreightTemplateRepository, StoredFreightTemplate};

#[derive(Debug, Default)]
pub struct MemoryFreightTemplates {
    state: Mutex<(i64, Vec<StoredFreightTemplate>)>,
}

impl MemoryFreightTemplates {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, (i64, Vec<StoredFreightTemplate>)> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl FreightTemplateRepository for MemoryFreightTemplates {
    async fn list(&self) -> Result<Vec<StoredFreightTemplate>, RepositoryError> {
        Ok(self.state().1.clone())
    }

    async fn find(&self, id: i64) -> Result<Option<StoredFreightTemplate>, RepositoryError> {
        Ok(self.state().1.iter().find(|t| t.id() == id).cloned())
    }

    async fn find_many(&self, ids: &[i64]) -> Result<Vec<FreightTemplate>, RepositoryError> {
        Ok(self
            .state()
            .1
            .iter()
            .filter(|t| ids.contains(&t.id()))
            .map(|t| t.template.clone())
            .collect())
    }

    async fn find_default(&self) -> Result<Option<StoredFreightTemplate>, RepositoryError> {
        Ok(self.state().1.iter().find(|t| t.is_default).cloned())
    }

    async fn insert(
        &self,
        draft: &FreightTemplateDraft,
        now: DateTime<Utc>,
    ) -> Result<StoredFreightTemplate, RepositoryError> {
        let mut state = self.state();
        state.0 += 1;
        let stored = StoredFreightTemplate {
            template: FreightTemplate {
                id: state.0,
                charge_by: draft.charge_by,
                rules: draft.rules.clone(),
            },
            name: draft.name.clone(),
            is_default: false,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        state.1.push(stored.clone());
        Ok(stored)
    }

    async fn update(
        &self,
        id: i64,
        expected_version: i64,
        draft: &FreightTemplateDraft,
        now: DateTime<Utc>,
    ) -> Result<CasOutcome, RepositoryError> {
        let mut state = self.state();
        let Some(stored) = state
            .1
            .iter_mut()
            .find(|t| t.id() == id && t.version == expected_version)
        else {
            return Ok(CasOutcome::Lost);
        };
        stored.name = draft.name.clone();
        stored.template.charge_by = draft.charge_by;
        stored.template.rules = draft.rules.clone();
        stored.version += 1;
        stored.updated_at = now;
        Ok(CasOutcome::Won)
    }

    async fn set_default(&self, id: i64, now: DateTime<Utc>) -> Result<bool, RepositoryError> {
        let mut state = self.state();
        if !state.1.iter().any(|t| t.id() == id) {
            return Ok(false);
        }
        for stored in state.1.iter_mut() {
            let default = stored.id() == id;
            if stored.is_default != default {
                stored.is_default = default;
                stored.version += 1;
                stored.updated_at = now;
            }
        }
        Ok(true)
    }

    async fn delete(&self, id: i64) -> Result<bool, RepositoryError> {
        let mut state = self.state();
        let before = state.1.len();
        state.1.retain(|t| t.id() != id || t.is_default);
        Ok(state.1.len() < before)
    }
}
