//! Favourites and browsing history on SeaORM: one row per (buyer, product), counted in the
//! shopper's quota row in the transaction that inserts or deletes rows.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::catalog::ProductId;
use elife_domain::order::OpenId;
use elife_domain::ports::{Page, PageRequest, RepositoryError};
use elife_domain::shoppers::{Bounded, Favourite, FavouriteRepository, HistoryRepository, Viewed};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use super::entities::{favourites, history};
use super::quota::{self, ATTEMPTS, Attempt, Kind, db_err, gave_up, settle};
use crate::connection::{begin_write, finish};
use crate::error::map_db_err;
use crate::paging::fetch_page;
use crate::time::{from_db, to_db};

#[derive(Clone)]
pub struct SeaOrmFavouriteRepository {
    db: DatabaseConnection,
}

impl SeaOrmFavouriteRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmFavouriteRepository { db }
    }
}

#[derive(Clone)]
pub struct SeaOrmHistoryRepository {
    db: DatabaseConnection,
}

impl SeaOrmHistoryRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmHistoryRepository { db }
    }
}

async fn try_add_favourite(
    txn: &DatabaseTransaction,
    buyer: &OpenId,
    product: ProductId,
    limit: usize,
    now: DateTime<Utc>,
) -> Result<Attempt<Bounded<bool>>, RepositoryError> {
    if !quota::take(txn, buyer, Kind::Favourites, limit).await? {
        return Ok(Attempt::Done(Bounded::Full));
    }
    let row = favourites::ActiveModel {
        id: NotSet,
        buyer: Set(buyer.as_str().to_owned()),
        product_id: Set(product.value()),
        created_at: Set(to_db(now)),
    };
    // A duplicate (added meanwhile) rolls back and runs again: then it is there already.
    favourites::Entity::insert(row)
        .exec_without_returning(txn)
        .await
        .map_err(db_err)?;
    Ok(Attempt::Done(Bounded::Inserted(true)))
}

#[async_trait]
impl FavouriteRepository for SeaOrmFavouriteRepository {
    async fn add(
        &self,
        buyer: &OpenId,
        product: ProductId,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Bounded<bool>, RepositoryError> {
        quota::ensure(&self.db, buyer, Kind::Favourites).await?;
        for _ in 0..ATTEMPTS {
            if self.contains(buyer, product).await? {
                return Ok(Bounded::Inserted(false));
            }
            let txn = begin_write(&self.db).await.map_err(map_db_err)?;
            let result = try_add_favourite(&txn, buyer, product, limit, now).await;
            match settle(txn, result).await? {
                // Full, unless it was added meanwhile.
                Some(Bounded::Full) if self.contains(buyer, product).await? => {
                    return Ok(Bounded::Inserted(false));
                }
                Some(done) => return Ok(done),
                None => {}
            }
        }
        Err(gave_up("adding a favourite"))
    }

    async fn remove(&self, buyer: &OpenId, product: ProductId) -> Result<bool, RepositoryError> {
        let txn = begin_write(&self.db).await.map_err(map_db_err)?;
        let result = async {
            let deleted = favourites::Entity::delete_many()
                .filter(favourites::Column::Buyer.eq(buyer.as_str()))
                .filter(favourites::Column::ProductId.eq(product.value()))
                .exec(&txn)
                .await
                .map_err(map_db_err)?;
            if deleted.rows_affected > 0 {
                quota::give_back(&txn, buyer, Kind::Favourites, deleted.rows_affected).await?;
            }
            Ok(deleted.rows_affected > 0)
        }
        .await;
        finish(txn, result).await
    }

    async fn list(
        &self,
        buyer: &OpenId,
        page: PageRequest,
    ) -> Result<Page<Favourite>, RepositoryError> {
        let query = favourites::Entity::find().filter(favourites::Column::Buyer.eq(buyer.as_str()));
        fetch_page(
            &self.db,
            query,
            &[favourites::Column::CreatedAt, favourites::Column::Id],
            page,
            |row| {
                Ok(Favourite {
                    product: ProductId(row.product_id),
                    added_at: from_db(row.created_at),
                })
            },
        )
        .await
    }

    async fn contains(&self, buyer: &OpenId, product: ProductId) -> Result<bool, RepositoryError> {
        let count = favourites::Entity::find()
            .filter(favourites::Column::Buyer.eq(buyer.as_str()))
            .filter(favourites::Column::ProductId.eq(product.value()))
            .count(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(count > 0)
    }
}

fn of(buyer: &OpenId) -> sea_orm::sea_query::SimpleExpr {
    history::Column::Buyer.eq(buyer.as_str())
}

/// A view of a product not in the history yet: takes a place, or when the history is full
/// drops its oldest view (the quota row, updated first, keeps concurrent records in line).
async fn try_record_new(
    txn: &DatabaseTransaction,
    buyer: &OpenId,
    product: ProductId,
    limit: usize,
    now: DateTime<Utc>,
) -> Result<Attempt<()>, RepositoryError> {
    if !quota::take(txn, buyer, Kind::History, limit).await? {
        quota::give_back(txn, buyer, Kind::History, 0).await?;
        let oldest = history::Entity::find()
            .filter(of(buyer))
            .order_by_asc(history::Column::ViewedAt)
            .order_by_asc(history::Column::Id)
            .one(txn)
            .await
            .map_err(db_err)?;
        let Some(oldest) = oldest else {
            return Err(RepositoryError::Corrupt(
                "browsing history counted full but has no row".to_owned(),
            ));
        };
        let deleted = history::Entity::delete_by_id(oldest.id)
            .exec(txn)
            .await
            .map_err(db_err)?;
        if deleted.rows_affected != 1 {
            return Ok(Attempt::Again);
        }
    }
    let row = history::ActiveModel {
        id: NotSet,
        buyer: Set(buyer.as_str().to_owned()),
        product_id: Set(product.value()),
        viewed_at: Set(to_db(now)),
    };
    history::Entity::insert(row)
        .exec_without_returning(txn)
        .await
        .map_err(db_err)?;
    Ok(Attempt::Done(()))
}

#[async_trait]
impl HistoryRepository for SeaOrmHistoryRepository {
    async fn record(
        &self,
        buyer: &OpenId,
        product: ProductId,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        quota::ensure(&self.db, buyer, Kind::History).await?;
        for _ in 0..ATTEMPTS {
            // Seen before: it moves to the top.
            let moved = history::Entity::update_many()
                .col_expr(history::Column::ViewedAt, Expr::value(to_db(now)))
                .filter(of(buyer))
                .filter(history::Column::ProductId.eq(product.value()))
                .exec(&self.db)
                .await
                .map_err(map_db_err)?;
            if moved.rows_affected > 0 {
                return Ok(());
            }
            let txn = begin_write(&self.db).await.map_err(map_db_err)?;
            let result = try_record_new(&txn, buyer, product, limit, now).await;
            if settle(txn, result).await?.is_some() {
                return Ok(());
            }
        }
        Err(gave_up("recording a product view"))
    }

    async fn list(
        &self,
        buyer: &OpenId,
        page: PageRequest,
    ) -> Result<Page<Viewed>, RepositoryError> {
        fetch_page(
            &self.db,
            history::Entity::find().filter(of(buyer)),
            &[history::Column::ViewedAt, history::Column::Id],
            page,
            |row| {
                Ok(Viewed {
                    product: ProductId(row.product_id),
                    viewed_at: from_db(row.viewed_at),
                })
            },
        )
        .await
    }

    async fn clear(&self, buyer: &OpenId) -> Result<u64, RepositoryError> {
        let txn = begin_write(&self.db).await.map_err(map_db_err)?;
        let result = async {
            let deleted = history::Entity::delete_many()
                .filter(of(buyer))
                .exec(&txn)
                .await
                .map_err(map_db_err)?;
            if deleted.rows_affected > 0 {
                quota::give_back(&txn, buyer, Kind::History, deleted.rows_affected).await?;
            }
            Ok(deleted.rows_affected)
        }
        .await;
        finish(txn, result).await
    }
}
