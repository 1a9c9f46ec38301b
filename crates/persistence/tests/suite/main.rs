//! The persistence suite: every port against the database named by
//! `ELIFE_TEST_DATABASE_URL` (default: a fresh SQLite file per test). For MySQL/MariaDB and
//! PostgreSQL URLs each test creates its own database `elife_test_<random>` on that server
//! and drops it afterwards.

mod admins_and_audit;
mod adopt_prisma;
mod catalog;
mod common;
mod leases;
mod mall_checkout;
mod mall_statistics;
mod notification_queries;
mod notifications;
mod orders;
mod pay_orders;
mod pay_orders_migration;
mod pay_outbox;
mod phone_encryption;
mod points;
mod refunds;
mod reviews;
mod schema;
mod search;
mod sessions;
mod shoppers;
mod statistics;
mod trade;
mod users_and_rates;
