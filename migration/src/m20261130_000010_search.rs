//! Search (issue 14): the hot search terms.
//!
//! - `search_terms`: one row per normalised search text, with how often and when last it
//!   was searched. A search adds one to `count` by a guarded `UPDATE`; the first search of
//!   a term inserts it, the unique key on `term` letting only one of two concurrent first
//!   searches insert (the other then updates), so every search counts exactly once.
//!
//! The product index itself is not stored: it is rebuilt in memory from the catalog at
//! start-up. `down` drops the table.

use sea_orm_migration::prelude::*;

use crate::columns::{IndexSpec, create_indexes, exact_string, id, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SearchTerms {
    Table,
    Id,
    Term,
    Count,
    LastSearchedAt,
}

pub const TERMS_TABLE: &str = "search_terms";

/// Characters a term may have: the domain allows 50 after normalising.
const TERM_CHARS: u32 = 64;

pub const INDEX_SPECS: &[IndexSpec] = &[
    // One row per term: what makes concurrent first searches count once.
    (TERMS_TABLE, "idx_search_terms_term", &["term"], true),
    // The hot terms: most searched first.
    (
        TERMS_TABLE,
        "idx_search_terms_count",
        &["count", "last_searched_at"],
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
                    .table(SearchTerms::Table)
                    .if_not_exists()
                    .col(id(backend, SearchTerms::Id))
                    // Byte for byte: MySQL's default collations would make distinct terms
                    // (accents, trailing spaces) collide on the unique key.
                    .col(exact_string(backend, SearchTerms::Term, TERM_CHARS).not_null())
                    .col(ColumnDef::new(SearchTerms::Count).big_integer().not_null())
                    .col(timestamp(backend, SearchTerms::LastSearchedAt).not_null())
                    .to_owned(),
            )
            .await?;
        create_indexes(manager, INDEX_SPECS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropping a table drops its indexes on every backend.
        manager
            .drop_table(
                Table::drop()
                    .table(Alias::new(TERMS_TABLE))
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
