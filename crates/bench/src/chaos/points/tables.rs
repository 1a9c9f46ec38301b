//! The points tables and the points orders' pay orders, as the audit reads them: raw rows,
//! no model of the server's.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement};

/// A points order's statuses that mean "paid, points credited" (refunds since included).
pub const PAID_STATUSES: [&str; 3] = ["paid", "partly_refunded", "refunded"];

/// One row of `points_orders`.
#[derive(Debug, Clone)]
pub struct PointsOrderRow {
    pub number: String,
    pub openid: String,
    pub status: String,
    pub points: i64,
    pub bonus_points: i64,
}

impl PointsOrderRow {
    pub fn paid(&self) -> bool {
        PAID_STATUSES.contains(&self.status.as_str())
    }
}

/// The core's pay order of a points order (`pay_orders` of kind `points`).
#[derive(Debug, Clone)]
pub struct PointsPayRow {
    pub number: String,
    pub status: String,
    /// The money landed after the pay order was closed (it is given back).
    pub late_payment: bool,
}

/// One row of `points_ledger`.
#[derive(Debug, Clone)]
pub struct LedgerRow {
    pub id: i64,
    pub openid: String,
    pub kind: String,
    pub biz_type: String,
    pub biz_id: String,
    pub delta: i64,
    pub balance_after: i64,
}

/// Everything the points checks read.
#[derive(Debug, Clone, Default)]
pub struct PointsTables {
    pub orders: Vec<PointsOrderRow>,
    pub pay_orders: Vec<PointsPayRow>,
    pub ledger: Vec<LedgerRow>,
    /// `(openid, balance)` of every points account.
    pub accounts: Vec<(String, i64)>,
}

async fn rows(
    db: &DatabaseConnection,
    backend: DbBackend,
    sql: &str,
) -> Result<Vec<QueryResult>, sea_orm::DbErr> {
    db.query_all_raw(Statement::from_string(backend, sql)).await
}

/// The pay orders of points orders.
pub async fn read_pay_orders(
    db: &DatabaseConnection,
    backend: DbBackend,
) -> Result<Vec<PointsPayRow>, sea_orm::DbErr> {
    rows(
        db,
        backend,
        "SELECT out_trade_no, status, late_payment FROM pay_orders WHERE kind = 'points'",
    )
    .await?
    .iter()
    .map(|row| {
        Ok(PointsPayRow {
            number: row.try_get("", "out_trade_no")?,
            status: row.try_get("", "status")?,
            late_payment: row.try_get("", "late_payment")?,
        })
    })
    .collect()
}

pub async fn read(
    db: &DatabaseConnection,
    backend: DbBackend,
) -> Result<PointsTables, sea_orm::DbErr> {
    let orders = rows(
        db,
        backend,
        "SELECT order_no, openid, status, points, bonus_points FROM points_orders",
    )
    .await?
    .iter()
    .map(|row| {
        Ok(PointsOrderRow {
            number: row.try_get("", "order_no")?,
            openid: row.try_get("", "openid")?,
            status: row.try_get("", "status")?,
            points: row.try_get("", "points")?,
            bonus_points: row.try_get("", "bonus_points")?,
        })
    })
    .collect::<Result<_, sea_orm::DbErr>>()?;
    let ledger = rows(
        db,
        backend,
        "SELECT id, openid, kind, biz_type, biz_id, delta, balance_after FROM points_ledger ORDER BY id",
    )
    .await?
    .iter()
    .map(|row| {
        Ok(LedgerRow {
            id: row.try_get("", "id")?,
            openid: row.try_get("", "openid")?,
            kind: row.try_get("", "kind")?,
            biz_type: row.try_get("", "biz_type")?,
            biz_id: row.try_get("", "biz_id")?,
            delta: row.try_get("", "delta")?,
            balance_after: row.try_get("", "balance_after")?,
        })
    })
    .collect::<Result<_, sea_orm::DbErr>>()?;
    let accounts = rows(db, backend, "SELECT openid, balance FROM points_accounts")
        .await?
        .iter()
        .map(|row| Ok((row.try_get("", "openid")?, row.try_get("", "balance")?)))
        .collect::<Result<_, sea_orm::DbErr>>()?;
    Ok(PointsTables {
        orders,
        pay_orders: read_pay_orders(db, backend).await?,
        ledger,
        accounts,
    })
}

/// Points orders whose money was received (their pay order paid, not late) and whose
/// points are not credited yet: the points side of the drain's "pending".
pub async fn awaiting_credit(
    db: &DatabaseConnection,
    backend: DbBackend,
) -> Result<i64, sea_orm::DbErr> {
    count(
        db,
        backend,
        "SELECT COUNT(*) AS n FROM points_orders p JOIN pay_orders o ON o.out_trade_no = p.order_no \
         WHERE p.status = 'pending' AND o.status = 'paid'",
    )
    .await
}

/// Points orders paid (and credited) here.
pub async fn count_paid(
    db: &DatabaseConnection,
    backend: DbBackend,
) -> Result<i64, sea_orm::DbErr> {
    count(
        db,
        backend,
        "SELECT COUNT(*) AS n FROM points_orders WHERE status IN ('paid', 'partly_refunded', 'refunded')",
    )
    .await
}

async fn count(
    db: &DatabaseConnection,
    backend: DbBackend,
    sql: &str,
) -> Result<i64, sea_orm::DbErr> {
    match db
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
    {
        Some(row) => row.try_get("", "n"),
        None => Ok(0),
    }
}
