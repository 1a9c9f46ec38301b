//! What every handler shares.

use std::sync::Arc;
use std::time::Duration;

use elife_domain::services::{
    OrderQueries, OrderService, Ports, RechargeService, StatisticsService, TopUpCatalogue,
};

use crate::http::identity::IdentityPolicy;
use crate::http::rate_limit::RateLimits;
use crate::topups::TopUps;

pub struct AppState {
    pub ports: Ports,
    pub orders: OrderService,
    /// Any order, its history and the list of all, for the back office.
    pub order_queries: Arc<OrderQueries>,
    /// A number's price list and postpaid bill.
    pub catalogue: TopUpCatalogue,
    /// The payments core and the top-up's use cases that involve money.
    pub payments: crate::payments::Payments,
    /// Points accounts and the points shop (composed with the payments core).
    pub points: crate::points::Points,
    /// The mall: catalog, checkout, orders, after-sales (paying through the core).
    pub mall: crate::mall::Mall,
    pub recharge: Arc<RechargeService>,
    pub statistics: Arc<StatisticsService>,
    /// The admin's view of the payment callback log.
    pub notification_log: Arc<elife_domain::services::NotificationLogService>,
    pub identity: IdentityPolicy,
    pub admin_token: Option<String>,
    pub limits: RateLimits,
    pub callback_timeout: Duration,
    /// Verifies and decrypts WeChat Pay API v3 notifications; `None` unless `PAY_CHANNEL=v3`.
    pub wechat_pay_notifications: Option<elife_wechatpay::NotificationParser>,
    /// Top-ups started after a callback, bounded per instance.
    pub top_ups: TopUps,
    /// Admin accounts and sessions, the audit trail, the exchange-rate use case.
    pub back_office: crate::admin::BackOffice,
    /// Shopper login, sessions (shared with admins) and profiles.
    pub accounts: crate::accounts::ShopperAccounts,
}
