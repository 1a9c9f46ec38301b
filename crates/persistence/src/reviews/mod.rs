//! Reviews and logistics companies on SeaORM (see the migration
//! `m20261130_000009_reviews_delivery`).

pub mod entities;
mod logistics;
mod product_reviews;

pub use logistics::SeaOrmLogisticsRepository;
pub use product_reviews::SeaOrmReviewRepository;
