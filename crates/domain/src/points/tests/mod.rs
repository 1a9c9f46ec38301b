//! Points tests.
