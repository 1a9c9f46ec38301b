//! How a simulator run is set up, and the faults it injects.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Start-up settings of the Unitel simulator.
#[derive(Debug, Clone)]
pub struct UnitelSimConfig {
    /// Port on 127.0.0.1; `0` picks a free one (see [`super::RunningUnitelSim::base_url`]).
    pub port: u16,
    /// Basic credentials `POST /auth` accepts.
    pub username: String,
    pub password: String,
    /// How long an issued token is accepted (Unitel's live about two minutes).
    pub token_ttl: Duration,
    /// Faults active from the start; changeable later over `POST /__sandbox/faults`.
    pub faults: Faults,
}

impl UnitelSimConfig {
    pub const DEFAULT_USERNAME: &'static str = "sandbox";
    pub const DEFAULT_PASSWORD: &'static str = "sandbox";
}

impl Default for UnitelSimConfig {
    fn default() -> Self {
        UnitelSimConfig {
            port: 0,
            username: Self::DEFAULT_USERNAME.to_owned(),
            password: Self::DEFAULT_PASSWORD.to_owned(),
            token_ttl: Duration::from_secs(120),
            faults: Faults::default(),
        }
    }
}

/// Faults injected into the simulator's answers. Every field has a harmless default,
/// so a JSON body only names what it changes: `{"top_up": {"kind": "apply_then_drop"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Delay added before every business answer (not `/auth`, not `/__sandbox`).
    pub latency_ms: u64,
    /// What money calls (`recharge`, `datapackage`, `payment`) do once they pass validation.
    pub top_up: TopUpFault,
    /// Probability in `[0, 1]` that a valid money call is answered `failed` (nothing applied)
    /// instead of following `top_up`. Drawn from an RNG seeded with `seed`, so a run repeats.
    pub failure_rate: f64,
    pub seed: u64,
    /// The next N business calls answer 401 as if the token had expired.
    pub unauthorized_next: u32,
    /// When set, the calls that move no money (`servicetype`, `unitel`,
    /// `check_transaction_result`) answer this HTTP status with an HTML body.
    pub query_error_status: Option<u16>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            latency_ms: 0,
            top_up: TopUpFault::Succeed,
            failure_rate: 0.0,
            seed: 0,
            unauthorized_next: 0,
            query_error_status: None,
        }
    }
}

impl Faults {
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.failure_rate) {
            return Err(format!(
                "failure_rate must be within [0, 1], got {}",
                self.failure_rate
            ));
        }
        if let Some(status) = self.query_error_status
            && !(400..=599).contains(&status)
        {
            return Err(format!(
                "query_error_status must be a 4xx or 5xx status, got {status}"
            ));
        }
        if let TopUpFault::ServerError { status, .. } = self.top_up
            && !(500..=599).contains(&status)
        {
            return Err(format!(
                "top_up.server_error status must be 5xx, got {status}"
            ));
        }
        Ok(())
    }
}

/// The behaviour of a valid money call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TopUpFault {
    /// Apply and answer `success` like the fixtures.
    Succeed,
    /// The worst case: apply the top-up to the ledger, hold the request for `hold_ms`,
    /// then drop the connection without answering.
    ApplyThenDrop {
        #[serde(default = "default_hold_ms")]
        hold_ms: u64,
    },
    /// Answer a 5xx with an HTML body, after applying the top-up when `apply` is set
    /// (a gateway failing after the operator acted).
    ServerError {
        #[serde(default = "default_server_error_status")]
        status: u16,
        #[serde(default)]
        apply: bool,
    },
    /// Answer 200 with an empty body, after applying the top-up when `apply` is set.
    EmptyAnswer {
        #[serde(default)]
        apply: bool,
    },
    /// Refuse clearly: `result: "failed"` with this code; nothing applied.
    Failed {
        #[serde(default = "default_failed_code")]
        code: String,
        #[serde(default = "default_failed_msg")]
        msg: String,
    },
    /// Accept without finishing: answer `result: "pending"` with a `seq`; the top-up
    /// completes after `checks_until_success` calls of `check_transaction_result`.
    Pending {
        #[serde(default = "default_checks_until_success")]
        checks_until_success: u32,
    },
}

fn default_hold_ms() -> u64 {
    200
}

fn default_server_error_status() -> u16 {
    502
}

fn default_failed_code() -> String {
    "105".to_owned()
}

fn default_failed_msg() -> String {
    "Insufficient dealer balance".to_owned()
}

fn default_checks_until_success() -> u32 {
    2
}
