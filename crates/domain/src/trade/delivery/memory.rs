//! Logistics companies in memory, for tests here and in other crates.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use crate::ports::RepositoryError;

use super::company::LogisticsCompany;
use super::ports::LogisticsRepository;

#[derive(Debug, Clone, Default)]
pub struct MemoryLogistics {
    companies: Arc<Mutex<BTreeMap<String, LogisticsCompany>>>,
}

impl MemoryLogistics {
    pub fn new() -> Self {
        MemoryLogistics::default()
    }

    /// The companies the migration seeds.
    pub fn seeded() -> Self {
        let memory = MemoryLogistics::new();
        for (index, (code, name)) in [
            ("shunfeng", "顺丰速运"),
            ("zhongtong", "中通快递"),
            ("yuantong", "圆通速递"),
            ("shentong", "申通快递"),
            ("yunda", "韵达快递"),
            ("jd", "京东物流"),
            ("ems", "EMS"),
        ]
        .into_iter()
        .enumerate()
        {
            let sort_order = i32::try_from(index).unwrap_or(i32::MAX) * 10;
            memory.lock().insert(
                code.to_owned(),
                LogisticsCompany {
                    code: code.to_owned(),
                    name: name.to_owned(),
                    enabled: true,
                    sort_order,
                },
            );
        }
        memory
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, LogisticsCompany>> {
        self.companies
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl LogisticsRepository for MemoryLogistics {
    async fn list(&self, include_disabled: bool) -> Result<Vec<LogisticsCompany>, RepositoryError> {
        let mut found: Vec<LogisticsCompany> = self
            .lock()
            .values()
            .filter(|c| include_disabled || c.enabled)
            .cloned()
            .collect();
        found.sort_by(|a, b| (a.sort_order, &a.code).cmp(&(b.sort_order, &b.code)));
        Ok(found)
    }

    async fn find(&self, code: &str) -> Result<Option<LogisticsCompany>, RepositoryError> {
        Ok(self.lock().get(code).cloned())
    }

    async fn upsert(&self, company: &LogisticsCompany) -> Result<(), RepositoryError> {
        self.lock().insert(company.code.clone(), company.clone());
        Ok(())
    }

    async fn set_enabled(&self, code: &str, enabled: bool) -> Result<bool, RepositoryError> {
        Ok(match self.lock().get_mut(code) {
            Some(company) => {
                company.enabled = enabled;
                true
            }
            None => false,
        })
    }
}
