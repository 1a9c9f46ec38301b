//! The packages the points shop sells. A package an order refers to is never deleted: the
//! delete carries the check in its own statement.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::money::Fen;
use elife_domain::points::{Package, PackageDraft, PackageRepository};
use elife_domain::ports::RepositoryError;
use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};

use crate::entities::{points_orders as orders, points_packages as rows};
use crate::error::map_db_err;
use crate::time::{from_db, to_db};

#[derive(Debug, Clone)]
pub struct SeaOrmPackageRepository {
    db: DatabaseConnection,
}

impl SeaOrmPackageRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmPackageRepository { db }
    }
}

#[async_trait]
impl PackageRepository for SeaOrmPackageRepository {
    async fn insert(
        &self,
        draft: &PackageDraft,
        now: DateTime<Utc>,
    ) -> Result<Package, RepositoryError> {
        let at = to_db(now);
        let row = rows::ActiveModel {
            id: NotSet,
            name: Set(draft.name.trim().to_owned()),
            description: Set(draft.description.clone()),
            amount_fen: Set(draft.amount.value()),
            points: Set(draft.points),
            bonus_points: Set(draft.bonus_points),
            active: Set(draft.active),
            sort_order: Set(draft.sort_order),
            created_at: Set(at),
            updated_at: Set(at),
        };
        let inserted = rows::Entity::insert(row)
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(Package {
            id: inserted.last_insert_id,
            name: draft.name.trim().to_owned(),
            description: draft.description.clone(),
            amount: draft.amount,
            points: draft.points,
            bonus_points: draft.bonus_points,
            active: draft.active,
            sort_order: draft.sort_order,
            created_at: from_db(at),
            updated_at: from_db(at),
        })
    }

    async fn update(
        &self,
        id: i64,
        draft: &PackageDraft,
        now: DateTime<Utc>,
    ) -> Result<Option<Package>, RepositoryError> {
        let updated = rows::Entity::update_many()
            .col_expr(rows::Column::Name, Expr::value(draft.name.trim()))
            .col_expr(
                rows::Column::Description,
                Expr::value(draft.description.clone()),
            )
            .col_expr(rows::Column::AmountFen, Expr::value(draft.amount.value()))
            .col_expr(rows::Column::Points, Expr::value(draft.points))
            .col_expr(rows::Column::BonusPoints, Expr::value(draft.bonus_points))
            .col_expr(rows::Column::Active, Expr::value(draft.active))
            .col_expr(rows::Column::SortOrder, Expr::value(draft.sort_order))
            .col_expr(rows::Column::UpdatedAt, Expr::value(to_db(now)))
            .filter(rows::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        if updated.rows_affected == 0 {
            return Ok(None);
        }
        self.find(id).await
    }

    async fn find(&self, id: i64) -> Result<Option<Package>, RepositoryError> {
        Ok(rows::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(package_from_row))
    }

    async fn list(&self, only_active: bool) -> Result<Vec<Package>, RepositoryError> {
        let mut query = rows::Entity::find();
        if only_active {
            query = query.filter(rows::Column::Active.eq(true));
        }
        Ok(query
            .order_by_asc(rows::Column::SortOrder)
            .order_by_asc(rows::Column::Id)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(package_from_row)
            .collect())
    }

    /// `DELETE ... WHERE id = ? AND NOT EXISTS (an order of it)`: one statement, with no
    /// window between the check and the delete.
    async fn delete_unsold(&self, id: i64) -> Result<bool, RepositoryError> {
        let orders_of_it = Query::select()
            .expr(Expr::value(1))
            .from(orders::Entity)
            .and_where(Expr::col((orders::Entity, orders::Column::PackageId)).eq(id))
            .to_owned();
        let deleted = rows::Entity::delete_many()
            .filter(rows::Column::Id.eq(id))
            .filter(Expr::exists(orders_of_it).not())
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(deleted.rows_affected > 0)
    }
}

fn package_from_row(row: rows::Model) -> Package {
    Package {
        id: row.id,
        name: row.name,
        description: row.description,
        amount: Fen::new(row.amount_fen),
        points: row.points,
        bonus_points: row.bonus_points,
        active: row.active,
        sort_order: row.sort_order,
        created_at: from_db(row.created_at),
        updated_at: from_db(row.updated_at),
    }
}
