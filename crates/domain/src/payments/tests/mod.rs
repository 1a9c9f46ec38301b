//! Tests of the payments core against in-memory storage with real compare-and-set,
//! through the real services, wired as the server wires them.

mod flows;
mod properties;
pub(crate) mod world;
