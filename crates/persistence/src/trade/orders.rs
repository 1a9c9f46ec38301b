//! Mall orders on SeaORM. Placing writes the order and its items in one transaction; every
//! change is one conditional UPDATE on (number, status, version) whose rows affected decide
//! the winner, committed with the change's outbox rows; a buyer's read has the buyer in its
//! WHERE.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::order::{OpenId, OrderNumber};
use elife_domain::ports::{CasOutcome, Page, PageRequest, RepositoryError};
use elife_domain::trade::orders::{
    MallOrder, MallOrderFilter, MallOrderQueue, MallOrderRepository, MallOrderStatus,
    MallOrderTransition,
};
use elife_domain::trade::outbox::TradeMessage;
use elife_personal_data::Keyring;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
    TransactionTrait,
};

use super::entities::{mall_order_items as items, mall_orders as orders};
use super::order_rows::{new_rows, order_from_rows, progress};
use super::outbox::append;
use crate::error::map_db_err;
use crate::paging::fetch_page;
use crate::time::to_db;

#[derive(Debug, Clone)]
pub struct SeaOrmMallOrderRepository {
    db: DatabaseConnection,
    /// Seals the receiver's phone on write and opens it on read.
    keyring: Arc<Keyring>,
}

impl SeaOrmMallOrderRepository {
    pub fn new(db: DatabaseConnection, keyring: Keyring) -> Self {
        SeaOrmMallOrderRepository {
            db,
            keyring: Arc::new(keyring),
        }
    }

    /// The orders of `rows` with their items, in the order of `rows`.
    async fn with_items(
        &self,
        rows: Vec<orders::Model>,
    ) -> Result<Vec<MallOrder>, RepositoryError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let numbers: Vec<String> = rows.iter().map(|row| row.order_no.clone()).collect();
        let mut lines: BTreeMap<String, Vec<items::Model>> = BTreeMap::new();
        for line in items::Entity::find()
            .filter(items::Column::OrderNo.is_in(numbers))
            .order_by_asc(items::Column::OrderNo)
            .order_by_asc(items::Column::Line)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
        {
            lines.entry(line.order_no.clone()).or_default().push(line);
        }
        rows.into_iter()
            .map(|row| {
                let own = lines.remove(&row.order_no).unwrap_or_default();
                order_from_rows(row, own, &self.keyring)
            })
            .collect()
    }

    async fn one(
        &self,
        query: Select<orders::Entity>,
    ) -> Result<Option<MallOrder>, RepositoryError> {
        let Some(row) = query.one(&self.db).await.map_err(map_db_err)? else {
            return Ok(None);
        };
        Ok(self.with_items(vec![row]).await?.pop())
    }
}

fn filtered(filter: &MallOrderFilter) -> Select<orders::Entity> {
    let mut query = orders::Entity::find();
    if let Some(buyer) = &filter.buyer {
        query = query.filter(orders::Column::Buyer.eq(buyer.as_str()));
    }
    if let Some(status) = filter.status {
        query = query.filter(orders::Column::Status.eq(status.as_str()));
    }
    if let Some(number) = &filter.order_no {
        query = query.filter(orders::Column::OrderNo.eq(number.as_str()));
    }
    if let Some(from) = filter.created_from {
        query = query.filter(orders::Column::CreatedAt.gte(to_db(from)));
    }
    if let Some(to) = filter.created_to {
        query = query.filter(orders::Column::CreatedAt.lt(to_db(to)));
    }
    query
}

#[async_trait]
impl MallOrderRepository for SeaOrmMallOrderRepository {
    async fn insert(&self, order: &MallOrder) -> Result<(), RepositoryError> {
        let (row, lines) = new_rows(order, &self.keyring)?;
        let txn = self.db.begin().await.map_err(map_db_err)?;
        // A taken number fails here with `Duplicate`; dropping the transaction rolls back.
        orders::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(map_db_err)?;
        items::Entity::insert_many(lines)
            .exec_without_returning(&txn)
            .await
            .map_err(map_db_err)?;
        txn.commit().await.map_err(map_db_err)
    }

    async fn find(&self, order_no: &OrderNumber) -> Result<Option<MallOrder>, RepositoryError> {
        self.one(orders::Entity::find_by_id(order_no.as_str()))
            .await
    }

    async fn find_for_buyer(
        &self,
        order_no: &OrderNumber,
        buyer: &OpenId,
    ) -> Result<Option<MallOrder>, RepositoryError> {
        self.one(
            orders::Entity::find()
                .filter(orders::Column::OrderNo.eq(order_no.as_str()))
                .filter(orders::Column::Buyer.eq(buyer.as_str())),
        )
        .await
    }

    async fn apply(&self, transition: &MallOrderTransition) -> Result<CasOutcome, RepositoryError> {
        let next = &transition.order;
        let progress = progress(next)?;
        let txn = self.db.begin().await.map_err(map_db_err)?;
        let result = orders::Entity::update_many()
            .col_expr(orders::Column::Status, Expr::value(next.status.as_str()))
            .col_expr(
                orders::Column::Version,
                Expr::value(i64::from(next.version)),
            )
            .col_expr(orders::Column::Payment, Expr::value(progress.payment))
            .col_expr(
                orders::Column::ReturnedPayments,
                Expr::value(progress.returned_payments),
            )
            .col_expr(
                orders::Column::Cancellation,
                Expr::value(progress.cancellation),
            )
            .col_expr(orders::Column::Shipment, Expr::value(progress.shipment))
            .col_expr(
                orders::Column::AutoConfirmAt,
                Expr::value(next.auto_confirm_at.map(to_db)),
            )
            .col_expr(orders::Column::Receipt, Expr::value(progress.receipt))
            .col_expr(
                orders::Column::UpdatedAt,
                Expr::value(to_db(next.updated_at)),
            )
            .filter(orders::Column::OrderNo.eq(next.order_no.as_str()))
            .filter(orders::Column::Status.eq(transition.expected_status.as_str()))
            .filter(orders::Column::Version.eq(i64::from(transition.expected_version)))
            .exec(&txn)
            .await
            .map_err(map_db_err)?;
        if result.rows_affected != 1 {
            txn.rollback().await.map_err(map_db_err)?;
            return Ok(CasOutcome::Lost);
        }
        append(
            &txn,
            transition.events.iter().cloned().map(TradeMessage::Order),
            next.updated_at,
        )
        .await?;
        txn.commit().await.map_err(map_db_err)?;
        Ok(CasOutcome::Won)
    }

    async fn due(
        &self,
        queue: MallOrderQueue,
        cutoff: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<MallOrder>, RepositoryError> {
        let (status, due_at) = match queue {
            MallOrderQueue::PaymentDue => (MallOrderStatus::Unpaid, orders::Column::PayDeadline),
            MallOrderQueue::ReceiptDue => (MallOrderStatus::Shipped, orders::Column::AutoConfirmAt),
        };
        let rows = orders::Entity::find()
            .filter(orders::Column::Status.eq(status.as_str()))
            .filter(due_at.lte(to_db(cutoff)))
            .order_by_asc(due_at)
            .order_by_asc(orders::Column::OrderNo)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(map_db_err)?;
        self.with_items(rows).await
    }

    async fn list(
        &self,
        filter: MallOrderFilter,
        page: PageRequest,
    ) -> Result<Page<MallOrder>, RepositoryError> {
        let rows = fetch_page(
            &self.db,
            filtered(&filter),
            &[orders::Column::CreatedAt, orders::Column::OrderNo],
            page,
            Ok,
        )
        .await?;
        Ok(Page {
            items: self.with_items(rows.items).await?,
            total: rows.total,
            page: rows.page,
            limit: rows.limit,
        })
    }
}
