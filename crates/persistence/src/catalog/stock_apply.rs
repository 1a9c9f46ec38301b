//! One stock request, in one transaction: the movements it depends on are read, the
//! domain's `plan_*` decides, and the planned movements are written in ascending SKU order,
//! each as a guarded update of `available` (whose rows-affected count is checked) followed
//! by its ledger row. Any refusal or failure rolls everything back. A unique violation means
//! a concurrent request wrote the same movement (or the other settlement) first: the
//! transaction is rolled back and the plan made again from the committed rows, which then
//! answers a repeat or a refusal.

use chrono::{DateTime, Utc};
use elife_domain::catalog::stock_plan::{PlannedMovement, guarded};
use elife_domain::catalog::{Movement, Plan, SkuId, StockOutcome, StockRefusal};
use elife_domain::ports::RepositoryError;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, SqlErr,
};

use super::entities::{products, skus, stock_ledger as ledger};
use crate::connection::{begin_write, finish};
use crate::error::{is_deadlock, map_db_err, rollback_quietly};
use crate::time::{from_db, to_db};

/// Runs of a request whose transaction was a deadlock victim or lost a unique-key race
/// and still has work to do, at most.
const RUNS: usize = 3;

/// Which movements a request is decided from.
pub(super) enum Scope<'a> {
    /// Every movement of the order (restocks included).
    Order(&'a str),
    /// The inbound movements of one reference on one SKU.
    Inbound { reference: &'a str, sku: SkuId },
}

enum Attempt {
    Done(StockOutcome),
    Raced,
}

/// Runs `plan` over the scope's movements and executes what it decides.
pub(super) async fn apply<F>(
    db: &DatabaseConnection,
    scope: Scope<'_>,
    note: &str,
    at: DateTime<Utc>,
    plan: F,
) -> Result<StockOutcome, RepositoryError>
where
    F: Fn(&[Movement]) -> Plan + Send + Sync,
{
    let mut run = 0;
    loop {
        run += 1;
        let txn = begin_write(db).await.map_err(map_db_err)?;
        let attempt = match attempt(&txn, &scope, note, at, &plan).await {
            Ok(attempt) => attempt,
            Err(Stop::Db(error)) if run < RUNS && is_deadlock(&error) => {
                tracing::info!(run, error = %error, "stock request was a deadlock victim; running it again");
                rollback_quietly(txn, "stock request").await;
                continue;
            }
            Err(Stop::Db(error)) => return finish(txn, Err(map_db_err(error))).await,
            Err(Stop::Refused(error)) => return finish(txn, Err(error)).await,
        };
        match attempt {
            Attempt::Done(outcome @ StockOutcome::Applied(_)) => {
                return finish(txn, Ok(outcome)).await;
            }
            Attempt::Done(outcome) => {
                txn.rollback().await.map_err(map_db_err)?;
                return Ok(outcome);
            }
            Attempt::Raced => {
                // PostgreSQL has aborted the transaction and MySQL's snapshot predates the
                // winner: the winner's rows are read outside it.
                txn.rollback().await.map_err(map_db_err)?;
                let existing = read_scope(db, &scope).await?;
                match plan(&existing) {
                    Plan::Repeat(movements) => return Ok(StockOutcome::Repeated(movements)),
                    Plan::Refuse(refusal) => return Ok(StockOutcome::Refused(refusal)),
                    Plan::Apply(_) if run < RUNS => continue,
                    Plan::Apply(_) => {
                        return Err(RepositoryError::Unavailable(
                            "stock request kept losing unique-key races".to_owned(),
                        ));
                    }
                }
            }
        }
    }
}

enum Stop {
    Db(DbErr),
    Refused(RepositoryError),
}

impl From<DbErr> for Stop {
    fn from(error: DbErr) -> Self {
        Stop::Db(error)
    }
}

async fn attempt<F>(
    txn: &DatabaseTransaction,
    scope: &Scope<'_>,
    note: &str,
    at: DateTime<Utc>,
    plan: &F,
) -> Result<Attempt, Stop>
where
    F: Fn(&[Movement]) -> Plan,
{
    let existing = read_scope(txn, scope).await.map_err(Stop::Refused)?;
    let planned = match plan(&existing) {
        Plan::Apply(planned) => planned,
        Plan::Repeat(movements) => return Ok(Attempt::Done(StockOutcome::Repeated(movements))),
        Plan::Refuse(refusal) => return Ok(Attempt::Done(StockOutcome::Refused(refusal))),
    };
    let mut written = Vec::with_capacity(planned.len());
    for movement in &planned {
        let available_after = match move_available(txn, movement, at).await? {
            Ok(after) => after,
            Err(refusal) => return Ok(Attempt::Done(StockOutcome::Refused(refusal))),
        };
        let row = ledger::ActiveModel {
            id: NotSet,
            sku_id: Set(movement.sku.value()),
            kind: Set(movement.kind.as_str().to_owned()),
            reference: Set(movement.reference.as_str().to_owned()),
            order_ref: Set(movement.order.as_ref().map(|o| o.as_str().to_owned())),
            settlement: Set(movement.kind.settles().then_some(1)),
            quantity: Set(movement.quantity),
            delta: Set(movement.delta),
            available_after: Set(available_after),
            note: Set(note.to_owned()),
            created_at: Set(to_db(at)),
        };
        let id = match ledger::Entity::insert(row).exec(txn).await {
            Ok(inserted) => inserted.last_insert_id,
            Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                return Ok(Attempt::Raced);
            }
            Err(error) => return Err(error.into()),
        };
        if movement.kind == elife_domain::catalog::MovementKind::Deduct {
            add_sales(txn, movement.sku, movement.quantity).await?;
        }
        written.push(movement.written(id, available_after, note, from_db(to_db(at))));
    }
    Ok(Attempt::Done(StockOutcome::Applied(written)))
}

/// The guarded update of one SKU; `Err` with the refusal when the SKU is missing or short.
/// A deduct (delta 0) updates nothing but takes the row's lock like the others.
async fn move_available(
    txn: &DatabaseTransaction,
    movement: &PlannedMovement,
    at: DateTime<Utc>,
) -> Result<Result<i64, StockRefusal>, Stop> {
    let delta = movement.delta;
    let updated = skus::Entity::update_many()
        .col_expr(
            skus::Column::Available,
            Expr::col(skus::Column::Available).add(delta),
        )
        .col_expr(skus::Column::UpdatedAt, Expr::value(to_db(at)))
        .filter(skus::Column::Id.eq(movement.sku.value()))
        .filter(Expr::col(skus::Column::Available).add(delta).gte(0))
        .exec(txn)
        .await?;
    if updated.rows_affected > 1 {
        return Err(Stop::Refused(RepositoryError::Corrupt(format!(
            "{} SKU rows with id {}",
            updated.rows_affected, movement.sku
        ))));
    }
    // Read under the row's lock: the transaction's own update, or (MySQL counts only
    // changed rows) the current value when nothing changed.
    let available: Option<i64> = skus::Entity::find_by_id(movement.sku.value())
        .select_only()
        .column(skus::Column::Available)
        .lock_exclusive()
        .into_tuple()
        .one(txn)
        .await?;
    let Some(available) = available else {
        return Ok(Err(StockRefusal::UnknownSku { sku: movement.sku }));
    };
    if updated.rows_affected == 1 || (delta == 0 && guarded(available, 0).is_some()) {
        Ok(Ok(available))
    } else {
        Ok(Err(StockRefusal::Insufficient {
            sku: movement.sku,
            available,
            wanted: movement.quantity,
        }))
    }
}

async fn add_sales(txn: &DatabaseTransaction, sku: SkuId, units: i64) -> Result<(), Stop> {
    let product: Option<i64> = skus::Entity::find_by_id(sku.value())
        .select_only()
        .column(skus::Column::ProductId)
        .into_tuple()
        .one(txn)
        .await?;
    if let Some(product) = product {
        products::Entity::update_many()
            .col_expr(
                products::Column::Sales,
                Expr::col(products::Column::Sales).add(units),
            )
            .filter(products::Column::Id.eq(product))
            .exec(txn)
            .await?;
    }
    Ok(())
}

pub(super) async fn read_scope<C: ConnectionTrait>(
    db: &C,
    scope: &Scope<'_>,
) -> Result<Vec<Movement>, RepositoryError> {
    let query = match scope {
        Scope::Order(order) => ledger::Entity::find().filter(ledger::Column::OrderRef.eq(*order)),
        Scope::Inbound { reference, sku } => ledger::Entity::find()
            .filter(ledger::Column::Reference.eq(*reference))
            .filter(ledger::Column::SkuId.eq(sku.value()))
            .filter(ledger::Column::Kind.eq("inbound")),
    };
    let rows = query
        .order_by_asc(ledger::Column::Id)
        .all(db)
        .await
        .map_err(map_db_err)?;
    rows.into_iter()
        .map(super::stock::movement_from_row)
        .collect()
}
