//! Access tokens: short-lived, self-contained proofs of who is calling, for one audience.
//!
//! The domain only knows the claims and a port that signs and checks them; the JWT adapter
//! lives in `elife-auth`. A session (the family of rotating refresh tokens) is named by
//! [`SessionId`], carried in every access token so that a revoked session refuses its access
//! tokens before they expire.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Who a token is for: a shopper token never opens an admin route, nor the reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Shopper,
    Admin,
}

impl Audience {
    pub const ALL: [Audience; 2] = [Audience::Shopper, Audience::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Shopper => "shopper",
            Audience::Admin => "admin",
        }
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown audience {0:?}")]
pub struct UnknownAudience(pub String);

impl FromStr for Audience {
    type Err = UnknownAudience;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Audience::ALL
            .into_iter()
            .find(|audience| audience.as_str() == s)
            .ok_or_else(|| UnknownAudience(s.to_owned()))
    }
}

/// The id of a session: the family of refresh tokens issued from one login. Random, 32 hex
/// characters; not a secret (it is readable in every access token).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionId(String);

impl SessionId {
    pub const LEN: usize = 32;

    /// A fresh random id (128 bits).
    pub fn generate() -> Self {
        let bytes: [u8; 16] = rand::rng().random();
        SessionId(hex(&bytes))
    }

    /// Accepts exactly what [`SessionId::generate`] produces.
    pub fn parse(raw: &str) -> Result<Self, TokenError> {
        let valid = raw.len() == Self::LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if valid {
            Ok(SessionId(raw.to_owned()))
        } else {
            Err(TokenError::Malformed("session id".into()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Lower-case hexadecimal of some bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    out
}

/// What an access token states. `subject` is the shopper's openid or the admin's id,
/// depending on the audience.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessClaims {
    pub audience: Audience,
    pub subject: String,
    /// The session (refresh-token family) the token was issued for.
    pub session: SessionId,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

// The subject may be an openid: never printed in full.
impl fmt::Debug for AccessClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessClaims")
            .field("audience", &self.audience)
            .field("subject", &"<redacted>")
            .field("session", &self.session)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token this server could have issued: bad format or signature.
    #[error("token is malformed or its signature is invalid ({0})")]
    Malformed(String),
    #[error("token has expired")]
    Expired,
    /// A valid token for another audience (a shopper token on an admin route, ...).
    #[error("token is not meant for this audience")]
    WrongAudience,
    /// The token could not be produced (signing failed); a server fault.
    #[error("token could not be issued: {0}")]
    Issue(String),
}

/// Signs and checks access tokens. Synchronous: pure computation with a key.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait AccessTokenCodec: Send + Sync {
    fn issue(&self, claims: &AccessClaims) -> Result<String, TokenError>;

    /// Checks signature, audience and expiry at `now`.
    fn verify(
        &self,
        token: &str,
        audience: Audience,
        now: DateTime<Utc>,
    ) -> Result<AccessClaims, TokenError>;
}

/// What a login or a refresh hands the client. Both tokens are secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenPair {
    pub access_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &"<redacted>")
            .field("access_expires_at", &self.access_expires_at)
            .field("refresh_token", &"<redacted>")
            .field("refresh_expires_at", &self.refresh_expires_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience_round_trips_through_its_name() {
        for audience in Audience::ALL {
            assert_eq!(audience.as_str().parse::<Audience>(), Ok(audience));
        }
        assert!("root".parse::<Audience>().is_err());
    }

    #[test]
    fn session_ids_are_random_and_parse_back() {
        let one = SessionId::generate();
        let two = SessionId::generate();
        assert_ne!(one, two);
        assert_eq!(SessionId::parse(one.as_str()), Ok(one));
        assert!(SessionId::parse("short").is_err());
        assert!(SessionId::parse(&"G".repeat(32)).is_err());
    }

    #[test]
    fn debug_hides_secrets_and_subjects() {
        let now = Utc::now();
        let pair = TokenPair {
            access_token: "access-secret".into(),
            access_expires_at: now,
            refresh_token: "refresh-secret".into(),
            refresh_expires_at: now,
        };
        let printed = format!("{pair:?}");
        assert!(!printed.contains("secret"));
        let claims = AccessClaims {
            audience: Audience::Shopper,
            subject: "o-openid-123".into(),
            session: SessionId::generate(),
            issued_at: now,
            expires_at: now,
        };
        assert!(!format!("{claims:?}").contains("o-openid-123"));
    }
}
