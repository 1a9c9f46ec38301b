//! [`ProductRepository`] on SeaORM: products and their SKUs, changed by compare-and-set on
//! their version. `available` and `sales` are never written here: only the stock ledger
//! moves them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::catalog::{
    CategoryId, Product, ProductChange, ProductDraft, ProductId, ProductRepository, ProductStatus,
    Sku, SkuChange, SkuDraft, SkuId,
};
use elife_domain::money::Fen;
use elife_domain::ports::{CasOutcome, Page, PageRequest, RepositoryError};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::entities::{products, skus, stock_ledger as ledger};
use crate::connection::{begin_write, finish};
use crate::error::{corrupt, map_db_err};
use crate::paging::fetch_page;
use crate::time::{from_db, to_db};

#[derive(Clone)]
pub struct SeaOrmProductRepository {
    db: DatabaseConnection,
}

impl SeaOrmProductRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmProductRepository { db }
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, RepositoryError> {
    serde_json::to_string(value).map_err(|error| corrupt("catalog JSON column", error))
}

fn product_from_row(row: products::Model) -> Result<Product, RepositoryError> {
    Ok(Product {
        id: ProductId(row.id),
        category: CategoryId(row.category_id),
        images: serde_json::from_str(&row.images).map_err(|_| corrupt("product images", row.id))?,
        status: row
            .status
            .parse()
            .map_err(|_| corrupt("product status", &row.status))?,
        name: row.name,
        description: row.description,
        detail: row.detail,
        sales: row.sales,
        version: row.version,
        created_at: from_db(row.created_at),
        updated_at: from_db(row.updated_at),
    })
}

fn sku_from_row(row: skus::Model) -> Result<Sku, RepositoryError> {
    Ok(Sku {
        id: SkuId(row.id),
        product: ProductId(row.product_id),
        specs: serde_json::from_str(&row.specs).map_err(|_| corrupt("SKU specs", row.id))?,
        price: Fen::new(row.price_fen),
        original_price: Fen::new(row.original_price_fen),
        available: row.available,
        low_stock_threshold: row.low_stock_threshold,
        status: row
            .status
            .parse()
            .map_err(|_| corrupt("SKU status", &row.status))?,
        version: row.version,
        created_at: from_db(row.created_at),
        updated_at: from_db(row.updated_at),
    })
}

fn cas(rows_affected: u64) -> CasOutcome {
    if rows_affected == 1 {
        CasOutcome::Won
    } else {
        CasOutcome::Lost
    }
}

async fn insert_all(
    txn: &DatabaseTransaction,
    draft: &ProductDraft,
    drafts: &[SkuDraft],
    now: DateTime<Utc>,
) -> Result<(Product, Vec<Sku>), RepositoryError> {
    let at = to_db(now);
    let row = products::ActiveModel {
        id: NotSet,
        category_id: Set(draft.category.value()),
        name: Set(draft.name.trim().to_owned()),
        description: Set(draft.description.clone()),
        detail: Set(draft.detail.clone()),
        images: Set(json(&draft.images)?),
        status: Set(elife_domain::catalog::ProductStatus::Draft
            .as_str()
            .to_owned()),
        sales: Set(0),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    };
    let id = products::Entity::insert(row)
        .exec(txn)
        .await
        .map_err(map_db_err)?
        .last_insert_id;
    for sku in drafts {
        let row = skus::ActiveModel {
            id: NotSet,
            product_id: Set(id),
            specs: Set(json(&sku.specs)?),
            price_fen: Set(sku.price.value()),
            original_price_fen: Set(sku.original_price.value()),
            // Stock comes from the ledger only.
            available: Set(0),
            low_stock_threshold: Set(sku.low_stock_threshold),
            status: Set(sku.status.as_str().to_owned()),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
        };
        skus::Entity::insert(row)
            .exec(txn)
            .await
            .map_err(map_db_err)?;
    }
    let product = find_product(txn, ProductId(id))
        .await?
        .ok_or_else(|| corrupt("product vanished inside its insert", id))?;
    let created = skus_of(txn, ProductId(id)).await?;
    Ok((product, created))
}

async fn find_product<C: ConnectionTrait>(
    db: &C,
    id: ProductId,
) -> Result<Option<Product>, RepositoryError> {
    products::Entity::find_by_id(id.value())
        .one(db)
        .await
        .map_err(map_db_err)?
        .map(product_from_row)
        .transpose()
}

async fn skus_of<C: ConnectionTrait>(
    db: &C,
    product: ProductId,
) -> Result<Vec<Sku>, RepositoryError> {
    skus::Entity::find()
        .filter(skus::Column::ProductId.eq(product.value()))
        .order_by_asc(skus::Column::Id)
        .all(db)
        .await
        .map_err(map_db_err)?
        .into_iter()
        .map(sku_from_row)
        .collect()
}

/// Deletes when nothing refers to the product. Its SKU rows are locked first, in ascending
/// id order like every stock request (which then takes the product's row for its sales),
/// so no movement can be written for them between the check and the delete.
async fn delete_if_unreferenced(
    txn: &DatabaseTransaction,
    id: ProductId,
) -> Result<bool, RepositoryError> {
    let sku_ids: Vec<i64> = skus::Entity::find()
        .select_only()
        .column(skus::Column::Id)
        .filter(skus::Column::ProductId.eq(id.value()))
        .order_by_asc(skus::Column::Id)
        .lock_exclusive()
        .into_tuple()
        .all(txn)
        .await
        .map_err(map_db_err)?;
    let sales: Option<i64> = products::Entity::find_by_id(id.value())
        .select_only()
        .column(products::Column::Sales)
        .lock_exclusive()
        .into_tuple()
        .one(txn)
        .await
        .map_err(map_db_err)?;
    match sales {
        None => return Ok(false),
        Some(sales) if sales > 0 => return Ok(false),
        Some(_) => {}
    }
    if !sku_ids.is_empty() {
        let movements = ledger::Entity::find()
            .filter(ledger::Column::SkuId.is_in(sku_ids.iter().copied()))
            .count(txn)
            .await
            .map_err(map_db_err)?;
        if movements > 0 {
            return Ok(false);
        }
    }
    skus::Entity::delete_many()
        .filter(skus::Column::ProductId.eq(id.value()))
        .exec(txn)
        .await
        .map_err(map_db_err)?;
    products::Entity::delete_by_id(id.value())
        .exec(txn)
        .await
        .map_err(map_db_err)?;
    Ok(true)
}

#[async_trait]
impl ProductRepository for SeaOrmProductRepository {
    async fn insert(
        &self,
        draft: &ProductDraft,
        skus: &[SkuDraft],
        now: DateTime<Utc>,
    ) -> Result<(Product, Vec<Sku>), RepositoryError> {
        let txn = begin_write(&self.db).await.map_err(map_db_err)?;
        let result = insert_all(&txn, draft, skus, now).await;
        finish(txn, result).await
    }

    async fn find(&self, id: ProductId) -> Result<Option<Product>, RepositoryError> {
        find_product(&self.db, id).await
    }

    async fn skus(&self, product: ProductId) -> Result<Vec<Sku>, RepositoryError> {
        skus_of(&self.db, product).await
    }

    async fn find_sku(&self, id: SkuId) -> Result<Option<Sku>, RepositoryError> {
        skus::Entity::find_by_id(id.value())
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(sku_from_row)
            .transpose()
    }

    async fn apply(&self, change: &ProductChange) -> Result<CasOutcome, RepositoryError> {
        let product = &change.product;
        // `sales` is left alone: it moves with the ledger only.
        let updated = products::Entity::update_many()
            .col_expr(
                products::Column::CategoryId,
                Expr::value(product.category.value()),
            )
            .col_expr(products::Column::Name, Expr::value(product.name.clone()))
            .col_expr(
                products::Column::Description,
                Expr::value(product.description.clone()),
            )
            .col_expr(
                products::Column::Detail,
                Expr::value(product.detail.clone()),
            )
            .col_expr(
                products::Column::Images,
                Expr::value(json(&product.images)?),
            )
            .col_expr(
                products::Column::Status,
                Expr::value(product.status.as_str()),
            )
            .col_expr(products::Column::Version, Expr::value(product.version))
            .col_expr(
                products::Column::UpdatedAt,
                Expr::value(to_db(product.updated_at)),
            )
            .filter(products::Column::Id.eq(product.id.value()))
            .filter(products::Column::Status.eq(change.expected_status.as_str()))
            .filter(products::Column::Version.eq(change.expected_version))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(cas(updated.rows_affected))
    }

    async fn update_sku(&self, change: &SkuChange) -> Result<CasOutcome, RepositoryError> {
        let sku = &change.sku;
        // `available` is left alone: it moves with the ledger only.
        let updated = skus::Entity::update_many()
            .col_expr(skus::Column::Specs, Expr::value(json(&sku.specs)?))
            .col_expr(skus::Column::PriceFen, Expr::value(sku.price.value()))
            .col_expr(
                skus::Column::OriginalPriceFen,
                Expr::value(sku.original_price.value()),
            )
            .col_expr(
                skus::Column::LowStockThreshold,
                Expr::value(sku.low_stock_threshold),
            )
            .col_expr(skus::Column::Status, Expr::value(sku.status.as_str()))
            .col_expr(skus::Column::Version, Expr::value(sku.version))
            .col_expr(skus::Column::UpdatedAt, Expr::value(to_db(sku.updated_at)))
            .filter(skus::Column::Id.eq(sku.id.value()))
            .filter(skus::Column::ProductId.eq(sku.product.value()))
            .filter(skus::Column::Version.eq(change.expected_version))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(cas(updated.rows_affected))
    }

    async fn delete_unreferenced(&self, id: ProductId) -> Result<bool, RepositoryError> {
        let txn = begin_write(&self.db).await.map_err(map_db_err)?;
        let result = delete_if_unreferenced(&txn, id).await;
        match result {
            Ok(true) => finish(txn, Ok(true)).await,
            other => {
                txn.rollback().await.map_err(map_db_err)?;
                other
            }
        }
    }

    async fn find_many(&self, ids: &[ProductId]) -> Result<Vec<Product>, RepositoryError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        products::Entity::find()
            .filter(products::Column::Id.is_in(ids.iter().map(|id| id.value())))
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(product_from_row)
            .collect()
    }

    async fn skus_of_products(&self, products: &[ProductId]) -> Result<Vec<Sku>, RepositoryError> {
        if products.is_empty() {
            return Ok(Vec::new());
        }
        skus::Entity::find()
            .filter(skus::Column::ProductId.is_in(products.iter().map(|id| id.value())))
            .order_by_asc(skus::Column::Id)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(sku_from_row)
            .collect()
    }

    async fn list_on_sale(
        &self,
        categories: &[CategoryId],
        page: PageRequest,
    ) -> Result<Page<Product>, RepositoryError> {
        // An empty IN list is not valid SQL everywhere: no category, no product.
        let categories = if categories.is_empty() {
            vec![-1]
        } else {
            categories.iter().map(|c| c.value()).collect()
        };
        let query = products::Entity::find()
            .filter(products::Column::Status.eq(ProductStatus::OnSale.as_str()))
            .filter(products::Column::CategoryId.is_in(categories));
        fetch_page(
            &self.db,
            query,
            &[products::Column::CreatedAt, products::Column::Id],
            page,
            product_from_row,
        )
        .await
    }

    async fn on_sale_after(
        &self,
        after: ProductId,
        limit: u64,
    ) -> Result<Vec<Product>, RepositoryError> {
        products::Entity::find()
            .filter(products::Column::Status.eq(ProductStatus::OnSale.as_str()))
            .filter(products::Column::Id.gt(after.value()))
            .order_by_asc(products::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(product_from_row)
            .collect()
    }
}
