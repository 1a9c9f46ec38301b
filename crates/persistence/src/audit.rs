//! The admins' audit trail: rows written inside the transaction of the change they record
//! ([`insert_entry`], used by the order, exchange-rate and admin repositories), or alone;
//! and the filtered, paged list.

use async_trait::async_trait;
use elife_domain::accounts::admins::{AdminId, Role};
use elife_domain::accounts::audit::{AuditActor, AuditEntry, AuditFilter, AuditLog, AuditRecord};
use elife_domain::ports::{Page, PageRequest, RepositoryError};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
};

use crate::entities::audit_log;
use crate::error::{corrupt, map_db_err};
use crate::paging::fetch_page;
use crate::time::{from_db, to_db};

/// Stored lengths of the bounded columns: longer values are cut (on a character boundary)
/// rather than failing the change they record.
const TARGET_ID_LEN: usize = 64;
const REQUEST_ID_LEN: usize = 64;
const USERNAME_LEN: usize = 64;

fn bounded(value: &str, max: usize) -> String {
    value.chars().take(max).collect()
}

/// Writes one entry on `db` (a connection or the change's transaction); returns its id.
pub(crate) async fn insert_entry<C: ConnectionTrait>(
    db: &C,
    entry: &AuditEntry,
) -> Result<i64, DbErr> {
    let row = audit_log::ActiveModel {
        id: NotSet,
        actor_id: Set(entry.actor.admin_id.map(|id| id.0)),
        actor_username: Set(bounded(&entry.actor.username, USERNAME_LEN)),
        actor_role: Set(entry.actor.role.as_str().to_owned()),
        action: Set(entry.action.as_str().to_owned()),
        target_type: Set(entry.target_type.as_str().to_owned()),
        target_id: Set(bounded(&entry.target_id, TARGET_ID_LEN)),
        reason: Set(entry.reason.clone()),
        before_state: Set(entry.before.clone()),
        after_state: Set(entry.after.clone()),
        request_id: Set(entry
            .request_id
            .as_deref()
            .map(|id| bounded(id, REQUEST_ID_LEN))),
        at: Set(to_db(entry.at)),
    };
    let inserted = audit_log::Entity::insert(row).exec(db).await?;
    Ok(inserted.last_insert_id)
}

#[derive(Debug, Clone)]
pub struct SeaOrmAuditLog {
    db: DatabaseConnection,
}

impl SeaOrmAuditLog {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmAuditLog { db }
    }
}

#[async_trait]
impl AuditLog for SeaOrmAuditLog {
    async fn record(&self, entry: &AuditEntry) -> Result<i64, RepositoryError> {
        insert_entry(&self.db, entry).await.map_err(map_db_err)
    }

    async fn list(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>, RepositoryError> {
        let mut query = audit_log::Entity::find();
        if let Some(actor) = &filter.actor {
            query = query.filter(audit_log::Column::ActorUsername.eq(actor.as_str()));
        }
        if let Some(action) = filter.action {
            query = query.filter(audit_log::Column::Action.eq(action.as_str()));
        }
        if let Some(target_type) = filter.target_type {
            query = query.filter(audit_log::Column::TargetType.eq(target_type.as_str()));
        }
        if let Some(target_id) = &filter.target_id {
            query = query.filter(audit_log::Column::TargetId.eq(target_id.as_str()));
        }
        if let Some(from) = filter.from {
            query = query.filter(audit_log::Column::At.gte(to_db(from)));
        }
        if let Some(before) = filter.before {
            query = query.filter(audit_log::Column::At.lt(to_db(before)));
        }
        fetch_page(
            &self.db,
            query,
            &[audit_log::Column::At, audit_log::Column::Id],
            page,
            record_from_row,
        )
        .await
    }
}

fn record_from_row(row: audit_log::Model) -> Result<AuditRecord, RepositoryError> {
    let context = |what: &str| format!("audit row {}: {what}", row.id);
    Ok(AuditRecord {
        id: row.id,
        entry: AuditEntry {
            actor: AuditActor {
                admin_id: row.actor_id.map(AdminId),
                role: row
                    .actor_role
                    .parse::<Role>()
                    .map_err(|e| corrupt(&context("role"), e))?,
                username: row.actor_username,
            },
            action: row
                .action
                .parse()
                .map_err(|e| corrupt(&context("action"), e))?,
            target_type: row
                .target_type
                .parse()
                .map_err(|e| corrupt(&context("target type"), e))?,
            target_id: row.target_id,
            reason: row.reason,
            before: row.before_state,
            after: row.after_state,
            request_id: row.request_id,
            at: from_db(row.at),
        },
    })
}
