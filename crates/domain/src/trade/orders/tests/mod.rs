//! Tests of the mall order against in-memory storage with real compare-and-set.

mod core;
mod flows;
mod listing;
mod races;
pub(crate) mod support;
mod transitions;
