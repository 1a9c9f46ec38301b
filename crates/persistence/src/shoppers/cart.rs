//! Cart lines on SeaORM: one row per (buyer, SKU). Merging into a line is a
//! compare-and-set on the quantity read; a new line takes a place in the shopper's quota.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::cart::{CartAdd, CartItem, CartLimits, CartRepository};
use elife_domain::catalog::{ProductId, SkuId};
use elife_domain::order::OpenId;
use elife_domain::ports::RepositoryError;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};

use super::entities::cart_items;
use super::quota::{self, ATTEMPTS, Attempt, Kind, db_err, gave_up, settle};
use crate::connection::{begin_write, finish};
use crate::error::{corrupt, map_db_err};
use crate::time::{from_db, to_db};

#[derive(Clone)]
pub struct SeaOrmCartRepository {
    db: DatabaseConnection,
}

impl SeaOrmCartRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmCartRepository { db }
    }
}

fn read(row: cart_items::Model) -> Result<CartItem, RepositoryError> {
    let buyer = OpenId::parse(&row.buyer).map_err(|_| corrupt("cart line buyer", row.id))?;
    let quantity =
        u32::try_from(row.quantity).map_err(|_| corrupt("cart line quantity", row.quantity))?;
    Ok(CartItem {
        buyer,
        sku_id: SkuId(row.sku_id),
        product_id: ProductId(row.product_id),
        quantity,
        selected: row.selected,
        added_at: from_db(row.added_at),
        updated_at: from_db(row.updated_at),
    })
}

fn mine(buyer: &OpenId) -> sea_orm::sea_query::SimpleExpr {
    cart_items::Column::Buyer.eq(buyer.as_str())
}

async fn line<C: ConnectionTrait>(
    conn: &C,
    buyer: &OpenId,
    sku: SkuId,
) -> Result<Option<cart_items::Model>, RepositoryError> {
    cart_items::Entity::find()
        .filter(mine(buyer))
        .filter(cart_items::Column::SkuId.eq(sku.value()))
        .one(conn)
        .await
        .map_err(db_err)
}

async fn try_add_line(
    txn: &DatabaseTransaction,
    buyer: &OpenId,
    sku: SkuId,
    product: ProductId,
    quantity: u32,
    limits: CartLimits,
    now: DateTime<Utc>,
) -> Result<Attempt<CartAdd>, RepositoryError> {
    if !quota::take(txn, buyer, Kind::Cart, limits.max_lines).await? {
        // Full, unless the line appeared meanwhile (then merge into it).
        return Ok(match line(txn, buyer, sku).await? {
            Some(_) => Attempt::Again,
            None => Attempt::Done(CartAdd::Full),
        });
    }
    let at = to_db(now);
    let row = cart_items::ActiveModel {
        id: NotSet,
        buyer: Set(buyer.as_str().to_owned()),
        sku_id: Set(sku.value()),
        product_id: Set(product.value()),
        quantity: Set(i64::from(quantity.min(limits.max_quantity))),
        selected: Set(true),
        added_at: Set(at),
        updated_at: Set(at),
    };
    // A duplicate (added meanwhile) rolls back and runs again, merging.
    cart_items::Entity::insert(row)
        .exec_without_returning(txn)
        .await
        .map_err(db_err)?;
    let added = line(txn, buyer, sku)
        .await?
        .ok_or_else(|| corrupt("cart line vanished inside its insert", sku))?;
    Ok(Attempt::Done(CartAdd::Added(read(added)?)))
}

#[async_trait]
impl CartRepository for SeaOrmCartRepository {
    async fn list(&self, buyer: &OpenId) -> Result<Vec<CartItem>, RepositoryError> {
        cart_items::Entity::find()
            .filter(mine(buyer))
            .order_by_desc(cart_items::Column::AddedAt)
            .order_by_desc(cart_items::Column::SkuId)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(read)
            .collect()
    }

    async fn add(
        &self,
        buyer: &OpenId,
        sku: SkuId,
        product: ProductId,
        quantity: u32,
        limits: CartLimits,
        now: DateTime<Utc>,
    ) -> Result<CartAdd, RepositoryError> {
        for _ in 0..ATTEMPTS {
            if let Some(existing) = line(&self.db, buyer, sku).await? {
                let merged = existing
                    .quantity
                    .saturating_add(i64::from(quantity))
                    .min(i64::from(limits.max_quantity));
                let updated = cart_items::Entity::update_many()
                    .col_expr(cart_items::Column::Quantity, Expr::value(merged))
                    .col_expr(cart_items::Column::Selected, Expr::value(true))
                    .col_expr(cart_items::Column::UpdatedAt, Expr::value(to_db(now)))
                    .filter(cart_items::Column::Id.eq(existing.id))
                    .filter(cart_items::Column::Quantity.eq(existing.quantity))
                    .exec(&self.db)
                    .await
                    .map_err(map_db_err)?;
                if updated.rows_affected == 1 {
                    let mut item = read(existing)?;
                    item.quantity = u32::try_from(merged).unwrap_or(limits.max_quantity);
                    item.selected = true;
                    item.updated_at = crate::time::truncated(now);
                    return Ok(CartAdd::Added(item));
                }
                continue;
            }
            quota::ensure(&self.db, buyer, Kind::Cart).await?;
            let txn = begin_write(&self.db).await.map_err(map_db_err)?;
            let result = try_add_line(&txn, buyer, sku, product, quantity, limits, now).await;
            if let Some(done) = settle(txn, result).await? {
                return Ok(done);
            }
        }
        Err(gave_up("adding to the cart"))
    }

    async fn set_quantity(
        &self,
        buyer: &OpenId,
        sku: SkuId,
        quantity: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<CartItem>, RepositoryError> {
        let updated = cart_items::Entity::update_many()
            .col_expr(
                cart_items::Column::Quantity,
                Expr::value(i64::from(quantity)),
            )
            .col_expr(cart_items::Column::UpdatedAt, Expr::value(to_db(now)))
            .filter(mine(buyer))
            .filter(cart_items::Column::SkuId.eq(sku.value()))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        if updated.rows_affected == 0 {
            return Ok(None);
        }
        line(&self.db, buyer, sku).await?.map(read).transpose()
    }

    async fn set_selected(
        &self,
        buyer: &OpenId,
        sku: Option<SkuId>,
        selected: bool,
        now: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        let mut update = cart_items::Entity::update_many()
            .col_expr(cart_items::Column::Selected, Expr::value(selected))
            .col_expr(cart_items::Column::UpdatedAt, Expr::value(to_db(now)))
            .filter(mine(buyer));
        if let Some(sku) = sku {
            update = update.filter(cart_items::Column::SkuId.eq(sku.value()));
        }
        let updated = update.exec(&self.db).await.map_err(map_db_err)?;
        Ok(updated.rows_affected)
    }

    async fn remove(&self, buyer: &OpenId, skus: &[SkuId]) -> Result<u64, RepositoryError> {
        if skus.is_empty() {
            return Ok(0);
        }
        let txn = begin_write(&self.db).await.map_err(map_db_err)?;
        let result = async {
            let deleted = cart_items::Entity::delete_many()
                .filter(mine(buyer))
                .filter(cart_items::Column::SkuId.is_in(skus.iter().map(|sku| sku.value())))
                .exec(&txn)
                .await
                .map_err(map_db_err)?;
            if deleted.rows_affected > 0 {
                quota::give_back(&txn, buyer, Kind::Cart, deleted.rows_affected).await?;
            }
            Ok(deleted.rows_affected)
        }
        .await;
        finish(txn, result).await
    }
}
