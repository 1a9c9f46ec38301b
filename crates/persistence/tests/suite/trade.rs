//! The trade context on each database.
