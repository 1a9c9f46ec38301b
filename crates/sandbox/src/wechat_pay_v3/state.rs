//! What the handlers and background deliveries share.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::bills::BillFiles;
use super::clock::SimClock;
use super::config::RuntimeConfig;
use super::faults::ArmedFaults;
use super::keys::SimKeys;
use super::orders::Merchant;
use super::signing::{KeyRotation, SigningContext};
use super::store::SharedLedger;

pub(crate) struct SimState {
    pub appid: String,
    pub mchid: String,
    pub apiv3_key: String,
    pub max_clock_skew: Duration,
    /// `http://127.0.0.1:<port>`, for bill download URLs.
    pub base_url: String,
    pub keys: SimKeys,
    pub rotation: KeyRotation,
    pub runtime: Mutex<RuntimeConfig>,
    pub clock: SimClock,
    pub ledger: SharedLedger,
    pub faults: ArmedFaults,
    pub bills: BillFiles,
    /// Posts notifications; its timeout is the configured `notify_timeout`.
    pub http: reqwest::Client,
}

impl SimState {
    pub(crate) fn runtime(&self) -> RuntimeConfig {
        self.runtime
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn update_runtime<R>(&self, update: impl FnOnce(&mut RuntimeConfig) -> R) -> R {
        update(&mut self.runtime.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub(crate) fn merchant(&self) -> Merchant<'_> {
        Merchant {
            appid: &self.appid,
            mchid: &self.mchid,
        }
    }

    /// Signs with the key(s) of the current signing mode. Signature timestamps are real
    /// time: the movable clock is business time (expiry), and moving it must not make every
    /// signature look stale.
    pub(crate) fn signing(&self) -> SigningContext<'_> {
        SigningContext {
            keys: &self.keys,
            rotation: &self.rotation,
            mode: self.runtime().signing,
            now: chrono::Utc::now(),
            max_clock_skew: self.max_clock_skew,
        }
    }
}
