//! Phone numbers of orders encrypted at rest.
//!
//! `up` adds `phone_cipher` (AES-256-GCM), `phone_key_id` (the
//! key that sealed it) and `phone_index` (keyed blind index, indexed), then seals every
//! existing row in place — the old backend's adopted rows included — batch by batch, and
//! leaves only the masked number (`8811****`) in `phone_number` for people reading the
//! table. `down` opens every row back into `phone_number` and drops the three columns.
//!
//! The keys come from `PERSONAL_DATA_KEYS` and `PERSONAL_DATA_INDEX_KEY`, read by the same
//! code as the server's ([`elife_personal_data::Keyring::from_lookup`]).

use elife_personal_data::Keyring;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, QueryResult};

use crate::personal_data::keyring_from_env;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    OrderNumber,
    PhoneNumber,
    PhoneCipher,
    PhoneKeyId,
    PhoneIndex,
}

pub const PHONE_INDEX: &str = "idx_orders_phone_index";

/// Rows read and rewritten per statement pair: bounded memory on a large table.
const BATCH: u64 = 500;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let keyring = keyring_from_env()?;
        // Checked one by one: MySQL commits DDL at once, so a run that failed half-way
        // may have added some columns already.
        for (column, length) in [
            (Orders::PhoneCipher, 255),
            (Orders::PhoneKeyId, 16),
            (Orders::PhoneIndex, 64),
        ] {
            if !manager.has_column("orders", &column.to_string()).await? {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Orders::Table)
                            .add_column(ColumnDef::new(column).string_len(length).null())
                            .to_owned(),
                    )
                    .await?;
            }
        }
        if !manager.has_index("orders", PHONE_INDEX).await? {
            manager
                .create_index(
                    Index::create()
                        .name(PHONE_INDEX)
                        .table(Orders::Table)
                        .col(Orders::PhoneIndex)
                        .to_owned(),
                )
                .await?;
        }
        seal_plaintext_rows(manager.get_connection(), &keyring).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let keyring = keyring_from_env()?;
        open_sealed_rows(manager.get_connection(), &keyring).await?;
        if manager.has_index("orders", PHONE_INDEX).await? {
            manager
                .drop_index(
                    Index::drop()
                        .name(PHONE_INDEX)
                        .table(Orders::Table)
                        .to_owned(),
                )
                .await?;
        }
        // One column per statement: SQLite drops only one at a time.
        for column in [Orders::PhoneIndex, Orders::PhoneKeyId, Orders::PhoneCipher] {
            if manager.has_column("orders", &column.to_string()).await? {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Orders::Table)
                            .drop_column(column)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}

/// Seals every row whose number is still plaintext (no cipher), oldest order number first.
/// Each update is conditional on the row still having no cipher, so an instance of the new
/// version sealing the same row meanwhile is never overwritten.
pub async fn seal_plaintext_rows(
    db: &impl ConnectionTrait,
    keyring: &Keyring,
) -> Result<u64, DbErr> {
    let mut sealed = 0;
    let mut after = String::new();
    loop {
        let rows = batch(db, &after, Expr::col(Orders::PhoneCipher).is_null()).await?;
        let Some(last) = rows.last() else {
            return Ok(sealed);
        };
        after = number_of(last)?;
        for row in &rows {
            let number = number_of(row)?;
            let phone: String = row.try_get("", "phone_number")?;
            let stored = keyring.seal_phone(&phone);
            let update = Query::update()
                .table(Orders::Table)
                .values([
                    (Orders::PhoneNumber, stored.masked.into()),
                    (Orders::PhoneCipher, stored.cipher.into()),
                    (Orders::PhoneKeyId, stored.key_id.into()),
                    (Orders::PhoneIndex, stored.index.into()),
                ])
                .and_where(Expr::col(Orders::OrderNumber).eq(number))
                .and_where(Expr::col(Orders::PhoneCipher).is_null())
                .to_owned();
            sealed += db.execute(&update).await?.rows_affected();
        }
    }
}

/// Puts every sealed number back into `phone_number` (for `down`).
async fn open_sealed_rows(db: &impl ConnectionTrait, keyring: &Keyring) -> Result<(), DbErr> {
    let mut after = String::new();
    loop {
        let rows = batch(db, &after, Expr::col(Orders::PhoneCipher).is_not_null()).await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = number_of(last)?;
        for row in &rows {
            let number = number_of(row)?;
            let cipher: String = row.try_get("", "phone_cipher")?;
            let key_id: String = row.try_get("", "phone_key_id")?;
            let phone = keyring.open_phone(&key_id, &cipher).map_err(|error| {
                DbErr::Migration(format!(
                    "order {number}: its phone number cannot be decrypted: {error}"
                ))
            })?;
            let update = Query::update()
                .table(Orders::Table)
                .values([
                    (Orders::PhoneNumber, phone.into()),
                    (Orders::PhoneCipher, Option::<String>::None.into()),
                ])
                .and_where(Expr::col(Orders::OrderNumber).eq(number))
                .and_where(Expr::col(Orders::PhoneCipher).eq(cipher))
                .to_owned();
            db.execute(&update).await?;
        }
    }
}

/// The next rows after `after` (by order number) that `condition` selects.
async fn batch(
    db: &impl ConnectionTrait,
    after: &str,
    condition: SimpleExpr,
) -> Result<Vec<QueryResult>, DbErr> {
    let select = Query::select()
        .columns([
            Orders::OrderNumber,
            Orders::PhoneNumber,
            Orders::PhoneCipher,
            Orders::PhoneKeyId,
        ])
        .from(Orders::Table)
        .and_where(condition)
        .and_where(Expr::col(Orders::OrderNumber).gt(after))
        .order_by(Orders::OrderNumber, Order::Asc)
        .limit(BATCH)
        .to_owned();
    db.query_all(&select).await
}

fn number_of(row: &QueryResult) -> Result<String, DbErr> {
    row.try_get("", "order_number")
}
