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

fn unsupported(backend: DbBackend) -> String {
    format!("unsupported backend {backend:?}")
}
