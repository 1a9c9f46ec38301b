//! Admin sessions: a login checked by [`AdminService`] opens a session of audience `admin`
//! (short access tokens, rotating refresh tokens); a refresh re-checks that the account is
//! still enabled.

use std::sync::Arc;

use super::admin_error::AdminError;
use super::admin_service::{AdminChanges, AdminService};
use super::admins::{AdminAccount, AdminId};
use super::audit::AdminAct;
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
        let issued = self
            .sessions
            .refresh(Audience::Admin, refresh_token)
            .await?;
        let account = match issued.subject.parse::<AdminId>() {
            Ok(id) => self.admins.active_account(id).await?,
            Err(_) => None,
        };
        match account {
            Some(account) => Ok((account, issued)),
            None => {
                self.sessions
                    .revoke_all(
                        Audience::Admin,
                        &issued.subject,
                        RevocationReason::AccountChanged,
                    )
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
            .revoke_all(
                Audience::Admin,
                &id.to_string(),
                RevocationReason::AccountChanged,
            )
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::admin_service::CreateAdmin;
    use crate::accounts::admins::Role;
    use crate::accounts::audit::AuditActor;
    use crate::accounts::fakes::{AuditRows, InMemoryAdmins, PlainHasher, RecordedPauses};
    use crate::accounts::login_throttle::LoginPolicy;
    use crate::accounts::session_fakes::{InMemorySessions, MovableClock, PlainCodec};
    use crate::accounts::sessions::SessionTtls;
    use crate::testing::t0;

    const PASSWORD: &str = "correct horse battery";

    async fn fixture() -> (AdminSessions, AdminAccount) {
        let clock = Arc::new(MovableClock::at(t0()));
        let admins = Arc::new(AdminService::new(
            Arc::new(InMemoryAdmins::new(AuditRows::default())),
            Arc::new(PlainHasher::default()),
            clock.clone(),
            Arc::new(RecordedPauses::default()),
            LoginPolicy::default(),
        ));
        let sessions = Arc::new(SessionService::new(
            Arc::new(InMemorySessions::default()),
            Arc::new(PlainCodec),
            clock,
            SessionTtls::default(),
        ));
        let cli = AdminAct::new(AuditActor::cli(), None);
        for (name, role) in [("root", Role::SuperAdmin), ("alice", Role::Operator)] {
            admins
                .create(
                    &cli,
                    CreateAdmin {
                        username: name.to_owned(),
                        password: PASSWORD.to_owned(),
                        display_name: None,
                        role,
                    },
                )
                .await
                .unwrap();
        }
        let root = admins.find_by_username("root").await.unwrap();
        (AdminSessions::new(admins, sessions), root)
    }

    #[tokio::test]
    async fn a_login_opens_an_admin_session_that_authenticates_its_account() {
        let (sessions, _) = fixture().await;
        let (account, issued) = sessions.login("alice", PASSWORD, None).await.unwrap();
        let (found, session) = sessions
            .authenticate(&issued.tokens.access_token)
            .await
            .unwrap()
            .expect("enabled account");
        assert_eq!(found.id, account.id);
        assert_eq!(session, issued.session);
        let (again, _) = sessions
            .refresh(&issued.tokens.refresh_token)
            .await
            .unwrap();
        assert_eq!(again.id, account.id);
    }

    #[tokio::test]
    async fn disabling_or_resetting_the_password_ends_the_sessions() {
        let (sessions, root) = fixture().await;
        let act = AdminAct::new(AuditActor::of(&root), None);
        let (alice, issued) = sessions.login("alice", PASSWORD, None).await.unwrap();
        sessions
            .reset_password(&act, alice.id, "another long passphrase")
            .await
            .unwrap();
        assert!(
            sessions
                .authenticate(&issued.tokens.access_token)
                .await
                .is_err()
        );
        assert!(
            sessions
                .refresh(&issued.tokens.refresh_token)
                .await
                .is_err()
        );

        let (_, issued) = sessions
            .login("alice", "another long passphrase", None)
            .await
            .unwrap();
        let disable = AdminChanges {
            enabled: Some(false),
            ..AdminChanges::default()
        };
        sessions.update(&act, alice.id, &disable).await.unwrap();
        assert!(
            sessions
                .authenticate(&issued.tokens.access_token)
                .await
                .is_err()
        );
    }
}
