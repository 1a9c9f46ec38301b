//! Wiring of the back office: admin accounts (argon2id, lockout delays on the runtime's
//! timer), admin sessions, the audit trail and the exchange-rate use case.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use elife_auth::passwords::Argon2Passwords;
use elife_domain::accounts::admin_service::AdminService;
use elife_domain::accounts::admin_sessions::AdminSessions;
use elife_domain::accounts::audit_trail::AuditTrail;
use elife_domain::accounts::login_throttle::Pause;
use elife_domain::accounts::sessions::SessionService;
use elife_domain::ports::Clock;
use elife_domain::services::{ExchangeRateService, Ports};
use elife_persistence::{DatabaseConnection, SeaOrmAdminRepository};

use crate::configuration::{AdminSettings, Settings};

/// Waits on the runtime's timer (the slow-down of failed logins).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioPause;

#[async_trait]
impl Pause for TokioPause {
    async fn pause(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// The admin accounts use case on `db`.
pub fn admin_service(
    settings: &AdminSettings,
    db: &DatabaseConnection,
    clock: Arc<dyn Clock>,
) -> Arc<AdminService> {
    Arc::new(AdminService::new(
        Arc::new(SeaOrmAdminRepository::new(db.clone())),
        Arc::new(Argon2Passwords::new()),
        clock,
        Arc::new(TokioPause),
        settings.login,
    ))
}

/// What the admin handlers share.
pub struct BackOffice {
    pub admins: Arc<AdminService>,
    pub admin_sessions: Arc<AdminSessions>,
    pub audit_trail: Arc<AuditTrail>,
    pub exchange_rates: Arc<ExchangeRateService>,
}

impl BackOffice {
    pub fn new(
        settings: &Settings,
        db: &DatabaseConnection,
        ports: &Ports,
        sessions: Arc<SessionService>,
    ) -> Self {
        let admins = admin_service(&settings.admin, db, Arc::clone(&ports.clock));
        BackOffice {
            admin_sessions: Arc::new(AdminSessions::new(Arc::clone(&admins), sessions)),
            audit_trail: Arc::new(AuditTrail::new(
                Arc::clone(&ports.audit),
                Arc::clone(&ports.clock),
            )),
            exchange_rates: Arc::new(ExchangeRateService::new(
                Arc::clone(&ports.rates),
                Arc::clone(&ports.clock),
                settings.admin.exchange_rate,
            )),
            admins,
        }
    }
}

/// Production warns while the break-glass credential is configured: day-to-day work should
/// use named accounts.
pub fn warn_about_break_glass(settings: &Settings) {
    if settings.environment.is_production() && settings.admin_token.is_some() {
        tracing::warn!(
            "ADMIN_TOKEN is set: the break-glass credential acts as the super admin `break-glass`; \
             every use is logged. Prefer named admin accounts and unset it when not needed"
        );
    }
}
