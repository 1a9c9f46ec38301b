//! The HTTP handlers, one module per area.

pub mod admin;
pub mod admin_accounts;
pub mod admin_auth;
pub mod admin_exchange_rate;
pub mod admin_mall;
pub mod admin_mall_after_sales;
pub mod admin_mall_categories;
pub mod admin_mall_edits;
pub mod admin_mall_orders;
pub mod admin_mall_products;
pub mod admin_mall_shop;
pub mod admin_mall_statistics;
pub mod admin_mall_stock;
pub mod admin_notifications;
pub mod admin_points;
pub mod admin_points_orders;
pub mod audit;
pub mod auth;
pub mod callback;
pub mod mall_after_sales;
pub mod mall_cart;
pub mod mall_catalog;
pub mod mall_checkout;
pub mod mall_orders;
pub mod mall_reviews;
pub mod mall_shoppers;
pub mod notify;
pub mod orders;
pub mod payment;
pub mod points;
pub mod public;
pub mod sandbox;
pub mod statistics;
pub mod users;

use actix_web::web;

use crate::state::AppState;

pub type State = web::Data<AppState>;
