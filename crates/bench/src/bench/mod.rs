//! `elife-bench`: throughput and latency of the server beside the database's own limit.
//!
//! Every scenario drives a real `elife` process over keep-alive HTTP, with the simulators
//! in their own process (`elife sandbox`) and a fresh database on the engine named. The
//! load generator runs on the same machine: its own CPU is measured and reported.

pub mod api;
pub mod counters;
pub mod error;
pub mod limit;
pub mod load;
pub mod options;
mod orders;
pub mod report;
pub mod run;
mod scenarios;
pub mod sql;

pub use error::BenchError;
pub use options::{Options, Scenario};
pub use run::run;
