//! After-sales on SeaORM: unique per (order, line, seq); every change one conditional
//! UPDATE on (key, status, version) with its outbox rows in the same transaction;
//! `refunding_order` is set only while refunding, so its unique index refuses a second
//! refunding after-sale of the same order (`Duplicate`).

use async_trait::async_trait;
use elife_domain::money::Fen;
use elife_domain::order::{OpenId, OrderNumber};
use elife_domain::ports::{CasOutcome, Page, PageRequest, RepositoryError};
use elife_domain::trade::after_sales::{
    AfterSale, AfterSaleKey, AfterSaleRepository, AfterSaleStatus, AfterSaleTransition,
};
use elife_domain::trade::outbox::TradeMessage;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Select,
    TransactionTrait,
};

use super::entities::mall_after_sales as rows;
use super::json::{opt_from_json, opt_json};
use super::outbox::append;
use crate::error::{corrupt, map_db_err};
use crate::paging::fetch_page;
use crate::time::{from_db, to_db};

#[derive(Debug, Clone)]
pub struct SeaOrmAfterSaleRepository {
    db: DatabaseConnection,
}

impl SeaOrmAfterSaleRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmAfterSaleRepository { db }
    }

    async fn page(
        &self,
        query: Select<rows::Entity>,
        page: PageRequest,
    ) -> Result<Page<AfterSale>, RepositoryError> {
        fetch_page(
            &self.db,
            query,
            &[
                rows::Column::CreatedAt,
                rows::Column::OrderNo,
                rows::Column::Line,
                rows::Column::Seq,
            ],
            page,
            after_sale_from_row,
        )
        .await
    }
}

fn by_key(key: &AfterSaleKey) -> Select<rows::Entity> {
    rows::Entity::find()
        .filter(rows::Column::OrderNo.eq(key.order_no.as_str()))
        .filter(rows::Column::Line.eq(i64::from(key.line)))
        .filter(rows::Column::Seq.eq(i64::from(key.seq)))
}

/// The order number while refunding, nothing otherwise (see the module's note).
fn refunding_order(after_sale: &AfterSale) -> Option<String> {
    (after_sale.status == AfterSaleStatus::Refunding).then(|| after_sale.key.order_no.to_string())
}

#[async_trait]
impl AfterSaleRepository for SeaOrmAfterSaleRepository {
    async fn insert(&self, after_sale: &AfterSale) -> Result<(), RepositoryError> {
        let row = rows::ActiveModel {
            id: NotSet,
            order_no: Set(after_sale.key.order_no.to_string()),
            line: Set(i64::from(after_sale.key.line)),
            seq: Set(i64::from(after_sale.key.seq)),
            buyer: Set(after_sale.buyer.as_str().to_owned()),
            pay_order: Set(after_sale.pay_order.to_string()),
            sku_id: Set(after_sale.sku_id),
            kind: Set(after_sale.kind.as_str().to_owned()),
            reason: Set(after_sale.reason.clone()),
            amount_fen: Set(after_sale.amount.value()),
            quantity: Set(i64::from(after_sale.quantity)),
            status: Set(after_sale.status.as_str().to_owned()),
            reject_reason: Set(after_sale.reject_reason.clone()),
            return_shipment: Set(opt_json(
                "return shipment",
                after_sale.return_shipment.as_ref(),
            )?),
            refund_failure: Set(after_sale.refund_failure.clone()),
            refunding_order: Set(refunding_order(after_sale)),
            created_at: Set(to_db(after_sale.created_at)),
            updated_at: Set(to_db(after_sale.updated_at)),
            version: Set(i64::from(after_sale.version)),
        };
        rows::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(())
    }

    async fn find(&self, key: &AfterSaleKey) -> Result<Option<AfterSale>, RepositoryError> {
        by_key(key)
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(after_sale_from_row)
            .transpose()
    }

    async fn for_order(&self, order_no: &OrderNumber) -> Result<Vec<AfterSale>, RepositoryError> {
        rows::Entity::find()
            .filter(rows::Column::OrderNo.eq(order_no.as_str()))
            .order_by_asc(rows::Column::Line)
            .order_by_asc(rows::Column::Seq)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(after_sale_from_row)
            .collect()
    }

    async fn apply(&self, transition: &AfterSaleTransition) -> Result<CasOutcome, RepositoryError> {
        let next = &transition.after_sale;
        let shipment = opt_json("return shipment", next.return_shipment.as_ref())?;
        let txn = self.db.begin().await.map_err(map_db_err)?;
        // A second refunding after-sale of the order fails here with `Duplicate`; dropping
        // the transaction rolls back.
        let result = rows::Entity::update_many()
            .col_expr(rows::Column::Status, Expr::value(next.status.as_str()))
            .col_expr(rows::Column::Version, Expr::value(i64::from(next.version)))
            .col_expr(
                rows::Column::RejectReason,
                Expr::value(next.reject_reason.clone()),
            )
            .col_expr(rows::Column::ReturnShipment, Expr::value(shipment))
            .col_expr(
                rows::Column::RefundFailure,
                Expr::value(next.refund_failure.clone()),
            )
            .col_expr(
                rows::Column::RefundingOrder,
                Expr::value(refunding_order(next)),
            )
            .col_expr(rows::Column::UpdatedAt, Expr::value(to_db(next.updated_at)))
            .filter(rows::Column::OrderNo.eq(next.key.order_no.as_str()))
            .filter(rows::Column::Line.eq(i64::from(next.key.line)))
            .filter(rows::Column::Seq.eq(i64::from(next.key.seq)))
            .filter(rows::Column::Status.eq(transition.expected_status.as_str()))
            .filter(rows::Column::Version.eq(i64::from(transition.expected_version)))
            .exec(&txn)
            .await
            .map_err(map_db_err)?;
        if result.rows_affected != 1 {
            txn.rollback().await.map_err(map_db_err)?;
            return Ok(CasOutcome::Lost);
        }
        append(
            &txn,
            transition
                .effects
                .iter()
                .cloned()
                .map(TradeMessage::AfterSale),
            next.updated_at,
        )
        .await?;
        txn.commit().await.map_err(map_db_err)?;
        Ok(CasOutcome::Won)
    }

    async fn list(
        &self,
        status: Option<AfterSaleStatus>,
        page: PageRequest,
    ) -> Result<Page<AfterSale>, RepositoryError> {
        let mut query = rows::Entity::find();
        if let Some(status) = status {
            query = query.filter(rows::Column::Status.eq(status.as_str()));
        }
        self.page(query, page).await
    }

    async fn for_buyer(
        &self,
        buyer: &OpenId,
        page: PageRequest,
    ) -> Result<Page<AfterSale>, RepositoryError> {
        let query = rows::Entity::find().filter(rows::Column::Buyer.eq(buyer.as_str()));
        self.page(query, page).await
    }
}

fn small(what: &str, value: i64) -> Result<u32, RepositoryError> {
    u32::try_from(value).map_err(|_| corrupt(what, value))
}

fn after_sale_from_row(row: rows::Model) -> Result<AfterSale, RepositoryError> {
    let order_no = OrderNumber::parse(&row.order_no)
        .map_err(|_| corrupt("after-sale order number", &row.order_no))?;
    let key = AfterSaleKey {
        order_no,
        line: small("after-sale line", row.line)?,
        seq: small("after-sale seq", row.seq)?,
    };
    let what = |field: &str| format!("after-sale {key}: {field}");
    Ok(AfterSale {
        buyer: OpenId::parse(&row.buyer).map_err(|_| RepositoryError::Corrupt(what("buyer")))?,
        pay_order: OrderNumber::parse(&row.pay_order)
            .map_err(|_| corrupt(&what("pay order"), &row.pay_order))?,
        sku_id: row.sku_id,
        kind: row
            .kind
            .parse()
            .map_err(|_| corrupt(&what("kind"), &row.kind))?,
        reason: row.reason,
        amount: Fen::new(row.amount_fen),
        quantity: small(&what("quantity"), row.quantity)?,
        status: row
            .status
            .parse()
            .map_err(|_| corrupt(&what("status"), &row.status))?,
        reject_reason: row.reject_reason,
        return_shipment: opt_from_json(&what("return shipment"), row.return_shipment.as_deref())?,
        refund_failure: row.refund_failure,
        created_at: from_db(row.created_at),
        updated_at: from_db(row.updated_at),
        version: i32::try_from(row.version).map_err(|_| corrupt(&what("version"), row.version))?,
        key,
    })
}
