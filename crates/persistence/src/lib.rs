//! SeaORM adapter implementing elife's storage ports on SQLite, MySQL/MariaDB and
//! PostgreSQL.
//!
//! ```ignore
//! let db = elife_persistence::connect(&url, &PoolSettings::default()).await?;
//! elife_persistence::migrate_up(&db).await?;
//! let orders = SeaOrmOrderRepository::new(db.clone(), Keyring::from_lookup(lookup, production)?);
//! ```
//!
//! Every order change is one conditional `UPDATE` on (number, statuses, version) whose
//! rows-affected decides the winner, committed with its `order_events` row. Nothing relies
//! on `SELECT ... FOR UPDATE`, which SQLite ignores.

mod admins;
mod audit;
pub mod catalog;
mod connection;
pub mod entities;
mod error;
mod exchange_rates;
mod job_leases;
mod mall_statistics;
mod notifications;
mod orders;
mod paging;
mod pay_orders;
mod pay_outbox;
mod phone_numbers;
mod points;
mod refunds;
pub mod reviews;
pub mod search_terms;
mod sessions;
pub mod shoppers;
mod statistics;
mod time;
pub mod trade;
mod users;

pub use admins::SeaOrmAdminRepository;
pub use audit::SeaOrmAuditLog;
pub use catalog::{SeaOrmCategoryRepository, SeaOrmProductRepository, SeaOrmStockLedger};
pub use connection::{ConnectError, PoolSettings, backend_of, connect, migrate_up};
pub use error::map_db_err;
pub use exchange_rates::SeaOrmExchangeRateRepository;
pub use job_leases::SeaOrmJobLeases;
pub use mall_statistics::SeaOrmMallStatistics;
pub use notifications::SeaOrmPaymentNotificationLog;
pub use orders::SeaOrmOrderRepository;
pub use pay_orders::SeaOrmPayOrderRepository;
pub use pay_outbox::SeaOrmFulfilmentOutbox;
pub use phone_numbers::{PhoneKeyRotation, RotationReport};
pub use points::{SeaOrmPackageRepository, SeaOrmPointsLedger, SeaOrmPointsOrderRepository};
pub use refunds::SeaOrmRefundRepository;
pub use reviews::{SeaOrmLogisticsRepository, SeaOrmReviewRepository};
pub use search_terms::SeaOrmSearchTerms;
pub use sessions::SeaOrmSessionRepository;
pub use shoppers::{
    SeaOrmAddressRepository, SeaOrmCartRepository, SeaOrmFavouriteRepository,
    SeaOrmFreightTemplateRepository, SeaOrmHistoryRepository,
};
pub use statistics::{SeaOrmStatisticsRepository, china_day_start};
pub use time::truncated as truncate_timestamp;
pub use trade::{SeaOrmAfterSaleRepository, SeaOrmMallOrderRepository, SeaOrmTradeOutbox};
pub use users::SeaOrmUserRepository;

pub use elife_personal_data::Keyring;
pub use migration::{Migrator, MigratorTrait};
pub use sea_orm::{DatabaseConnection, DbBackend};
