//! elife's server: the mini-program HTTP API, the payment callback, admin endpoints,
//! scheduled jobs and the CLI, wired onto the domain's use cases. No business rule lives
//! here: handlers translate HTTP to use-case calls and back.

pub mod accounts;
pub mod admin;
pub mod alerts;
pub mod background;
pub mod cli;
pub mod configuration;
pub mod http;
pub mod jobs;
pub mod key_rotation;
pub mod mall;
pub mod metrics_names;
pub mod payment_channel;
pub mod payments;
pub mod points;
pub mod sandbox;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod topups;
