//! Shoppers: WeChat login (`jscode2session`), recognising Cloud Hosting callers, and the
//! shopper's own profile.
//!
//! Identifying a caller is not creating a user: the user row is written when a login or a
//! Cloud Hosting identity brings something new, never on every request. Each instance
//! remembers (boundedly) the identities it has already written.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use super::profile::{ProfileError, ProfileUpdate};
use super::sessions::{IssuedSession, SessionError, SessionService};
use super::tokens::Audience;
use crate::order::OpenId;
use crate::ports::{Clock, RepositoryError, User, UserRepository, WechatIdentity};

/// The `code` of `wx.login()`: single-use, valid five minutes. A secret while unused.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginCode(String);

impl LoginCode {
    pub const MAX_LEN: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, ShopperError> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > Self::MAX_LEN || !raw.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(ShopperError::Validation(format!(
                "code must be the 1 to {} character code of wx.login()",
                Self::MAX_LEN
            )));
        }
        Ok(LoginCode(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LoginCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LoginCode(<redacted>)")
    }
}

/// Who WeChat says the code belongs to. WeChat's `session_key` is deliberately not kept:
/// nothing here decrypts WeChat data.
#[derive(Clone, PartialEq, Eq)]
pub struct WechatSession {
    pub openid: OpenId,
    pub unionid: Option<String>,
    /// The mini-program the code was issued for (the adapter's configured appid).
    pub appid: Option<String>,
}

impl fmt::Debug for WechatSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatSession")
            .field("openid", &"<redacted>")
            .field("unionid", &self.unionid.as_ref().map(|_| "<redacted>"))
            .field("appid", &self.appid)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// The code is invalid, expired or already used (40029, 40163): the client's fault.
    #[error("login code is invalid, expired or already used ({0})")]
    InvalidCode(String),
    /// WeChat's per-user login quota (45011).
    #[error("too many login attempts")]
    Throttled,
    /// WeChat refused our appid or secret (40013, 40125): a configuration fault of ours.
    #[error("WeChat refused the mini-program credentials ({0})")]
    Misconfigured(String),
    /// WeChat is busy, unreachable, or answered something unexpected.
    #[error("WeChat login unavailable: {0}")]
    Unavailable(String),
}

/// WeChat's `jscode2session`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WechatLogin: Send + Sync {
    async fn code_to_session(&self, code: &LoginCode) -> Result<WechatSession, LoginError>;
}

#[derive(Debug, thiserror::Error)]
pub enum ShopperError {
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    InvalidCode(String),
    #[error("too many login attempts, please retry in a minute")]
    LoginThrottled,
    /// WeChat cannot log anyone in now (busy, unreachable, or our credentials refused).
    #[error("WeChat login is temporarily unavailable, please retry")]
    WechatUnavailable,
    #[error("user not found")]
    NotFound,
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Storage(#[from] RepositoryError),
}

impl From<ProfileError> for ShopperError {
    fn from(ProfileError(message): ProfileError) -> Self {
        ShopperError::Validation(message)
    }
}

/// A successful login: the stored user and their new session.
#[derive(Debug, Clone)]
pub struct ShopperLogin {
    pub user: User,
    pub session: IssuedSession,
}

/// Identities already written, in two generations: when the young one is full it becomes
/// the old one and the previous old one is dropped. Bounded at twice the capacity; an
/// identity seen in either stays (it is promoted on use).
struct RecognisedIdentities {
    capacity: usize,
    young: HashMap<IdentityKey, OpenId>,
    old: HashMap<IdentityKey, OpenId>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct IdentityKey {
    openid: String,
    unionid: Option<String>,
    appid: Option<String>,
}

impl From<&WechatIdentity> for IdentityKey {
    fn from(identity: &WechatIdentity) -> Self {
        IdentityKey {
            openid: identity.openid.as_str().to_owned(),
            unionid: identity.unionid.clone(),
            appid: identity.appid.clone(),
        }
    }
}

impl RecognisedIdentities {
    fn get(&mut self, key: &IdentityKey) -> Option<OpenId> {
        if let Some(openid) = self.young.get(key) {
            return Some(openid.clone());
        }
        let openid = self.old.remove(key)?;
        self.insert(key.clone(), openid.clone());
        Some(openid)
    }

    fn insert(&mut self, key: IdentityKey, openid: OpenId) {
        if self.young.len() >= self.capacity {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key, openid);
    }

    fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }
}

/// Shoppers' use cases.
pub struct ShopperService {
    users: Arc<dyn UserRepository>,
    wechat: Arc<dyn WechatLogin>,
    sessions: Arc<SessionService>,
    clock: Arc<dyn Clock>,
    recognised: Mutex<RecognisedIdentities>,
}

impl ShopperService {
    /// Identities remembered per generation by default (two generations are kept).
    pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;

    pub fn new(
        users: Arc<dyn UserRepository>,
        wechat: Arc<dyn WechatLogin>,
        sessions: Arc<SessionService>,
        clock: Arc<dyn Clock>,
        cache_capacity: usize,
    ) -> Self {
        ShopperService {
            users,
            wechat,
            sessions,
            clock,
            recognised: Mutex::new(RecognisedIdentities {
                capacity: cache_capacity.max(1),
                young: HashMap::new(),
                old: HashMap::new(),
            }),
        }
    }

    pub fn sessions(&self) -> &Arc<SessionService> {
        &self.sessions
    }

    /// `wx.login()`'s code → WeChat → the user stored (written only if new or changed) → a
    /// new session.
    pub async fn login(&self, code: &str) -> Result<ShopperLogin, ShopperError> {
        let code = LoginCode::parse(code)?;
        let wechat = self
            .wechat
            .code_to_session(&code)
            .await
            .map_err(|error| match error {
                LoginError::InvalidCode(detail) => ShopperError::InvalidCode(format!(
                    "login code is invalid, expired or already used ({detail}); call wx.login() again"
                )),
                LoginError::Throttled => ShopperError::LoginThrottled,
                LoginError::Misconfigured(_) => {
                    tracing::error!(%error, "WeChat login refused our credentials: check WECHAT_APPID and WECHAT_SECRET");
                    ShopperError::WechatUnavailable
                }
                LoginError::Unavailable(_) => {
                    tracing::warn!(%error, "WeChat login failed");
                    ShopperError::WechatUnavailable
                }
            })?;
        let identity = WechatIdentity {
            openid: wechat.openid,
            unionid: wechat.unionid,
            appid: wechat.appid,
        };
        let user = self.store_if_changed(&identity).await?;
        self.remember(&identity, &user.openid);
        let session = self
            .sessions
            .start(Audience::Shopper, user.openid.as_str())
            .await?;
        Ok(ShopperLogin { user, session })
    }

    /// The stored openid of a caller Cloud Hosting identified. Writes the user row only the
    /// first time this instance sees the identity and only if it is new or different from
    /// the row; afterwards answers from memory.
    pub async fn recognise(&self, identity: &WechatIdentity) -> Result<OpenId, ShopperError> {
        let key = IdentityKey::from(identity);
        if let Some(openid) = self.cache().get(&key) {
            return Ok(openid);
        }
        let user = self.store_if_changed(identity).await?;
        self.cache().insert(key, user.openid.clone());
        Ok(user.openid)
    }

    /// How many identities this instance remembers (tests, metrics).
    pub fn recognised_count(&self) -> usize {
        self.cache().len()
    }

    pub async fn me(&self, openid: &OpenId) -> Result<User, ShopperError> {
        self.users.find(openid).await?.ok_or(ShopperError::NotFound)
    }

    pub async fn update_profile(
        &self,
        openid: &OpenId,
        update: ProfileUpdate,
    ) -> Result<User, ShopperError> {
        let current = self.me(openid).await?;
        if update.is_empty() {
            return Ok(current);
        }
        let profile = update.apply_to(current.profile)?;
        self.users
            .update_profile(openid, &profile, self.clock.now())
            .await?
            .ok_or(ShopperError::NotFound)
    }

    fn cache(&self) -> MutexGuard<'_, RecognisedIdentities> {
        self.recognised
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn remember(&self, identity: &WechatIdentity, openid: &OpenId) {
        self.cache()
            .insert(IdentityKey::from(identity), openid.clone());
    }

    /// Reads the user as `upsert` would find them (unionid first, else openid) and writes
    /// only if there is none or the identity brings a unionid or appid the row lacks.
    async fn store_if_changed(&self, identity: &WechatIdentity) -> Result<User, ShopperError> {
        let stored = match &identity.unionid {
            Some(unionid) => match self.users.find_by_unionid(unionid).await? {
                Some(user) => Some(user),
                None => self.users.find(&identity.openid).await?,
            },
            None => self.users.find(&identity.openid).await?,
        };
        if let Some(user) = stored
            && is_current(identity, &user)
        {
            return Ok(user);
        }
        Ok(self.users.upsert(identity, self.clock.now()).await?)
    }
}

/// Whether writing `identity` would change nothing in `user` (what `upsert` would write).
fn is_current(identity: &WechatIdentity, user: &User) -> bool {
    identity
        .unionid
        .as_ref()
        .is_none_or(|unionid| user.unionid.as_ref() == Some(unionid))
        && identity
            .appid
            .as_ref()
            .is_none_or(|appid| user.appid.as_ref() == Some(appid))
}

#[cfg(test)]
#[path = "shoppers_tests.rs"]
mod tests;
