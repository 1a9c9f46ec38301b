//! SeaORM entities: one per table of the `migration` crate, with the column types the
//! migrations create.

pub mod admin_users;
pub mod audit_log;
pub mod exchange_rates;
pub mod job_leases;
pub mod order_events;
pub mod orders;
pub mod pay_orders;
pub mod pay_outbox;
pub mod payment_notifications;
pub mod points_accounts;
pub mod points_ledger;
pub mod points_orders;
pub mod points_packages;
pub mod refresh_tokens;
pub mod refunds;
pub mod sessions;
pub mod users;

pub(crate) mod exact_rate;

pub use exact_rate::ExactRate;
