//! Seeds the `MNT_TO_CNY` rate so that orders can be priced on a fresh database.

use chrono::DurationRound;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::prelude::Decimal;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Value};

use crate::SEED_MNT_TO_CNY;

#[derive(DeriveMigrationName)]
pub struct Migration;

const PAIR: &str = "MNT_TO_CNY";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A database taken over from the old backend keeps the rate it has.
        let existing = Query::select()
            .expr(Expr::col(Alias::new("id")))
            .from(Alias::new("exchange_rates"))
            .and_where(Expr::col(Alias::new("currency")).eq(PAIR))
            .to_owned();
        let db = manager.get_connection();
        if db.query_one(&existing).await?.is_some() {
            return Ok(());
        }
        let seed: Decimal = SEED_MNT_TO_CNY
            .parse()
            .map_err(|e| DbErr::Migration(format!("bad seed rate {SEED_MNT_TO_CNY}: {e}")))?;
        // SQLite keeps the exact text; the others get a DECIMAL.
        let rate: Value = match manager.get_database_backend() {
            DbBackend::Sqlite => SEED_MNT_TO_CNY.into(),
            _ => seed.into(),
        };
        let now = chrono_now();
        let insert = Query::insert()
            .into_table(Alias::new("exchange_rates"))
            .columns([
                Alias::new("currency"),
                Alias::new("rate"),
                Alias::new("is_active"),
                Alias::new("created_at"),
                Alias::new("updated_at"),
            ])
            .values_panic([
                Expr::val(PAIR),
                Expr::val(rate),
                Expr::val(true),
                Expr::val(now),
                Expr::val(now),
            ])
            .to_owned();
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let delete = Query::delete()
            .from_table(Alias::new("exchange_rates"))
            .and_where(Expr::col(Alias::new("currency")).eq(PAIR))
            .to_owned();
        manager.exec_stmt(delete).await
    }
}

/// The current UTC time with microseconds, the precision every backend keeps.
fn chrono_now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    now.duration_trunc(chrono::TimeDelta::microseconds(1))
        .unwrap_or(now)
}
