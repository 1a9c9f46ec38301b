//! Admin accounts: inserts and compare-and-set updates on the version, each with its audit
//! row in the same transaction.

use async_trait::async_trait;
use elife_domain::accounts::admins::{
    AdminAccount, AdminId, AdminRepository, AdminUpdate, NewAdmin, Role,
};
use elife_domain::accounts::audit::AuditEntry;
use elife_domain::ports::{CasOutcome, Page, PageRequest, RepositoryError};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::audit::insert_entry;
use crate::connection::{begin_write, finish};
use crate::entities::admin_users;
use crate::error::{corrupt, map_db_err};
use crate::paging::window;
use crate::time::{from_db, to_db};

#[derive(Debug, Clone)]
pub struct SeaOrmAdminRepository {
    db: DatabaseConnection,
}

impl SeaOrmAdminRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmAdminRepository { db }
    }
}

fn active_super_admins() -> sea_orm::Select<admin_users::Entity> {
    admin_users::Entity::find()
        .filter(admin_users::Column::Role.eq(Role::SuperAdmin.as_str()))
        .filter(admin_users::Column::Enabled.eq(true))
}

#[async_trait]
impl AdminRepository for SeaOrmAdminRepository {
    async fn insert(
        &self,
        admin: &NewAdmin,
        audit: Option<AuditEntry>,
    ) -> Result<AdminAccount, RepositoryError> {
        let now = to_db(admin.created_at);
        let row = admin_users::ActiveModel {
            id: NotSet,
            username: Set(admin.username.as_str().to_owned()),
            password_hash: Set(admin.password_hash.clone()),
            display_name: Set(admin.display_name.clone()),
            role: Set(admin.role.as_str().to_owned()),
            enabled: Set(true),
            last_login_at: Set(None),
            failed_attempts: Set(0),
            locked_until: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(0),
        };
        let duplicate = |error: DbErr| match map_db_err(error) {
            RepositoryError::Duplicate(_) => {
                RepositoryError::Duplicate(format!("admin {}", admin.username.as_str()))
            }
            other => other,
        };
        let txn = begin_write(&self.db).await.map_err(map_db_err)?;
        let written = async {
            let id = admin_users::Entity::insert(row)
                .exec(&txn)
                .await
                .map_err(duplicate)?
                .last_insert_id;
            if let Some(mut entry) = audit {
                entry.target_id = id.to_string();
                insert_entry(&txn, &entry).await.map_err(map_db_err)?;
            }
            Ok(id)
        }
        .await;
        let id = finish(txn, written).await?;
        self.find(AdminId(id))
            .await?
            .ok_or_else(|| corrupt("admin vanished after being created", id))
    }

    async fn find(&self, id: AdminId) -> Result<Option<AdminAccount>, RepositoryError> {
        admin_users::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(account_from_row)
            .transpose()
    }

    async fn find_by_username(
        &self,
        username: &str,
    ) -> Result<Option<AdminAccount>, RepositoryError> {
        admin_users::Entity::find()
            .filter(admin_users::Column::Username.eq(username))
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(account_from_row)
            .transpose()
    }

    async fn list(&self, page: PageRequest) -> Result<Page<AdminAccount>, RepositoryError> {
        let window = window(page);
        let total = admin_users::Entity::find()
            .count(&self.db)
            .await
            .map_err(map_db_err)?;
        let items = admin_users::Entity::find()
            .order_by_asc(admin_users::Column::Id)
            .offset(window.offset)
            .limit(window.limit)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(account_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            items,
            total,
            page: window.number,
            limit: window.limit,
        })
    }

    async fn count_active_super_admins(&self) -> Result<u64, RepositoryError> {
        active_super_admins()
            .count(&self.db)
            .await
            .map_err(map_db_err)
    }

    async fn update(&self, update: &AdminUpdate) -> Result<CasOutcome, RepositoryError> {
        let next = &update.account;
        if next.version != update.expected_version.saturating_add(1) {
            return Err(RepositoryError::Corrupt(format!(
                "malformed change of admin {}: version {} after expected {}",
                next.id, next.version, update.expected_version
            )));
        }
        let txn = begin_write(&self.db).await.map_err(map_db_err)?;
        if update.keep_a_super_admin {
            // Lock every super admin row first: two changes that each take the power from
            // one super admin then run one after the other, and the second sees the first.
            admin_users::Entity::update_many()
                .col_expr(
                    admin_users::Column::Version,
                    Expr::col(admin_users::Column::Version),
                )
                .filter(admin_users::Column::Role.eq(Role::SuperAdmin.as_str()))
                .exec(&txn)
                .await
                .map_err(map_db_err)?;
        }
        let updated = write_account(&txn, next, update.expected_version).await?;
        if updated == 0 {
            txn.rollback().await.map_err(map_db_err)?;
            return Ok(CasOutcome::Lost);
        }
        if update.keep_a_super_admin
            && active_super_admins()
                .count(&txn)
                .await
                .map_err(map_db_err)?
                == 0
        {
            txn.rollback().await.map_err(map_db_err)?;
            return Ok(CasOutcome::Lost);
        }
        if let Some(entry) = &update.audit {
            insert_entry(&txn, entry).await.map_err(map_db_err)?;
        }
        txn.commit().await.map_err(map_db_err)?;
        Ok(CasOutcome::Won)
    }
}

/// The conditional update on (id, version); returns the rows it changed.
async fn write_account(
    txn: &DatabaseTransaction,
    next: &AdminAccount,
    expected_version: i32,
) -> Result<u64, RepositoryError> {
    let failed = i32::try_from(next.failed_attempts).unwrap_or(i32::MAX);
    admin_users::Entity::update_many()
        .col_expr(
            admin_users::Column::PasswordHash,
            Expr::value(next.password_hash.clone()),
        )
        .col_expr(
            admin_users::Column::DisplayName,
            Expr::value(next.display_name.clone()),
        )
        .col_expr(admin_users::Column::Role, Expr::value(next.role.as_str()))
        .col_expr(admin_users::Column::Enabled, Expr::value(next.enabled))
        .col_expr(
            admin_users::Column::LastLoginAt,
            Expr::value(next.last_login_at.map(to_db)),
        )
        .col_expr(admin_users::Column::FailedAttempts, Expr::value(failed))
        .col_expr(
            admin_users::Column::LockedUntil,
            Expr::value(next.locked_until.map(to_db)),
        )
        .col_expr(
            admin_users::Column::UpdatedAt,
            Expr::value(to_db(next.updated_at)),
        )
        .col_expr(admin_users::Column::Version, Expr::value(next.version))
        .filter(admin_users::Column::Id.eq(next.id.0))
        .filter(admin_users::Column::Version.eq(expected_version))
        .exec(txn)
        .await
        .map(|result| result.rows_affected)
        .map_err(map_db_err)
}

fn account_from_row(row: admin_users::Model) -> Result<AdminAccount, RepositoryError> {
    Ok(AdminAccount {
        id: AdminId(row.id),
        role: row
            .role
            .parse::<Role>()
            .map_err(|e| corrupt(&format!("admin {}: role", row.id), e))?,
        username: row.username,
        password_hash: row.password_hash,
        display_name: row.display_name,
        enabled: row.enabled,
        last_login_at: row.last_login_at.map(from_db),
        failed_attempts: u32::try_from(row.failed_attempts).unwrap_or_default(),
        locked_until: row.locked_until.map(from_db),
        created_at: from_db(row.created_at),
        updated_at: from_db(row.updated_at),
        version: row.version,
    })
}
