//! Shopper login and sessions: the mini-program's WeChat credentials, the JWT secret and
//! lifetimes, and which identities the server accepts (`IDENTITY`).
//!
//! `JWT_SECRET` must be at least 32 bytes; production refuses to start without it.
//! Development without it signs with a random secret drawn at start-up (tokens die with
//! the process, and a forgotten setting never leaves a publicly known key in use).

use std::fmt;
use std::str::FromStr;

use chrono::Duration;
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};

use super::{ConfigError, Environment, invalid};

/// Shortest accepted `JWT_SECRET`, in bytes (the HS256 key size).
pub const MIN_JWT_SECRET_LEN: usize = 32;

/// `IDENTITY`: how shoppers are identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityMode {
    /// Only Cloud Hosting's `X-WX-*` headers (a deployment behind Cloud Hosting).
    Cloud,
    /// Only `Authorization: Bearer <access token>` (self-hosted: nobody vouches for headers).
    Token,
    /// Cloud Hosting headers when present, else a bearer token.
    Both,
}

impl IdentityMode {
    pub const ALL: [IdentityMode; 3] =
        [IdentityMode::Cloud, IdentityMode::Token, IdentityMode::Both];

    pub fn as_str(self) -> &'static str {
        match self {
            IdentityMode::Cloud => "cloud",
            IdentityMode::Token => "token",
            IdentityMode::Both => "both",
        }
    }

    pub fn accepts_headers(self) -> bool {
        match self {
            IdentityMode::Cloud | IdentityMode::Both => true,
            IdentityMode::Token => false,
        }
    }

    pub fn accepts_tokens(self) -> bool {
        match self {
            IdentityMode::Token | IdentityMode::Both => true,
            IdentityMode::Cloud => false,
        }
    }
}

impl fmt::Display for IdentityMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IdentityMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IdentityMode::ALL
            .into_iter()
            .find(|mode| mode.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("expected cloud, token or both, got {s:?}"))
    }
}

/// Where the signing secret came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtSecretSource {
    Configured,
    /// Drawn at start-up (development only): tokens do not survive a restart.
    Generated,
}

/// `Debug` hides the secrets.
#[derive(Debug, Clone)]
pub struct AccountsSettings {
    /// `WECHAT_APPID`: the mini-program; empty disables login (outside the sandbox).
    pub wechat_appid: String,
    /// `WECHAT_SECRET`: its AppSecret.
    pub wechat_secret: SecretString,
    /// `WECHAT_API_URL`: base of `sns/jscode2session`.
    pub wechat_api_url: String,
    pub jwt_secret: SecretString,
    pub jwt_secret_source: JwtSecretSource,
    /// `JWT_EXPIRES_IN`: lifetime of a shopper's access token.
    pub access_ttl: Duration,
    /// `JWT_REFRESH_EXPIRES_IN`: lifetime of a refresh token (each rotation grants it again).
    pub refresh_ttl: Duration,
    pub identity: IdentityMode,
}

impl AccountsSettings {
    pub const DEFAULT_WECHAT_API_URL: &'static str = "https://api.weixin.qq.com";

    pub fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        environment: Environment,
    ) -> Result<AccountsSettings, ConfigError> {
        let (jwt_secret, jwt_secret_source) = match get("JWT_SECRET") {
            Some(secret) if secret.len() >= MIN_JWT_SECRET_LEN => {
                (SecretString::from(secret), JwtSecretSource::Configured)
            }
            Some(secret) => {
                return Err(invalid(
                    "JWT_SECRET",
                    format!(
                        "must be at least {MIN_JWT_SECRET_LEN} bytes, got {} (e.g. `openssl rand -base64 48`)",
                        secret.len()
                    ),
                ));
            }
            None if environment.is_production() => {
                return Err(ConfigError::MissingInProduction {
                    name: "JWT_SECRET",
                    why: "access tokens are signed with it".to_owned(),
                });
            }
            None => (random_secret(), JwtSecretSource::Generated),
        };
        let access_ttl = duration(get, "JWT_EXPIRES_IN", Duration::hours(2))?;
        let refresh_ttl = duration(get, "JWT_REFRESH_EXPIRES_IN", Duration::days(7))?;
        if refresh_ttl <= access_ttl {
            return Err(invalid(
                "JWT_REFRESH_EXPIRES_IN",
                "must be longer than JWT_EXPIRES_IN".to_owned(),
            ));
        }
        let identity = match get("IDENTITY") {
            None => IdentityMode::Both,
            Some(raw) => raw.parse().map_err(|reason| invalid("IDENTITY", reason))?,
        };
        Ok(AccountsSettings {
            wechat_appid: get("WECHAT_APPID").unwrap_or_default(),
            wechat_secret: SecretString::from(get("WECHAT_SECRET").unwrap_or_default()),
            wechat_api_url: get("WECHAT_API_URL")
                .unwrap_or_else(|| Self::DEFAULT_WECHAT_API_URL.to_owned()),
            jwt_secret,
            jwt_secret_source,
            access_ttl,
            refresh_ttl,
            identity,
        })
    }

    /// Whether WeChat login can reach the real `jscode2session`.
    pub fn has_wechat_credentials(&self) -> bool {
        !self.wechat_appid.is_empty() && !self.wechat_secret.expose_secret().is_empty()
    }
}

/// 48 random bytes as hex: 96 bytes of secret.
fn random_secret() -> SecretString {
    let bytes: [u8; 48] = rand::rng().random();
    SecretString::from(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn duration(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    let Some(raw) = get(name) else {
        return Ok(default);
    };
    parse_duration(&raw)
        .filter(|ttl| *ttl >= Duration::seconds(60) && *ttl <= Duration::days(90))
        .ok_or_else(|| {
            invalid(
                name,
                format!(
                    "{raw:?}: expected a duration from 60s to 90d, e.g. 7200, 900s, 15m, 2h or 7d"
                ),
            )
        })
}

/// `7200` (seconds), `900s`, `15m`, `2h`, `7d`.
pub fn parse_duration(raw: &str) -> Option<Duration> {
    let raw = raw.trim();
    let (digits, unit) = match raw.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => raw.split_at(at),
        None => (raw, "s"),
    };
    let amount: i64 = digits.parse().ok()?;
    match unit.trim() {
        "s" => Duration::try_seconds(amount),
        "m" => Duration::try_minutes(amount),
        "h" => Duration::try_hours(amount),
        "d" => Duration::try_days(amount),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(
        vars: &[(&str, &str)],
        environment: Environment,
    ) -> Result<AccountsSettings, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        AccountsSettings::from_lookup(&|name: &str| vars.get(name).cloned(), environment)
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn defaults_are_two_hours_seven_days_and_both_identities() {
        let accounts = settings(&[], Environment::Development).unwrap();
        assert_eq!(accounts.access_ttl, Duration::hours(2));
        assert_eq!(accounts.refresh_ttl, Duration::days(7));
        assert_eq!(accounts.identity, IdentityMode::Both);
        assert_eq!(accounts.wechat_api_url, "https://api.weixin.qq.com");
        assert!(!accounts.has_wechat_credentials());
        // A random development secret, different per start.
        assert_eq!(accounts.jwt_secret_source, JwtSecretSource::Generated);
        let other = settings(&[], Environment::Development).unwrap();
        assert_ne!(
            accounts.jwt_secret.expose_secret(),
            other.jwt_secret.expose_secret()
        );
        assert!(accounts.jwt_secret.expose_secret().len() >= MIN_JWT_SECRET_LEN);
    }

    #[test]
    fn production_refuses_a_missing_or_short_secret() {
        let missing = settings(&[], Environment::Production).unwrap_err();
        assert!(missing.to_string().starts_with("JWT_SECRET"), "{missing}");
        for environment in [Environment::Production, Environment::Development] {
            let short = settings(&[("JWT_SECRET", "short")], environment).unwrap_err();
            assert!(short.to_string().starts_with("JWT_SECRET"), "{short}");
        }
        let configured = settings(&[("JWT_SECRET", SECRET)], Environment::Production).unwrap();
        assert_eq!(configured.jwt_secret_source, JwtSecretSource::Configured);
        assert_eq!(configured.jwt_secret.expose_secret(), SECRET);
    }

    #[test]
    fn durations_accept_units_and_plain_seconds() {
        for (raw, expected) in [
            ("7200", Duration::hours(2)),
            ("900s", Duration::minutes(15)),
            ("15m", Duration::minutes(15)),
            ("2h", Duration::hours(2)),
            ("7d", Duration::days(7)),
        ] {
            assert_eq!(parse_duration(raw), Some(expected), "{raw}");
        }
        for bad in ["", "2w", "h", "-5m", "1.5h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        let accounts = settings(
            &[("JWT_EXPIRES_IN", "15m"), ("JWT_REFRESH_EXPIRES_IN", "30d")],
            Environment::Development,
        )
        .unwrap();
        assert_eq!(accounts.access_ttl, Duration::minutes(15));
        assert_eq!(accounts.refresh_ttl, Duration::days(30));
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (name, value) in [
            ("JWT_EXPIRES_IN", "2 weeks"),
            ("JWT_EXPIRES_IN", "10s"),
            ("JWT_REFRESH_EXPIRES_IN", "365d"),
            ("JWT_REFRESH_EXPIRES_IN", "1h"),
            ("IDENTITY", "headers"),
        ] {
            // (`1h` of refresh is shorter than the default 2 h of access.)
            let error = settings(&[(name, value)], Environment::Development).unwrap_err();
            assert!(
                error.to_string().starts_with(name),
                "{name}={value}: {error}"
            );
        }
    }

    #[test]
    fn identity_modes_round_trip() {
        for mode in IdentityMode::ALL {
            assert_eq!(mode.as_str().parse::<IdentityMode>(), Ok(mode));
        }
        assert!(IdentityMode::Both.accepts_headers() && IdentityMode::Both.accepts_tokens());
        assert!(!IdentityMode::Cloud.accepts_tokens());
        assert!(!IdentityMode::Token.accepts_headers());
    }

    #[test]
    fn debug_hides_the_secrets() {
        let accounts = settings(
            &[
                ("JWT_SECRET", SECRET),
                ("WECHAT_APPID", "wx-app"),
                ("WECHAT_SECRET", "wechat-app-secret-value"),
            ],
            Environment::Development,
        )
        .unwrap();
        let printed = format!("{accounts:?}");
        assert!(printed.contains("wx-app"));
        assert!(!printed.contains(SECRET) && !printed.contains("wechat-app-secret-value"));
    }
}
