//! Admin accounts and the audit trail of what admins changed.

use sea_orm_migration::prelude::*;

use crate::columns::{IndexSpec, create_indexes, id, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AdminUsers {
    Table,
    Id,
    Username,
    PasswordHash,
    DisplayName,
    Role,
    Enabled,
    LastLoginAt,
    FailedAttempts,
    LockedUntil,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    ActorId,
    ActorUsername,
    ActorRole,
    Action,
    TargetType,
    TargetId,
    Reason,
    BeforeState,
    AfterState,
    RequestId,
    At,
}

pub const ADMIN_TABLE: &str = "admin_users";
pub const AUDIT_TABLE: &str = "audit_log";

/// `(table, index name, columns, unique)`, as in the first migration.
pub const INDEX_SPECS: &[IndexSpec] = &[
    (ADMIN_TABLE, "idx_admin_users_username", &["username"], true),
    // `GET /admin/audit` pages newest first, alone or with one of the filters below.
    (AUDIT_TABLE, "idx_audit_log_at", &["at"], false),
    (
        AUDIT_TABLE,
        "idx_audit_log_actor",
        &["actor_username", "at"],
        false,
    ),
    (
        AUDIT_TABLE,
        "idx_audit_log_action",
        &["action", "at"],
        false,
    ),
    (
        AUDIT_TABLE,
        "idx_audit_log_target",
        &["target_type", "target_id"],
        false,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(AdminUsers::Table)
                    .if_not_exists()
                    .col(id(backend, AdminUsers::Id))
                    .col(
                        ColumnDef::new(AdminUsers::Username)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AdminUsers::PasswordHash)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AdminUsers::DisplayName)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AdminUsers::Role).string_len(20).not_null())
                    .col(
                        ColumnDef::new(AdminUsers::Enabled)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .col(timestamp(backend, AdminUsers::LastLoginAt).null())
                    .col(
                        ColumnDef::new(AdminUsers::FailedAttempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(timestamp(backend, AdminUsers::LockedUntil).null())
                    .col(timestamp(backend, AdminUsers::CreatedAt).not_null())
                    .col(timestamp(backend, AdminUsers::UpdatedAt).not_null())
                    .col(
                        ColumnDef::new(AdminUsers::Version)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .if_not_exists()
                    .col(id(backend, AuditLog::Id))
                    // No foreign key: the break-glass and CLI actors have no account, and
                    // the trail outlives any account.
                    .col(ColumnDef::new(AuditLog::ActorId).big_integer().null())
                    .col(
                        ColumnDef::new(AuditLog::ActorUsername)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditLog::ActorRole)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditLog::Action).string_len(40).not_null())
                    .col(
                        ColumnDef::new(AuditLog::TargetType)
                            .string_len(20)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditLog::TargetId).string_len(64).not_null())
                    .col(ColumnDef::new(AuditLog::Reason).text().null())
                    .col(ColumnDef::new(AuditLog::BeforeState).json().null())
                    .col(ColumnDef::new(AuditLog::AfterState).json().null())
                    .col(ColumnDef::new(AuditLog::RequestId).string_len(64).null())
                    .col(timestamp(backend, AuditLog::At).not_null())
                    .to_owned(),
            )
            .await?;
        create_indexes(manager, INDEX_SPECS).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping a table drops its indexes on every backend.
        for table in [AUDIT_TABLE, ADMIN_TABLE] {
            manager
                .drop_table(
                    Table::drop()
                        .table(Alias::new(table))
                        .if_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::INDEX_SPECS;

    #[test]
    fn every_index_is_listed_for_the_catalog_checks() {
        for (table, name, _, _) in INDEX_SPECS {
            assert!(crate::INDEXES.contains(&(*table, *name)), "{name}");
            assert!(crate::TABLES.contains(table), "{table}");
        }
    }
}
