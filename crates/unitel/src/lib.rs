//! Unitel (Mongolia) top-up adapter: implements the domain's [`TopUpProvider`] port
//! over Unitel's HTTP API (reqwest with rustls).
//!
//! ```ignore
//! let unitel = UnitelClient::new(UnitelConfig::new(url, username, password))?;
//! let provider: Arc<dyn TopUpProvider> = Arc::new(unitel);
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
