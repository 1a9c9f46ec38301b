//! Figures for the admin dashboards. Counts are grouped in SQL; sums, days (UTC+8) and
//! delays are computed here over narrow projections, because `SUM` and date functions
//! return different types on each backend (DECIMAL on MySQL, NUMERIC on PostgreSQL).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use elife_domain::order::{PaymentStatus, RechargeStatus};
use elife_domain::ports::{
    OrderStatistics, RepositoryError, StatisticsQuery, StatisticsRepository,
};
use sea_orm::sea_query::{Expr, Func, Query};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::entities::{orders, users};
use crate::error::map_db_err;
use crate::time::{from_db, to_db};

/// Business days are counted in China Standard Time, like the filters of the mini-program.
const UTC_PLUS_8_SECS: i32 = 8 * 3600;

#[derive(Debug, Clone)]
pub struct SeaOrmStatisticsRepository {
    db: DatabaseConnection,
}

impl SeaOrmStatisticsRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmStatisticsRepository { db }
    }

    async fn count_by(
        &self,
        query: Select<orders::Entity>,
        column: orders::Column,
    ) -> Result<Vec<(String, u64)>, RepositoryError> {
        let rows: Vec<(Option<String>, i64)> = query
            .select_only()
            .column(column)
            .column_as(
                Expr::from(Func::count(Expr::col(orders::Column::OrderNumber))),
                "n",
            )
            .group_by(column)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(map_db_err)?;
        let mut counts: Vec<(String, u64)> = rows
            .into_iter()
            .map(|(value, n)| {
                (
                    value.unwrap_or_else(|| RechargeStatus::NotStarted.as_str().to_owned()),
                    u64::try_from(n).unwrap_or_default(),
                )
            })
            .collect();
        counts.sort();
        Ok(counts)
    }
}

/// Rows whose `created_at` lies in the query's range.
fn created_in_range<E: EntityTrait>(
    mut select: Select<E>,
    created_at: impl ColumnTrait,
    query: &StatisticsQuery,
) -> Select<E> {
    if let Some(from) = query.from {
        select = select.filter(created_at.gte(to_db(from)));
    }
    if let Some(before) = query.before {
        select = select.filter(created_at.lt(to_db(before)));
    }
    select
}

/// The orders a query covers: created in the range, by users of the app.
fn scoped(query: &StatisticsQuery) -> Select<orders::Entity> {
    let mut select = created_in_range(orders::Entity::find(), orders::Column::CreatedAt, query);
    if let Some(appid) = &query.appid {
        select = select.filter(
            orders::Column::Openid.in_subquery(
                Query::select()
                    .column(users::Column::Openid)
                    .from(users::Entity)
                    .and_where(users::Column::Appid.eq(appid.as_str()))
                    .to_owned(),
            ),
        );
    }
    select
}

pub(crate) fn day_in_china(at: NaiveDateTime) -> NaiveDate {
    // In range by construction; UTC would be the harmless fallback.
    match FixedOffset::east_opt(UTC_PLUS_8_SECS) {
        Some(offset) => from_db(at).with_timezone(&offset).date_naive(),
        None => at.date(),
    }
}

/// Paid orders whose top-up has not reached a settled state.
fn unsettled_statuses() -> Vec<&'static str> {
    RechargeStatus::ALL
        .into_iter()
        .filter(|status| !status.is_settled())
        .filter_map(RechargeStatus::as_db)
        .collect()
}

#[async_trait]
impl StatisticsRepository for SeaOrmStatisticsRepository {
    async fn order_statistics(
        &self,
        query: &StatisticsQuery,
    ) -> Result<OrderStatistics, RepositoryError> {
        let db = &self.db;
        let total_orders = scoped(query).count(db).await.map_err(map_db_err)?;
        let by_payment_status = self
            .count_by(scoped(query), orders::Column::PaymentStatus)
            .await?;
        let by_recharge_status = self
            .count_by(scoped(query), orders::Column::RechargeStatus)
            .await?;
        let by_operator = self
            .count_by(scoped(query), orders::Column::ProductOperator)
            .await?;
        let by_recharge_kind = self
            .count_by(scoped(query), orders::Column::ProductRechargeType)
            .await?;

        // Revenue: orders paid and not refunded, by day of payment.
        let paid: Vec<(Option<NaiveDateTime>, NaiveDateTime, i64, i64)> = scoped(query)
            .filter(orders::Column::PaymentStatus.eq(PaymentStatus::Paid.as_str()))
            .select_only()
            .column(orders::Column::PaidAt)
            .column(orders::Column::CreatedAt)
            .column(orders::Column::ProductPriceFen)
            .column(orders::Column::ProductPriceTg)
            .into_tuple()
            .all(db)
            .await
            .map_err(map_db_err)?;
        let mut revenue_fen = 0i64;
        let mut revenue_mnt = 0i64;
        let mut revenue_by_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
        for (paid_at, created_at, fen, mnt) in paid {
            revenue_fen = revenue_fen.saturating_add(fen);
            revenue_mnt = revenue_mnt.saturating_add(mnt);
            let day = day_in_china(paid_at.unwrap_or(created_at));
            let total = revenue_by_day.entry(day).or_default();
            *total = total.saturating_add(fen);
        }

        // Anomalies by the day the order was created.
        let anomalies: Vec<(NaiveDateTime, Option<String>)> = scoped(query)
            .filter(orders::Column::AnomalyReason.is_not_null())
            .select_only()
            .column(orders::Column::CreatedAt)
            .column(orders::Column::AnomalyReason)
            .into_tuple()
            .all(db)
            .await
            .map_err(map_db_err)?;
        let mut anomalies_by_day: BTreeMap<(NaiveDate, String), u64> = BTreeMap::new();
        for (created_at, reason) in anomalies {
            let key = (day_in_china(created_at), reason.unwrap_or_default());
            *anomalies_by_day.entry(key).or_default() += 1;
        }

        // Paid → recharged delays of completed top-ups.
        let delays: Vec<(Option<NaiveDateTime>, Option<NaiveDateTime>)> = scoped(query)
            .filter(orders::Column::PaidAt.is_not_null())
            .filter(orders::Column::RechargedAt.is_not_null())
            .select_only()
            .column(orders::Column::PaidAt)
            .column(orders::Column::RechargedAt)
            .into_tuple()
            .all(db)
            .await
            .map_err(map_db_err)?;
        let delays: Vec<i64> = delays
            .into_iter()
            .filter_map(|(paid, recharged)| Some((recharged? - paid?).num_seconds()))
            .collect();
        let delay_count = i64::try_from(delays.len()).unwrap_or(i64::MAX);
        let recharge_delay_avg_secs = (delay_count > 0)
            .then(|| delays.iter().fold(0i64, |sum, d| sum.saturating_add(*d)) / delay_count);

        let backlog = || {
            scoped(query)
                .filter(orders::Column::PaymentStatus.eq(PaymentStatus::Paid.as_str()))
                .filter(orders::Column::RechargeStatus.is_in(unsettled_statuses()))
        };
        let pending_backlog = backlog().count(db).await.map_err(map_db_err)?;
        let oldest_pending_paid_at: Option<Option<NaiveDateTime>> = backlog()
            .filter(orders::Column::PaidAt.is_not_null())
            .select_only()
            .column(orders::Column::PaidAt)
            .order_by_asc(orders::Column::PaidAt)
            .into_tuple()
            .one(db)
            .await
            .map_err(map_db_err)?;

        let mut users_query =
            created_in_range(users::Entity::find(), users::Column::CreatedAt, query);
        if let Some(appid) = &query.appid {
            users_query = users_query.filter(users::Column::Appid.eq(appid.as_str()));
        }
        let total_users = users_query.count(db).await.map_err(map_db_err)?;

        Ok(OrderStatistics {
            total_orders,
            by_payment_status,
            by_recharge_status,
            by_operator,
            by_recharge_kind,
            revenue_fen,
            revenue_mnt,
            revenue_by_day: revenue_by_day.into_iter().collect(),
            anomalies_by_day: anomalies_by_day
                .into_iter()
                .map(|((day, reason), n)| (day, reason, n))
                .collect(),
            recharge_delay_avg_secs,
            recharge_delay_max_secs: delays.iter().copied().max(),
            recharge_delay_min_secs: delays.iter().copied().min(),
            pending_backlog,
            oldest_pending_paid_at: oldest_pending_paid_at.flatten().map(from_db),
            total_users,
        })
    }
}

/// The moment a UTC+8 day starts, for callers turning `YYYY-MM-DD` into a range.
pub fn china_day_start(day: NaiveDate) -> DateTime<Utc> {
    (day.and_hms_opt(0, 0, 0).unwrap_or_default()
        - chrono::TimeDelta::seconds(UTC_PLUS_8_SECS.into()))
    .and_utc()
}
