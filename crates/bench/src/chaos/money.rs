//! What the database records of each order's money, whichever its goods: a top-up order's
//! own payment status, a points order's pay order in the payments core. The audit of
//! payments (lost, phantom, late) and the wait for the late orders read this, the same way
//! for both kinds.

use sea_orm::{DatabaseConnection, DbBackend};

use super::orders::{OrderRow, is_paid_status, read_orders};
use super::points::tables::{PointsPayRow, read_pay_orders};
use super::wechat::WechatTruth;

/// One order's money as recorded here.
#[derive(Debug, Clone)]
pub struct MoneyRow {
    pub number: String,
    /// The payment status (`paid`, `closed`, `refunding`...; a pay order's `unpaid` too).
    pub status: String,
    /// A payment landed after the order was closed and was recorded as such.
    pub late_flagged: bool,
    /// What the server noted, for the violations list.
    pub note: Option<String>,
}

impl MoneyRow {
    /// The order records the money it received: paid (or refunded since), or a payment
    /// after close flagged.
    pub fn recorded(&self) -> bool {
        is_paid_status(&self.status) || self.late_flagged
    }

    pub fn closed(&self) -> bool {
        self.status == "closed"
    }
}

impl From<&OrderRow> for MoneyRow {
    fn from(row: &OrderRow) -> MoneyRow {
        MoneyRow {
            number: row.number.clone(),
            status: row.payment_status.clone(),
            late_flagged: row.payment_status == "closed"
                && row.anomaly_reason.as_deref() == Some("payment_after_close"),
            note: row.anomaly_reason.clone(),
        }
    }
}

impl From<&PointsPayRow> for MoneyRow {
    fn from(row: &PointsPayRow) -> MoneyRow {
        MoneyRow {
            number: row.number.clone(),
            status: row.status.clone(),
            late_flagged: row.late_payment,
            note: row.late_payment.then(|| "late payment".to_owned()),
        }
    }
}

/// The money WeChat took for the order is accounted for: recorded here, or given back
/// (refunded at WeChat: only the server asks for refunds).
pub fn accounted_for(row: &MoneyRow, wechat: &WechatTruth) -> bool {
    row.recorded() || wechat.refunded(&row.number)
}

/// Top-up orders and points orders' pay orders.
pub fn money_rows(orders: &[OrderRow], points: &[PointsPayRow]) -> Vec<MoneyRow> {
    orders
        .iter()
        .map(MoneyRow::from)
        .chain(points.iter().map(MoneyRow::from))
        .collect()
}

/// [`money_rows`], read from the database.
pub async fn read_money(
    db: &DatabaseConnection,
    backend: DbBackend,
) -> Result<Vec<MoneyRow>, sea_orm::DbErr> {
    let orders = read_orders(db, backend).await?;
    let points = read_pay_orders(db, backend).await?;
    Ok(money_rows(&orders, &points))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top_up(status: &str, anomaly: Option<&str>) -> MoneyRow {
        MoneyRow::from(&OrderRow {
            number: "T".to_owned(),
            payment_status: status.to_owned(),
            recharge_status: None,
            anomaly_reason: anomaly.map(str::to_owned),
            anomaly_details: None,
        })
    }

    fn points(status: &str, late_payment: bool) -> MoneyRow {
        MoneyRow::from(&PointsPayRow {
            number: "P".to_owned(),
            status: status.to_owned(),
            late_payment,
        })
    }

    #[test]
    fn money_is_recorded_when_paid_or_flagged_after_close_for_both_goods() {
        assert!(top_up("paid", None).recorded());
        assert!(top_up("closed", Some("payment_after_close")).recorded());
        assert!(!top_up("closed", None).recorded());
        assert!(!top_up("pending", None).recorded());
        assert!(points("paid", false).recorded());
        assert!(points("refunding", true).recorded());
        assert!(
            points("closed", true).recorded(),
            "flagged before refunding"
        );
        assert!(!points("closed", false).recorded());
        assert!(!points("unpaid", false).recorded());
        assert!(points("closed", false).closed() && !points("unpaid", false).closed());
    }

    #[test]
    fn money_given_back_at_wechat_is_accounted_for() {
        let wechat = WechatTruth {
            states: [("P".to_owned(), "REFUND".to_owned())].into(),
            ..WechatTruth::default()
        };
        assert!(accounted_for(&points("closed", false), &wechat));
        assert!(!accounted_for(&top_up("closed", None), &wechat));
    }
}
