//! The order repository: inserts, reads, the compare-and-set of every transition with its
//! history row, the customer and admin lists, and the work queues of the scheduled jobs.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::money::{ExchangeRate, Fen, Mnt};
use elife_domain::msisdn::Operator;
use elife_domain::order::{
    Actor, Anomaly, AnomalyKind, OpenId, Order, OrderEvent, OrderNumber, OrderState, PaymentStatus,
    ProductSnapshot, RechargeKind, RechargeStatus, Transition,
};
use elife_domain::ports::{
    CasOutcome, OrderFilter, OrderRepository, Page, PageRequest, RepositoryError, WorkQueue,
};
use elife_personal_data::Keyring;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use crate::audit::insert_entry;
use crate::connection::begin_write;
use crate::entities::{order_events, orders};
use crate::error::{corrupt, map_db_err};
use crate::exchange_rates::rate_to_db;
use crate::paging::fetch_page;
use crate::phone_numbers::{msisdn_of, phone_filter, sealed};
use crate::time::{from_db, to_db};

#[derive(Debug, Clone)]
pub struct SeaOrmOrderRepository {
    db: DatabaseConnection,
    /// Seals phone numbers on write and opens them on read.
    keyring: Arc<Keyring>,
}

impl SeaOrmOrderRepository {
    pub fn new(db: DatabaseConnection, keyring: Keyring) -> Self {
        SeaOrmOrderRepository {
            db,
            keyring: Arc::new(keyring),
        }
    }
}

#[async_trait]
impl OrderRepository for SeaOrmOrderRepository {
    async fn insert(&self, order: &Order) -> Result<(), RepositoryError> {
        let row = new_row(order, &self.keyring)?;
        orders::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(|error| match map_db_err(error) {
                RepositoryError::Duplicate(_) => {
                    RepositoryError::Duplicate(format!("order {}", order.number))
                }
                other => other,
            })?;
        Ok(())
    }

    async fn find(&self, number: &OrderNumber) -> Result<Option<Order>, RepositoryError> {
        orders::Entity::find_by_id(number.as_str().to_owned())
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(|row| order_from_row(row, &self.keyring))
            .transpose()
    }

    async fn apply(&self, transition: &Transition) -> Result<CasOutcome, RepositoryError> {
        self.apply_with(transition).await
    }

    async fn list_for_user(
        &self,
        openid: &OpenId,
        filter: &OrderFilter,
        page: PageRequest,
    ) -> Result<Page<Order>, RepositoryError> {
        let query = orders::Entity::find().filter(orders::Column::Openid.eq(openid.as_str()));
        self.page(filtered(query, filter, &self.keyring), page)
            .await
    }

    async fn list_all(
        &self,
        filter: &OrderFilter,
        page: PageRequest,
    ) -> Result<Page<Order>, RepositoryError> {
        self.page(
            filtered(orders::Entity::find(), filter, &self.keyring),
            page,
        )
        .await
    }

    async fn find_work(
        &self,
        queue: WorkQueue,
        cutoff: DateTime<Utc>,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<Vec<Order>, RepositoryError> {
        let cutoff = to_db(cutoff);
        let payment = orders::Column::PaymentStatus;
        let recharge = orders::Column::RechargeStatus;
        // Each arm matches the leading columns of one index. Pages go by order number (a
        // keyset cursor: numbers start with the creation time, so this is oldest first), so
        // that a job goes round the whole queue instead of re-reading its stuck head.
        let query = match queue {
            WorkQueue::PaidUnclaimed => orders::Entity::find()
                .filter(payment.eq(PaymentStatus::Paid.as_str()))
                .filter(recharge.eq(db_status(RechargeStatus::Pending)))
                .filter(orders::Column::PaidAt.lt(cutoff)),
            WorkQueue::StaleSubmissions => orders::Entity::find()
                .filter(recharge.eq(db_status(RechargeStatus::Submitting)))
                .filter(orders::Column::RechargeAt.lt(cutoff)),
            WorkQueue::Confirming => orders::Entity::find()
                .filter(recharge.eq(db_status(RechargeStatus::Confirming)))
                .filter(orders::Column::RechargeAt.lt(cutoff)),
            WorkQueue::ExpiredUnpaid => orders::Entity::find()
                .filter(payment.eq(PaymentStatus::Unpaid.as_str()))
                .filter(orders::Column::CreatedAt.lt(cutoff)),
            // "Failed" has no timestamp of its own: the cut-off applies to the payment time.
            WorkQueue::FailedPaid => orders::Entity::find()
                .filter(payment.eq(PaymentStatus::Paid.as_str()))
                .filter(recharge.eq(db_status(RechargeStatus::Failed)))
                .filter(orders::Column::PaidAt.lt(cutoff)),
            // The refund request is the order's last change, so `updated_at` dates it.
            WorkQueue::Refunding => orders::Entity::find()
                .filter(payment.eq(PaymentStatus::Refunding.as_str()))
                .filter(orders::Column::UpdatedAt.lt(cutoff)),
        };
        let query = match after {
            Some(after) => query.filter(orders::Column::OrderNumber.gt(after.as_str())),
            None => query,
        };
        query
            .order_by_asc(orders::Column::OrderNumber)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(|row| order_from_row(row, &self.keyring))
            .collect()
    }

    async fn events(&self, number: &OrderNumber) -> Result<Vec<OrderEvent>, RepositoryError> {
        order_events::Entity::find()
            .filter(order_events::Column::OrderNumber.eq(number.as_str()))
            .order_by_asc(order_events::Column::Id)
            .all(&self.db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(event_from_row)
            .collect()
    }
}

impl SeaOrmOrderRepository {
    /// The compare-and-set, its event and its audit row in one transaction: BEGIN, UPDATE,
    /// INSERT(s), COMMIT, with no read before the update.
    async fn apply_with(&self, transition: &Transition) -> Result<CasOutcome, RepositoryError> {
        let next = &transition.order;
        // A transition always raises the version by one and names its own order; anything
        // else would break the compare-and-set of the next writer.
        if next.version != transition.expected_version.saturating_add(1)
            || next.number != transition.event.order_number
        {
            return Err(RepositoryError::Corrupt(format!(
                "malformed transition of order {}: version {} after expected {}",
                next.number, next.version, transition.expected_version
            )));
        }
        let (anomaly_reason, anomaly_details) = anomaly_columns(next.anomaly.as_ref());
        let receipt = receipt_to_db(next.provider_receipt.as_ref())?;

        let txn = begin_write(&self.db).await.map_err(map_db_err)?;
        let mut update = orders::Entity::update_many()
            .col_expr(
                orders::Column::PaymentStatus,
                Expr::value(next.payment_status.as_str()),
            )
            .col_expr(
                orders::Column::RechargeStatus,
                Expr::value(next.recharge_status.as_db()),
            )
            .col_expr(orders::Column::SeqId, Expr::value(next.seq_id.clone()))
            .col_expr(
                orders::Column::TransactionId,
                Expr::value(next.transaction_id.clone()),
            )
            .col_expr(orders::Column::ProviderReceipt, Expr::value(receipt))
            .col_expr(orders::Column::PaidAt, Expr::value(next.paid_at.map(to_db)))
            .col_expr(
                orders::Column::RechargeAt,
                Expr::value(next.recharge_at.map(to_db)),
            )
            .col_expr(
                orders::Column::RechargedAt,
                Expr::value(next.recharged_at.map(to_db)),
            )
            .col_expr(
                orders::Column::ClosedAt,
                Expr::value(next.closed_at.map(to_db)),
            )
            .col_expr(orders::Column::Version, Expr::value(next.version))
            .col_expr(orders::Column::AnomalyReason, Expr::value(anomaly_reason))
            .col_expr(orders::Column::AnomalyDetails, Expr::value(anomaly_details))
            .col_expr(
                orders::Column::UpdatedAt,
                Expr::value(to_db(transition.event.at)),
            )
            .filter(orders::Column::OrderNumber.eq(next.number.as_str()))
            .filter(orders::Column::PaymentStatus.eq(transition.expected_state.payment.as_str()))
            .filter(orders::Column::Version.eq(transition.expected_version));
        update = match transition.expected_state.recharge.as_db() {
            None => update.filter(orders::Column::RechargeStatus.is_null()),
            Some(status) => update.filter(orders::Column::RechargeStatus.eq(status)),
        };
        let updated = update.exec(&txn).await.map_err(map_db_err)?;
        match updated.rows_affected {
            0 => {
                txn.rollback().await.map_err(map_db_err)?;
                Ok(CasOutcome::Lost)
            }
            1 => {
                order_events::Entity::insert(event_row(&transition.event))
                    .exec_without_returning(&txn)
                    .await
                    .map_err(map_db_err)?;
                if let Some(audit) = &transition.audit {
                    insert_entry(&txn, audit).await.map_err(map_db_err)?;
                }
                txn.commit().await.map_err(map_db_err)?;
                Ok(CasOutcome::Won)
            }
            many => {
                txn.rollback().await.map_err(map_db_err)?;
                Err(RepositoryError::Corrupt(format!(
                    "{many} rows carry order number {}",
                    next.number
                )))
            }
        }
    }
}

impl SeaOrmOrderRepository {
    /// Newest first; the limit is capped at [`PageRequest::MAX_LIMIT`].
    async fn page(
        &self,
        query: Select<orders::Entity>,
        page: PageRequest,
    ) -> Result<Page<Order>, RepositoryError> {
        fetch_page(
            &self.db,
            query,
            &[orders::Column::CreatedAt, orders::Column::OrderNumber],
            page,
            |row| order_from_row(row, &self.keyring),
        )
        .await
    }
}

fn filtered(
    mut query: Select<orders::Entity>,
    filter: &OrderFilter,
    keyring: &Keyring,
) -> Select<orders::Entity> {
    if let Some(payment) = filter.payment_status {
        query = query.filter(orders::Column::PaymentStatus.eq(payment.as_str()));
    }
    if let Some(recharge) = filter.recharge_status {
        query = match recharge.as_db() {
            None => query.filter(orders::Column::RechargeStatus.is_null()),
            Some(status) => query.filter(orders::Column::RechargeStatus.eq(status)),
        };
    }
    if let Some(from) = filter.created_from {
        query = query.filter(orders::Column::CreatedAt.gte(to_db(from)));
    }
    if let Some(before) = filter.created_before {
        query = query.filter(orders::Column::CreatedAt.lt(to_db(before)));
    }
    if let Some(kind) = filter.anomaly {
        query = query.filter(orders::Column::AnomalyReason.eq(kind.as_str()));
    }
    if filter.only_anomalies {
        query = query.filter(orders::Column::AnomalyReason.is_not_null());
    }
    if let Some(msisdn) = &filter.msisdn {
        query = query.filter(phone_filter(keyring, msisdn));
    }
    if let Some(kind) = filter.recharge_kind {
        query = query.filter(orders::Column::ProductRechargeType.eq(kind.as_str()));
    }
    query
}

/// The stored value of a status that is never NULL.
fn db_status(status: RechargeStatus) -> &'static str {
    status.as_str()
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

fn receipt_to_db(receipt: Option<&serde_json::Value>) -> Result<Option<String>, RepositoryError> {
    receipt
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| corrupt("provider receipt", e))
}

fn new_row(order: &Order, keyring: &Keyring) -> Result<orders::ActiveModel, RepositoryError> {
    let (anomaly_reason, anomaly_details) = anomaly_columns(order.anomaly.as_ref());
    let phone = sealed(keyring, &order.msisdn);
    Ok(orders::ActiveModel {
        order_number: Set(order.number.as_str().to_owned()),
        openid: Set(order.openid.as_str().to_owned()),
        phone_number: Set(phone.masked),
        phone_cipher: Set(Some(phone.cipher)),
        phone_key_id: Set(Some(phone.key_id)),
        phone_index: Set(Some(phone.index)),
        product_operator: Set(order.product.operator.as_str().to_owned()),
        product_recharge_type: Set(order.product.kind.as_str().to_owned()),
        product_name: Set(order.product.name.clone()),
        product_eng_name: Set(Some(order.product.eng_name.clone())),
        product_code: Set(order.product.code.clone()),
        product_unit: Set(order.product.unit),
        product_data: Set(order.product.data.clone()),
        product_days: Set(order.product.days),
        product_price_tg: Set(order.product.price.value()),
        product_price_fen: Set(order.price_fen.value()),
        exchange_rate: Set(rate_to_db(order.exchange_rate)?),
        payment_status: Set(order.payment_status.as_str().to_owned()),
        recharge_status: Set(order.recharge_status.as_db().map(str::to_owned)),
        seq_id: Set(order.seq_id.clone()),
        transaction_id: Set(order.transaction_id.clone()),
        provider_receipt: Set(receipt_to_db(order.provider_receipt.as_ref())?),
        created_at: Set(to_db(order.created_at)),
        updated_at: Set(to_db(order.created_at)),
        paid_at: Set(order.paid_at.map(to_db)),
        recharge_at: Set(order.recharge_at.map(to_db)),
        recharged_at: Set(order.recharged_at.map(to_db)),
        closed_at: Set(order.closed_at.map(to_db)),
        version: Set(order.version),
        anomaly_reason: Set(anomaly_reason),
        anomaly_details: Set(anomaly_details),
    })
}

pub(crate) fn order_from_row(
    row: orders::Model,
    keyring: &Keyring,
) -> Result<Order, RepositoryError> {
    let number = OrderNumber::parse(&row.order_number).map_err(|e| corrupt("order number", e))?;
    let msisdn = msisdn_of(keyring, &number, &row)?;
    let context = |what: &str| format!("order {number}: {what}");
    let anomaly = match row.anomaly_reason {
        Some(reason) => Some(Anomaly {
            kind: reason
                .parse::<AnomalyKind>()
                .map_err(|e| corrupt(&context("anomaly"), e))?,
            details: row.anomaly_details.unwrap_or_default(),
        }),
        None => None,
    };
    let provider_receipt = row
        .provider_receipt
        .map(|text| serde_json::from_str(&text))
        .transpose()
        .map_err(|e| corrupt(&context("provider receipt"), e))?;
    Ok(Order {
        openid: OpenId::parse(&row.openid).map_err(|e| corrupt(&context("openid"), e))?,
        msisdn,
        product: ProductSnapshot {
            operator: row
                .product_operator
                .parse::<Operator>()
                .map_err(|e| corrupt(&context("operator"), e))?,
            kind: row
                .product_recharge_type
                .parse::<RechargeKind>()
                .map_err(|e| corrupt(&context("recharge type"), e))?,
            code: row.product_code,
            name: row.product_name,
            eng_name: row.product_eng_name.unwrap_or_default(),
            price: Mnt::new(row.product_price_tg),
            unit: row.product_unit,
            data: row.product_data,
            days: row.product_days,
        },
        price_fen: Fen::new(row.product_price_fen),
        exchange_rate: ExchangeRate::new(row.exchange_rate.0)
            .map_err(|e| corrupt(&context("exchange rate"), e))?,
        payment_status: row
            .payment_status
            .parse::<PaymentStatus>()
            .map_err(|e| corrupt(&context("payment status"), e))?,
        recharge_status: RechargeStatus::from_db(row.recharge_status.as_deref())
            .map_err(|e| corrupt(&context("recharge status"), e))?,
        seq_id: row.seq_id,
        transaction_id: row.transaction_id,
        provider_receipt,
        created_at: from_db(row.created_at),
        paid_at: row.paid_at.map(from_db),
        recharge_at: row.recharge_at.map(from_db),
        recharged_at: row.recharged_at.map(from_db),
        closed_at: row.closed_at.map(from_db),
        version: row.version,
        anomaly,
        number,
    })
}

fn event_row(event: &OrderEvent) -> order_events::ActiveModel {
    order_events::ActiveModel {
        id: NotSet,
        order_number: Set(event.order_number.as_str().to_owned()),
        from_payment: Set(event.from.payment.as_str().to_owned()),
        from_recharge: Set(event.from.recharge.as_db().map(str::to_owned)),
        to_payment: Set(event.to.payment.as_str().to_owned()),
        to_recharge: Set(event.to.recharge.as_db().map(str::to_owned)),
        actor: Set(event.actor.as_stored()),
        reason: Set(event.reason.clone()),
        at: Set(to_db(event.at)),
    }
}

fn event_from_row(row: order_events::Model) -> Result<OrderEvent, RepositoryError> {
    let state = |payment: &str, recharge: Option<&str>| -> Result<OrderState, RepositoryError> {
        Ok(OrderState {
            payment: payment
                .parse::<PaymentStatus>()
                .map_err(|e| corrupt("event payment status", e))?,
            recharge: RechargeStatus::from_db(recharge)
                .map_err(|e| corrupt("event recharge status", e))?,
        })
    };
    Ok(OrderEvent {
        order_number: OrderNumber::parse(&row.order_number)
            .map_err(|e| corrupt("event order number", e))?,
        from: state(&row.from_payment, row.from_recharge.as_deref())?,
        to: state(&row.to_payment, row.to_recharge.as_deref())?,
        actor: Actor::from_stored(&row.actor),
        reason: row.reason,
        at: from_db(row.at),
    })
}
