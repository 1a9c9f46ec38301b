//! Users as WeChat identifies them: found by unionid first, else upserted by openid.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::accounts::profile::{Gender, Profile};
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
                // As the old backend did: the app the person now comes from is recorded.
                existing.appid = identity.appid.clone().or(existing.appid);
                return self.touch(existing, now).await;
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
                self.touch(existing, now).await
            }
            None => {
                let row = users::Model {
                    openid: identity.openid.as_str().to_owned(),
                    unionid: identity.unionid.clone(),
                    appid: identity.appid.clone(),
                    nickname: None,
                    avatar_url: None,
                    gender: None,
                    created_at: now,
                    updated_at: now,
                };
                users::Entity::insert(users::ActiveModel {
                    openid: Set(row.openid.clone()),
                    unionid: Set(row.unionid.clone()),
                    appid: Set(row.appid.clone()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .exec_without_returning(&self.db)
                .await
                .map_err(map_db_err)?;
                user_from_row(row)
            }
        }
    }

    /// Saves a known user's unionid and appid, stamped as seen `now`.
    async fn touch(
        &self,
        mut existing: users::Model,
        now: chrono::NaiveDateTime,
    ) -> Result<User, RepositoryError> {
        existing.updated_at = now;
        users::Entity::update_many()
            .col_expr(
                users::Column::Unionid,
                Expr::value(existing.unionid.clone()),
            )
            .col_expr(users::Column::Appid, Expr::value(existing.appid.clone()))
            .col_expr(users::Column::UpdatedAt, Expr::value(now))
            .filter(users::Column::Openid.eq(existing.openid.as_str()))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        user_from_row(existing)
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

    async fn find(&self, openid: &OpenId) -> Result<Option<User>, RepositoryError> {
        users::Entity::find_by_id(openid.as_str().to_owned())
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(user_from_row)
            .transpose()
    }

    async fn find_by_unionid(&self, unionid: &str) -> Result<Option<User>, RepositoryError> {
        users::Entity::find()
            .filter(users::Column::Unionid.eq(unionid))
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(user_from_row)
            .transpose()
    }

    async fn update_profile(
        &self,
        openid: &OpenId,
        profile: &Profile,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, RepositoryError> {
        let updated = users::Entity::update_many()
            .col_expr(
                users::Column::Nickname,
                Expr::value(profile.nickname.clone()),
            )
            .col_expr(
                users::Column::AvatarUrl,
                Expr::value(profile.avatar_url.clone()),
            )
            .col_expr(
                users::Column::Gender,
                Expr::value(profile.gender.map(|gender| gender.as_str().to_owned())),
            )
            .col_expr(users::Column::UpdatedAt, Expr::value(to_db(now)))
            .filter(users::Column::Openid.eq(openid.as_str()))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        if updated.rows_affected == 0 {
            return Ok(None);
        }
        self.find(openid).await
    }
}

fn user_from_row(row: users::Model) -> Result<User, RepositoryError> {
    let gender = row
        .gender
        .as_deref()
        .map(str::parse::<Gender>)
        .transpose()
        .map_err(|e| corrupt("user gender", e))?;
    Ok(User {
        openid: OpenId::parse(&row.openid).map_err(|e| corrupt("user openid", e))?,
        unionid: row.unionid,
        appid: row.appid,
        profile: Profile {
            nickname: row.nickname,
            avatar_url: row.avatar_url,
            gender,
        },
        created_at: from_db(row.created_at),
        updated_at: from_db(row.updated_at),
    })
}
