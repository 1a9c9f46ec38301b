//! The ports: what the domain needs from the outside world. Adapters implement them and
//! translate their own errors into the errors declared here.

mod gateway;
mod notification_log;
mod provider;
mod repositories;
mod system;

pub use gateway::*;
pub use notification_log::*;
pub use provider::*;
pub use repositories::*;
pub use system::*;
