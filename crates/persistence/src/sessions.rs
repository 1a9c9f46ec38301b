//! Login sessions and their refresh tokens (hashes only).
//!
//! Rotation is a compare-and-set: the presented token is revoked by an `UPDATE ... WHERE
//! token_hash = ? AND revoked_at IS NULL` and the session extended by an `UPDATE ... WHERE
//! id = ? AND revoked_at IS NULL`, both checked by rows affected, then the successor is
//! inserted, all in one transaction. Two uses of one token, or a rotation racing a logout,
//! leave exactly one winner on every backend (the second `UPDATE` waits for the first's row
//! lock and then no longer matches; SQLite serialises writers).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::accounts::sessions::{
    RevocationReason, SessionRepository, StoredRefreshToken, StoredSession, TokenHash,
};
use elife_domain::accounts::tokens::{Audience, SessionId};
use elife_domain::ports::{CasOutcome, RepositoryError};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::connection::{begin_write, finish};
use crate::entities::{refresh_tokens, sessions};
use crate::error::{corrupt, map_db_err};
use crate::time::{from_db, to_db};

#[derive(Debug, Clone)]
pub struct SeaOrmSessionRepository {
    db: DatabaseConnection,
}

impl SeaOrmSessionRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmSessionRepository { db }
    }
}

fn session_row(session: &StoredSession) -> sessions::ActiveModel {
    sessions::ActiveModel {
        id: Set(session.id.as_str().to_owned()),
        audience: Set(session.audience.as_str().to_owned()),
        subject: Set(session.subject.clone()),
        created_at: Set(to_db(session.created_at)),
        expires_at: Set(to_db(session.expires_at)),
        revoked_at: Set(session.revoked_at.map(to_db)),
        revoked_reason: Set(session.revoked_reason.map(|r| r.as_str().to_owned())),
    }
}

fn token_row(token: &StoredRefreshToken) -> refresh_tokens::ActiveModel {
    refresh_tokens::ActiveModel {
        token_hash: Set(token.hash.as_str().to_owned()),
        session_id: Set(token.session.as_str().to_owned()),
        issued_at: Set(to_db(token.issued_at)),
        expires_at: Set(to_db(token.expires_at)),
        revoked_at: Set(token.revoked_at.map(to_db)),
        ..Default::default()
    }
}

fn session_from_row(row: sessions::Model) -> Result<StoredSession, RepositoryError> {
    Ok(StoredSession {
        id: SessionId::parse(&row.id).map_err(|e| corrupt("session id", e))?,
        audience: row
            .audience
            .parse::<Audience>()
            .map_err(|e| corrupt("session audience", e))?,
        subject: row.subject,
        created_at: from_db(row.created_at),
        expires_at: from_db(row.expires_at),
        revoked_at: row.revoked_at.map(from_db),
        revoked_reason: row
            .revoked_reason
            .as_deref()
            .map(str::parse::<RevocationReason>)
            .transpose()
            .map_err(|e| corrupt("session revocation reason", e))?,
    })
}

fn token_from_row(row: refresh_tokens::Model) -> Result<StoredRefreshToken, RepositoryError> {
    Ok(StoredRefreshToken {
        hash: TokenHash::from_stored(&row.token_hash)?,
        session: SessionId::parse(&row.session_id).map_err(|e| corrupt("token session", e))?,
        issued_at: from_db(row.issued_at),
        expires_at: from_db(row.expires_at),
        revoked_at: row.revoked_at.map(from_db),
    })
}

#[async_trait]
impl SessionRepository for SeaOrmSessionRepository {
    async fn create(
        &self,
        session: &StoredSession,
        first: &StoredRefreshToken,
    ) -> Result<(), RepositoryError> {
        let txn = begin_write(&self.db).await.map_err(map_db_err)?;
        let written = async {
            sessions::Entity::insert(session_row(session))
                .exec_without_returning(&txn)
                .await?;
            refresh_tokens::Entity::insert(token_row(first))
                .exec_without_returning(&txn)
                .await?;
            Ok(())
        }
        .await
        .map_err(map_db_err);
        finish(txn, written).await
    }

    async fn find_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<(StoredRefreshToken, StoredSession)>, RepositoryError> {
        let found = refresh_tokens::Entity::find()
            .filter(refresh_tokens::Column::TokenHash.eq(hash.as_str()))
            .one(&self.db)
            .await
            .map_err(map_db_err)?;
        let Some(row) = found else {
            return Ok(None);
        };
        let token = token_from_row(row)?;
        let session = self
            .find_session(&token.session)
            .await?
            .ok_or_else(|| corrupt("refresh token without session", token.session.as_str()))?;
        Ok(Some((token, session)))
    }

    async fn find_session(&self, id: &SessionId) -> Result<Option<StoredSession>, RepositoryError> {
        sessions::Entity::find_by_id(id.as_str().to_owned())
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(session_from_row)
            .transpose()
    }

    async fn rotate(
        &self,
        presented: &TokenHash,
        successor: &StoredRefreshToken,
        now: DateTime<Utc>,
    ) -> Result<CasOutcome, RepositoryError> {
        let txn = begin_write(&self.db).await.map_err(map_db_err)?;
        let spent = refresh_tokens::Entity::update_many()
            .col_expr(
                refresh_tokens::Column::RevokedAt,
                Expr::value(Some(to_db(now))),
            )
            .filter(refresh_tokens::Column::TokenHash.eq(presented.as_str()))
            .filter(refresh_tokens::Column::SessionId.eq(successor.session.as_str()))
            .filter(refresh_tokens::Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(map_db_err)?;
        if spent.rows_affected != 1 {
            txn.rollback().await.map_err(map_db_err)?;
            return Ok(CasOutcome::Lost);
        }
        let extended = sessions::Entity::update_many()
            .col_expr(
                sessions::Column::ExpiresAt,
                Expr::value(to_db(successor.expires_at)),
            )
            .filter(sessions::Column::Id.eq(successor.session.as_str()))
            .filter(sessions::Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(map_db_err)?;
        if extended.rows_affected != 1 {
            txn.rollback().await.map_err(map_db_err)?;
            return Ok(CasOutcome::Lost);
        }
        refresh_tokens::Entity::insert(token_row(successor))
            .exec_without_returning(&txn)
            .await
            .map_err(map_db_err)?;
        txn.commit().await.map_err(map_db_err)?;
        Ok(CasOutcome::Won)
    }

    async fn revoke_session(
        &self,
        id: &SessionId,
        reason: RevocationReason,
        now: DateTime<Utc>,
    ) -> Result<CasOutcome, RepositoryError> {
        let revoked = sessions::Entity::update_many()
            .col_expr(sessions::Column::RevokedAt, Expr::value(Some(to_db(now))))
            .col_expr(
                sessions::Column::RevokedReason,
                Expr::value(Some(reason.as_str().to_owned())),
            )
            .filter(sessions::Column::Id.eq(id.as_str()))
            .filter(sessions::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(match revoked.rows_affected {
            0 => CasOutcome::Lost,
            _ => CasOutcome::Won,
        })
    }

    async fn revoke_subject(
        &self,
        audience: Audience,
        subject: &str,
        reason: RevocationReason,
        now: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        let revoked = sessions::Entity::update_many()
            .col_expr(sessions::Column::RevokedAt, Expr::value(Some(to_db(now))))
            .col_expr(
                sessions::Column::RevokedReason,
                Expr::value(Some(reason.as_str().to_owned())),
            )
            .filter(sessions::Column::Audience.eq(audience.as_str()))
            .filter(sessions::Column::Subject.eq(subject))
            .filter(sessions::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(revoked.rows_affected)
    }

    async fn purge_expired(&self, before: DateTime<Utc>) -> Result<u64, RepositoryError> {
        let before = to_db(before);
        let tokens = refresh_tokens::Entity::delete_many()
            .filter(refresh_tokens::Column::ExpiresAt.lt(before))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        // A session expires with its newest token, so no live token is left behind.
        let sessions = sessions::Entity::delete_many()
            .filter(sessions::Column::ExpiresAt.lt(before))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(tokens.rows_affected + sessions.rows_affected)
    }
}
