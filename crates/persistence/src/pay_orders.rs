//! The pay order repository: inserts with their first messages, reads, the compare-and-set
//! of every transition with everything it carries, and the work queues of the core's jobs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::money::Fen;
use elife_domain::order::{Anomaly, AnomalyKind, OpenId, OrderNumber};
use elife_domain::payments::{
    FulfilmentMessage, GoodsKind, PayChannel, PayOrder, PayOrderRepository, PayQueue, PayStatus,
    PayTransition,
};
use elife_domain::ports::{CasOutcome, RepositoryError};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::audit::insert_entry;
use crate::connection::{begin_write, finish};
use crate::entities::pay_orders as rows;
use crate::error::{corrupt, map_db_err};
use crate::notifications::upsert_decided;
use crate::pay_outbox::append;
use crate::refunds::insert_refund;
use crate::time::{from_db, to_db};

#[derive(Debug, Clone)]
pub struct SeaOrmPayOrderRepository {
    db: DatabaseConnection,
}

impl SeaOrmPayOrderRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmPayOrderRepository { db }
    }
}

#[async_trait]
impl PayOrderRepository for SeaOrmPayOrderRepository {
    async fn insert(
        &self,
        pay_order: &PayOrder,
        outbox: &[FulfilmentMessage],
    ) -> Result<(), RepositoryError> {
        let row = new_row(pay_order);
        let txn = begin_write(&self.db).await.map_err(map_db_err)?;
        let written = async {
            rows::Entity::insert(row)
                .exec_without_returning(&txn)
                .await
                .map_err(|error| match map_db_err(error) {
                    RepositoryError::Duplicate(_) => {
                        RepositoryError::Duplicate(format!("pay order {}", pay_order.out_trade_no))
                    }
                    other => other,
                })?;
            append(&txn, outbox).await
        }
        .await;
        finish(txn, written).await
    }

    async fn find(&self, out_trade_no: &OrderNumber) -> Result<Option<PayOrder>, RepositoryError> {
        rows::Entity::find_by_id(out_trade_no.as_str().to_owned())
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(pay_order_from_row)
            .transpose()
    }

    /// BEGIN, the conditional UPDATE, then (only if it changed the row) the outbox, refund,
    /// notification and audit rows, COMMIT; with no read before the update. A refund number
    /// already taken rolls everything back as `Duplicate`.
    async fn apply(&self, transition: &PayTransition) -> Result<CasOutcome, RepositoryError> {
        let next = &transition.pay_order;
        // A transition always raises the version by one; anything else would break the
        // compare-and-set of the next writer.
        if next.version != transition.expected_version.saturating_add(1) {
            return Err(RepositoryError::Corrupt(format!(
                "malformed transition of pay order {}: version {} after expected {}",
                next.out_trade_no, next.version, transition.expected_version
            )));
        }
        let txn = begin_write(&self.db).await.map_err(map_db_err)?;
        let updated = match compare_and_set(&txn, transition).await {
            Ok(updated) => updated,
            Err(error) => return finish(txn, Err(error)).await,
        };
        match updated {
            0 => {
                txn.rollback().await.map_err(map_db_err)?;
                Ok(CasOutcome::Lost)
            }
            1 => {
                let written = write_what_it_carries(&txn, transition).await;
                finish(txn, written.map(|()| CasOutcome::Won)).await
            }
            many => {
                finish(
                    txn,
                    Err(RepositoryError::Corrupt(format!(
                        "{many} rows carry pay order {}",
                        next.out_trade_no
                    ))),
                )
                .await
            }
        }
    }

    async fn find_work(
        &self,
        queue: PayQueue,
        cutoff: DateTime<Utc>,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<Vec<PayOrder>, RepositoryError> {
        let cutoff = to_db(cutoff);
        // Each arm matches the leading columns of one index; pages go by out_trade_no after
        // a keyset cursor, so a job goes round its whole queue.
        let query = match queue {
            PayQueue::ExpiredUnpaid => rows::Entity::find()
                .filter(rows::Column::Status.eq(PayStatus::Unpaid.as_str()))
                .filter(rows::Column::TimeExpire.lt(cutoff)),
            // The refund request is the pay order's last change, so `updated_at` dates it.
            PayQueue::Refunding => rows::Entity::find()
                .filter(rows::Column::Status.eq(PayStatus::Refunding.as_str()))
                .filter(rows::Column::UpdatedAt.lt(cutoff)),
        };
        let query = match after {
            Some(after) => query.filter(rows::Column::OutTradeNo.gt(after.as_str())),
            None => query,
        };
        query
            .order_by_asc(rows::Column::OutTradeNo)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(pay_order_from_row)
            .collect()
    }
}

/// The conditional update on (out_trade_no, status, version); returns the rows it changed.
/// Every column is written: the stored row becomes the transition's pay order.
async fn compare_and_set(
    txn: &DatabaseTransaction,
    transition: &PayTransition,
) -> Result<u64, RepositoryError> {
    let next = &transition.pay_order;
    let (anomaly_kind, anomaly_details) = anomaly_columns(next.anomaly.as_ref());
    let updated = rows::Entity::update_many()
        .col_expr(rows::Column::Kind, Expr::value(next.kind.as_str()))
        .col_expr(
            rows::Column::MerchantOrderNo,
            Expr::value(next.merchant_order_no.clone()),
        )
        .col_expr(rows::Column::AmountFen, Expr::value(next.amount.value()))
        .col_expr(rows::Column::Channel, Expr::value(next.channel.as_str()))
        .col_expr(rows::Column::PayerOpenid, Expr::value(next.payer.as_str()))
        .col_expr(
            rows::Column::Description,
            Expr::value(next.description.clone()),
        )
        .col_expr(
            rows::Column::TimeExpire,
            Expr::value(to_db(next.time_expire)),
        )
        .col_expr(rows::Column::Status, Expr::value(next.status.as_str()))
        .col_expr(
            rows::Column::TransactionId,
            Expr::value(next.transaction_id.clone()),
        )
        .col_expr(rows::Column::PaidAt, Expr::value(next.paid_at.map(to_db)))
        .col_expr(
            rows::Column::RefundedFen,
            Expr::value(next.refunded.value()),
        )
        .col_expr(
            rows::Column::RefundingFen,
            Expr::value(next.refunding.value()),
        )
        .col_expr(rows::Column::LatePayment, Expr::value(next.late_payment))
        .col_expr(rows::Column::AnomalyKind, Expr::value(anomaly_kind))
        .col_expr(rows::Column::AnomalyDetails, Expr::value(anomaly_details))
        .col_expr(rows::Column::CreatedAt, Expr::value(to_db(next.created_at)))
        .col_expr(rows::Column::UpdatedAt, Expr::value(to_db(next.updated_at)))
        .col_expr(rows::Column::Version, Expr::value(next.version))
        .filter(rows::Column::OutTradeNo.eq(next.out_trade_no.as_str()))
        .filter(rows::Column::Status.eq(transition.expected_status.as_str()))
        .filter(rows::Column::Version.eq(transition.expected_version))
        .exec(txn)
        .await
        .map_err(map_db_err)?;
    Ok(updated.rows_affected)
}

/// The outbox, refund, notification log and audit rows of a transition that won, with the
/// same code as their own repositories.
async fn write_what_it_carries(
    txn: &DatabaseTransaction,
    transition: &PayTransition,
) -> Result<(), RepositoryError> {
    append(txn, &transition.outbox).await?;
    if let Some(refund) = &transition.refund {
        insert_refund(txn, refund).await?;
    }
    if let Some(notification) = &transition.notification {
        upsert_decided(txn, notification)
            .await
            .map_err(map_db_err)?;
    }
    if let Some(audit) = &transition.audit {
        insert_entry(txn, audit).await.map_err(map_db_err)?;
    }
    Ok(())
}

fn anomaly_columns(anomaly: Option<&Anomaly>) -> (Option<String>, Option<String>) {
    match anomaly {
        Some(anomaly) => (
            Some(anomaly.kind.as_str().to_owned()),
            Some(anomaly.details.clone()),
        ),
        None => (None, None),
    }
}

fn new_row(pay_order: &PayOrder) -> rows::ActiveModel {
    let (anomaly_kind, anomaly_details) = anomaly_columns(pay_order.anomaly.as_ref());
    rows::ActiveModel {
        out_trade_no: Set(pay_order.out_trade_no.as_str().to_owned()),
        kind: Set(pay_order.kind.as_str().to_owned()),
        merchant_order_no: Set(pay_order.merchant_order_no.clone()),
        amount_fen: Set(pay_order.amount.value()),
        channel: Set(pay_order.channel.as_str().to_owned()),
        payer_openid: Set(pay_order.payer.as_str().to_owned()),
        description: Set(pay_order.description.clone()),
        time_expire: Set(to_db(pay_order.time_expire)),
        status: Set(pay_order.status.as_str().to_owned()),
        transaction_id: Set(pay_order.transaction_id.clone()),
        paid_at: Set(pay_order.paid_at.map(to_db)),
        refunded_fen: Set(pay_order.refunded.value()),
        refunding_fen: Set(pay_order.refunding.value()),
        late_payment: Set(pay_order.late_payment),
        anomaly_kind: Set(anomaly_kind),
        anomaly_details: Set(anomaly_details),
        created_at: Set(to_db(pay_order.created_at)),
        updated_at: Set(to_db(pay_order.updated_at)),
        version: Set(pay_order.version),
    }
}

fn pay_order_from_row(row: rows::Model) -> Result<PayOrder, RepositoryError> {
    let context = |what: &str| format!("pay order {}: {what}", row.out_trade_no);
    let anomaly = match &row.anomaly_kind {
        Some(kind) => Some(Anomaly {
            kind: kind
                .parse::<AnomalyKind>()
                .map_err(|e| corrupt(&context("anomaly"), e))?,
            details: row.anomaly_details.clone().unwrap_or_default(),
        }),
        None => None,
    };
    Ok(PayOrder {
        out_trade_no: OrderNumber::parse(&row.out_trade_no)
            .map_err(|e| corrupt(&context("out_trade_no"), e))?,
        kind: row
            .kind
            .parse::<GoodsKind>()
            .map_err(|e| corrupt(&context("kind"), e))?,
        channel: row
            .channel
            .parse::<PayChannel>()
            .map_err(|e| corrupt(&context("channel"), e))?,
        payer: OpenId::parse(&row.payer_openid).map_err(|e| corrupt(&context("payer"), e))?,
        status: row
            .status
            .parse::<PayStatus>()
            .map_err(|e| corrupt(&context("status"), e))?,
        merchant_order_no: row.merchant_order_no,
        amount: Fen::new(row.amount_fen),
        description: row.description,
        time_expire: from_db(row.time_expire),
        transaction_id: row.transaction_id,
        paid_at: row.paid_at.map(from_db),
        refunded: Fen::new(row.refunded_fen),
        refunding: Fen::new(row.refunding_fen),
        late_payment: row.late_payment,
        anomaly,
        created_at: from_db(row.created_at),
        updated_at: from_db(row.updated_at),
        version: row.version,
    })
}
