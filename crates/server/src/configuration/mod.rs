//! Settings from the environment (and `.env`), typed and validated once at start-up.
//!
//! Variable names follow the old NestJS backend where it had one, so that an existing
//! deployment keeps its configuration.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono_tz::Tz;
use elife_domain::msisdn::OperatorPrefixes;
use secrecy::{ExposeSecret, SecretString};

mod accounts;
mod admin;
mod mall;
mod personal_data;
mod rate_limits;
mod variables;
mod wechat_pay;

pub use accounts::{AccountsSettings, IdentityMode, JwtSecretSource};
pub use admin::AdminSettings;
pub use mall::MallSettings;
pub use personal_data::PersonalDataSettings;
pub use variables::VARIABLES;
pub use wechat_pay::{
    MerchantKeySetting, PayChannel, PublicKeySetting, WechatPaySettings, WechatPayV3Settings,
};

use crate::http::rate_limit::RateLimitSettings;

/// A setting that is missing, malformed, or not allowed here; names the variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("{name} must be set in production: {why}")]
    MissingInProduction { name: &'static str, why: String },
    #[error("{name}={value} is not allowed in production: {why}")]
    ForbiddenInProduction {
        name: &'static str,
        value: String,
        why: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

impl Environment {
    pub fn is_production(self) -> bool {
        match self {
            Environment::Production => true,
            Environment::Development => false,
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Environment::Development => "development",
            Environment::Production => "production",
        })
    }
}

/// `SANDBOX`: whether the outside APIs are the in-process simulators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxMode {
    /// Simulators when the real credentials are missing (development only).
    Auto,
    On,
    Off,
}

/// `Debug` hides the URL's password.
#[derive(Clone)]
pub struct DatabaseSettings {
    pub url: String,
    /// Connection attempts at start-up before giving up.
    pub max_retries: u32,
    pub retry_delay: Duration,
    /// Connections per instance at most and at least (`DB_POOL_MAX`, `DB_POOL_MIN`): the
    /// database's connection limit is shared by every instance.
    pub max_connections: u32,
    pub min_connections: u32,
    pub connect_timeout: Duration,
    /// How long a query waits for a free connection before failing as unavailable.
    pub acquire_timeout: Duration,
    /// An idle connection is closed after this long; `None`: never.
    pub idle_timeout: Option<Duration>,
}

impl DatabaseSettings {
    /// The pool these settings describe (the server and the CLI connect alike).
    pub fn pool(&self) -> elife_persistence::PoolSettings {
        elife_persistence::PoolSettings {
            max_retries: self.max_retries,
            retry_delay: self.retry_delay,
            max_connections: self.max_connections,
            min_connections: self.min_connections,
            connect_timeout: self.connect_timeout,
            acquire_timeout: self.acquire_timeout,
            idle_timeout: self.idle_timeout,
            ..elife_persistence::PoolSettings::default()
        }
    }
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &without_password(&self.url))
            .field("max_retries", &self.max_retries)
            .field("retry_delay", &self.retry_delay)
            .field("max_connections", &self.max_connections)
            .field("min_connections", &self.min_connections)
            .field("connect_timeout", &self.connect_timeout)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .finish()
    }
}

/// A database URL with its password (if any) replaced by `***`.
pub fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        // Not a URL we can take apart: print nothing of it.
        Err(_) => "***".to_owned(),
    }
}

#[derive(Debug, Clone)]
pub struct WechatSettings {
    /// Base of Cloud Hosting's pay API (`WECHAT_PAY_API_URL`).
    pub api_url: String,
    pub env_id: String,
    pub mch_id: String,
    pub callback_service: String,
    pub callback_path: String,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct UnitelSettings {
    pub api_url: String,
    pub username: String,
    pub password: SecretString,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct JobSettings {
    pub enabled: bool,
    pub order_expire_minutes: i64,
    /// A claim older than this without an answer is marked unknown; must exceed the
    /// Unitel timeout so that a live call is never declared lost.
    pub stale_submission_minutes: i64,
    /// Paid top-ups still pending, submitting or confirming, and refunds still refunding,
    /// this long are alerted.
    pub stuck_alert_minutes: i64,
    pub auto_refund: bool,
    /// Top-ups one instance has in flight at once (claimed and not yet answered): what a
    /// crash can leave `unknown` at worst.
    pub topup_concurrency: usize,
    /// How often the recharge job drains its queues (it also runs at start-up).
    pub recharge_interval: Duration,
    /// Timezone of the daily report at 02:00.
    pub report_timezone: Tz,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub environment: Environment,
    pub host: String,
    /// `0` picks a free port (tests).
    pub port: u16,
    pub database: DatabaseSettings,
    pub log_level: String,
    /// Directory of the rotating `combined.log`; `None` logs to stdout only.
    pub log_dir: Option<String>,
    pub cors_allowed_origins: Vec<String>,
    /// Secret: the robot's `key` is in the URL.
    pub alert_webhook_url: Option<SecretString>,
    pub admin_token: Option<SecretString>,
    pub mock_identity_enabled: bool,
    pub operator_prefixes: OperatorPrefixes,
    pub sandbox: SandboxMode,
    pub wechat: WechatSettings,
    /// `PAY_CHANNEL` and, with `v3`, the direct WeChat Pay API v3 merchant.
    pub wechat_pay: WechatPaySettings,
    pub unitel: UnitelSettings,
    pub jobs: JobSettings,
    /// Swagger UI at `/api`; off in production unless `SWAGGER_ENABLED=true`.
    pub swagger_enabled: bool,
    /// Bound on the whole payment callback, so that WeChat gets an answer within 5 s.
    pub callback_timeout: Duration,
    /// Largest accepted JSON body.
    pub body_limit_bytes: usize,
    pub rate_limits: RateLimitSettings,
    /// Keys of phone numbers at rest.
    pub personal_data: PersonalDataSettings,
    /// Admin accounts, logins and the exchange-rate change limit.
    pub admin: AdminSettings,
    pub mall: MallSettings,
    /// Shopper login (WeChat), JWT secret and lifetimes, accepted identities.
    pub accounts: AccountsSettings,
    /// Actix worker threads, each its own single-threaded runtime. Default: half the
    /// cores, at least one — the database and the main runtime's top-ups need the rest, and
    /// every extra thread costs memory and cross-thread wake-ups (on 2 cores one worker
    /// served more callbacks per second, at less CPU each, than two).
    pub http_workers: usize,
}

fn default_http_workers() -> usize {
    std::thread::available_parallelism()
        .map(|cores| cores.get() / 2)
        .unwrap_or(1)
        .max(1)
}

impl Settings {
    /// Reads `.env` if present, then the process environment.
    pub fn from_env() -> Result<Settings, ConfigError> {
        // A missing .env is normal; a malformed one is worth a warning but not a crash.
        if let Err(error) = dotenvy::dotenv()
            && !error.not_found()
        {
            eprintln!("warning: .env ignored: {error}");
        }
        let vars: HashMap<String, String> = std::env::vars().collect();
        Settings::from_lookup(|name| vars.get(name).cloned())
    }

    /// Builds and validates the settings from any source of variables (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let environment = match get("ELIFE_ENV").or_else(|| get("NODE_ENV")).as_deref() {
            None | Some("development") | Some("dev") | Some("test") => Environment::Development,
            Some("production") | Some("prod") => Environment::Production,
            Some(other) => {
                return Err(invalid(
                    "ELIFE_ENV",
                    format!("expected development or production, got {other:?}"),
                ));
            }
        };
        let sandbox = match get("SANDBOX").as_deref() {
            None | Some("auto") => SandboxMode::Auto,
            Some("on") | Some("true") | Some("1") => SandboxMode::On,
            Some("off") | Some("false") | Some("0") => SandboxMode::Off,
            Some(other) => {
                return Err(invalid(
                    "SANDBOX",
                    format!("expected auto, on or off, got {other:?}"),
                ));
            }
        };
        let operator_prefixes = match get("OPERATOR_PREFIXES") {
            None => OperatorPrefixes::default(),
            Some(spec) => OperatorPrefixes::parse(&spec)
                .map_err(|error| invalid("OPERATOR_PREFIXES", error.to_string()))?,
        };
        let report_timezone = match get("REPORT_TIMEZONE") {
            None => chrono_tz::Asia::Shanghai,
            Some(name) => Tz::from_str(&name)
                .map_err(|error| invalid("REPORT_TIMEZONE", error.to_string()))?,
        };
        let wechat_pay = WechatPaySettings::from_lookup(&get)?;
        let settings = Settings {
            environment,
            host: get("HOST").unwrap_or_else(|| "127.0.0.1".to_owned()),
            port: parse_or(&get, "PORT", 3000)?,
            database: DatabaseSettings {
                url: get("DATABASE_URL").unwrap_or_else(|| "sqlite://elife.db?mode=rwc".to_owned()),
                max_retries: parse_or(&get, "DB_MAX_RETRIES", 5)?,
                retry_delay: Duration::from_millis(parse_or(&get, "DB_RETRY_DELAY", 3000)?),
                max_connections: parse_or(&get, "DB_POOL_MAX", 10)?,
                min_connections: parse_or(&get, "DB_POOL_MIN", 1)?,
                connect_timeout: Duration::from_millis(parse_or(
                    &get,
                    "DB_CONNECT_TIMEOUT",
                    10_000,
                )?),
                acquire_timeout: Duration::from_millis(parse_or(
                    &get,
                    "DB_ACQUIRE_TIMEOUT",
                    30_000,
                )?),
                idle_timeout: match parse_or(&get, "DB_IDLE_TIMEOUT", 600u64)? {
                    0 => None,
                    seconds => Some(Duration::from_secs(seconds)),
                },
            },
            log_level: get("LOG_LEVEL").unwrap_or_else(|| "info".to_owned()),
            log_dir: match lookup("LOG_DIR") {
                Some(dir) if dir.trim().is_empty() => None,
                Some(dir) => Some(dir.trim().to_owned()),
                None => Some("logs".to_owned()),
            },
            cors_allowed_origins: get("CORS_ALLOWED_ORIGINS")
                .map(|origins| {
                    origins
                        .split(',')
                        .map(str::trim)
                        .filter(|origin| !origin.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            alert_webhook_url: get("ALERT_WEBHOOK_URL").map(SecretString::from),
            admin_token: get("ADMIN_TOKEN").map(SecretString::from),
            mock_identity_enabled: parse_bool(&get, "MOCK_IDENTITY_ENABLED", false)?,
            operator_prefixes,
            sandbox,
            wechat: WechatSettings {
                api_url: wechat_pay.cloud_api_url(&get),
                env_id: get("WECHAT_ENV_ID")
                    .or_else(|| get("CBR_ENV_ID"))
                    .unwrap_or_default(),
                mch_id: get("WECHAT_MCH_ID").unwrap_or_default(),
                callback_service: get("WECHAT_PAYMENT_CALLBACK_SERVICE")
                    .unwrap_or_else(|| "elife".to_owned()),
                callback_path: get("WECHAT_PAYMENT_CALLBACK_PATH")
                    .unwrap_or_else(|| "/payment/callback".to_owned()),
                timeout: Duration::from_millis(parse_or(&get, "WECHAT_TIMEOUT", 10_000)?),
            },
            wechat_pay,
            unitel: UnitelSettings {
                api_url: get("UNITEL_API_URL")
                    .unwrap_or_else(|| "https://api.unitel.mn/api/v1".to_owned()),
                username: get("UNITEL_USERNAME").unwrap_or_default(),
                password: SecretString::from(get("UNITEL_PASSWORD").unwrap_or_default()),
                timeout: Duration::from_millis(parse_or(&get, "UNITEL_TIMEOUT", 30_000)?),
            },
            jobs: JobSettings {
                enabled: parse_bool(&get, "JOBS_ENABLED", true)?,
                order_expire_minutes: parse_or(&get, "ORDER_EXPIRE_MINUTES", 30)?,
                stale_submission_minutes: parse_or(&get, "STALE_SUBMISSION_MINUTES", 10)?,
                stuck_alert_minutes: parse_or(&get, "STUCK_ALERT_MINUTES", 30)?,
                auto_refund: parse_bool(&get, "AUTO_REFUND", false)?,
                topup_concurrency: parse_or(&get, "TOPUP_CONCURRENCY", 16)?,
                recharge_interval: Duration::from_secs(parse_or(
                    &get,
                    "RECHARGE_INTERVAL_SECONDS",
                    10,
                )?),
                report_timezone,
            },
            swagger_enabled: parse_bool(&get, "SWAGGER_ENABLED", !environment.is_production())?,
            callback_timeout: Duration::from_millis(parse_or(&get, "CALLBACK_TIMEOUT_MS", 4000)?),
            body_limit_bytes: parse_or(&get, "BODY_LIMIT_BYTES", 64 * 1024)?,
            rate_limits: rate_limits::from_lookup(&get)?,
            personal_data: PersonalDataSettings::from_lookup(&get, environment)?,
            admin: AdminSettings::from_lookup(&get)?,
            mall: MallSettings::from_lookup(&get)?,
            accounts: AccountsSettings::from_lookup(&get, environment)?,
            http_workers: parse_or(&get, "HTTP_WORKERS", default_http_workers())?,
        };
        settings.validate()?;
        Ok(settings)
    }

    /// Whether the simulators replace the real APIs, as `SANDBOX` resolves here.
    pub fn uses_sandbox(&self) -> bool {
        match self.sandbox {
            SandboxMode::On => true,
            SandboxMode::Off => false,
            SandboxMode::Auto => {
                !self.environment.is_production() && self.missing_credentials().is_some()
            }
        }
    }

    /// The first real-API credential that is not set.
    fn missing_credentials(&self) -> Option<(&'static str, &'static str)> {
        // Cloud Hosting's credentials matter only when it takes the money.
        let cloud = self.wechat_pay.channel == PayChannel::Cloud;
        let required = [
            (
                "UNITEL_USERNAME",
                self.unitel.username.is_empty(),
                "Unitel top-ups",
            ),
            (
                "UNITEL_PASSWORD",
                self.unitel.password.expose_secret().is_empty(),
                "Unitel top-ups",
            ),
            (
                "WECHAT_ENV_ID",
                cloud && self.wechat.env_id.is_empty(),
                "WeChat Pay",
            ),
            (
                "WECHAT_MCH_ID",
                cloud && self.wechat.mch_id.is_empty(),
                "WeChat Pay",
            ),
        ];
        required
            .into_iter()
            .find(|(_, missing, _)| *missing)
            .map(|(name, _, what)| (name, what))
            .or_else(|| {
                self.wechat_pay
                    .missing_credential()
                    .map(|name| (name, "WeChat Pay API v3"))
            })
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let database = &self.database;
        if !(1..=1000).contains(&database.max_connections) {
            return Err(invalid("DB_POOL_MAX", "must be within 1..=1000".to_owned()));
        }
        if database.min_connections > database.max_connections {
            return Err(invalid(
                "DB_POOL_MIN",
                format!("must not exceed DB_POOL_MAX ({})", database.max_connections),
            ));
        }
        for (name, timeout) in [
            ("DB_CONNECT_TIMEOUT", database.connect_timeout),
            ("DB_ACQUIRE_TIMEOUT", database.acquire_timeout),
        ] {
            if timeout < Duration::from_millis(100) {
                return Err(invalid(name, "must be at least 100 ms".to_owned()));
            }
        }
        // No payment starts in the window's last minute, so one minute would allow none.
        if self.jobs.order_expire_minutes < 2 {
            return Err(invalid(
                "ORDER_EXPIRE_MINUTES",
                "must be at least 2".to_owned(),
            ));
        }
        if !(1..=256).contains(&self.http_workers) {
            return Err(invalid("HTTP_WORKERS", "must be within 1..=256".to_owned()));
        }
        if !(1..=1024).contains(&self.jobs.topup_concurrency) {
            return Err(invalid(
                "TOPUP_CONCURRENCY",
                "must be within 1..=1024".to_owned(),
            ));
        }
        if !(1..=600).contains(&self.jobs.recharge_interval.as_secs()) {
            return Err(invalid(
                "RECHARGE_INTERVAL_SECONDS",
                "must be within 1..=600".to_owned(),
            ));
        }
        if self.jobs.stuck_alert_minutes < 1 {
            return Err(invalid(
                "STUCK_ALERT_MINUTES",
                "must be at least 1".to_owned(),
            ));
        }
        // Exact durations: a 5 s timeout is well inside a 1-minute staleness.
        let stale = u64::try_from(self.jobs.stale_submission_minutes)
            .ok()
            .and_then(|minutes| minutes.checked_mul(60))
            .map(Duration::from_secs)
            .unwrap_or_default();
        if stale <= self.unitel.timeout {
            return Err(invalid(
                "STALE_SUBMISSION_MINUTES",
                format!(
                    "must exceed UNITEL_TIMEOUT ({} ms), or a live top-up would be declared lost",
                    self.unitel.timeout.as_millis()
                ),
            ));
        }
        // WeChat posts payments to this container path: it must be one the server routes.
        let path = self.wechat.callback_path.as_str();
        let routed = path == "/payment/callback"
            || path
                .strip_prefix("/payment/callback/")
                .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'));
        if !routed {
            return Err(invalid(
                "WECHAT_PAYMENT_CALLBACK_PATH",
                format!("{path:?} is not routed; use /payment/callback"),
            ));
        }
        if self.callback_timeout > Duration::from_millis(4900) {
            return Err(invalid(
                "CALLBACK_TIMEOUT_MS",
                "WeChat expects an answer within 5 s; use at most 4900".to_owned(),
            ));
        }
        self.wechat_pay
            .validate(self.environment, self.uses_sandbox())?;
        if !self.environment.is_production() {
            return Ok(());
        }
        if self.sandbox == SandboxMode::On {
            return Err(ConfigError::ForbiddenInProduction {
                name: "SANDBOX",
                value: "on".to_owned(),
                why: "the simulators move no real money".to_owned(),
            });
        }
        if let Some((name, what)) = self.missing_credentials() {
            return Err(ConfigError::MissingInProduction {
                name,
                why: format!("{what} needs real credentials (SANDBOX is off in production)"),
            });
        }
        if self.mock_identity_enabled {
            return Err(ConfigError::ForbiddenInProduction {
                name: "MOCK_IDENTITY_ENABLED",
                value: "true".to_owned(),
                why: "anyone could act as any user".to_owned(),
            });
        }
        if self.database.url.contains("mode=memory") || self.database.url.contains(":memory:") {
            return Err(ConfigError::ForbiddenInProduction {
                name: "DATABASE_URL",
                value: self.database.url.clone(),
                why: "an in-memory database loses every payment on restart".to_owned(),
            });
        }
        if let Some(token) = self.admin_token.as_ref().map(ExposeSecret::expose_secret)
            && token.len() < 24
        {
            return Err(invalid(
                "ADMIN_TOKEN",
                "must be at least 24 characters in production".to_owned(),
            ));
        }
        Ok(())
    }
}

pub(crate) fn invalid(name: &'static str, reason: String) -> ConfigError {
    ConfigError::Invalid { name, reason }
}

pub(crate) fn parse_or<T: FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    match get(name) {
        None => Ok(default),
        Some(raw) => raw
            .parse()
            .map_err(|error: T::Err| invalid(name, format!("{raw:?}: {error}"))),
    }
}

pub(crate) fn parse_bool(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(name).map(|raw| raw.to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("true" | "1" | "yes" | "on") => Ok(true),
        Some("false" | "0" | "no" | "off") => Ok(false),
        Some(other) => Err(invalid(
            name,
            format!("expected true or false, got {other:?}"),
        )),
    }
}

#[cfg(test)]
mod tests;
