//! Shoppers and cart on each database: addresses (phone sealed, one default under
//! concurrency), favourites and history (bounded, deduplicated), cart lines (merged,
//! capped) and freight templates (compare-and-set, one default).

mod activity;
mod addresses;
mod cart;
mod freight;

use elife_domain::order::OpenId;

pub fn buyer(name: &str) -> OpenId {
    OpenId::parse(name).expect("openid")
}

/// `now` `seconds` after t0: distinct and increasing per call site.
pub fn at(seconds: i64) -> chrono::DateTime<chrono::Utc> {
    elife_domain::testing::t0() + chrono::TimeDelta::seconds(seconds)
}
