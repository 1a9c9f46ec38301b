//! In-memory stand-ins of the session and shopper ports, for tests here and in adapters
//! (`mocks` feature): the same compare-and-set rules as the database adapter.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::sessions::{
    RevocationReason, SessionRepository, StoredRefreshToken, StoredSession, TokenHash,
};
use super::tokens::{AccessClaims, AccessTokenCodec, Audience, SessionId, TokenError};
use crate::ports::{CasOutcome, Clock, RepositoryError};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A clock tests move by hand.
#[derive(Clone)]
pub struct MovableClock(Arc<Mutex<DateTime<Utc>>>);

impl MovableClock {
    pub fn at(time: DateTime<Utc>) -> Self {
        MovableClock(Arc::new(Mutex::new(time)))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = lock(&self.0);
        *now += by;
    }
}

impl Clock for MovableClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.0)
    }
}

/// Unsigned tokens `aud|subject|session|iat|exp`: enough to test the services' rules.
pub struct PlainCodec;

impl AccessTokenCodec for PlainCodec {
    fn issue(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        Ok(format!(
            "{}|{}|{}|{}|{}",
            claims.audience,
            claims.subject,
            claims.session,
            claims.issued_at.timestamp(),
            claims.expires_at.timestamp()
        ))
    }

    fn verify(
        &self,
        token: &str,
        audience: Audience,
        now: DateTime<Utc>,
    ) -> Result<AccessClaims, TokenError> {
        let malformed = || TokenError::Malformed("plain".into());
        let parts: Vec<&str> = token.split('|').collect();
        let [aud, subject, session, iat, exp] = parts.as_slice() else {
            return Err(malformed());
        };
        let time = |raw: &str| {
            raw.parse::<i64>()
                .ok()
                .and_then(|secs| DateTime::from_timestamp(secs, 0))
                .ok_or_else(malformed)
        };
        let claims = AccessClaims {
            audience: aud.parse().map_err(|_| malformed())?,
            subject: (*subject).to_owned(),
            session: SessionId::parse(session)?,
            issued_at: time(iat)?,
            expires_at: time(exp)?,
        };
        if claims.audience != audience {
            return Err(TokenError::WrongAudience);
        }
        if claims.expires_at <= now {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[derive(Default)]
struct Tables {
    sessions: HashMap<SessionId, StoredSession>,
    tokens: HashMap<TokenHash, StoredRefreshToken>,
}

/// Sessions and refresh tokens in memory; `storage_down` makes every call fail.
#[derive(Default, Clone)]
pub struct InMemorySessions {
    tables: Arc<Mutex<Tables>>,
    pub storage_down: Arc<AtomicBool>,
    pub session_reads: Arc<AtomicUsize>,
}

impl InMemorySessions {
    fn check(&self) -> Result<(), RepositoryError> {
        if self.storage_down.load(Ordering::SeqCst) {
            Err(RepositoryError::Unavailable("down".into()))
        } else {
            Ok(())
        }
    }

    pub fn session(&self, id: &SessionId) -> Option<StoredSession> {
        lock(&self.tables).sessions.get(id).cloned()
    }

    pub fn token_count(&self) -> usize {
        lock(&self.tables).tokens.len()
    }
}

#[async_trait]
impl SessionRepository for InMemorySessions {
    async fn create(
        &self,
        session: &StoredSession,
        first: &StoredRefreshToken,
    ) -> Result<(), RepositoryError> {
        self.check()?;
        let mut tables = lock(&self.tables);
        tables.sessions.insert(session.id.clone(), session.clone());
        tables.tokens.insert(first.hash.clone(), first.clone());
        Ok(())
    }

    async fn find_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<(StoredRefreshToken, StoredSession)>, RepositoryError> {
        self.check()?;
        let tables = lock(&self.tables);
        Ok(tables.tokens.get(hash).and_then(|token| {
            tables
                .sessions
                .get(&token.session)
                .map(|session| (token.clone(), session.clone()))
        }))
    }

    async fn find_session(&self, id: &SessionId) -> Result<Option<StoredSession>, RepositoryError> {
        self.check()?;
        self.session_reads.fetch_add(1, Ordering::SeqCst);
        Ok(lock(&self.tables).sessions.get(id).cloned())
    }

    async fn rotate(
        &self,
        presented: &TokenHash,
        successor: &StoredRefreshToken,
        now: DateTime<Utc>,
    ) -> Result<CasOutcome, RepositoryError> {
        self.check()?;
        let mut tables = lock(&self.tables);
        let live_token = tables
            .tokens
            .get(presented)
            .is_some_and(|token| token.revoked_at.is_none());
        let live_session = tables
            .sessions
            .get(&successor.session)
            .is_some_and(|session| session.revoked_at.is_none());
        if !(live_token && live_session) {
            return Ok(CasOutcome::Lost);
        }
        if let Some(token) = tables.tokens.get_mut(presented) {
            token.revoked_at = Some(now);
        }
        if let Some(session) = tables.sessions.get_mut(&successor.session) {
            session.expires_at = successor.expires_at;
        }
        tables
            .tokens
            .insert(successor.hash.clone(), successor.clone());
        Ok(CasOutcome::Won)
    }

    async fn revoke_session(
        &self,
        id: &SessionId,
        reason: RevocationReason,
        now: DateTime<Utc>,
    ) -> Result<CasOutcome, RepositoryError> {
        self.check()?;
        let mut tables = lock(&self.tables);
        match tables.sessions.get_mut(id) {
            Some(session) if session.revoked_at.is_none() => {
                session.revoked_at = Some(now);
                session.revoked_reason = Some(reason);
                Ok(CasOutcome::Won)
            }
            _ => Ok(CasOutcome::Lost),
        }
    }

    async fn revoke_subject(
        &self,
        audience: Audience,
        subject: &str,
        reason: RevocationReason,
        now: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        self.check()?;
        let mut tables = lock(&self.tables);
        let mut ended = 0;
        for session in tables.sessions.values_mut() {
            if session.audience == audience
                && session.subject == subject
                && session.revoked_at.is_none()
            {
                session.revoked_at = Some(now);
                session.revoked_reason = Some(reason);
                ended += 1;
            }
        }
        Ok(ended)
    }

    async fn purge_expired(&self, before: DateTime<Utc>) -> Result<u64, RepositoryError> {
        self.check()?;
        let mut tables = lock(&self.tables);
        let tokens_before = tables.tokens.len();
        tables.tokens.retain(|_, token| token.expires_at >= before);
        let sessions_before = tables.sessions.len();
        let expired_sessions: Vec<SessionId> = tables
            .sessions
            .values()
            .filter(|session| session.expires_at < before)
            .map(|session| session.id.clone())
            .collect();
        for id in &expired_sessions {
            tables.sessions.remove(id);
        }
        let removed = tokens_before - tables.tokens.len() + sessions_before - tables.sessions.len();
        Ok(removed as u64)
    }
}

/// Users in memory with the adapter's upsert rules, counting writes; `storage_down` makes
/// every call fail.
#[derive(Default, Clone)]
pub struct InMemoryUsers {
    rows: Arc<Mutex<HashMap<String, crate::ports::User>>>,
    pub writes: Arc<AtomicUsize>,
    pub reads: Arc<AtomicUsize>,
    pub storage_down: Arc<AtomicBool>,
}

impl InMemoryUsers {
    fn check(&self) -> Result<(), RepositoryError> {
        if self.storage_down.load(Ordering::SeqCst) {
            Err(RepositoryError::Unavailable("down".into()))
        } else {
            Ok(())
        }
    }

    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }

    pub fn row(&self, openid: &str) -> Option<crate::ports::User> {
        lock(&self.rows).get(openid).cloned()
    }
}

#[async_trait]
impl crate::ports::UserRepository for InMemoryUsers {
    async fn upsert(
        &self,
        identity: &crate::ports::WechatIdentity,
        now: DateTime<Utc>,
    ) -> Result<crate::ports::User, RepositoryError> {
        self.check()?;
        self.writes.fetch_add(1, Ordering::SeqCst);
        let mut rows = lock(&self.rows);
        let by_unionid = identity.unionid.as_ref().and_then(|unionid| {
            rows.values()
                .find(|user| user.unionid.as_ref() == Some(unionid))
                .map(|user| user.openid.as_str().to_owned())
        });
        let key = by_unionid.unwrap_or_else(|| identity.openid.as_str().to_owned());
        let user = match rows.get(&key).cloned() {
            Some(mut user) => {
                user.unionid = identity.unionid.clone().or(user.unionid);
                user.appid = identity.appid.clone().or(user.appid);
                user.updated_at = now;
                user
            }
            None => crate::ports::User {
                openid: identity.openid.clone(),
                unionid: identity.unionid.clone(),
                appid: identity.appid.clone(),
                profile: super::profile::Profile::default(),
                created_at: now,
                updated_at: now,
            },
        };
        rows.insert(key, user.clone());
        Ok(user)
    }

    async fn find(
        &self,
        openid: &crate::order::OpenId,
    ) -> Result<Option<crate::ports::User>, RepositoryError> {
        self.check()?;
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(lock(&self.rows).get(openid.as_str()).cloned())
    }

    async fn find_by_unionid(
        &self,
        unionid: &str,
    ) -> Result<Option<crate::ports::User>, RepositoryError> {
        self.check()?;
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(lock(&self.rows)
            .values()
            .find(|user| user.unionid.as_deref() == Some(unionid))
            .cloned())
    }

    async fn update_profile(
        &self,
        openid: &crate::order::OpenId,
        profile: &super::profile::Profile,
        now: DateTime<Utc>,
    ) -> Result<Option<crate::ports::User>, RepositoryError> {
        self.check()?;
        self.writes.fetch_add(1, Ordering::SeqCst);
        let mut rows = lock(&self.rows);
        Ok(rows.get_mut(openid.as_str()).map(|user| {
            user.profile = profile.clone();
            user.updated_at = now;
            user.clone()
        }))
    }
}
