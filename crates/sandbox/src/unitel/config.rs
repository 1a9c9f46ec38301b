//! How a simulator run is set up.

use std::time::Duration;

use super::faults::Faults;

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
