//! The accounts context: shoppers (WeChat login, sessions, profile), admin accounts with
//! roles and permissions, and the audit trail of what admins changed.
//!
//! Owns its tables (users, refresh tokens, admin users, audit log) and talks to other
//! contexts only through use cases.
