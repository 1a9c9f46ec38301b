//! Tests of after-sales against in-memory storage with real compare-and-set.

mod listing;
mod properties;
mod rules;
mod transitions;
