//! Addresses on SeaORM. The phone is sealed with the personal-data keyring. Every change
//! of a shopper's address book first moves their quota row, which serialises those changes
//! per shopper on every backend; the unique key on (buyer, default_mark) is the last word on
//! "one default", and a transaction that hits it runs again.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::order::OpenId;
use elife_domain::ports::{CasOutcome, RepositoryError};
use elife_domain::shoppers::{Address, AddressFields, AddressId, AddressRepository, Bounded};
use elife_domain::trade::orders::ChinaMobile;
use elife_domain::trade::pricing::RegionCode;
use elife_personal_data::Keyring;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use super::entities::addresses;
use super::quota::{self, ATTEMPTS, Attempt, Kind, db_err, gave_up, settle};
use crate::connection::begin_write;
use crate::error::{corrupt, map_db_err};
use crate::time::{from_db, to_db};

#[derive(Clone)]
pub struct SeaOrmAddressRepository {
    db: DatabaseConnection,
    keyring: Arc<Keyring>,
}

impl SeaOrmAddressRepository {
    pub fn new(db: DatabaseConnection, keyring: Keyring) -> Self {
        SeaOrmAddressRepository {
            db,
            keyring: Arc::new(keyring),
        }
    }

    fn read(&self, row: addresses::Model) -> Result<Address, RepositoryError> {
        let id = row.id;
        // Never the value in a message: a corrupt row must not leak into the logs.
        let phone = self
            .keyring
            .open_phone(&row.phone_key_id, &row.phone_cipher)
            .map_err(|error| corrupt(&format!("address {id}: phone"), error))?;
        let phone = ChinaMobile::parse(&phone)
            .map_err(|_| corrupt(&format!("address {id}"), "malformed phone"))?;
        let region = RegionCode::parse(&row.region)
            .map_err(|_| corrupt(&format!("address {id}: region"), &row.region))?;
        let buyer =
            OpenId::parse(&row.buyer).map_err(|_| corrupt(&format!("address {id}"), "buyer"))?;
        Ok(Address {
            id: AddressId(id),
            buyer,
            fields: AddressFields {
                receiver: row.receiver,
                phone,
                province: row.province,
                city: row.city,
                district: row.district,
                detail: row.detail,
                region,
            },
            is_default: row.default_mark.is_some(),
            version: row.version,
            created_at: from_db(row.created_at),
            updated_at: from_db(row.updated_at),
        })
    }
}

fn mine(buyer: &OpenId) -> sea_orm::sea_query::SimpleExpr {
    addresses::Column::Buyer.eq(buyer.as_str())
}

async fn find_row<C: ConnectionTrait>(
    conn: &C,
    buyer: &OpenId,
    id: AddressId,
) -> Result<Option<addresses::Model>, RepositoryError> {
    addresses::Entity::find_by_id(id.0)
        .filter(mine(buyer))
        .one(conn)
        .await
        .map_err(db_err)
}

impl SeaOrmAddressRepository {
    async fn try_insert(
        &self,
        txn: &DatabaseTransaction,
        buyer: &OpenId,
        fields: &AddressFields,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Attempt<Bounded<Address>>, RepositoryError> {
        if !quota::take(txn, buyer, Kind::Addresses, limit).await? {
            return Ok(Attempt::Done(Bounded::Full));
        }
        let defaults = addresses::Entity::find()
            .filter(mine(buyer))
            .filter(addresses::Column::DefaultMark.is_not_null())
            .count(txn)
            .await
            .map_err(db_err)?;
        let phone = self.keyring.seal_phone(fields.phone.as_str());
        let at = to_db(now);
        let row = addresses::ActiveModel {
            id: NotSet,
            buyer: Set(buyer.as_str().to_owned()),
            receiver: Set(fields.receiver.clone()),
            phone_masked: Set(phone.masked),
            phone_cipher: Set(phone.cipher),
            phone_key_id: Set(phone.key_id),
            province: Set(fields.province.clone()),
            city: Set(fields.city.clone()),
            district: Set(fields.district.clone()),
            detail: Set(fields.detail.clone()),
            region: Set(fields.region.as_str().to_owned()),
            default_mark: Set((defaults == 0).then_some(1)),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
        };
        let id = addresses::Entity::insert(row)
            .exec(txn)
            .await
            .map_err(db_err)?
            .last_insert_id;
        let row = find_row(txn, buyer, AddressId(id))
            .await?
            .ok_or_else(|| corrupt("address vanished inside its insert", id))?;
        Ok(Attempt::Done(Bounded::Inserted(self.read(row)?)))
    }
}

async fn try_delete(
    txn: &DatabaseTransaction,
    buyer: &OpenId,
    id: AddressId,
    now: DateTime<Utc>,
) -> Result<Attempt<bool>, RepositoryError> {
    // Waits for the shopper's other address-book changes.
    if !quota::give_back(txn, buyer, Kind::Addresses, 0).await? {
        return Ok(Attempt::Done(false));
    }
    let Some(row) = find_row(txn, buyer, id).await? else {
        return Ok(Attempt::Done(false));
    };
    let deleted = addresses::Entity::delete_many()
        .filter(addresses::Column::Id.eq(id.0))
        .filter(mine(buyer))
        .exec(txn)
        .await
        .map_err(db_err)?;
    if deleted.rows_affected != 1 {
        return Ok(Attempt::Again);
    }
    quota::give_back(txn, buyer, Kind::Addresses, 1).await?;
    if row.default_mark.is_none() {
        return Ok(Attempt::Done(true));
    }
    let newest = addresses::Entity::find()
        .filter(mine(buyer))
        .order_by_desc(addresses::Column::CreatedAt)
        .order_by_desc(addresses::Column::Id)
        .one(txn)
        .await
        .map_err(db_err)?;
    if let Some(newest) = newest {
        let promoted = mark_default(txn, buyer, AddressId(newest.id), now).await?;
        if !promoted {
            return Ok(Attempt::Again);
        }
    }
    Ok(Attempt::Done(true))
}

/// Sets the mark on one address; `false` when it is not the shopper's.
async fn mark_default(
    txn: &DatabaseTransaction,
    buyer: &OpenId,
    id: AddressId,
    now: DateTime<Utc>,
) -> Result<bool, RepositoryError> {
    let updated = addresses::Entity::update_many()
        .col_expr(addresses::Column::DefaultMark, Expr::value(1i16))
        .col_expr(
            addresses::Column::Version,
            Expr::col(addresses::Column::Version).add(1),
        )
        .col_expr(addresses::Column::UpdatedAt, Expr::value(to_db(now)))
        .filter(addresses::Column::Id.eq(id.0))
        .filter(mine(buyer))
        .exec(txn)
        .await
        .map_err(db_err)?;
    Ok(updated.rows_affected == 1)
}

async fn try_set_default(
    txn: &DatabaseTransaction,
    buyer: &OpenId,
    id: AddressId,
    now: DateTime<Utc>,
) -> Result<Attempt<bool>, RepositoryError> {
    if !quota::give_back(txn, buyer, Kind::Addresses, 0).await? {
        return Ok(Attempt::Done(false));
    }
    let Some(row) = find_row(txn, buyer, id).await? else {
        return Ok(Attempt::Done(false));
    };
    if row.default_mark.is_some() {
        return Ok(Attempt::Done(true));
    }
    addresses::Entity::update_many()
        .col_expr(
            addresses::Column::DefaultMark,
            Expr::value(Option::<i16>::None),
        )
        .col_expr(
            addresses::Column::Version,
            Expr::col(addresses::Column::Version).add(1),
        )
        .col_expr(addresses::Column::UpdatedAt, Expr::value(to_db(now)))
        .filter(mine(buyer))
        .filter(addresses::Column::DefaultMark.is_not_null())
        .exec(txn)
        .await
        .map_err(db_err)?;
    if mark_default(txn, buyer, id, now).await? {
        Ok(Attempt::Done(true))
    } else {
        Ok(Attempt::Again)
    }
}

#[async_trait]
impl AddressRepository for SeaOrmAddressRepository {
    async fn list(&self, buyer: &OpenId) -> Result<Vec<Address>, RepositoryError> {
        let rows = addresses::Entity::find()
            .filter(mine(buyer))
            .all(&self.db)
            .await
            .map_err(map_db_err)?;
        let mut list = rows
            .into_iter()
            .map(|row| self.read(row))
            .collect::<Result<Vec<_>, _>>()?;
        // At most a few dozen rows; NULLs sort differently per backend, so sort here.
        list.sort_by_key(|a| std::cmp::Reverse((a.is_default, a.created_at, a.id)));
        Ok(list)
    }

    async fn find(
        &self,
        buyer: &OpenId,
        id: AddressId,
    ) -> Result<Option<Address>, RepositoryError> {
        find_row(&self.db, buyer, id)
            .await?
            .map(|row| self.read(row))
            .transpose()
    }

    async fn insert(
        &self,
        buyer: &OpenId,
        fields: &AddressFields,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Bounded<Address>, RepositoryError> {
        quota::ensure(&self.db, buyer, Kind::Addresses).await?;
        for _ in 0..ATTEMPTS {
            let txn = begin_write(&self.db).await.map_err(map_db_err)?;
            let result = self.try_insert(&txn, buyer, fields, limit, now).await;
            if let Some(done) = settle(txn, result).await? {
                return Ok(done);
            }
        }
        Err(gave_up("adding an address"))
    }

    async fn update(
        &self,
        buyer: &OpenId,
        id: AddressId,
        expected_version: i64,
        fields: &AddressFields,
        now: DateTime<Utc>,
    ) -> Result<CasOutcome, RepositoryError> {
        let phone = self.keyring.seal_phone(fields.phone.as_str());
        let updated = addresses::Entity::update_many()
            .col_expr(addresses::Column::Receiver, Expr::value(&fields.receiver))
            .col_expr(addresses::Column::PhoneMasked, Expr::value(phone.masked))
            .col_expr(addresses::Column::PhoneCipher, Expr::value(phone.cipher))
            .col_expr(addresses::Column::PhoneKeyId, Expr::value(phone.key_id))
            .col_expr(addresses::Column::Province, Expr::value(&fields.province))
            .col_expr(addresses::Column::City, Expr::value(&fields.city))
            .col_expr(addresses::Column::District, Expr::value(&fields.district))
            .col_expr(addresses::Column::Detail, Expr::value(&fields.detail))
            .col_expr(
                addresses::Column::Region,
                Expr::value(fields.region.as_str()),
            )
            .col_expr(
                addresses::Column::Version,
                Expr::value(expected_version + 1),
            )
            .col_expr(addresses::Column::UpdatedAt, Expr::value(to_db(now)))
            .filter(addresses::Column::Id.eq(id.0))
            .filter(mine(buyer))
            .filter(addresses::Column::Version.eq(expected_version))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(if updated.rows_affected == 1 {
            CasOutcome::Won
        } else {
            CasOutcome::Lost
        })
    }

    async fn delete(
        &self,
        buyer: &OpenId,
        id: AddressId,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        for _ in 0..ATTEMPTS {
            let txn = begin_write(&self.db).await.map_err(map_db_err)?;
            let result = try_delete(&txn, buyer, id, now).await;
            if let Some(done) = settle(txn, result).await? {
                return Ok(done);
            }
        }
        Err(gave_up("deleting an address"))
    }

    async fn set_default(
        &self,
        buyer: &OpenId,
        id: AddressId,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        for _ in 0..ATTEMPTS {
            let txn = begin_write(&self.db).await.map_err(map_db_err)?;
            let result = try_set_default(&txn, buyer, id, now).await;
            if let Some(done) = settle(txn, result).await? {
                return Ok(done);
            }
        }
        Err(gave_up("choosing the default address"))
    }
}
