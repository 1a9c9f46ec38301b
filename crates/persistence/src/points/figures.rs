//! The ledger's checks and figures: accounts that drifted from their ledger, and points
//! issued, spent and reversed per UTC+8 day.
//!
//! Each account's balance is compared with the sum of its ledger in ONE statement, so a
//! posting committing meanwhile cannot show as a drift; the accounts are walked a batch of
//! openids at a time. Days are computed here (date functions differ on each backend) over
//! rows read in keyset batches.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use elife_domain::order::OpenId;
use elife_domain::points::{Drift, EntryKind, PointsDay};
use elife_domain::ports::RepositoryError;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait as _, Func, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::BATCH;
use crate::entities::{points_accounts as accounts, points_ledger as ledger};
use crate::error::{corrupt, map_db_err};
use crate::statistics::day_in_china;
use crate::time::to_db;

/// `SUM` answers DECIMAL on MySQL and NUMERIC on PostgreSQL: cast back to a 64-bit integer.
fn integer_type(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::MySql => "SIGNED",
        DbBackend::Sqlite => "INTEGER",
        // PostgreSQL and anything newer speaks the standard name.
        _ => "BIGINT",
    }
}

pub(super) async fn drifted(
    db: &DatabaseConnection,
    limit: u64,
) -> Result<Vec<Drift>, RepositoryError> {
    let mut drifted = Vec::new();
    let mut after: Option<String> = None;
    while (drifted.len() as u64) < limit {
        let last = batch_end(db, after.as_deref()).await?;
        let remaining = limit - drifted.len() as u64;
        drifted.extend(drifted_between(db, after.as_deref(), last.as_deref(), remaining).await?);
        match last {
            Some(last) => after = Some(last),
            // The batch ran to the last account.
            None => break,
        }
    }
    Ok(drifted)
}

/// The openid that closes the batch after `after`; `None` when fewer accounts remain than
/// a batch holds.
async fn batch_end(
    db: &DatabaseConnection,
    after: Option<&str>,
) -> Result<Option<String>, RepositoryError> {
    let mut query = accounts::Entity::find()
        .select_only()
        .column(accounts::Column::Openid);
    if let Some(after) = after {
        query = query.filter(accounts::Column::Openid.gt(after));
    }
    query
        .order_by_asc(accounts::Column::Openid)
        .offset(BATCH - 1)
        .limit(1)
        .into_tuple()
        .one(db)
        .await
        .map_err(map_db_err)
}

/// Accounts with an openid in `(after, last]` whose balance is not their ledger's sum.
async fn drifted_between(
    db: &DatabaseConnection,
    after: Option<&str>,
    last: Option<&str>,
    limit: u64,
) -> Result<Vec<Drift>, RepositoryError> {
    let openid = (accounts::Entity, accounts::Column::Openid);
    let balance = (accounts::Entity, accounts::Column::Balance);
    let ledger_sum = Func::coalesce([
        Func::sum(Expr::col((ledger::Entity, ledger::Column::Delta))).into(),
        Expr::value(0_i64),
    ]);
    let mut query = Query::select();
    query
        .column(openid)
        .column(balance)
        .expr_as(
            Func::cast_as(
                ledger_sum.clone(),
                Alias::new(integer_type(db.get_database_backend())),
            ),
            Alias::new("ledger_sum"),
        )
        .from(accounts::Entity)
        .left_join(
            ledger::Entity,
            Expr::col((ledger::Entity, ledger::Column::Openid)).equals(openid),
        )
        .group_by_col(openid)
        .group_by_col(balance)
        .and_having(Expr::col(balance).ne(ledger_sum))
        .order_by(openid, Order::Asc)
        .limit(limit);
    if let Some(after) = after {
        query.and_where(Expr::col(openid).gt(after));
    }
    if let Some(last) = last {
        query.and_where(Expr::col(openid).lte(last));
    }
    let rows = db.query_all(&query).await.map_err(map_db_err)?;
    rows.iter()
        .map(|row| {
            let openid: String = row.try_get("", "openid").map_err(map_db_err)?;
            Ok(Drift {
                user: OpenId::parse(&openid).map_err(|e| corrupt("points account openid", e))?,
                balance: row.try_get("", "balance").map_err(map_db_err)?,
                ledger_sum: row.try_get("", "ledger_sum").map_err(map_db_err)?,
            })
        })
        .collect()
}

pub(super) async fn daily(
    db: &DatabaseConnection,
    from: DateTime<Utc>,
    before: DateTime<Utc>,
) -> Result<Vec<PointsDay>, RepositoryError> {
    let mut days: BTreeMap<NaiveDate, PointsDay> = BTreeMap::new();
    // Keyset on (created_at, id): the order of the index on created_at.
    let mut after: Option<(NaiveDateTime, i64)> = None;
    loop {
        let mut query = ledger::Entity::find()
            .select_only()
            .column(ledger::Column::CreatedAt)
            .column(ledger::Column::Id)
            .column(ledger::Column::Kind)
            .column(ledger::Column::Delta)
            .filter(ledger::Column::CreatedAt.gte(to_db(from)))
            .filter(ledger::Column::CreatedAt.lt(to_db(before)));
        if let Some((at, id)) = after {
            query = query.filter(
                Condition::any().add(ledger::Column::CreatedAt.gt(at)).add(
                    Condition::all()
                        .add(ledger::Column::CreatedAt.eq(at))
                        .add(ledger::Column::Id.gt(id)),
                ),
            );
        }
        let rows: Vec<(NaiveDateTime, i64, String, i64)> = query
            .order_by_asc(ledger::Column::CreatedAt)
            .order_by_asc(ledger::Column::Id)
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await
            .map_err(map_db_err)?;
        for (at, id, kind, delta) in &rows {
            let kind = kind
                .parse::<EntryKind>()
                .map_err(|e| corrupt(&format!("points ledger row {id}: kind"), e))?;
            let day = day_in_china(*at);
            let figures = days.entry(day).or_insert_with(|| PointsDay {
                day: Some(day),
                ..PointsDay::default()
            });
            figures.count(kind, *delta);
        }
        match rows.last() {
            Some((at, id, _, _)) if rows.len() as u64 == BATCH => after = Some((*at, *id)),
            _ => break,
        }
    }
    Ok(days.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_like_the_domain() {
        let mut figures = PointsDay::default();
        for (kind, delta) in [
            (EntryKind::PackagePurchase, 100),
            (EntryKind::Bonus, 20),
            (EntryKind::AdminAdjustment, 5),
            // A negative adjustment issues nothing and is not a spend either.
            (EntryKind::AdminAdjustment, -7),
            (EntryKind::Spend, -30),
            (EntryKind::Expiry, -4),
            (EntryKind::RefundReversal, -50),
            // A failed refund gives points back: net of it.
            (EntryKind::RefundReversal, 10),
        ] {
            figures.count(kind, delta);
        }
        assert_eq!(
            (figures.issued, figures.spent, figures.reversed),
            (125, 34, 40)
        );
    }
}
