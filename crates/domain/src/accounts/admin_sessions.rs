//! Admin sessions: a login checked by [`AdminService`] opens a session of audience `admin`
//! (short access tokens, rotating refresh tokens); a refresh re-checks that the account is
//! still enabled.

use std::sync::Arc;

use super::admin_error::AdminError;
use super::admin_service::{AdminChanges, AdminService};
use super::audit::AdminAct;
use super::admins::{AdminAccount, AdminId};
use super::sessions::{
    IssuedSession, LogoutCredential, RevocationReason, SessionError, SessionService,
};
use super::tokens::{Audience, SessionId};

pub struct AdminSessions {
    admins: Arc<AdminService>,
    sessions: Arc<SessionService>,
}

/// Why a refresh or logout was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminSessionError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Admin(#[from] AdminError),
}

impl AdminSessions {
    pub fn new(admins: Arc<AdminService>, sessions: Arc<SessionService>) -> Self {
        AdminSessions { admins, sessions }
    }

    /// Checks the credentials (with lockout and slow-down) and opens a session.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client_address: Option<&str>,
    ) -> Result<(AdminAccount, IssuedSession), AdminSessionError> {
        let account = self
            .admins
            .login(username, password, client_address)
            .await?;
        let issued = self
            .sessions
            .start(Audience::Admin, &account.id.to_string())
            .await?;
        Ok((account, issued))
    }

    /// A new token pair for a live session of an account that is still enabled; the session
    /// of a disabled or deleted account is ended instead.
    pub async fn refresh(
        &self,
        refresh_token: &str,
    ) -> Result<(AdminAccount, IssuedSession), AdminSessionError> {
        let issued = self.sessions.refresh(Audience::Admin, refresh_token).await?;
        let account = match issued.subject.parse::<AdminId>() {
            Ok(id) => self.admins.active_account(id).await?,
            Err(_) => None,
        };
        match account {
            Some(account) => Ok((account, issued)),
            None => {
                self.sessions
                    .revoke_all(Audience::Admin, &issued.subject, RevocationReason::AccountChanged)
                    .await?;
                Err(AdminError::Disabled.into())
            }
        }
    }

    /// The account behind an admin access token whose session lives, read now: a disabled
    /// or demoted account is refused or demoted at once. `None`: the account is disabled or
    /// gone.
    pub async fn authenticate(
        &self,
        access_token: &str,
    ) -> Result<Option<(AdminAccount, SessionId)>, AdminSessionError> {
        let claims = self
            .sessions
            .authenticate(access_token, Audience::Admin)
            .await?;
        let Ok(id) = claims.subject.parse::<AdminId>() else {
            return Err(SessionError::InvalidToken.into());
        };
        Ok(self
            .admins
            .active_account(id)
            .await?
            .map(|account| (account, claims.session)))
    }

    pub async fn logout(&self, credential: LogoutCredential) -> Result<(), AdminSessionError> {
        Ok(self.sessions.logout(Audience::Admin, credential).await?)
    }

    /// [`AdminService::update`]; a disabled account's sessions end with it.
    pub async fn update(
        &self,
        act: &AdminAct,
        id: AdminId,
        changes: &AdminChanges,
    ) -> Result<AdminAccount, AdminSessionError> {
        let updated = self.admins.update(act, id, changes).await?;
        if !updated.enabled {
            self.end_sessions(id).await?;
        }
        Ok(updated)
    }

    /// [`AdminService::reset_password`]; sessions opened with the old password end.
    pub async fn reset_password(
        &self,
        act: &AdminAct,
        id: AdminId,
        password: &str,
    ) -> Result<AdminAccount, AdminSessionError> {
        let updated = self.admins.reset_password(act, id, password).await?;
        self.end_sessions(id).await?;
        Ok(updated)
    }

    async fn end_sessions(&self, id: AdminId) -> Result<(), AdminSessionError> {
        self.sessions
            .revoke_all(Audience::Admin, &id.to_string(), RevocationReason::AccountChanged)
            .await?;
        Ok(())
    }
}
