//! Parcel tracking over a carrier-tracking HTTP API, behind trade's tracking port
//! ([`elife_domain::trade::delivery::ParcelTracking`]): Kuaidi100's real-time query
//! (快递100 实时快递查询, `POST /poll/query.do`).
//!
//! ```ignore
//! let tracking = Kuaidi100Client::new(Kuaidi100Config::new(customer, key))?;
//! let delivery = DeliveryService::new(companies, orders, Arc::new(tracking));
//! ```

mod client;
mod config;
mod sign;
mod wire;

pub use client::{Kuaidi100Client, Kuaidi100Error};
pub use config::Kuaidi100Config;
pub use sign::sign;
pub use wire::{read_answer, state_of};
