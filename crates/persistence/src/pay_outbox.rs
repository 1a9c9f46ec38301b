//! The payments core's outbox: messages to the goods, appended in the transaction of the
//! pay order's change that caused them ([`append`]), read back undelivered, oldest first,
//! and marked delivered or failed by the relay.
//!
//! The columns hold what the outbox is searched and routed by; the rest of the message is
//! `payload`, JSON with the stored names of its values (not Rust's), so that renaming a
//! variant never makes old rows unreadable.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::money::Fen;
use elife_domain::order::{Anomaly, AnomalyKind, OrderNumber};
use elife_domain::payments::{FulfilmentEvent, FulfilmentMessage, FulfilmentOutbox, GoodsKind};
use elife_domain::ports::RepositoryError;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};

use crate::entities::pay_outbox as rows;
use crate::error::{corrupt, map_db_err};
use crate::time::{from_db, to_db, truncated};

/// The longest delivery error kept (characters): enough to diagnose, bounded whatever
/// the goods answered.
const LAST_ERROR_LEN: usize = 1_000;

#[derive(Debug, Clone)]
pub struct SeaOrmFulfilmentOutbox {
    db: DatabaseConnection,
}

impl SeaOrmFulfilmentOutbox {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmFulfilmentOutbox { db }
    }
}

#[async_trait]
impl FulfilmentOutbox for SeaOrmFulfilmentOutbox {
    async fn pending_for(
        &self,
        out_trade_no: &OrderNumber,
    ) -> Result<Vec<FulfilmentMessage>, RepositoryError> {
        rows::Entity::find()
            .filter(rows::Column::OutTradeNo.eq(out_trade_no.as_str()))
            .filter(rows::Column::DeliveredAt.is_null())
            .order_by_asc(rows::Column::Id)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(message_from_row)
            .collect()
    }

    async fn pending(
        &self,
        before: DateTime<Utc>,
        after: Option<i64>,
        limit: u64,
    ) -> Result<Vec<FulfilmentMessage>, RepositoryError> {
        let mut query = rows::Entity::find()
            .filter(rows::Column::DeliveredAt.is_null())
            .filter(rows::Column::CreatedAt.lt(to_db(before)));
        if let Some(after) = after {
            query = query.filter(rows::Column::Id.gt(after));
        }
        query
            .order_by_asc(rows::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(message_from_row)
            .collect()
    }

    /// The first delivery's time stays: a message delivered twice keeps when it first was.
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
        _at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let error: String = error.chars().take(LAST_ERROR_LEN).collect();
        rows::Entity::update_many()
            .col_expr(
                rows::Column::Attempts,
                Expr::col(rows::Column::Attempts).add(1),
            )
            .col_expr(rows::Column::LastError, Expr::value(error))
            .filter(rows::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }
}

/// Appends `messages` on `conn` (the transaction of the change that caused them), in
/// order: their ids follow it.
pub(crate) async fn append<C: ConnectionTrait>(
    conn: &C,
    messages: &[FulfilmentMessage],
) -> Result<(), RepositoryError> {
    if messages.is_empty() {
        return Ok(());
    }
    let rows = messages
        .iter()
        .map(new_row)
        .collect::<Result<Vec<_>, _>>()?;
    rows::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await
        .map_err(map_db_err)?;
    Ok(())
}

/// The part of a message that has no column.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    transaction_id: Option<String>,
    amount_fen: i64,
    refunded_fen: i64,
    in_full: bool,
    paid_at: Option<DateTime<Utc>>,
    anomaly_kind: Option<String>,
    anomaly_details: Option<String>,
    #[serde(default)]
    note: String,
}

fn new_row(message: &FulfilmentMessage) -> Result<rows::ActiveModel, RepositoryError> {
    let payload = Payload {
        transaction_id: message.transaction_id.clone(),
        amount_fen: message.amount.value(),
        refunded_fen: message.refunded.value(),
        in_full: message.in_full,
        // As precise as every stored timestamp, so it equals the pay order's `paid_at`.
        paid_at: message.paid_at.map(truncated),
        anomaly_kind: message
            .anomaly
            .as_ref()
            .map(|anomaly| anomaly.kind.as_str().to_owned()),
        anomaly_details: message
            .anomaly
            .as_ref()
            .map(|anomaly| anomaly.details.clone()),
        note: message.note.clone(),
    };
    let payload = serde_json::to_string(&payload)
        .map_err(|e| corrupt(&format!("outbox message of {}", message.out_trade_no), e))?;
    Ok(rows::ActiveModel {
        id: NotSet,
        out_trade_no: Set(message.out_trade_no.as_str().to_owned()),
        kind: Set(message.kind.as_str().to_owned()),
        merchant_order_no: Set(message.merchant_order_no.clone()),
        event: Set(message.event.as_str().to_owned()),
        payload: Set(payload),
        created_at: Set(to_db(message.created_at)),
        delivered_at: Set(None),
        attempts: Set(0),
        last_error: Set(None),
    })
}

fn message_from_row(row: rows::Model) -> Result<FulfilmentMessage, RepositoryError> {
    let context = |what: &str| format!("outbox message {}: {what}", row.id);
    let payload: Payload =
        serde_json::from_str(&row.payload).map_err(|e| corrupt(&context("payload"), e))?;
    let anomaly = match payload.anomaly_kind {
        Some(kind) => Some(Anomaly {
            kind: kind
                .parse::<AnomalyKind>()
                .map_err(|e| corrupt(&context("anomaly"), e))?,
            details: payload.anomaly_details.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(FulfilmentMessage {
        id: row.id,
        out_trade_no: OrderNumber::parse(&row.out_trade_no)
            .map_err(|e| corrupt(&context("out_trade_no"), e))?,
        kind: row
            .kind
            .parse::<GoodsKind>()
            .map_err(|e| corrupt(&context("kind"), e))?,
        merchant_order_no: row.merchant_order_no,
        event: row
            .event
            .parse::<FulfilmentEvent>()
            .map_err(|e| corrupt(&context("event"), e))?,
        transaction_id: payload.transaction_id,
        amount: Fen::new(payload.amount_fen),
        refunded: Fen::new(payload.refunded_fen),
        in_full: payload.in_full,
        paid_at: payload.paid_at,
        anomaly,
        note: payload.note,
        created_at: from_db(row.created_at),
    })
}
