//! Unitel (Mongolia) top-up adapter: implements the domain's [`TopUpProvider`] port
//! over Unitel's HTTP API (reqwest with rustls).
//!
//! ```no_run
//! # fn main() -> Result<(), elife_unitel::UnitelSetupError> {
//! use std::sync::Arc;
//!
//! use elife_domain::ports::TopUpProvider;
//! use elife_unitel::{UnitelClient, UnitelConfig};
//!
//! let config = UnitelConfig::new(UnitelConfig::DEFAULT_BASE_URL, "username", "password");
//! let provider: Arc<dyn TopUpProvider> = Arc::new(UnitelClient::new(config)?);
//! # Ok(())
//! # }
//! ```
//!
//! How answers map to outcomes is in [`outcome`]; why money calls are never retried is in
//! [`client`].
//!
//! [`TopUpProvider`]: elife_domain::ports::TopUpProvider

mod auth;
mod bill;
pub mod client;
mod config;
mod json;
pub mod outcome;
mod price_list;
mod wire;

pub use client::{UnitelClient, UnitelSetupError, refusal_codes};
pub use config::UnitelConfig;
