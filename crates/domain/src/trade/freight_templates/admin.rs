//! Managing freight templates: validation (every problem at once) and compare-and-set.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::catalog::product::MAX_PRICE;
use crate::ports::{CasOutcome, Clock};
use crate::services::ServiceError;

use super::{FreightTemplateDraft, FreightTemplateRepository, StoredFreightTemplate};

pub const MAX_TEMPLATE_NAME: usize = 64;
pub const MAX_RULES: usize = 50;
/// Regions one rule lists (every province and then some).
pub const MAX_REGIONS: usize = 500;

impl FreightTemplateDraft {
    /// Every problem at once, or nothing.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let name = self.name.trim().chars().count();
        if name == 0 || name > MAX_TEMPLATE_NAME {
            problems.push(format!(
                "name must have 1 to {MAX_TEMPLATE_NAME} characters"
            ));
        }
        if self.rules.is_empty() || self.rules.len() > MAX_RULES {
            problems.push(format!("a template has 1 to {MAX_RULES} rules"));
        }
        let mut seen = BTreeSet::new();
        for (n, rule) in self.rules.iter().enumerate() {
            let rule_no = n + 1;
            if rule.regions.is_empty() || rule.regions.len() > MAX_REGIONS {
                problems.push(format!("rule {rule_no}: lists 1 to {MAX_REGIONS} regions"));
            }
            // The pipeline's own checks (negative amounts, extra units below 1).
            if let Err(error) = rule.fee(0) {
                problems.push(format!("rule {rule_no}: {error}"));
            }
            let too_much = [Some(rule.first_fee), Some(rule.extra_fee), rule.free_over]
                .into_iter()
                .flatten()
                .any(|fen| fen > MAX_PRICE.value());
            if too_much {
                problems.push(format!(
                    "rule {rule_no}: fees and thresholds are at most {} fen",
                    MAX_PRICE.value()
                ));
            }
            for region in &rule.regions {
                if !seen.insert(region.clone()) {
                    problems.push(format!(
                        "rule {rule_no}: region {region} is already in another rule"
                    ));
                }
            }
        }
        problems
    }
}

pub struct FreightTemplateAdmin {
    templates: Arc<dyn FreightTemplateRepository>,
    clock: Arc<dyn Clock>,
}

fn checked(draft: &FreightTemplateDraft) -> Result<FreightTemplateDraft, ServiceError> {
    let problems = draft.problems();
    if !problems.is_empty() {
        return Err(ServiceError::Validation(problems.join("; ")));
    }
    Ok(FreightTemplateDraft {
        name: draft.name.trim().to_owned(),
        ..draft.clone()
    })
}

fn not_found(id: i64) -> ServiceError {
    ServiceError::NotFound(format!("freight template {id} not found"))
}

impl FreightTemplateAdmin {
    pub fn new(templates: Arc<dyn FreightTemplateRepository>, clock: Arc<dyn Clock>) -> Self {
        FreightTemplateAdmin { templates, clock }
    }

    pub async fn list(&self) -> Result<Vec<StoredFreightTemplate>, ServiceError> {
        Ok(self.templates.list().await?)
    }

    pub async fn get(&self, id: i64) -> Result<StoredFreightTemplate, ServiceError> {
        self.templates.find(id).await?.ok_or_else(|| not_found(id))
    }

    pub async fn create(
        &self,
        draft: &FreightTemplateDraft,
    ) -> Result<StoredFreightTemplate, ServiceError> {
        let draft = checked(draft)?;
        Ok(self.templates.insert(&draft, self.clock.now()).await?)
    }

    /// Rewrites a template the admin read at `expected_version`.
    pub async fn update(
        &self,
        id: i64,
        expected_version: i64,
        draft: &FreightTemplateDraft,
    ) -> Result<StoredFreightTemplate, ServiceError> {
        let draft = checked(draft)?;
        let outcome = self
            .templates
            .update(id, expected_version, &draft, self.clock.now())
            .await?;
        let current = self.get(id).await?;
        match outcome {
            CasOutcome::Won => Ok(current),
            CasOutcome::Lost => Err(ServiceError::Conflict(format!(
                "freight template {id} changed meanwhile (now version {}); reload it",
                current.version
            ))),
        }
    }

    pub async fn set_default(&self, id: i64) -> Result<StoredFreightTemplate, ServiceError> {
        if !self.templates.set_default(id, self.clock.now()).await? {
            return Err(not_found(id));
        }
        self.get(id).await
    }

    /// Deletes a template; the default must be replaced first.
    pub async fn delete(&self, id: i64) -> Result<(), ServiceError> {
        if self.templates.delete(id).await? {
            return Ok(());
        }
        match self.templates.find(id).await? {
            Some(_) => Err(ServiceError::Conflict(format!(
                "freight template {id} is the default; make another the default first"
            ))),
            None => Err(not_found(id)),
        }
    }
}
