//! The accounts context: shoppers (WeChat login, sessions, profile), admin accounts with
//! roles and permissions, and the audit trail of what admins changed.
//!
//! Owns its tables (users, refresh tokens, admin users, audit log) and talks to other
//! contexts only through use cases.

pub mod profile;
#[cfg(any(test, feature = "mocks"))]
pub mod session_fakes;
pub mod sessions;
pub mod shoppers;
pub mod tokens;

pub mod admin_error;
pub mod admin_service;
pub mod admin_sessions;
pub mod admins;
pub mod audit;
pub mod audit_trail;
#[cfg(any(test, feature = "mocks"))]
pub mod fakes;
pub mod login_throttle;
pub mod permissions;
