//! The trade outbox: messages appended in the transaction of the order or after-sale change
//! that caused them ([`append`]), read back undelivered and due, oldest first, and marked
//! delivered or failed (with the time of the next attempt) by the relay.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::ports::RepositoryError;
use elife_domain::trade::outbox::{PendingMessage, TradeMessage, TradeOutbox};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entities::trade_outbox as rows;
use super::json::{from_json, to_json};
use crate::error::{corrupt, map_db_err};
use crate::time::{from_db, to_db};

/// The longest delivery error kept (characters).
const LAST_ERROR_LEN: usize = 1_000;

#[derive(Debug, Clone)]
pub struct SeaOrmTradeOutbox {
    db: DatabaseConnection,
}

impl SeaOrmTradeOutbox {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmTradeOutbox { db }
    }
}

#[async_trait]
impl TradeOutbox for SeaOrmTradeOutbox {
    async fn pending(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<PendingMessage>, RepositoryError> {
        rows::Entity::find()
            .filter(rows::Column::DeliveredAt.is_null())
            .filter(rows::Column::NextAttemptAt.lte(to_db(now)))
            .order_by_asc(rows::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(pending_from_row)
            .collect()
    }

    async fn delivered(&self, id: i64, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        rows::Entity::update_many()
            .col_expr(rows::Column::DeliveredAt, Expr::value(to_db(at)))
            .filter(rows::Column::Id.eq(id))
            .filter(rows::Column::DeliveredAt.is_null())
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }

    async fn failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let error: String = error.chars().take(LAST_ERROR_LEN).collect();
        rows::Entity::update_many()
            .col_expr(
                rows::Column::Attempts,
                Expr::col(rows::Column::Attempts).add(1),
            )
            .col_expr(rows::Column::LastError, Expr::value(error))
            .col_expr(
                rows::Column::NextAttemptAt,
                Expr::value(to_db(next_attempt_at)),
            )
            .filter(rows::Column::Id.eq(id))
            .filter(rows::Column::DeliveredAt.is_null())
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }
}

/// Appends `messages` on `conn` (the transaction of the change that caused them), due at
/// once, in order: their ids follow it.
pub(crate) async fn append<C: ConnectionTrait>(
    conn: &C,
    messages: impl IntoIterator<Item = TradeMessage>,
    at: DateTime<Utc>,
) -> Result<(), RepositoryError> {
    let rows = messages
        .into_iter()
        .map(|message| {
            Ok(rows::ActiveModel {
                id: NotSet,
                message: Set(to_json("trade message", &message)?),
                attempts: Set(0),
                last_error: Set(None),
                next_attempt_at: Set(to_db(at)),
                delivered_at: Set(None),
                created_at: Set(to_db(at)),
            })
        })
        .collect::<Result<Vec<_>, RepositoryError>>()?;
    if rows.is_empty() {
        return Ok(());
    }
    rows::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await
        .map_err(map_db_err)?;
    Ok(())
}

fn pending_from_row(row: rows::Model) -> Result<PendingMessage, RepositoryError> {
    Ok(PendingMessage {
        id: row.id,
        message: from_json(&format!("trade message {}", row.id), &row.message)?,
        attempts: u32::try_from(row.attempts)
            .map_err(|_| corrupt("trade message attempts", row.attempts))?,
        created_at: from_db(row.created_at),
    })
}
