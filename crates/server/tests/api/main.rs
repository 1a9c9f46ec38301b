//! Integration tests: the real application (the same factory as `main`) on a random port,
//! with a fresh SQLite file and the in-process simulators, driven like the mini-program.

mod admin;
mod admin_audit;
mod admin_login;
mod admin_roles;
mod admin_support;
mod auth;
mod backlog;
mod callbacks;
mod console;
mod console_ops;
mod console_orders;
mod console_support;
mod flows;
mod helpers;
mod hostile_input;
mod limits;
mod log_privacy;
mod mall_admin;
mod mall_deadlines;
mod mall_edits;
mod mall_isolation;
mod mall_statistics;
mod mall_support;
mod mall_walkthrough;
mod notifications_admin;
mod points;
mod points_admin;
mod points_support;
mod public;
mod races;
mod wechat_pay_v3;
