//! Phone numbers of orders at rest: sealed on every write (AES-256-GCM under the current
//! key, `phone_key_id` naming it), opened on every read, matched through the keyed blind
//! index `phone_index`, and re-sealed under the current key by [`PhoneKeyRotation`].
//! `phone_number` holds only the masked number (`8811****`) for people reading the table.

use std::sync::Arc;

use elife_domain::msisdn::Msisdn;
use elife_domain::order::OrderNumber;
use elife_domain::ports::RepositoryError;
use elife_personal_data::{Keyring, StoredPhone};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::entities::orders;
use crate::error::{corrupt, map_db_err};

/// The columns a new order row stores for its number.
pub(crate) fn sealed(keyring: &Keyring, msisdn: &Msisdn) -> StoredPhone {
    keyring.seal_phone(msisdn.as_str())
}

/// The number of an order row: opened from its cipher, or read as plaintext from a row an
/// older version wrote after the encryption migration (no cipher yet; rotation seals it).
pub(crate) fn msisdn_of(
    keyring: &Keyring,
    number: &OrderNumber,
    row: &orders::Model,
) -> Result<Msisdn, RepositoryError> {
    let plaintext = match (&row.phone_cipher, &row.phone_key_id) {
        (Some(cipher), Some(key_id)) => keyring
            .open_phone(key_id, cipher)
            .map_err(|error| corrupt(&format!("order {number}: phone number"), error))?,
        (None, _) => row.phone_number.clone(),
        (Some(_), None) => {
            return Err(RepositoryError::Corrupt(format!(
                "order {number}: phone number sealed without a key id"
            )));
        }
    };
    // Never the value in the message: a corrupt row must not leak into the logs.
    Msisdn::parse(&plaintext).map_err(|_| {
        RepositoryError::Corrupt(format!(
            "order {number}: the stored phone number is malformed"
        ))
    })
}

/// Orders of `msisdn`, by its blind index.
pub(crate) fn phone_filter(keyring: &Keyring, msisdn: &Msisdn) -> SimpleExpr {
    orders::Column::PhoneIndex.eq(keyring.phone_index(msisdn.as_str()))
}

/// What one rotation pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// Rows read.
    pub examined: u64,
    /// Rows sealed under another key, now under the current one.
    pub resealed: u64,
    /// Rows an older version wrote in plaintext, now sealed.
    pub sealed_plaintext: u64,
    /// Rows whose cipher changed between the read and the update (another rotation);
    /// left as they are.
    pub changed_meanwhile: u64,
    /// Order numbers whose number could not be opened, with why (never the number).
    pub failures: Vec<String>,
}

/// Re-seals phone numbers under the current key (`elife data rotate-keys`): after a new key
/// is put first in `PERSONAL_DATA_KEYS`, this moves every row to it so that the old key can
/// be retired. Rows written in plaintext by an older version are sealed too. Each update is
/// a compare-and-set on the cipher it read, so concurrent passes never clobber each other.
#[derive(Debug, Clone)]
pub struct PhoneKeyRotation {
    db: DatabaseConnection,
    keyring: Arc<Keyring>,
}

impl PhoneKeyRotation {
    pub const DEFAULT_BATCH: u64 = 500;

    pub fn new(db: DatabaseConnection, keyring: Keyring) -> Self {
        PhoneKeyRotation {
            db,
            keyring: Arc::new(keyring),
        }
    }

    /// One pass over the rows to move, `batch` at a time by order number. With `reindex`,
    /// every row is re-sealed and its blind index recomputed (after `PERSONAL_DATA_INDEX_KEY`
    /// changed: until then, lookups by number miss the rows not yet reindexed).
    pub async fn run(&self, reindex: bool, batch: u64) -> Result<RotationReport, RepositoryError> {
        let mut report = RotationReport::default();
        let current = self.keyring.current_key_id().to_owned();
        let mut after = String::new();
        loop {
            let mut query = orders::Entity::find()
                .filter(orders::Column::OrderNumber.gt(after.as_str()))
                .order_by_asc(orders::Column::OrderNumber)
                .limit(batch.max(1));
            if !reindex {
                query = query.filter(
                    Condition::any()
                        .add(orders::Column::PhoneCipher.is_null())
                        .add(orders::Column::PhoneKeyId.is_null())
                        .add(orders::Column::PhoneKeyId.ne(current.as_str())),
                );
            }
            let rows = query.all(&self.db).await.map_err(map_db_err)?;
            let Some(last) = rows.last() else {
                return Ok(report);
            };
            after = last.order_number.clone();
            for row in rows {
                report.examined += 1;
                self.move_row(row, &mut report).await?;
            }
        }
    }

    async fn move_row(
        &self,
        row: orders::Model,
        report: &mut RotationReport,
    ) -> Result<(), RepositoryError> {
        let plaintext = match (&row.phone_cipher, &row.phone_key_id) {
            (Some(cipher), Some(key_id)) => match self.keyring.open_phone(key_id, cipher) {
                Ok(plaintext) => plaintext,
                Err(error) => {
                    report
                        .failures
                        .push(format!("{}: {error}", row.order_number));
                    return Ok(());
                }
            },
            (None, _) => row.phone_number.clone(),
            (Some(_), None) => {
                report
                    .failures
                    .push(format!("{}: sealed without a key id", row.order_number));
                return Ok(());
            }
        };
        let stored = self.keyring.seal_phone(&plaintext);
        let mut update = orders::Entity::update_many()
            .col_expr(orders::Column::PhoneNumber, Expr::value(stored.masked))
            .col_expr(orders::Column::PhoneCipher, Expr::value(stored.cipher))
            .col_expr(orders::Column::PhoneKeyId, Expr::value(stored.key_id))
            .col_expr(orders::Column::PhoneIndex, Expr::value(stored.index))
            .filter(orders::Column::OrderNumber.eq(row.order_number.as_str()));
        update = match &row.phone_cipher {
            Some(cipher) => update.filter(orders::Column::PhoneCipher.eq(cipher.as_str())),
            None => update
                .filter(orders::Column::PhoneCipher.is_null())
                .filter(orders::Column::PhoneNumber.eq(row.phone_number.as_str())),
        };
        let updated = update.exec(&self.db).await.map_err(map_db_err)?;
        match (updated.rows_affected, &row.phone_cipher) {
            (0, _) => report.changed_meanwhile += 1,
            (_, Some(_)) => report.resealed += 1,
            (_, None) => report.sealed_plaintext += 1,
        }
        Ok(())
    }
}
