//! Hot search terms on SeaORM: one row per term, counted by a guarded `UPDATE` and created
//! by an `INSERT` that the unique key on `term` lets only one concurrent first search win.
//! The loser's insert fails as a duplicate, and it updates instead — the same statements
//! on SQLite, MariaDB and PostgreSQL, no backend-specific upsert.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::catalog::search::{HotTerm, SearchTerms};
use elife_domain::ports::{PageRequest, RepositoryError};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::error::map_db_err;
use crate::time::{from_db, to_db};

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "search_terms")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub term: String,
        pub count: i64,
        pub last_searched_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// Update, insert, update: the second update runs only when a concurrent first search
/// inserted the term between our update and our insert, so it always finds the row (terms
/// are never deleted).
const ATTEMPTS: usize = 2;

#[derive(Clone)]
pub struct SeaOrmSearchTerms {
    db: DatabaseConnection,
}

impl SeaOrmSearchTerms {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmSearchTerms { db }
    }

    /// Adds one to the term's count; `false` when it has no row yet.
    async fn count_once(&self, term: &str, at: DateTime<Utc>) -> Result<bool, RepositoryError> {
        let at = to_db(at);
        // The latest of the stored and the given time: concurrent searches may land in
        // any order.
        let latest = Expr::case(Expr::col(Column::LastSearchedAt).lt(at), at)
            .finally(Expr::col(Column::LastSearchedAt));
        let updated = Entity::update_many()
            .col_expr(Column::Count, Expr::col(Column::Count).add(1))
            .col_expr(Column::LastSearchedAt, latest.into())
            .filter(Column::Term.eq(term))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(updated.rows_affected == 1)
    }
}

#[async_trait]
impl SearchTerms for SeaOrmSearchTerms {
    async fn record(&self, term: &str, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        for _ in 0..ATTEMPTS {
            if self.count_once(term, at).await? {
                return Ok(());
            }
            let row = ActiveModel {
                id: NotSet,
                term: Set(term.to_owned()),
                count: Set(1),
                last_searched_at: Set(to_db(at)),
            };
            match Entity::insert(row).exec(&self.db).await.map_err(map_db_err) {
                Ok(_) => return Ok(()),
                // Someone inserted it first: count on their row.
                Err(RepositoryError::Duplicate(_)) => continue,
                Err(error) => return Err(error),
            }
        }
        Err(RepositoryError::Unavailable(format!(
            "search term {term:?} neither updated nor inserted"
        )))
    }

    async fn hot(
        &self,
        limit: u64,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<HotTerm>, RepositoryError> {
        let mut query = Entity::find();
        if let Some(since) = since {
            query = query.filter(Column::LastSearchedAt.gte(to_db(since)));
        }
        let rows = query
            .order_by_desc(Column::Count)
            .order_by_desc(Column::LastSearchedAt)
            .order_by_asc(Column::Term)
            .limit(Ord::min(limit, PageRequest::MAX_LIMIT))
            .all(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(rows
            .into_iter()
            .map(|row| HotTerm {
                term: row.term,
                count: row.count,
                last_searched_at: from_db(row.last_searched_at),
            })
            .collect())
    }
}
