//! Shoppers and cart on SeaORM: addresses, favourites, history, cart items, freight templates.
//!
//! Bounded collections are counted in `shopper_quotas` and admitted by a guarded increment
//! in the transaction that inserts the row (see [`quota`]); a transaction that loses a race
//! (a unique key taken first, a deadlock) runs again a few times.

mod activity;
mod addresses;
mod cart;
pub mod entities;
mod freight_templates;
mod quota;

pub use activity::{SeaOrmFavouriteRepository, SeaOrmHistoryRepository};
pub use addresses::SeaOrmAddressRepository;
pub use cart::SeaOrmCartRepository;
pub use freight_templates::SeaOrmFreightTemplateRepository;
