//! The simulators' ledgers: what WeChat took and notified, what Unitel delivered.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::cluster::Simulators;
use crate::shop;

use super::control::get_json;
use super::error::{ChaosError, io};
use super::wechat::{Wechat, WechatTruth};

/// What the simulators' ledgers say.
pub struct Ledgers {
    pub wechat: WechatTruth,
    /// WeChat's ledger as its simulator showed it.
    pub wechat_raw: Value,
    pub unitel: Value,
}

impl Ledgers {
    pub async fn fetch(
        http: &reqwest::Client,
        simulators: &Simulators,
        wechat: &Wechat,
    ) -> Result<Ledgers, ChaosError> {
        let wechat_raw = wechat.ledger(http).await?;
        Ok(Ledgers {
            wechat: wechat.read(&wechat_raw),
            wechat_raw,
            unitel: get_json(http, &shop::unitel_ledger_url(&simulators.unitel_url)).await?,
        })
    }

    /// Writes both ledgers to `dir` (`wechat-ledger.json`, `unitel-ledger.json`): the
    /// evidence behind the audit, kept beside the processes' logs.
    pub fn save(&self, dir: &Path) -> Result<(), ChaosError> {
        for (name, ledger) in [
            ("wechat-ledger.json", &self.wechat_raw),
            ("unitel-ledger.json", &self.unitel),
        ] {
            let path = dir.join(name);
            std::fs::write(&path, ledger.to_string())
                .map_err(io(format!("writing {}", path.display())))?;
        }
        Ok(())
    }

    /// Top-ups applied per journal id (our order number).
    pub fn top_ups(&self) -> HashMap<String, usize> {
        self.unitel["by_journal_id"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(journal, entries)| {
                (
                    journal.clone(),
                    entries.as_array().map(Vec::len).unwrap_or(0),
                )
            })
            .collect()
    }
}
