//! Wiring of shopper accounts: the session service shared by shoppers and admins (JWTs
//! signed with `JWT_SECRET`, sessions in the database), WeChat login (the real
//! `jscode2session`, the simulator's, or none), and the shopper use cases.

use std::sync::Arc;

use async_trait::async_trait;
use elife_auth::tokens::JwtCodec;
use elife_domain::accounts::sessions::{SessionService, SessionTtl, SessionTtls};
use elife_domain::accounts::shoppers::{
    LoginCode, LoginError, ShopperService, WechatLogin, WechatSession,
};
use elife_domain::ports::Clock;
use elife_domain::services::Ports;
use elife_persistence::{DatabaseConnection, SeaOrmSessionRepository};
use elife_wechat::{WechatLoginClient, WechatLoginConfig};
use secrecy::ExposeSecret;

use crate::configuration::{JwtSecretSource, Settings};
use crate::sandbox::Sandbox;
use crate::startup::StartupError;

/// What the shopper handlers share.
pub struct ShopperAccounts {
    pub sessions: Arc<SessionService>,
    pub shoppers: Arc<ShopperService>,
}

/// Login when `WECHAT_APPID`/`WECHAT_SECRET` are not set: every attempt is refused as a
/// configuration fault (503 and an error log), the rest of the service runs.
struct LoginNotConfigured;

#[async_trait]
impl WechatLogin for LoginNotConfigured {
    async fn code_to_session(&self, _: &LoginCode) -> Result<WechatSession, LoginError> {
        Err(LoginError::Misconfigured(
            "WECHAT_APPID and WECHAT_SECRET are not set".to_owned(),
        ))
    }
}

/// The session service: shopper lifetimes from `JWT_EXPIRES_IN`/`JWT_REFRESH_EXPIRES_IN`,
/// admin access tokens from `ADMIN_JWT_EXPIRES_IN`.
pub fn session_service(
    settings: &Settings,
    db: &DatabaseConnection,
    clock: Arc<dyn Clock>,
) -> Result<Arc<SessionService>, StartupError> {
    let accounts = &settings.accounts;
    let codec = JwtCodec::new(accounts.jwt_secret.expose_secret().as_bytes())
        .map_err(|error| StartupError::Adapter(format!("JWT_SECRET: {error}")))?;
    if accounts.jwt_secret_source == JwtSecretSource::Generated {
        tracing::warn!(
            "JWT_SECRET is not set: access tokens are signed with a random key and stop \
             working when this process stops (production requires JWT_SECRET)"
        );
    }
    let defaults = SessionTtls::default();
    let ttls = SessionTtls {
        shopper: SessionTtl {
            access: accounts.access_ttl,
            refresh: accounts.refresh_ttl,
        },
        admin: SessionTtl {
            access: settings.admin.access_token_ttl,
            ..defaults.admin
        },
    };
    Ok(Arc::new(SessionService::new(
        Arc::new(SeaOrmSessionRepository::new(db.clone())),
        Arc::new(codec),
        clock,
        ttls,
    )))
}

fn wechat_login(
    settings: &Settings,
    sandbox: Option<&Sandbox>,
) -> Result<Arc<dyn WechatLogin>, StartupError> {
    let accounts = &settings.accounts;
    let config = match sandbox {
        Some(sandbox) => {
            let (appid, secret) = sandbox.wechat.login_credentials();
            WechatLoginConfig::new(appid, secret).with_base_url(sandbox.wechat.url())
        }
        None if accounts.has_wechat_credentials() => WechatLoginConfig::new(
            accounts.wechat_appid.clone(),
            accounts.wechat_secret.expose_secret(),
        )
        .with_base_url(accounts.wechat_api_url.clone()),
        None => {
            if accounts.identity.accepts_tokens() {
                tracing::warn!(
                    "WECHAT_APPID/WECHAT_SECRET are not set: POST /auth/wechat/login answers 503"
                );
            }
            return Ok(Arc::new(LoginNotConfigured));
        }
    };
    let client = WechatLoginClient::new(config)
        .map_err(|error| StartupError::Adapter(format!("wechat login: {error}")))?;
    Ok(Arc::new(client))
}

/// Shopper use cases on `sessions`.
pub fn shopper_accounts(
    settings: &Settings,
    ports: &Ports,
    sessions: Arc<SessionService>,
    sandbox: Option<&Sandbox>,
) -> Result<ShopperAccounts, StartupError> {
    let shoppers = ShopperService::new(
        Arc::clone(&ports.users),
        wechat_login(settings, sandbox)?,
        Arc::clone(&sessions),
        Arc::clone(&ports.clock),
        ShopperService::DEFAULT_CACHE_CAPACITY,
    );
    Ok(ShopperAccounts {
        sessions,
        shoppers: Arc::new(shoppers),
    })
}
