//! Freight templates on SeaORM: rules as JSON text, every change a compare-and-set on the
//! version, and at most one default under a unique key on `default_mark`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::ports::{CasOutcome, RepositoryError};
use elife_domain::trade::freight_templates::{
    FreightTemplateDraft, FreightTemplateRepository, StoredFreightTemplate,
};
use elife_domain::trade::pricing::{ChargeBy, FreightTemplate};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};

use super::entities::freight_templates as templates;
use super::quota::{ATTEMPTS, Attempt, db_err, gave_up, settle};
use crate::connection::begin_write;
use crate::error::{corrupt, map_db_err};
use crate::time::{from_db, to_db};

#[derive(Clone)]
pub struct SeaOrmFreightTemplateRepository {
    db: DatabaseConnection,
}

impl SeaOrmFreightTemplateRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmFreightTemplateRepository { db }
    }
}

fn charge_by_name(charge_by: ChargeBy) -> &'static str {
    match charge_by {
        ChargeBy::Count => "count",
        ChargeBy::Weight => "weight",
    }
}

fn charge_by_of(name: &str) -> Option<ChargeBy> {
    [ChargeBy::Count, ChargeBy::Weight]
        .into_iter()
        .find(|charge_by| charge_by_name(*charge_by) == name)
}

fn rules_json(draft: &FreightTemplateDraft) -> Result<String, RepositoryError> {
    serde_json::to_string(&draft.rules).map_err(|error| corrupt("freight rules", error))
}

fn read(row: templates::Model) -> Result<StoredFreightTemplate, RepositoryError> {
    let id = row.id;
    Ok(StoredFreightTemplate {
        template: FreightTemplate {
            id,
            charge_by: charge_by_of(&row.charge_by)
                .ok_or_else(|| corrupt("freight template charge_by", &row.charge_by))?,
            rules: serde_json::from_str(&row.rules)
                .map_err(|_| corrupt("freight template rules", id))?,
        },
        name: row.name,
        is_default: row.default_mark.is_some(),
        version: row.version,
        created_at: from_db(row.created_at),
        updated_at: from_db(row.updated_at),
    })
}

async fn find_row<C: ConnectionTrait>(
    conn: &C,
    id: i64,
) -> Result<Option<templates::Model>, RepositoryError> {
    templates::Entity::find_by_id(id)
        .one(conn)
        .await
        .map_err(db_err)
}

async fn try_set_default(
    txn: &DatabaseTransaction,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Attempt<bool>, RepositoryError> {
    let Some(row) = find_row(txn, id).await? else {
        return Ok(Attempt::Done(false));
    };
    if row.default_mark.is_some() {
        return Ok(Attempt::Done(true));
    }
    let bump = Expr::col(templates::Column::Version).add(1);
    templates::Entity::update_many()
        .col_expr(
            templates::Column::DefaultMark,
            Expr::value(Option::<i16>::None),
        )
        .col_expr(templates::Column::Version, bump.clone())
        .col_expr(templates::Column::UpdatedAt, Expr::value(to_db(now)))
        .filter(templates::Column::DefaultMark.is_not_null())
        .exec(txn)
        .await
        .map_err(db_err)?;
    // A concurrent choice that set its mark first makes this a duplicate: run again.
    let marked = templates::Entity::update_many()
        .col_expr(templates::Column::DefaultMark, Expr::value(1i16))
        .col_expr(templates::Column::Version, bump)
        .col_expr(templates::Column::UpdatedAt, Expr::value(to_db(now)))
        .filter(templates::Column::Id.eq(id))
        .exec(txn)
        .await
        .map_err(db_err)?;
    Ok(if marked.rows_affected == 1 {
        Attempt::Done(true)
    } else {
        Attempt::Again
    })
}

#[async_trait]
impl FreightTemplateRepository for SeaOrmFreightTemplateRepository {
    async fn list(&self) -> Result<Vec<StoredFreightTemplate>, RepositoryError> {
        templates::Entity::find()
            .order_by_asc(templates::Column::Id)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(read)
            .collect()
    }

    async fn find(&self, id: i64) -> Result<Option<StoredFreightTemplate>, RepositoryError> {
        find_row(&self.db, id).await?.map(read).transpose()
    }

    async fn find_many(&self, ids: &[i64]) -> Result<Vec<FreightTemplate>, RepositoryError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        templates::Entity::find()
            .filter(templates::Column::Id.is_in(ids.iter().copied()))
            .order_by_asc(templates::Column::Id)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(|row| read(row).map(|stored| stored.template))
            .collect()
    }

    async fn find_default(&self) -> Result<Option<StoredFreightTemplate>, RepositoryError> {
        templates::Entity::find()
            .filter(templates::Column::DefaultMark.is_not_null())
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(read)
            .transpose()
    }

    async fn insert(
        &self,
        draft: &FreightTemplateDraft,
        now: DateTime<Utc>,
    ) -> Result<StoredFreightTemplate, RepositoryError> {
        let at = to_db(now);
        let row = templates::ActiveModel {
            id: NotSet,
            name: Set(draft.name.clone()),
            charge_by: Set(charge_by_name(draft.charge_by).to_owned()),
            rules: Set(rules_json(draft)?),
            default_mark: Set(None),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
        };
        let id = templates::Entity::insert(row)
            .exec(&self.db)
            .await
            .map_err(map_db_err)?
            .last_insert_id;
        let row = find_row(&self.db, id)
            .await?
            .ok_or_else(|| corrupt("freight template vanished after its insert", id))?;
        read(row)
    }

    async fn update(
        &self,
        id: i64,
        expected_version: i64,
        draft: &FreightTemplateDraft,
        now: DateTime<Utc>,
    ) -> Result<CasOutcome, RepositoryError> {
        let updated = templates::Entity::update_many()
            .col_expr(templates::Column::Name, Expr::value(&draft.name))
            .col_expr(
                templates::Column::ChargeBy,
                Expr::value(charge_by_name(draft.charge_by)),
            )
            .col_expr(templates::Column::Rules, Expr::value(rules_json(draft)?))
            .col_expr(
                templates::Column::Version,
                Expr::value(expected_version + 1),
            )
            .col_expr(templates::Column::UpdatedAt, Expr::value(to_db(now)))
            .filter(templates::Column::Id.eq(id))
            .filter(templates::Column::Version.eq(expected_version))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(if updated.rows_affected == 1 {
            CasOutcome::Won
        } else {
            CasOutcome::Lost
        })
    }

    async fn set_default(&self, id: i64, now: DateTime<Utc>) -> Result<bool, RepositoryError> {
        for _ in 0..ATTEMPTS {
            let txn = begin_write(&self.db).await.map_err(map_db_err)?;
            let result = try_set_default(&txn, id, now).await;
            if let Some(done) = settle(txn, result).await? {
                return Ok(done);
            }
        }
        Err(gave_up("choosing the default freight template"))
    }

    async fn delete(&self, id: i64) -> Result<bool, RepositoryError> {
        let deleted = templates::Entity::delete_many()
            .filter(templates::Column::Id.eq(id))
            .filter(templates::Column::DefaultMark.is_null())
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(deleted.rows_affected == 1)
    }
}
