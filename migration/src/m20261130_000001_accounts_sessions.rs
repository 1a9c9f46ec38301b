//! Shopper accounts: profile columns on `users`, and login sessions.
//!
//! - `users` gains `nickname`, `avatar_url` and `gender` (nullable).
//! - `sessions`: one row per login (a family of refresh tokens), read by primary key on
//!   every authenticated request; `revoked_at` ends it (logout, refresh-token reuse).
//! - `refresh_tokens`: SHA-256 hashes of the refresh tokens (never the tokens), unique;
//!   `revoked_at` is set when a token is rotated.

use sea_orm_migration::prelude::*;

use crate::columns::{IndexSpec, create_indexes, id, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Nickname,
    AvatarUrl,
    Gender,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    Audience,
    Subject,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    RevokedReason,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    TokenHash,
    SessionId,
    IssuedAt,
    ExpiresAt,
    RevokedAt,
}

/// (table, index, columns, unique).
pub const INDEX_SPECS: &[IndexSpec] = &[
    (
        "sessions",
        "idx_sessions_subject",
        &["audience", "subject"],
        false,
    ),
    ("sessions", "idx_sessions_expires", &["expires_at"], false),
    (
        "refresh_tokens",
        "idx_refresh_tokens_hash",
        &["token_hash"],
        true,
    ),
    (
        "refresh_tokens",
        "idx_refresh_tokens_session",
        &["session_id"],
        false,
    ),
    (
        "refresh_tokens",
        "idx_refresh_tokens_expires",
        &["expires_at"],
        false,
    ),
];

/// Profile columns of `users` and their lengths (characters).
fn profile_columns() -> [(Users, u32); 3] {
    [
        (Users::Nickname, 64),
        (Users::AvatarUrl, 512),
        (Users::Gender, 16),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        // One column per statement (SQLite alters one at a time), each checked first: MySQL
        // commits DDL at once, so a run that failed half-way may have added some already.
        for (column, length) in profile_columns() {
            if !manager.has_column("users", &column.to_string()).await? {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Users::Table)
                            .add_column(ColumnDef::new(column).string_len(length).null())
                            .to_owned(),
                    )
                    .await?;
            }
        }

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Sessions::Id)
                            .string_len(32)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Sessions::Audience).string_len(16).not_null())
                    .col(ColumnDef::new(Sessions::Subject).string_len(64).not_null())
                    .col(timestamp(backend, Sessions::CreatedAt).not_null())
                    .col(timestamp(backend, Sessions::ExpiresAt).not_null())
                    .col(timestamp(backend, Sessions::RevokedAt).null())
                    .col(
                        ColumnDef::new(Sessions::RevokedReason)
                            .string_len(32)
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .if_not_exists()
                    .col(id(backend, RefreshTokens::Id))
                    .col(
                        ColumnDef::new(RefreshTokens::TokenHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RefreshTokens::SessionId)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(timestamp(backend, RefreshTokens::IssuedAt).not_null())
                    .col(timestamp(backend, RefreshTokens::ExpiresAt).not_null())
                    .col(timestamp(backend, RefreshTokens::RevokedAt).null())
                    .to_owned(),
            )
            .await?;
        create_indexes(manager, INDEX_SPECS).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping a table drops its indexes on every backend.
        for table in [
            RefreshTokens::Table.to_string(),
            Sessions::Table.to_string(),
        ] {
            manager
                .drop_table(
                    Table::drop()
                        .table(Alias::new(table))
                        .if_exists()
                        .to_owned(),
                )
                .await?;
        }
        for (column, _) in profile_columns() {
            if manager.has_column("users", &column.to_string()).await? {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Users::Table)
                            .drop_column(column)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
