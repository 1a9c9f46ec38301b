//! The admin's figures. The rules that read them (what counts as paid, as settled) are the
//! domain's: these views only lay them out.

use chrono::{DateTime, NaiveDate, Utc};
use elife_domain::money::Fen;
use elife_domain::ports::OrderStatistics;
use serde::Serialize;
use utoipa::ToSchema;

use super::format::{DecimalNumber, yuan};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Count {
    pub key: String,
    pub count: u64,
}

fn counts(pairs: &[(String, u64)]) -> Vec<Count> {
    pairs
        .iter()
        .map(|(key, count)| Count {
            key: key.clone(),
            count: *count,
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RechargeDelayView {
    pub avg_seconds: Option<i64>,
    pub max_seconds: Option<i64>,
    pub min_seconds: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OverviewView {
    pub total_orders: u64,
    pub total_users: u64,
    pub paid_orders: u64,
    pub revenue_fen: i64,
    #[schema(value_type = f64)]
    pub revenue_rmb: DecimalNumber,
    pub revenue_mnt: i64,
    /// Percent of settled top-ups that succeeded.
    pub recharge_success_rate: Option<f64>,
    pub recharge_delay: RechargeDelayView,
    /// Paid orders whose top-up is not settled.
    pub pending_backlog: u64,
    pub oldest_pending_paid_at: Option<DateTime<Utc>>,
    pub oldest_pending_age_seconds: Option<i64>,
    pub anomalies: u64,
}

impl OverviewView {
    pub fn new(stats: &OrderStatistics, now: DateTime<Utc>) -> Self {
        OverviewView {
            total_orders: stats.total_orders,
            total_users: stats.total_users,
            paid_orders: stats.paid_orders(),
            revenue_fen: stats.revenue_fen,
            revenue_rmb: yuan(Fen::new(stats.revenue_fen)),
            revenue_mnt: stats.revenue_mnt,
            recharge_success_rate: stats.recharge_success_rate(),
            recharge_delay: RechargeDelayView {
                avg_seconds: stats.recharge_delay_avg_secs,
                max_seconds: stats.recharge_delay_max_secs,
                min_seconds: stats.recharge_delay_min_secs,
            },
            pending_backlog: stats.pending_backlog,
            oldest_pending_paid_at: stats.oldest_pending_paid_at,
            oldest_pending_age_seconds: stats
                .oldest_pending_paid_at
                .map(|at| (now - at).num_seconds()),
            anomalies: stats.anomalies_by_day.iter().map(|(_, _, n)| *n).sum(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserStatsView {
    pub total_users: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnomalyDayView {
    pub date: NaiveDate,
    pub kind: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderStatsView {
    pub total_orders: u64,
    pub by_payment_status: Vec<Count>,
    pub by_recharge_status: Vec<Count>,
    pub by_operator: Vec<Count>,
    pub by_recharge_type: Vec<Count>,
    pub recharge_success_rate: Option<f64>,
    pub anomalies_by_day: Vec<AnomalyDayView>,
}

impl From<&OrderStatistics> for OrderStatsView {
    fn from(stats: &OrderStatistics) -> Self {
        OrderStatsView {
            total_orders: stats.total_orders,
            by_payment_status: counts(&stats.by_payment_status),
            by_recharge_status: counts(&stats.by_recharge_status),
            by_operator: counts(&stats.by_operator),
            by_recharge_type: counts(&stats.by_recharge_kind),
            recharge_success_rate: stats.recharge_success_rate(),
            anomalies_by_day: stats
                .anomalies_by_day
                .iter()
                .map(|(date, kind, count)| AnomalyDayView {
                    date: *date,
                    kind: kind.clone(),
                    count: *count,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevenueDayView {
    pub date: NaiveDate,
    pub revenue_fen: i64,
    #[schema(value_type = f64)]
    pub revenue_rmb: DecimalNumber,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevenueStatsView {
    pub total_revenue_fen: i64,
    #[schema(value_type = f64)]
    pub total_revenue_rmb: DecimalNumber,
    pub total_revenue_mnt: i64,
    pub by_day: Vec<RevenueDayView>,
}

impl From<&OrderStatistics> for RevenueStatsView {
    fn from(stats: &OrderStatistics) -> Self {
        RevenueStatsView {
            total_revenue_fen: stats.revenue_fen,
            total_revenue_rmb: yuan(Fen::new(stats.revenue_fen)),
            total_revenue_mnt: stats.revenue_mnt,
            by_day: stats
                .revenue_by_day
                .iter()
                .map(|(date, fen)| RevenueDayView {
                    date: *date,
                    revenue_fen: *fen,
                    revenue_rmb: yuan(Fen::new(*fen)),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    fn figures() -> OrderStatistics {
        let pairs = |counts: &[(&str, u64)]| -> Vec<(String, u64)> {
            counts
                .iter()
                .map(|(key, count)| ((*key).to_owned(), *count))
                .collect()
        };
        let day = NaiveDate::from_ymd_opt(2025, 10, 18).unwrap();
        OrderStatistics {
            total_orders: 20,
            by_payment_status: pairs(&[
                ("closed", 4),
                ("paid", 12),
                ("refund_failed", 1),
                ("refunded", 1),
                ("unpaid", 2),
            ]),
            by_recharge_status: pairs(&[
                ("failed", 1),
                ("none", 6),
                ("pending", 1),
                ("success", 10),
                ("timeout", 1),
                ("unknown", 1),
            ]),
            by_operator: pairs(&[("Unitel", 20)]),
            by_recharge_kind: pairs(&[("voice", 15), ("data", 5)]),
            revenue_fen: 7_500,
            revenue_mnt: 36_000,
            revenue_by_day: vec![(day, 7_500)],
            anomalies_by_day: vec![(day, "amount_mismatch".to_owned(), 2)],
            recharge_delay_avg_secs: Some(4),
            recharge_delay_max_secs: Some(9),
            recharge_delay_min_secs: Some(1),
            pending_backlog: 1,
            oldest_pending_paid_at: Some(Utc.with_ymd_and_hms(2025, 10, 18, 9, 0, 0).unwrap()),
            total_users: 7,
        }
    }

    /// The whole overview as the admin reads it: names, and the domain's rules applied
    /// (paid: money received, 14; success rate: 10 of 13 settled).
    #[test]
    fn the_overview_is_laid_out_as_the_contract_says() {
        let now = Utc.with_ymd_and_hms(2025, 10, 18, 10, 0, 0).unwrap();
        let view = serde_json::to_value(OverviewView::new(&figures(), now)).unwrap();
        assert_eq!(
            view,
            json!({
                "totalOrders": 20,
                "totalUsers": 7,
                "paidOrders": 14,
                "revenueFen": 7500,
                "revenueRmb": 75.00,
                "revenueMnt": 36000,
                "rechargeSuccessRate": 1000.0 / 13.0,
                "rechargeDelay": {"avgSeconds": 4, "maxSeconds": 9, "minSeconds": 1},
                "pendingBacklog": 1,
                "oldestPendingPaidAt": "2025-10-18T09:00:00Z",
                "oldestPendingAgeSeconds": 3600,
                "anomalies": 2
            })
        );
    }

    #[test]
    fn counts_keep_the_stored_values_and_the_rate_follows_the_domain() {
        let view = serde_json::to_value(OrderStatsView::from(&figures())).unwrap();
        assert_eq!(
            view["byRechargeStatus"][4],
            json!({"key": "timeout", "count": 1})
        );
        assert_eq!(view["rechargeSuccessRate"], json!(1000.0 / 13.0));
        assert_eq!(
            view["anomaliesByDay"],
            json!([{"date": "2025-10-18", "kind": "amount_mismatch", "count": 2}])
        );
        let nothing_settled = OrderStatistics::default();
        let view = serde_json::to_value(OrderStatsView::from(&nothing_settled)).unwrap();
        assert_eq!(view["rechargeSuccessRate"], json!(null));
    }
}
