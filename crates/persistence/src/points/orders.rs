//! Points orders: stored once, changed only by the compare-and-set on (order_no, status,
//! version), listed newest first, and summed per UTC+8 day of payment.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use elife_domain::money::Fen;
use elife_domain::order::{OpenId, OrderNumber};
use elife_domain::points::{
    PointsOrder, PointsOrderChange, PointsOrderFilter, PointsOrderRepository, PointsOrderStatus,
    SalesDay,
};
use elife_domain::ports::{CasOutcome, Page, PageRequest, RepositoryError};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::BATCH;
use crate::entities::points_orders as rows;
use crate::error::{corrupt, map_db_err};
use crate::paging::fetch_page;
use crate::statistics::day_in_china;
use crate::time::{from_db, to_db};

#[derive(Debug, Clone)]
pub struct SeaOrmPointsOrderRepository {
    db: DatabaseConnection,
}

impl SeaOrmPointsOrderRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmPointsOrderRepository { db }
    }
}

/// The statuses in which money was received (sales count them).
fn sold_statuses() -> Vec<&'static str> {
    PointsOrderStatus::ALL
        .into_iter()
        .filter(|status| status.money_received())
        .map(PointsOrderStatus::as_str)
        .collect()
}

#[async_trait]
impl PointsOrderRepository for SeaOrmPointsOrderRepository {
    async fn insert(&self, order: &PointsOrder) -> Result<(), RepositoryError> {
        rows::Entity::insert(new_row(order))
            .exec_without_returning(&self.db)
            .await
            .map_err(|error| match map_db_err(error) {
                RepositoryError::Duplicate(_) => {
                    RepositoryError::Duplicate(format!("points order {}", order.order_no))
                }
                other => other,
            })?;
        Ok(())
    }

    async fn find(&self, order_no: &OrderNumber) -> Result<Option<PointsOrder>, RepositoryError> {
        rows::Entity::find_by_id(order_no.as_str().to_owned())
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(order_from_row)
            .transpose()
    }

    /// One conditional UPDATE: the stored row becomes the change's order when it still
    /// has the expected status and version.
    async fn apply(&self, change: &PointsOrderChange) -> Result<CasOutcome, RepositoryError> {
        let next = &change.order;
        let updated = rows::Entity::update_many()
            .col_expr(rows::Column::Openid, Expr::value(next.user.as_str()))
            .col_expr(rows::Column::PackageId, Expr::value(next.package_id))
            .col_expr(
                rows::Column::PackageName,
                Expr::value(next.package_name.clone()),
            )
            .col_expr(rows::Column::AmountFen, Expr::value(next.amount.value()))
            .col_expr(rows::Column::Points, Expr::value(next.points))
            .col_expr(rows::Column::BonusPoints, Expr::value(next.bonus_points))
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
            .col_expr(rows::Column::CreatedAt, Expr::value(to_db(next.created_at)))
            .col_expr(rows::Column::UpdatedAt, Expr::value(to_db(next.updated_at)))
            .col_expr(rows::Column::Version, Expr::value(next.version))
            .filter(rows::Column::OrderNo.eq(next.order_no.as_str()))
            .filter(rows::Column::Status.eq(change.expected_status.as_str()))
            .filter(rows::Column::Version.eq(change.expected_version))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        match updated.rows_affected {
            0 => Ok(CasOutcome::Lost),
            1 => Ok(CasOutcome::Won),
            many => Err(RepositoryError::Corrupt(format!(
                "{many} rows carry points order {}",
                next.order_no
            ))),
        }
    }

    async fn list(
        &self,
        filter: &PointsOrderFilter,
        page: PageRequest,
    ) -> Result<Page<PointsOrder>, RepositoryError> {
        let mut query = rows::Entity::find();
        if let Some(user) = &filter.user {
            query = query.filter(rows::Column::Openid.eq(user.as_str()));
        }
        if let Some(status) = filter.status {
            query = query.filter(rows::Column::Status.eq(status.as_str()));
        }
        if let Some(package_id) = filter.package_id {
            query = query.filter(rows::Column::PackageId.eq(package_id));
        }
        if let Some(from) = filter.created_from {
            query = query.filter(rows::Column::CreatedAt.gte(to_db(from)));
        }
        if let Some(before) = filter.created_before {
            query = query.filter(rows::Column::CreatedAt.lt(to_db(before)));
        }
        fetch_page(
            &self.db,
            query,
            &[rows::Column::CreatedAt, rows::Column::OrderNo],
            page,
            order_from_row,
        )
        .await
    }

    async fn package_sold(&self, package_id: i64) -> Result<bool, RepositoryError> {
        let any: Option<String> = rows::Entity::find()
            .select_only()
            .column(rows::Column::OrderNo)
            .filter(rows::Column::PackageId.eq(package_id))
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(any.is_some())
    }

    async fn sales(
        &self,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> Result<Vec<SalesDay>, RepositoryError> {
        let mut days: BTreeMap<NaiveDate, SalesDay> = BTreeMap::new();
        // Keyset on (paid_at, order_no): the order of the index on paid_at.
        let mut after: Option<(NaiveDateTime, String)> = None;
        loop {
            let mut query = rows::Entity::find()
                .select_only()
                .column(rows::Column::PaidAt)
                .column(rows::Column::OrderNo)
                .column(rows::Column::AmountFen)
                .filter(rows::Column::PaidAt.gte(to_db(from)))
                .filter(rows::Column::PaidAt.lt(to_db(before)))
                .filter(rows::Column::Status.is_in(sold_statuses()));
            if let Some((at, order_no)) = &after {
                query = query.filter(
                    Condition::any().add(rows::Column::PaidAt.gt(*at)).add(
                        Condition::all()
                            .add(rows::Column::PaidAt.eq(*at))
                            .add(rows::Column::OrderNo.gt(order_no.as_str())),
                    ),
                );
            }
            let sold: Vec<(NaiveDateTime, String, i64)> = query
                .order_by_asc(rows::Column::PaidAt)
                .order_by_asc(rows::Column::OrderNo)
                .limit(BATCH)
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(map_db_err)?;
            for (paid_at, _, amount_fen) in &sold {
                let day = day_in_china(*paid_at);
                let figures = days.entry(day).or_insert_with(|| SalesDay {
                    day: Some(day),
                    ..SalesDay::default()
                });
                figures.orders += 1;
                figures.revenue = Fen::new(figures.revenue.value() + amount_fen);
            }
            match sold.last() {
                Some((at, order_no, _)) if sold.len() as u64 == BATCH => {
                    after = Some((*at, order_no.clone()));
                }
                _ => break,
            }
        }
        Ok(days.into_values().collect())
    }
}

fn new_row(order: &PointsOrder) -> rows::ActiveModel {
    rows::ActiveModel {
        order_no: Set(order.order_no.as_str().to_owned()),
        openid: Set(order.user.as_str().to_owned()),
        package_id: Set(order.package_id),
        package_name: Set(order.package_name.clone()),
        amount_fen: Set(order.amount.value()),
        points: Set(order.points),
        bonus_points: Set(order.bonus_points),
        status: Set(order.status.as_str().to_owned()),
        transaction_id: Set(order.transaction_id.clone()),
        paid_at: Set(order.paid_at.map(to_db)),
        refunded_fen: Set(order.refunded.value()),
        created_at: Set(to_db(order.created_at)),
        updated_at: Set(to_db(order.updated_at)),
        version: Set(order.version),
    }
}

fn order_from_row(row: rows::Model) -> Result<PointsOrder, RepositoryError> {
    let context = |what: &str| format!("points order {}: {what}", row.order_no);
    Ok(PointsOrder {
        order_no: OrderNumber::parse(&row.order_no)
            .map_err(|e| corrupt(&context("order_no"), e))?,
        user: OpenId::parse(&row.openid).map_err(|e| corrupt(&context("openid"), e))?,
        status: row
            .status
            .parse::<PointsOrderStatus>()
            .map_err(|e| corrupt(&context("status"), e))?,
        package_id: row.package_id,
        package_name: row.package_name,
        amount: Fen::new(row.amount_fen),
        points: row.points,
        bonus_points: row.bonus_points,
        transaction_id: row.transaction_id,
        paid_at: row.paid_at.map(from_db),
        refunded: Fen::new(row.refunded_fen),
        created_at: from_db(row.created_at),
        updated_at: from_db(row.updated_at),
        version: row.version,
    })
}
