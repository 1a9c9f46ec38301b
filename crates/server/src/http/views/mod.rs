//! What the API shows, one module per area: the order row in the old backend's camelCase
//! shape and the customer's lists, the public and payment answers, the admin views and the
//! figures. Presentation only: amounts stay integers until they are displayed here, and
//! every rule about states is the domain's.

mod admin;
mod format;
mod notifications;
mod orders;
mod paging;
mod payment;
mod public;
mod statistics;

pub use admin::{
    AdminOrderDetail, AdminOrderList, AdminOrderView, AnomalyView, OrderEventView, RefundView,
};
pub use format::{DecimalNumber, js_time};
pub use notifications::{NotificationList, NotificationView};
pub use orders::{OrderDetailView, OrderList, OrderOwnerView, OrderView};
pub use paging::{Pagination, pagination};
pub use payment::{CallbackAck, PaymentParamsView};
pub use public::{ExchangeRateView, HealthView};
pub use statistics::{
    AnomalyDayView, Count, OrderStatsView, OverviewView, RechargeDelayView, RevenueDayView,
    RevenueStatsView, UserStatsView,
};

// TEMPORARY: byte-identity check against the pre-split views (removed before hand-over).
#[cfg(test)]
#[allow(dead_code, unused_imports)]
#[path = "/tmp/views.rs.orig"]
mod old_views;

#[cfg(test)]
mod same_as_before {
    use chrono::{Duration, NaiveDate};
    use elife_domain::order::{AnomalyKind, Order, OrderEvent};
    use elife_domain::ports::{
        NotificationKind, NotificationOutcome, NotificationRecord, OrderStatistics, Page,
        StoredRate,
    };
    use elife_domain::testing::*;

    use super::old_views as old;

    fn text<T: serde::Serialize>(value: &T) -> String {
        serde_json::to_string(value).unwrap()
    }

    fn orders() -> Vec<Order> {
        let flagged = after(Ok(paid_order().flag_anomaly(
            AnomalyKind::AmountMismatch,
            "totalFee 1 != 625",
            t0() + Duration::minutes(3),
        )));
        vec![
            unpaid_order(),
            paid_order(),
            submitting_order(),
            confirming_order("seq-1"),
            failed_order(),
            unknown_order(),
            flagged,
        ]
    }

    #[test]
    fn orders_and_lists_are_written_as_before() {
        for order in orders() {
            assert_eq!(text(&super::OrderView::from(&order)), text(&old::OrderView::from(&order)));
            assert_eq!(
                text(&super::AdminOrderView::from(&order)),
                text(&old::AdminOrderView::from(&order))
            );
        }
        let page = Page { items: orders(), total: 41, page: 2, limit: 7 };
        assert_eq!(text(&super::OrderList::from(&page)), text(&old::OrderList::from(&page)));
        assert_eq!(text(&super::pagination(&page)), text(&old::pagination(&page)));
        let event = OrderEvent {
            order_number: paid_order().number,
            from: unpaid_order().state(),
            to: paid_order().state(),
            actor: elife_domain::order::Actor::Admin("ops".into()),
            reason: "callback".into(),
            at: t0(),
        };
        assert_eq!(text(&super::OrderEventView::from(&event)), text(&old::OrderEventView::from(&event)));
        let rate = StoredRate {
            pair: "MNT_TO_CNY".into(),
            rate: paid_order().exchange_rate,
            is_active: true,
            updated_at: t0(),
        };
        assert_eq!(text(&super::ExchangeRateView::from(&rate)), text(&old::ExchangeRateView::from(&rate)));
        for kind in NotificationKind::ALL {
            for outcome in NotificationOutcome::ALL {
                let record = NotificationRecord {
                    id: 3,
                    channel: "wechat_cloud".into(),
                    kind,
                    order_number: Some("ORD1".into()),
                    transaction_id: None,
                    outcome,
                    error_message: Some("x".into()),
                    processing_ms: Some(12),
                    retry_count: 1,
                    client_ip: None,
                    raw_body: "{}".into(),
                    created_at: t0(),
                };
                assert_eq!(
                    text(&super::NotificationView::from(&record)),
                    text(&old::NotificationView::from(&record))
                );
            }
        }
    }

    #[test]
    fn figures_are_written_as_before() {
        let pairs = |counts: &[(&str, u64)]| -> Vec<(String, u64)> {
            counts.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
        };
        let day = NaiveDate::from_ymd_opt(2025, 10, 18).unwrap();
        let full = OrderStatistics {
            total_orders: 30,
            by_payment_status: pairs(&[
                ("unpaid", 3), ("paid", 11), ("closed", 5), ("refunding", 2),
                ("refunded", 4), ("refund_failed", 1),
            ]),
            by_recharge_status: pairs(&[
                ("none", 8), ("pending", 2), ("submitting", 1), ("confirming", 3),
                ("success", 9), ("failed", 2), ("unknown", 1), ("timeout", 4),
            ]),
            by_operator: pairs(&[("Unitel", 30)]),
            by_recharge_kind: pairs(&[("voice", 20), ("data", 6), ("postpaid", 4)]),
            revenue_fen: 123_456,
            revenue_mnt: 999_000,
            revenue_by_day: vec![(day, 100_000), (day.succ_opt().unwrap(), 23_456)],
            anomalies_by_day: vec![(day, "amount_mismatch".into(), 2), (day, "duplicate_payment".into(), 1)],
            recharge_delay_avg_secs: Some(5),
            recharge_delay_max_secs: Some(50),
            recharge_delay_min_secs: Some(0),
            pending_backlog: 6,
            oldest_pending_paid_at: Some(t0()),
            total_users: 17,
        };
        let settled_none = OrderStatistics {
            by_recharge_status: pairs(&[("none", 2), ("pending", 1)]),
            ..OrderStatistics::default()
        };
        for stats in [full, settled_none, OrderStatistics::default()] {
            let now = t0() + Duration::hours(2);
            assert_eq!(text(&super::OverviewView::new(&stats, now)), text(&old::OverviewView::new(&stats, now)));
            assert_eq!(text(&super::OrderStatsView::from(&stats)), text(&old::OrderStatsView::from(&stats)));
            assert_eq!(text(&super::RevenueStatsView::from(&stats)), text(&old::RevenueStatsView::from(&stats)));
        }
    }
}
