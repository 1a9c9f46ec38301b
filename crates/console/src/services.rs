//! The use cases the console calls: the same instances the HTTP API's handlers call, handed
//! over by the server that composes them. The console adds no rule of its own.

use std::sync::Arc;

use elife_domain::accounts::admin_service::AdminService;
use elife_domain::accounts::admin_sessions::AdminSessions;
use elife_domain::accounts::audit_trail::AuditTrail;
use elife_domain::payments::{PaymentService, RefundService};
use elife_domain::points::{PointsAdmin, PointsService, PointsShop};
use elife_domain::ports::Clock;
use elife_domain::services::{
    AttentionService, ExchangeRateService, NotificationLogService, OrderQueries, RechargeService,
    StatisticsService, TopUpPayments,
};

/// Every use case a console page may call.
#[derive(Clone)]
pub struct ConsoleServices {
    /// Login, refresh, logout, and the admin accounts (create, change, reset).
    pub admin_sessions: Arc<AdminSessions>,
    /// Listing and creating admin accounts (changes go through `admin_sessions`, which ends
    /// the sessions they invalidate).
    pub admins: Arc<AdminService>,
    pub audit_trail: Arc<AuditTrail>,
    pub exchange_rates: Arc<ExchangeRateService>,
    pub order_queries: Arc<OrderQueries>,
    /// Settling an `unknown` or `failed` top-up by hand.
    pub recharge: Arc<RechargeService>,
    /// A top-up's refund and payment sync.
    pub top_up_payments: Arc<TopUpPayments>,
    /// The payments core (asking WeChat again about a logged notification).
    pub payments: Arc<PaymentService>,
    pub refunds: Arc<RefundService>,
    pub statistics: Arc<StatisticsService>,
    pub notification_log: Arc<NotificationLogService>,
    pub attention: Arc<AttentionService>,
    pub points: Arc<PointsService>,
    pub points_admin: Arc<PointsAdmin>,
    /// Points orders and their refunds.
    pub points_shop: Arc<PointsShop>,
    pub clock: Arc<dyn Clock>,
}

/// How the console is mounted: its services and whether its cookies need HTTPS.
#[derive(Clone)]
pub struct Console {
    pub services: ConsoleServices,
    /// Mark the session cookies `Secure` (production, behind HTTPS).
    pub secure_cookies: bool,
}
