//! The audit log of every payment and refund callback, deduplicated on
//! (channel, transaction_id, kind), with the admin's filters and figures.

use async_trait::async_trait;
use chrono::{NaiveDateTime, TimeDelta};
use elife_domain::ports::{
    DecidedNotification, IncomingNotification, LoggedNotification, NotificationFilter,
    NotificationKind, NotificationOutcome, NotificationRecord, NotificationStatistics,
    NotificationStatsQuery, Page, PageRequest, PaymentNotificationLog, RepositoryError,
};
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::entities::payment_notifications as rows;
use crate::error::{corrupt, map_db_err};
use crate::paging::fetch_page;
use crate::statistics::day_in_china;
use crate::time::{from_db, to_db};

/// Rows read per round trip when counting a period: memory stays bounded however many
/// callbacks the period holds.
const STATISTICS_PAGE: u64 = 2_000;

#[derive(Debug, Clone)]
pub struct SeaOrmPaymentNotificationLog {
    db: DatabaseConnection,
}

impl SeaOrmPaymentNotificationLog {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmPaymentNotificationLog { db }
    }

    /// The callback was logged before: count the retry on the first row and return it.
    async fn count_retry(
        &self,
        notification: &IncomingNotification,
        transaction_id: &str,
    ) -> Result<LoggedNotification, RepositoryError> {
        let same = || {
            rows::Column::Channel
                .eq(notification.channel.as_str())
                .and(rows::Column::TransactionId.eq(transaction_id))
                .and(rows::Column::Kind.eq(kind_to_db(notification.kind)))
        };
        rows::Entity::update_many()
            .col_expr(
                rows::Column::RetryCount,
                Expr::col(rows::Column::RetryCount).add(1),
            )
            .col_expr(
                rows::Column::UpdatedAt,
                Expr::value(to_db(notification.received_at)),
            )
            .filter(same())
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        let first = rows::Entity::find()
            .filter(same())
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .ok_or_else(|| {
                corrupt(
                    "duplicate notification without its first row",
                    transaction_id,
                )
            })?;
        Ok(LoggedNotification {
            id: first.id,
            seen_before: true,
        })
    }
}

#[async_trait]
impl PaymentNotificationLog for SeaOrmPaymentNotificationLog {
    async fn record(
        &self,
        notification: &IncomingNotification,
    ) -> Result<LoggedNotification, RepositoryError> {
        let row = new_row(notification, NotificationOutcome::Received, None, None);
        // Insert first and let the unique index decide: portable, and race-free where a
        // "select then insert" is not. Outside a transaction, so PostgreSQL has nothing to
        // abort when the insert is refused.
        match rows::Entity::insert(row).exec(&self.db).await {
            Ok(inserted) => Ok(LoggedNotification {
                id: inserted.last_insert_id,
                seen_before: false,
            }),
            Err(error) => match (map_db_err(error), notification.transaction_id.as_deref()) {
                (RepositoryError::Duplicate(_), Some(transaction_id)) => {
                    self.count_retry(notification, transaction_id).await
                }
                (other, _) => Err(other),
            },
        }
    }

    async fn record_decided(&self, decided: &DecidedNotification) -> Result<(), RepositoryError> {
        upsert_decided(&self.db, decided).await.map_err(map_db_err)
    }

    async fn set_outcome(
        &self,
        id: i64,
        outcome: NotificationOutcome,
        error_message: Option<String>,
        processing_ms: i64,
    ) -> Result<(), RepositoryError> {
        let updated = rows::Entity::update_many()
            .col_expr(rows::Column::Outcome, Expr::value(outcome.as_str()))
            .col_expr(rows::Column::ErrorMessage, Expr::value(error_message))
            .col_expr(rows::Column::ProcessingMs, Expr::value(processing_ms))
            .filter(rows::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        // MySQL reports 0 rows when nothing changed, so look before calling the id unknown.
        if updated.rows_affected == 0
            && rows::Entity::find_by_id(id)
                .one(&self.db)
                .await
                .map_err(map_db_err)?
                .is_none()
        {
            return Err(RepositoryError::Corrupt(format!(
                "payment notification {id} does not exist"
            )));
        }
        Ok(())
    }

    async fn find(&self, id: i64) -> Result<Option<NotificationRecord>, RepositoryError> {
        rows::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(record_from_row)
            .transpose()
    }

    async fn list(
        &self,
        filter: &NotificationFilter,
        page: PageRequest,
    ) -> Result<Page<NotificationRecord>, RepositoryError> {
        fetch_page(
            &self.db,
            filtered(filter),
            &[rows::Column::Id],
            page,
            record_from_row,
        )
        .await
    }

    /// Counted here over a narrow projection, like the order statistics: the day of a
    /// timestamp and the type of a `SUM` differ on each backend. The rows are read in
    /// pages by id, so that a busy period is never held in memory whole.
    async fn statistics(
        &self,
        query: &NotificationStatsQuery,
    ) -> Result<NotificationStatistics, RepositoryError> {
        let from = to_db(query.from);
        let before = to_db(query.before);
        if from >= before {
            return Ok(NotificationStatistics::default());
        }
        let last = before - TimeDelta::microseconds(1);
        let mut stats = NotificationStatistics::for_days(day_in_china(from), day_in_china(last));
        let scope = filtered(&NotificationFilter {
            channel: query.channel.clone(),
            received_from: Some(query.from),
            received_before: Some(query.before),
            ..NotificationFilter::default()
        });
        let mut after: Option<i64> = None;
        loop {
            let mut page = scope.clone();
            if let Some(after) = after {
                page = page.filter(rows::Column::Id.gt(after));
            }
            let found: Vec<(i64, NaiveDateTime, String, Option<i64>)> = page
                .select_only()
                .column(rows::Column::Id)
                .column(rows::Column::CreatedAt)
                .column(rows::Column::Outcome)
                .column(rows::Column::ProcessingMs)
                .order_by_asc(rows::Column::Id)
                .limit(STATISTICS_PAGE)
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(map_db_err)?;
            let full = found.len() as u64 >= STATISTICS_PAGE;
            for (id, created_at, outcome, processing_ms) in found {
                stats.count(
                    day_in_china(created_at),
                    outcome_from_db(&outcome)?,
                    processing_ms,
                );
                after = Some(id);
            }
            if !full {
                return Ok(stats);
            }
        }
    }
}

/// The rows `filter` matches.
fn filtered(filter: &NotificationFilter) -> Select<rows::Entity> {
    let mut query = rows::Entity::find();
    if let Some(channel) = &filter.channel {
        query = query.filter(rows::Column::Channel.eq(channel.as_str()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(rows::Column::Kind.eq(kind_to_db(kind)));
    }
    if let Some(outcome) = filter.outcome {
        query = query.filter(rows::Column::Outcome.eq(outcome.as_str()));
    }
    if let Some(order_number) = &filter.order_number {
        query = query.filter(rows::Column::OrderNumber.eq(order_number.as_str()));
    }
    if let Some(from) = filter.received_from {
        query = query.filter(rows::Column::CreatedAt.gte(to_db(from)));
    }
    if let Some(before) = filter.received_before {
        query = query.filter(rows::Column::CreatedAt.lt(to_db(before)));
    }
    query
}

/// Logs a decided callback in one statement (see `record_decided`): an insert that, on the
/// dedup index, raises the first row's retry count instead and, unless the repeat is a
/// duplicate, replaces its outcome. `ON CONFLICT .. DO UPDATE` on SQLite and PostgreSQL,
/// `ON DUPLICATE KEY UPDATE` on MySQL; unlike a refused insert, it never aborts the
/// surrounding transaction on PostgreSQL, so it can share the order's transaction. The
/// existing row's columns are named with their table: PostgreSQL finds a bare name ambiguous
/// next to `excluded`.
pub(crate) async fn upsert_decided<C: ConnectionTrait>(
    conn: &C,
    decided: &DecidedNotification,
) -> Result<(), DbErr> {
    let notification = &decided.notification;
    let at = to_db(notification.received_at);
    let row = new_row(
        notification,
        decided.outcome,
        decided.error_message.clone(),
        Some(decided.processing_ms),
    );
    let mut on_conflict = OnConflict::columns([
        rows::Column::Channel,
        rows::Column::TransactionId,
        rows::Column::Kind,
    ]);
    on_conflict
        .value(
            rows::Column::RetryCount,
            Expr::col((rows::Entity, rows::Column::RetryCount)).add(1),
        )
        .value(rows::Column::UpdatedAt, Expr::value(at));
    // A repeat that is a duplicate, or an unconfirmed claim, keeps the first decision
    // (e.g. processed): a forgery naming a real transaction cannot rewrite its record.
    if !decided.outcome.keeps_earlier_decision() {
        on_conflict
            .value(rows::Column::Outcome, Expr::value(decided.outcome.as_str()))
            .value(
                rows::Column::ErrorMessage,
                Expr::value(decided.error_message.clone()),
            )
            .value(
                rows::Column::ProcessingMs,
                Expr::value(decided.processing_ms),
            );
    }
    rows::Entity::insert(row)
        .on_conflict(on_conflict)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

fn kind_to_db(kind: NotificationKind) -> &'static str {
    kind.as_str()
}

fn kind_from_db(value: &str) -> Result<NotificationKind, RepositoryError> {
    value
        .parse()
        .map_err(|_| corrupt("notification kind", value))
}

fn outcome_from_db(value: &str) -> Result<NotificationOutcome, RepositoryError> {
    value
        .parse()
        .map_err(|_| corrupt("notification outcome", value))
}

fn record_from_row(row: rows::Model) -> Result<NotificationRecord, RepositoryError> {
    Ok(NotificationRecord {
        id: row.id,
        kind: kind_from_db(&row.kind)?,
        outcome: outcome_from_db(&row.outcome)?,
        channel: row.channel,
        order_number: row.order_number,
        transaction_id: row.transaction_id,
        error_message: row.error_message,
        processing_ms: row.processing_ms,
        retry_count: row.retry_count,
        client_ip: row.client_ip,
        raw_body: row.raw_body,
        created_at: from_db(row.created_at),
    })
}

/// A first row of the log for `notification`, with its outcome so far.
fn new_row(
    notification: &IncomingNotification,
    outcome: NotificationOutcome,
    error_message: Option<String>,
    processing_ms: Option<i64>,
) -> rows::ActiveModel {
    let at = to_db(notification.received_at);
    rows::ActiveModel {
        id: NotSet,
        channel: Set(notification.channel.clone()),
        kind: Set(kind_to_db(notification.kind).to_owned()),
        order_number: Set(notification.order_number.clone()),
        transaction_id: Set(notification.transaction_id.clone()),
        headers: Set(notification.headers.clone()),
        raw_body: Set(notification.raw_body.clone()),
        client_ip: Set(notification.client_ip.clone()),
        outcome: Set(outcome.as_str().to_owned()),
        error_message: Set(error_message),
        processing_ms: Set(processing_ms),
        retry_count: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
    }
}
