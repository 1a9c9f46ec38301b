//! Column types that differ between backends, chosen so that values round-trip exactly.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// A UTC timestamp with microseconds on every backend.
pub fn timestamp(backend: DbBackend, column: impl IntoIden) -> ColumnDef {
    let mut def = ColumnDef::new(column);
    match backend {
        // Plain DATETIME rounds to whole seconds.
        DbBackend::MySql => def.custom(Alias::new("DATETIME(6)")),
        DbBackend::Postgres | DbBackend::Sqlite => def.date_time(),
        other => def.custom(Alias::new(unsupported(other))),
    };
    def
}

/// An exchange rate with four decimals, stored exactly.
pub fn rate(backend: DbBackend, column: impl IntoIden) -> ColumnDef {
    let mut def = ColumnDef::new(column);
    match backend {
        DbBackend::MySql | DbBackend::Postgres => def.decimal_len(10, 4),
        // SQLite's DECIMAL has NUMERIC affinity and would turn the value into a REAL.
        DbBackend::Sqlite => def.text(),
        other => def.custom(Alias::new(unsupported(other))),
    };
    def
}

/// An auto-incremented 64-bit primary key (`INTEGER PRIMARY KEY` on SQLite, which only
/// auto-increments that exact type).
pub fn id(backend: DbBackend, column: impl IntoIden) -> ColumnDef {
    let mut def = ColumnDef::new(column);
    match backend {
        DbBackend::Sqlite => def.integer(),
        DbBackend::MySql | DbBackend::Postgres => def.big_integer(),
        other => def.custom(Alias::new(unsupported(other))),
    };
    def.not_null().auto_increment().primary_key();
    def
}

/// A string of at most `len` characters compared byte for byte, as the domain compares it:
/// MySQL's default collations ignore case (and trailing spaces), which would make two
/// distinct openids or references one key. The other backends compare bytes already.
pub fn exact_string(backend: DbBackend, column: impl IntoIden, len: u32) -> ColumnDef {
    let mut def = ColumnDef::new(column);
    match backend {
        // The collation belongs right after the type, before NOT NULL or PRIMARY KEY.
        DbBackend::MySql => def.custom(Alias::new(format!(
            "VARCHAR({len}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        ))),
        DbBackend::Postgres | DbBackend::Sqlite => def.string_len(len),
        other => def.custom(Alias::new(unsupported(other))),
    };
    def
}

fn unsupported(backend: DbBackend) -> String {
    format!("unsupported backend {backend:?}")
}

/// `(table, index name, columns, unique)`: how each migration lists its indexes, so that
/// `down` and the catalog tests agree with `up`.
pub type IndexSpec = (&'static str, &'static str, &'static [&'static str], bool);

/// Creates every index of `specs` that does not exist yet: MySQL commits DDL at once, so a
/// run that failed half-way may have created some already.
pub async fn create_indexes(manager: &SchemaManager<'_>, specs: &[IndexSpec]) -> Result<(), DbErr> {
    for (table, name, columns, unique) in specs {
        if manager.has_index(*table, *name).await? {
            continue;
        }
        let mut index = Index::create();
        index.name(*name).table(Alias::new(*table));
        for column in *columns {
            index.col(Alias::new(*column));
        }
        if *unique {
            index.unique();
        }
        manager.create_index(index).await?;
    }
    Ok(())
}
