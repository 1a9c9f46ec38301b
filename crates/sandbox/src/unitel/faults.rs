//! The faults the simulator injects, as set at start or over `POST /__sandbox/faults`.

use serde::{Deserialize, Serialize};

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
    /// Seeds the RNG of `failure_rate` and `mix`; setting faults restarts it.
    pub seed: u64,
    /// Mixed faults: a share of the valid money calls follows a fault drawn from a list
    /// instead of `top_up` (after `failure_rate` has had its draw).
    pub mix: Option<FaultMix>,
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
            mix: None,
            unauthorized_next: 0,
            query_error_status: None,
        }
    }
}

/// With probability `rate` a valid money call follows one of `faults`, picked uniformly;
/// otherwise it follows `top_up`. Both draws come from the RNG seeded with `seed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultMix {
    pub rate: f64,
    #[serde(default)]
    pub faults: Vec<TopUpFault>,
}

/// Why a set of faults is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultsError {
    #[error("failure_rate must be within [0, 1], got {0}")]
    FailureRate(f64),
    #[error("query_error_status must be a 4xx or 5xx status, got {0}")]
    QueryErrorStatus(u16),
    #[error("{field}: server_error status must be 5xx, got {status}")]
    ServerErrorStatus { field: String, status: u16 },
    #[error("mix.rate must be within [0, 1], got {0}")]
    MixRate(f64),
    #[error("mix.faults must not be empty when mix.rate is above 0")]
    EmptyMix,
}

impl Faults {
    pub fn validate(&self) -> Result<(), FaultsError> {
        if !(0.0..=1.0).contains(&self.failure_rate) {
            return Err(FaultsError::FailureRate(self.failure_rate));
        }
        if let Some(status) = self.query_error_status
            && !(400..=599).contains(&status)
        {
            return Err(FaultsError::QueryErrorStatus(status));
        }
        self.top_up.validate("top_up")?;
        if let Some(mix) = &self.mix {
            mix.validate()?;
        }
        Ok(())
    }
}

impl FaultMix {
    fn validate(&self) -> Result<(), FaultsError> {
        if !(0.0..=1.0).contains(&self.rate) {
            return Err(FaultsError::MixRate(self.rate));
        }
        if self.rate > 0.0 && self.faults.is_empty() {
            return Err(FaultsError::EmptyMix);
        }
        for (index, fault) in self.faults.iter().enumerate() {
            fault.validate(&format!("mix.faults[{index}]"))?;
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
    /// Apply, then answer `success` like the fixtures only after holding the request for
    /// `hold_ms`: a client with a shorter deadline times out after the operator acted.
    Slow {
        #[serde(default = "default_slow_hold_ms")]
        hold_ms: u64,
    },
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

impl TopUpFault {
    /// `field` names where the fault was given, for the error message.
    fn validate(&self, field: &str) -> Result<(), FaultsError> {
        match self {
            TopUpFault::ServerError { status, .. } if !(500..=599).contains(status) => {
                Err(FaultsError::ServerErrorStatus {
                    field: field.to_owned(),
                    status: *status,
                })
            }
            TopUpFault::Succeed
            | TopUpFault::Slow { .. }
            | TopUpFault::ApplyThenDrop { .. }
            | TopUpFault::ServerError { .. }
            | TopUpFault::EmptyAnswer { .. }
            | TopUpFault::Failed { .. }
            | TopUpFault::Pending { .. } => Ok(()),
        }
    }
}

fn default_slow_hold_ms() -> u64 {
    2000
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
