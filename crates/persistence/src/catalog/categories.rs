//! [`CategoryRepository`] on SeaORM. The tree's revision lives in the one row of
//! `catalog_category_tree`; every write first moves it on with
//! `UPDATE ... SET revision = revision + 1 WHERE id = 1 AND revision = ?` and goes on only
//! if that touched the row, in the same transaction as the category rows. The guarded update
//! also locks the row (MySQL, PostgreSQL; SQLite's immediate transaction locks the file), so
//! a second writer on the same revision waits, then finds it moved on and writes nothing.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::catalog::{
    Category, CategoryDraft, CategoryId, CategoryRepository, CategorySnapshot,
};
use elife_domain::ports::{CasOutcome, RepositoryError};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder,
};

use super::entities::{categories, category_tree as tree};
use crate::connection::{begin_write, finish};
use crate::error::{corrupt, map_db_err};
use crate::time::{from_db, to_db};

/// The id of the revision row the migration seeds.
const TREE_ROW: i32 = 1;

#[derive(Clone)]
pub struct SeaOrmCategoryRepository {
    db: DatabaseConnection,
}

impl SeaOrmCategoryRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmCategoryRepository { db }
    }
}

fn category_from_row(row: categories::Model) -> Category {
    Category {
        id: CategoryId(row.id),
        parent: row.parent_id.map(CategoryId),
        name: row.name,
        sort_order: row.sort_order,
        enabled: row.enabled,
        created_at: from_db(row.created_at),
        updated_at: from_db(row.updated_at),
    }
}

/// Moves the revision on if it is still `revision`; false when another write got there first.
async fn advance(txn: &DatabaseTransaction, revision: i64) -> Result<bool, RepositoryError> {
    let result = tree::Entity::update_many()
        .col_expr(
            tree::Column::Revision,
            Expr::col(tree::Column::Revision).add(1),
        )
        .filter(tree::Column::Id.eq(TREE_ROW))
        .filter(tree::Column::Revision.eq(revision))
        .exec(txn)
        .await
        .map_err(map_db_err)?;
    Ok(result.rows_affected == 1)
}

async fn insert_row(
    txn: &DatabaseTransaction,
    revision: i64,
    draft: &CategoryDraft,
    now: DateTime<Utc>,
) -> Result<Option<Category>, RepositoryError> {
    if !advance(txn, revision).await? {
        return Ok(None);
    }
    let at = to_db(now);
    let row = categories::ActiveModel {
        id: NotSet,
        parent_id: Set(draft.parent.map(CategoryId::value)),
        name: Set(draft.name.trim().to_owned()),
        sort_order: Set(draft.sort_order),
        enabled: Set(draft.enabled),
        created_at: Set(at),
        updated_at: Set(at),
    };
    let id = categories::Entity::insert(row)
        .exec(txn)
        .await
        .map_err(map_db_err)?
        .last_insert_id;
    let stored = categories::Entity::find_by_id(id)
        .one(txn)
        .await
        .map_err(map_db_err)?
        .ok_or_else(|| corrupt("category vanished inside its insert", id))?;
    Ok(Some(category_from_row(stored)))
}

/// Writes every changed row, or reports `Lost` (and the caller rolls back) when the
/// revision moved on or one of them does not exist.
async fn update_rows(
    txn: &DatabaseTransaction,
    revision: i64,
    changed: &[Category],
) -> Result<CasOutcome, RepositoryError> {
    if !advance(txn, revision).await? {
        return Ok(CasOutcome::Lost);
    }
    for category in changed {
        // `created_at` is never rewritten: it is when the category was made.
        let result = categories::Entity::update_many()
            .col_expr(
                categories::Column::ParentId,
                Expr::value(category.parent.map(CategoryId::value)),
            )
            .col_expr(
                categories::Column::Name,
                Expr::value(category.name.trim().to_owned()),
            )
            .col_expr(
                categories::Column::SortOrder,
                Expr::value(category.sort_order),
            )
            .col_expr(categories::Column::Enabled, Expr::value(category.enabled))
            .col_expr(
                categories::Column::UpdatedAt,
                Expr::value(to_db(category.updated_at)),
            )
            .filter(categories::Column::Id.eq(category.id.value()))
            .exec(txn)
            .await
            .map_err(map_db_err)?;
        // MySQL is connected with FOUND_ROWS, so an unchanged row still counts as matched.
        if result.rows_affected != 1 {
            return Ok(CasOutcome::Lost);
        }
    }
    Ok(CasOutcome::Won)
}

#[async_trait]
impl CategoryRepository for SeaOrmCategoryRepository {
    async fn snapshot(&self) -> Result<CategorySnapshot, RepositoryError> {
        // The revision is read before the rows: rows newer than it only make a later write
        // lose its compare-and-set, whereas rows older than the revision could let a plan
        // made on a stale tree land.
        let revision = tree::Entity::find_by_id(TREE_ROW)
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .ok_or_else(|| corrupt("category tree revision row missing", TREE_ROW))?
            .revision;
        let categories = categories::Entity::find()
            .order_by_asc(categories::Column::Id)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(category_from_row)
            .collect();
        Ok(CategorySnapshot {
            revision,
            categories,
        })
    }

    async fn insert(
        &self,
        revision: i64,
        draft: &CategoryDraft,
        now: DateTime<Utc>,
    ) -> Result<Option<Category>, RepositoryError> {
        let txn = begin_write(&self.db).await.map_err(map_db_err)?;
        match insert_row(&txn, revision, draft, now).await {
            Ok(Some(category)) => finish(txn, Ok(Some(category))).await,
            // Lost: nothing was written; roll back rather than commit an empty transaction.
            Ok(None) => {
                txn.rollback().await.map_err(map_db_err)?;
                Ok(None)
            }
            Err(error) => finish(txn, Err(error)).await,
        }
    }

    async fn update(
        &self,
        revision: i64,
        changed: &[Category],
    ) -> Result<CasOutcome, RepositoryError> {
        let txn = begin_write(&self.db).await.map_err(map_db_err)?;
        match update_rows(&txn, revision, changed).await {
            Ok(CasOutcome::Won) => finish(txn, Ok(CasOutcome::Won)).await,
            // A missing row after the revision moved: undo the revision bump too.
            Ok(CasOutcome::Lost) => {
                txn.rollback().await.map_err(map_db_err)?;
                Ok(CasOutcome::Lost)
            }
            Err(error) => finish(txn, Err(error)).await,
        }
    }
}
