//! Leases that keep each periodic job on one server instance at a time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::ports::{JobLeases, RepositoryError};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::entities::job_leases;
use crate::error::map_db_err;
use crate::time::to_db;

#[derive(Debug, Clone)]
pub struct SeaOrmJobLeases {
    db: DatabaseConnection,
}

impl SeaOrmJobLeases {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmJobLeases { db }
    }
}

#[async_trait]
impl JobLeases for SeaOrmJobLeases {
    /// One conditional update (take over an expired lease, or renew our own), else one
    /// insert for a job never leased; the primary key settles races between instances.
    async fn acquire(
        &self,
        job: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let (now, until) = (to_db(now), to_db(until));
        let updated = job_leases::Entity::update_many()
            .col_expr(job_leases::Column::Holder, Expr::value(holder))
            .col_expr(job_leases::Column::ExpiresAt, Expr::value(until))
            .filter(job_leases::Column::JobName.eq(job))
            .filter(
                Condition::any()
                    .add(job_leases::Column::ExpiresAt.lte(now))
                    .add(job_leases::Column::Holder.eq(holder)),
            )
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        if updated.rows_affected > 0 {
            return Ok(true);
        }
        let inserted = job_leases::Entity::insert(job_leases::ActiveModel {
            job_name: Set(job.to_owned()),
            holder: Set(holder.to_owned()),
            expires_at: Set(until),
        })
        .exec_without_returning(&self.db)
        .await
        .map_err(map_db_err);
        match inserted {
            Ok(_) => Ok(true),
            // Someone holds it; or (MySQL counts unchanged rows as 0) we renewed our own lease
            // with the same expiry.
            Err(RepositoryError::Duplicate(_)) => {
                let current = job_leases::Entity::find_by_id(job.to_owned())
                    .one(&self.db)
                    .await
                    .map_err(map_db_err)?;
                Ok(
                    current
                        .is_some_and(|lease| lease.holder == holder && lease.expires_at == until),
                )
            }
            Err(other) => Err(other),
        }
    }

    async fn release(&self, job: &str, holder: &str) -> Result<(), RepositoryError> {
        job_leases::Entity::delete_many()
            .filter(job_leases::Column::JobName.eq(job))
            .filter(job_leases::Column::Holder.eq(holder))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }
}
