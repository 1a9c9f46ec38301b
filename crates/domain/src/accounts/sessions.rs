//! Sessions: a login opens one, named by a [`SessionId`]; it is kept alive by rotating
//! refresh tokens (each use returns a new one and revokes the old) and ended by logout.
//!
//! Refresh tokens are opaque random secrets, stored only as SHA-256 hashes. Presenting a
//! token that was already rotated means two parties hold it (a stolen copy, or a client bug):
//! the whole session is revoked, so that the thief's successor dies with it. Access tokens
//! are checked against the session row on every use, so logout takes effect at once on every
//! instance.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sha2::{Digest, Sha256};

use super::tokens::{
    AccessClaims, AccessTokenCodec, Audience, SessionId, TokenError, TokenPair, hex,
};
use crate::ports::{CasOutcome, Clock, RepositoryError};

/// A refresh token as the client holds it: 64 hex characters (256 random bits).
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken(String);

impl RefreshToken {
    pub const LEN: usize = 64;

    pub fn generate() -> Self {
        let bytes: [u8; 32] = rand::rng().random();
        RefreshToken(hex(&bytes))
    }

    /// Only what [`RefreshToken::generate`] produces; anything else is refused without a
    /// database read.
    pub fn parse(raw: &str) -> Result<Self, SessionError> {
        let raw = raw.trim();
        let valid = raw.len() == Self::LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if valid {
            Ok(RefreshToken(raw.to_owned()))
        } else {
            Err(SessionError::InvalidToken)
        }
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash(hex(Sha256::digest(self.0.as_bytes()).as_slice()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken(<redacted>)")
    }
}

/// SHA-256 of a refresh token, hex: what is stored and looked up. A database dump yields no
/// usable token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    pub const LEN: usize = 64;

    /// A stored hash read back.
    pub fn from_stored(raw: &str) -> Result<Self, RepositoryError> {
        if raw.len() == Self::LEN && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(TokenHash(raw.to_owned()))
        } else {
            Err(RepositoryError::Corrupt("refresh token hash".into()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevocationReason {
    /// The holder logged out.
    Logout,
    /// A rotated refresh token was presented again.
    Reuse,
    /// The account was disabled or its credentials changed (admins).
    AccountChanged,
}

impl RevocationReason {
    pub const ALL: [RevocationReason; 3] = [
        RevocationReason::Logout,
        RevocationReason::Reuse,
        RevocationReason::AccountChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RevocationReason::Logout => "logout",
            RevocationReason::Reuse => "reuse",
            RevocationReason::AccountChanged => "account_changed",
        }
    }
}

impl FromStr for RevocationReason {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RevocationReason::ALL
            .into_iter()
            .find(|reason| reason.as_str() == s)
            .ok_or_else(|| format!("unknown revocation reason {s:?}"))
    }
}

/// A session row: whose it is and whether it still lives.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub id: SessionId,
    pub audience: Audience,
    /// Openid of a shopper, id of an admin.
    pub subject: String,
    pub created_at: DateTime<Utc>,
    /// Expiry of its newest refresh token: after it, nothing can revive the session.
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<RevocationReason>,
}

impl fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSession")
            .field("id", &self.id)
            .field("audience", &self.audience)
            .field("subject", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("revoked_at", &self.revoked_at)
            .field("revoked_reason", &self.revoked_reason)
            .finish()
    }
}

/// A refresh token row (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRefreshToken {
    pub hash: TokenHash,
    pub session: SessionId,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Set when rotated (or when its session ended by reuse).
    pub revoked_at: Option<DateTime<Utc>>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Stores a new session with its first refresh token, in one transaction.
    async fn create(
        &self,
        session: &StoredSession,
        first: &StoredRefreshToken,
    ) -> Result<(), RepositoryError>;

    /// A refresh token by its hash, with its session.
    async fn find_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<(StoredRefreshToken, StoredSession)>, RepositoryError>;

    /// One primary-key read.
    async fn find_session(&self, id: &SessionId) -> Result<Option<StoredSession>, RepositoryError>;

    /// In one transaction: revokes `presented` only if it is not revoked yet (a conditional
    /// update checked by rows affected), extends its session to the successor's expiry only
    /// if the session is not revoked, and inserts `successor`. `Lost` (nothing written) when
    /// either condition failed: another rotation or a logout got there first.
    async fn rotate(
        &self,
        presented: &TokenHash,
        successor: &StoredRefreshToken,
        now: DateTime<Utc>,
    ) -> Result<CasOutcome, RepositoryError>;

    /// Ends a session. `Lost` if it was already ended (or does not exist): idempotent.
    async fn revoke_session(
        &self,
        id: &SessionId,
        reason: RevocationReason,
        now: DateTime<Utc>,
    ) -> Result<CasOutcome, RepositoryError>;

    /// Ends every live session of a subject; returns how many.
    async fn revoke_subject(
        &self,
        audience: Audience,
        subject: &str,
        reason: RevocationReason,
        now: DateTime<Utc>,
    ) -> Result<u64, RepositoryError>;

    /// Deletes sessions and tokens that expired before `before` (housekeeping).
    async fn purge_expired(&self, before: DateTime<Utc>) -> Result<u64, RepositoryError>;
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Malformed, unknown, or badly signed.
    #[error("invalid token")]
    InvalidToken,
    #[error("token has expired")]
    Expired,
    /// A valid token of another audience (a shopper's on an admin route, ...).
    #[error("token is not valid here")]
    WrongAudience,
    /// The session was logged out or revoked.
    #[error("session has ended, please log in again")]
    Ended,
    /// A rotated refresh token came back: the session was revoked now.
    #[error("refresh token was already used; the session has been revoked, please log in again")]
    Reused,
    #[error("token could not be issued: {0}")]
    Issue(TokenError),
    #[error(transparent)]
    Storage(#[from] RepositoryError),
}

impl From<TokenError> for SessionError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::Malformed(_) => SessionError::InvalidToken,
            TokenError::Expired => SessionError::Expired,
            TokenError::WrongAudience => SessionError::WrongAudience,
            TokenError::Issue(_) => SessionError::Issue(error),
        }
    }
}

/// Lifetimes of one audience's tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTtl {
    pub access: Duration,
    /// Each rotation grants this much again (a sliding window).
    pub refresh: Duration,
}

/// Lifetimes per audience: admins get shorter access tokens than shoppers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTtls {
    pub shopper: SessionTtl,
    pub admin: SessionTtl,
}

impl SessionTtls {
    pub fn of(&self, audience: Audience) -> SessionTtl {
        match audience {
            Audience::Shopper => self.shopper,
            Audience::Admin => self.admin,
        }
    }
}

impl Default for SessionTtls {
    /// Shoppers: 2 h access, 7 days refresh (the old backend's `JWT_EXPIRES_IN` and
    /// `JWT_REFRESH_EXPIRES_IN`). Admins: 15 min access, 12 h refresh.
    fn default() -> Self {
        SessionTtls {
            shopper: SessionTtl {
                access: Duration::hours(2),
                refresh: Duration::days(7),
            },
            admin: SessionTtl {
                access: Duration::minutes(15),
                refresh: Duration::hours(12),
            },
        }
    }
}

/// What a login or a refresh produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedSession {
    pub session: SessionId,
    /// Whose session it is (an admin use case checks the account is still enabled).
    pub subject: String,
    pub tokens: TokenPair,
}

/// How a logout names the session to end.
#[derive(Debug, Clone)]
pub enum LogoutCredential {
    /// The session of an access token already authenticated.
    Session(SessionId),
    /// A refresh token (the access token may have expired).
    RefreshToken(String),
    /// An access token, checked (signature, audience, expiry) but not against its session:
    /// logging out of an ended session is not an error.
    AccessToken(String),
}

/// Sessions of any audience: shoppers and admins alike.
pub struct SessionService {
    repository: Arc<dyn SessionRepository>,
    codec: Arc<dyn AccessTokenCodec>,
    clock: Arc<dyn Clock>,
    ttls: SessionTtls,
}

impl SessionService {
    pub fn new(
        repository: Arc<dyn SessionRepository>,
        codec: Arc<dyn AccessTokenCodec>,
        clock: Arc<dyn Clock>,
        ttls: SessionTtls,
    ) -> Self {
        SessionService {
            repository,
            codec,
            clock,
            ttls,
        }
    }

    pub fn ttls(&self) -> SessionTtls {
        self.ttls
    }

    /// Opens a session for `subject` (already authenticated by the caller).
    pub async fn start(
        &self,
        audience: Audience,
        subject: &str,
    ) -> Result<IssuedSession, SessionError> {
        let now = self.clock.now();
        let ttl = self.ttls.of(audience);
        let id = SessionId::generate();
        let (access_token, access_expires_at) = self.access_token(audience, subject, &id, now)?;
        let refresh = RefreshToken::generate();
        let first = StoredRefreshToken {
            hash: refresh.hash(),
            session: id.clone(),
            issued_at: now,
            expires_at: now + ttl.refresh,
            revoked_at: None,
        };
        let session = StoredSession {
            id: id.clone(),
            audience,
            subject: subject.to_owned(),
            created_at: now,
            expires_at: first.expires_at,
            revoked_at: None,
            revoked_reason: None,
        };
        self.repository.create(&session, &first).await?;
        tracing::info!(session = %id, audience = %audience, "session started");
        Ok(IssuedSession {
            session: id,
            subject: subject.to_owned(),
            tokens: TokenPair {
                access_token,
                access_expires_at,
                refresh_token: refresh.expose().to_owned(),
                refresh_expires_at: first.expires_at,
            },
        })
    }

    /// Exchanges a refresh token for a new pair; the presented token is spent.
    pub async fn refresh(
        &self,
        audience: Audience,
        refresh_token: &str,
    ) -> Result<IssuedSession, SessionError> {
        let presented = RefreshToken::parse(refresh_token)?;
        let now = self.clock.now();
        let (token, session) = self
            .repository
            .find_token(&presented.hash())
            .await?
            .ok_or(SessionError::InvalidToken)?;
        if session.audience != audience {
            return Err(SessionError::WrongAudience);
        }
        if session.revoked_at.is_some() {
            return Err(SessionError::Ended);
        }
        if token.revoked_at.is_some() {
            return Err(self.reuse_detected(&session.id, now).await);
        }
        if token.expires_at <= now {
            return Err(SessionError::Expired);
        }
        // Everything that can fail without side effects happens before the rotation: once
        // it is committed the presented token is spent.
        let ttl = self.ttls.of(audience);
        let (access_token, access_expires_at) =
            self.access_token(audience, &session.subject, &session.id, now)?;
        let next = RefreshToken::generate();
        let successor = StoredRefreshToken {
            hash: next.hash(),
            session: session.id.clone(),
            issued_at: now,
            expires_at: now + ttl.refresh,
            revoked_at: None,
        };
        match self
            .repository
            .rotate(&presented.hash(), &successor, now)
            .await?
        {
            CasOutcome::Won => Ok(IssuedSession {
                session: session.id,
                subject: session.subject,
                tokens: TokenPair {
                    access_token,
                    access_expires_at,
                    refresh_token: next.expose().to_owned(),
                    refresh_expires_at: successor.expires_at,
                },
            }),
            // Another use of the same token won the race (two holders), or a logout ended
            // the session meanwhile.
            CasOutcome::Lost => Err(self.reuse_detected(&session.id, now).await),
        }
    }

    /// Ends a session; ending an ended one is not an error.
    pub async fn logout(
        &self,
        audience: Audience,
        credential: LogoutCredential,
    ) -> Result<(), SessionError> {
        let now = self.clock.now();
        let id = match credential {
            LogoutCredential::Session(id) => id,
            LogoutCredential::AccessToken(token) => {
                self.codec.verify(&token, audience, now)?.session
            }
            LogoutCredential::RefreshToken(raw) => {
                let presented = RefreshToken::parse(&raw)?;
                let (_, session) = self
                    .repository
                    .find_token(&presented.hash())
                    .await?
                    .ok_or(SessionError::InvalidToken)?;
                if session.audience != audience {
                    return Err(SessionError::WrongAudience);
                }
                session.id
            }
        };
        if self
            .repository
            .revoke_session(&id, RevocationReason::Logout, now)
            .await?
            == CasOutcome::Won
        {
            tracing::info!(session = %id, audience = %audience, "session ended by logout");
        }
        Ok(())
    }

    /// Ends every session of a subject (an admin disabled, a password reset); returns how
    /// many were live.
    pub async fn revoke_all(
        &self,
        audience: Audience,
        subject: &str,
        reason: RevocationReason,
    ) -> Result<u64, SessionError> {
        let now = self.clock.now();
        let ended = self
            .repository
            .revoke_subject(audience, subject, reason, now)
            .await?;
        tracing::info!(audience = %audience, ended, reason = reason.as_str(), "sessions revoked");
        Ok(ended)
    }

    /// Checks an access token: signature, audience, expiry, and that its session still
    /// lives (one primary-key read).
    pub async fn authenticate(
        &self,
        access_token: &str,
        audience: Audience,
    ) -> Result<AccessClaims, SessionError> {
        let now = self.clock.now();
        let claims = self.codec.verify(access_token, audience, now)?;
        let session = self
            .repository
            .find_session(&claims.session)
            .await?
            .ok_or(SessionError::InvalidToken)?;
        if session.audience != claims.audience || session.subject != claims.subject {
            return Err(SessionError::InvalidToken);
        }
        if session.revoked_at.is_some() {
            return Err(SessionError::Ended);
        }
        Ok(claims)
    }

    /// Deletes sessions and tokens expired for more than a day; returns how many rows.
    pub async fn purge_expired(&self) -> Result<u64, SessionError> {
        let before = self.clock.now() - Duration::days(1);
        Ok(self.repository.purge_expired(before).await?)
    }

    fn access_token(
        &self,
        audience: Audience,
        subject: &str,
        session: &SessionId,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), SessionError> {
        let expires_at = now + self.ttls.of(audience).access;
        let claims = AccessClaims {
            audience,
            subject: subject.to_owned(),
            session: session.clone(),
            issued_at: now,
            expires_at,
        };
        let token = self.codec.issue(&claims).map_err(SessionError::Issue)?;
        Ok((token, expires_at))
    }

    /// Revokes the session of a token presented twice. A failure to revoke is reported as
    /// such: the caller must not believe the family is dead when it is not.
    async fn reuse_detected(&self, id: &SessionId, now: DateTime<Utc>) -> SessionError {
        match self
            .repository
            .revoke_session(id, RevocationReason::Reuse, now)
            .await
        {
            Ok(CasOutcome::Won) => {
                tracing::warn!(session = %id, "refresh token reused: session revoked");
                SessionError::Reused
            }
            Ok(CasOutcome::Lost) => SessionError::Ended,
            Err(error) => SessionError::Storage(error),
        }
    }
}

#[cfg(test)]
#[path = "sessions_tests.rs"]
mod tests;
