//! [`LogisticsRepository`] on SeaORM: one row per company code.

use async_trait::async_trait;
use elife_domain::ports::RepositoryError;
use elife_domain::trade::delivery::{LogisticsCompany, LogisticsRepository};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};

use super::entities::logistics_companies as companies;
use crate::error::map_db_err;

#[derive(Clone)]
pub struct SeaOrmLogisticsRepository {
    db: DatabaseConnection,
}

impl SeaOrmLogisticsRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmLogisticsRepository { db }
    }

    /// Rewrites the row of `company.code`; false when there is none. MySQL is connected
    /// with FOUND_ROWS, so an unchanged row still counts as matched.
    async fn update(&self, company: &LogisticsCompany) -> Result<bool, RepositoryError> {
        let result = companies::Entity::update_many()
            .col_expr(companies::Column::Name, Expr::value(company.name.clone()))
            .col_expr(companies::Column::Enabled, Expr::value(company.enabled))
            .col_expr(
                companies::Column::SortOrder,
                Expr::value(company.sort_order),
            )
            .filter(companies::Column::Code.eq(company.code.as_str()))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(result.rows_affected == 1)
    }
}

fn company_from_row(row: companies::Model) -> LogisticsCompany {
    LogisticsCompany {
        code: row.code,
        name: row.name,
        enabled: row.enabled,
        sort_order: row.sort_order,
    }
}

#[async_trait]
impl LogisticsRepository for SeaOrmLogisticsRepository {
    async fn list(&self, include_disabled: bool) -> Result<Vec<LogisticsCompany>, RepositoryError> {
        let mut query = companies::Entity::find();
        if !include_disabled {
            query = query.filter(companies::Column::Enabled.eq(true));
        }
        Ok(query
            .order_by_asc(companies::Column::SortOrder)
            .order_by_asc(companies::Column::Code)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(company_from_row)
            .collect())
    }

    async fn find(&self, code: &str) -> Result<Option<LogisticsCompany>, RepositoryError> {
        Ok(companies::Entity::find_by_id(code.to_owned())
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(company_from_row))
    }

    /// Update first, insert when there was no row; an insert that loses to a concurrent
    /// one (`Duplicate`) updates the row that one wrote.
    async fn upsert(&self, company: &LogisticsCompany) -> Result<(), RepositoryError> {
        if self.update(company).await? {
            return Ok(());
        }
        let row = companies::ActiveModel {
            code: Set(company.code.clone()),
            name: Set(company.name.clone()),
            enabled: Set(company.enabled),
            sort_order: Set(company.sort_order),
        };
        match companies::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(map_db_err)
        {
            Ok(_) => Ok(()),
            Err(RepositoryError::Duplicate(_)) => self.update(company).await.map(|_| ()),
            Err(error) => Err(error),
        }
    }

    async fn set_enabled(&self, code: &str, enabled: bool) -> Result<bool, RepositoryError> {
        let result = companies::Entity::update_many()
            .col_expr(companies::Column::Enabled, Expr::value(enabled))
            .filter(companies::Column::Code.eq(code))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(result.rows_affected == 1)
    }
}
