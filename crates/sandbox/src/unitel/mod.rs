//! Unitel simulator.
