//! Simulators of the outside APIs elife talks to: WeChat Pay (Cloud Hosting open interface),
//! Unitel and Kuaidi100 (parcel tracking). Real HTTP servers with fault injection, for local
//! runs and tests.
//!
//! Written from the outside API's point of view; this crate shares no code with the adapters.

pub mod kuaidi100;
mod serve;
pub mod unitel;
pub mod wechat;
pub mod wechat_pay_v3;
