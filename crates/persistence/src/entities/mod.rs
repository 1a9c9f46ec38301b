//! SeaORM entities: one per table of the `migration` crate, with the column types the
//! migrations create.

pub mod exchange_rates;
pub mod job_leases;
pub mod order_events;
pub mod orders;
pub mod payment_notifications;
pub mod refunds;
pub mod users;

pub(crate) mod exact_rate;

pub use exact_rate::ExactRate;
