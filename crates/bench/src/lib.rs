//! Tools that prove the server under fire: `elife-chaos` (crashes, database cuts, hostile
//! simulators; then an audit of every order) and `elife-bench` (throughput and latency
//! beside the database's own limit).
//!
//! Both drive real `elife` processes over HTTP, the simulators as their own process
//! (`elife sandbox`), and a real database.

pub mod bench;
pub mod chaos;
pub mod cluster;
pub mod database;
pub mod machine;
pub mod markdown;
pub mod shop;
