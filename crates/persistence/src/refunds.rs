//! Refunds, changed only by compare-and-set on status and version.

use async_trait::async_trait;
use elife_domain::money::Fen;
use elife_domain::order::OrderNumber;
use elife_domain::ports::{CasOutcome, Refund, RefundRepository, RefundStatus, RepositoryError};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};

use crate::entities::refunds;
use crate::error::{corrupt, map_db_err};
use crate::time::{from_db, to_db};

#[derive(Debug, Clone)]
pub struct SeaOrmRefundRepository {
    db: DatabaseConnection,
}

impl SeaOrmRefundRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmRefundRepository { db }
    }
}

#[async_trait]
impl RefundRepository for SeaOrmRefundRepository {
    async fn insert(&self, refund: &Refund) -> Result<(), RepositoryError> {
        insert_refund(&self.db, refund).await
    }

    async fn find(&self, refund_no: &str) -> Result<Option<Refund>, RepositoryError> {
        refunds::Entity::find_by_id(refund_no.to_owned())
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(refund_from_row)
            .transpose()
    }

    async fn latest_for_order(
        &self,
        order_number: &OrderNumber,
    ) -> Result<Option<Refund>, RepositoryError> {
        refunds::Entity::find()
            .filter(refunds::Column::OrderNumber.eq(order_number.as_str()))
            .order_by_desc(refunds::Column::CreatedAt)
            .order_by_desc(refunds::Column::RefundNo)
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(refund_from_row)
            .transpose()
    }

    /// Writes status, gateway id, reason and time; the stored version becomes
    /// `expected_version + 1` whatever `refund.version` says, so versions only go up.
    async fn update(
        &self,
        refund: &Refund,
        expected_status: RefundStatus,
        expected_version: i32,
    ) -> Result<CasOutcome, RepositoryError> {
        let updated = refunds::Entity::update_many()
            .col_expr(refunds::Column::Status, Expr::value(refund.status.as_str()))
            .col_expr(
                refunds::Column::GatewayRefundId,
                Expr::value(refund.gateway_refund_id.clone()),
            )
            .col_expr(refunds::Column::Reason, Expr::value(refund.reason.clone()))
            .col_expr(
                refunds::Column::UpdatedAt,
                Expr::value(to_db(refund.updated_at)),
            )
            .col_expr(
                refunds::Column::Version,
                Expr::value(expected_version.saturating_add(1)),
            )
            .filter(refunds::Column::RefundNo.eq(refund.refund_no.as_str()))
            .filter(refunds::Column::Status.eq(expected_status.as_str()))
            .filter(refunds::Column::Version.eq(expected_version))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(match updated.rows_affected {
            0 => CasOutcome::Lost,
            _ => CasOutcome::Won,
        })
    }
}

/// Writes a new refund on `conn` (a connection, or the transaction of the pay order's
/// change that starts it); `Duplicate` if its number is taken.
pub(crate) async fn insert_refund<C: ConnectionTrait>(
    conn: &C,
    refund: &Refund,
) -> Result<(), RepositoryError> {
    refunds::Entity::insert(refunds::ActiveModel {
        refund_no: Set(refund.refund_no.clone()),
        order_number: Set(refund.order_number.as_str().to_owned()),
        amount_fen: Set(refund.amount.value()),
        reason: Set(refund.reason.clone()),
        status: Set(refund.status.as_str().to_owned()),
        gateway_refund_id: Set(refund.gateway_refund_id.clone()),
        created_at: Set(to_db(refund.created_at)),
        updated_at: Set(to_db(refund.updated_at)),
        version: Set(refund.version),
    })
    .exec_without_returning(conn)
    .await
    .map_err(|error| match map_db_err(error) {
        RepositoryError::Duplicate(_) => {
            RepositoryError::Duplicate(format!("refund {}", refund.refund_no))
        }
        other => other,
    })?;
    Ok(())
}

fn status_from_db(value: &str) -> Result<RefundStatus, RepositoryError> {
    [
        RefundStatus::Processing,
        RefundStatus::Succeeded,
        RefundStatus::Failed,
    ]
    .into_iter()
    .find(|status| status.as_str() == value)
    .ok_or_else(|| corrupt("refund status", value))
}

fn refund_from_row(row: refunds::Model) -> Result<Refund, RepositoryError> {
    Ok(Refund {
        order_number: OrderNumber::parse(&row.order_number)
            .map_err(|e| corrupt("refund order number", e))?,
        amount: Fen::new(row.amount_fen),
        status: status_from_db(&row.status)?,
        refund_no: row.refund_no,
        reason: row.reason,
        gateway_refund_id: row.gateway_refund_id,
        created_at: from_db(row.created_at),
        updated_at: from_db(row.updated_at),
        version: row.version,
    })
}
