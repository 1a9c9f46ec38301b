//! Users as WeChat identifies them: found by unionid first, else upserted by openid.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::order::OpenId;
use elife_domain::ports::{RepositoryError, User, UserRepository, WechatIdentity};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::entities::users;
use crate::error::{corrupt, map_db_err};
use crate::time::{from_db, to_db};

#[derive(Debug, Clone)]
pub struct SeaOrmUserRepository {
    db: DatabaseConnection,
}

impl SeaOrmUserRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmUserRepository { db }
    }

    async fn upsert_once(
        &self,
        identity: &WechatIdentity,
        now: DateTime<Utc>,
    ) -> Result<User, RepositoryError> {
        let now = to_db(now);
        // The same person reaches us from several apps with several openids but one unionid.
        if let Some(unionid) = &identity.unionid {
            let by_unionid = users::Entity::find()
                .filter(users::Column::Unionid.eq(unionid.as_str()))
                .one(&self.db)
                .await
                .map_err(map_db_err)?;
            if let Some(mut existing) = by_unionid {
                self.touch(
                    &existing.openid,
                    existing.unionid.clone(),
                    existing.appid.clone(),
                    now,
                )
                .await?;
                existing.updated_at = now;
                return user_from_row(existing);
            }
        }
        let by_openid = users::Entity::find_by_id(identity.openid.as_str().to_owned())
            .one(&self.db)
            .await
            .map_err(map_db_err)?;
        match by_openid {
            Some(mut existing) => {
                existing.unionid = identity.unionid.clone().or(existing.unionid);
                existing.appid = identity.appid.clone().or(existing.appid);
                existing.updated_at = now;
                self.touch(
                    &existing.openid,
                    existing.unionid.clone(),
                    existing.appid.clone(),
                    now,
                )
                .await?;
                user_from_row(existing)
            }
            None => {
                let row = users::Model {
                    openid: identity.openid.as_str().to_owned(),
                    unionid: identity.unionid.clone(),
                    appid: identity.appid.clone(),
                    created_at: now,
                    updated_at: now,
                };
                users::Entity::insert(users::ActiveModel {
                    openid: Set(row.openid.clone()),
                    unionid: Set(row.unionid.clone()),
                    appid: Set(row.appid.clone()),
                    created_at: Set(now),
                    updated_at: Set(now),
                })
                .exec_without_returning(&self.db)
                .await
                .map_err(map_db_err)?;
                user_from_row(row)
            }
        }
    }

    async fn touch(
        &self,
        openid: &str,
        unionid: Option<String>,
        appid: Option<String>,
        now: chrono::NaiveDateTime,
    ) -> Result<(), RepositoryError> {
        users::Entity::update_many()
            .col_expr(users::Column::Unionid, Expr::value(unionid))
            .col_expr(users::Column::Appid, Expr::value(appid))
            .col_expr(users::Column::UpdatedAt, Expr::value(now))
            .filter(users::Column::Openid.eq(openid))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }
}

#[async_trait]
impl UserRepository for SeaOrmUserRepository {
    async fn upsert(
        &self,
        identity: &WechatIdentity,
        now: DateTime<Utc>,
    ) -> Result<User, RepositoryError> {
        match self.upsert_once(identity, now).await {
            // Two first requests of the same user raced; the other one created the row.
            Err(RepositoryError::Duplicate(_)) => self.upsert_once(identity, now).await,
            other => other,
        }
    }
}

fn user_from_row(row: users::Model) -> Result<User, RepositoryError> {
    Ok(User {
        openid: OpenId::parse(&row.openid).map_err(|e| corrupt("user openid", e))?,
        unionid: row.unionid,
        appid: row.appid,
        created_at: from_db(row.created_at),
        updated_at: from_db(row.updated_at),
    })
}
