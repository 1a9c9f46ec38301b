//! The admin's figures: counted by storage, read here by the rules of the order's state
//! machines, so that a dashboard and the daily report agree with the orders themselves.

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::order::{PaymentStatus, RechargeStatus};
use crate::ports::{Clock, OrderStatistics, StatisticsQuery, StatisticsRepository};

use super::ServiceError;

/// The figures of a query and when they were taken (ages are measured from then).
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub statistics: OrderStatistics,
    pub taken_at: DateTime<Utc>,
}

pub struct StatisticsService {
    statistics: Arc<dyn StatisticsRepository>,
    clock: Arc<dyn Clock>,
}

impl StatisticsService {
    pub fn new(statistics: Arc<dyn StatisticsRepository>, clock: Arc<dyn Clock>) -> Self {
        StatisticsService { statistics, clock }
    }

    pub async fn figures(&self, query: &StatisticsQuery) -> Result<Figures, ServiceError> {
        let statistics = self.statistics.order_statistics(query).await?;
        Ok(Figures {
            statistics,
            taken_at: self.clock.now(),
        })
    }
}

/// Counts per stored status, typed; a value no status reads as is counted under none.
fn counts_of<S: FromStr>(pairs: &[(String, u64)]) -> impl Iterator<Item = (S, u64)> + '_ {
    pairs
        .iter()
        .filter_map(|(key, count)| key.parse::<S>().ok().map(|status| (status, *count)))
}

impl OrderStatistics {
    /// Orders whose money was received, whatever happened after
    /// ([`PaymentStatus::money_received`]).
    pub fn paid_orders(&self) -> u64 {
        counts_of::<PaymentStatus>(&self.by_payment_status)
            .filter(|(status, _)| status.money_received())
            .map(|(_, count)| count)
            .sum()
    }

    /// Successful top-ups among the settled ones ([`RechargeStatus::is_settled`]), in
    /// percent; `None` while none is settled.
    pub fn recharge_success_rate(&self) -> Option<f64> {
        let (success, settled) = counts_of::<RechargeStatus>(&self.by_recharge_status)
            .filter(|(status, _)| status.is_settled())
            .fold((0u64, 0u64), |(success, settled), (status, count)| {
                let succeeded = if status == RechargeStatus::Success {
                    count
                } else {
                    0
                };
                (success + succeeded, settled + count)
            });
        (settled > 0).then(|| (success as f64) * 100.0 / (settled as f64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockClock, MockStatisticsRepository, RepositoryError};
    use crate::testing::t0;

    fn pairs(counts: &[(&str, u64)]) -> Vec<(String, u64)> {
        counts
            .iter()
            .map(|(key, count)| ((*key).to_owned(), *count))
            .collect()
    }

    #[test]
    fn paid_orders_are_those_whose_money_was_received() {
        let stats = OrderStatistics {
            by_payment_status: pairs(&[
                ("unpaid", 5),
                ("paid", 3),
                ("closed", 7),
                ("refunding", 1),
                ("refunded", 2),
                ("refund_failed", 4),
            ]),
            ..OrderStatistics::default()
        };
        assert_eq!(stats.paid_orders(), 3 + 1 + 2 + 4);
        assert_eq!(OrderStatistics::default().paid_orders(), 0);
    }

    #[test]
    fn every_payment_status_is_counted_by_its_rule() {
        for status in PaymentStatus::ALL {
            let stats = OrderStatistics {
                by_payment_status: pairs(&[(status.as_str(), 9)]),
                ..OrderStatistics::default()
            };
            let expected = if status.money_received() { 9 } else { 0 };
            assert_eq!(stats.paid_orders(), expected, "{status}");
        }
    }

    #[test]
    fn the_success_rate_counts_settled_top_ups_only() {
        let stats = OrderStatistics {
            by_recharge_status: pairs(&[
                ("none", 10),
                ("pending", 4),
                ("submitting", 2),
                ("confirming", 1),
                ("success", 6),
                ("failed", 1),
                ("unknown", 1),
                // The old backend's word for an unknown outcome.
                ("timeout", 2),
            ]),
            ..OrderStatistics::default()
        };
        assert_eq!(stats.recharge_success_rate(), Some(60.0));
    }

    #[test]
    fn no_settled_top_up_has_no_rate() {
        let unsettled = OrderStatistics {
            by_recharge_status: pairs(&[("none", 3), ("pending", 2), ("confirming", 1)]),
            ..OrderStatistics::default()
        };
        assert_eq!(unsettled.recharge_success_rate(), None);
        assert_eq!(OrderStatistics::default().recharge_success_rate(), None);
        let all_failed = OrderStatistics {
            by_recharge_status: pairs(&[("failed", 3)]),
            ..OrderStatistics::default()
        };
        assert_eq!(all_failed.recharge_success_rate(), Some(0.0));
    }

    #[test]
    fn values_no_status_reads_count_nowhere() {
        let stats = OrderStatistics {
            by_payment_status: pairs(&[("paid", 1), ("bogus", 50)]),
            by_recharge_status: pairs(&[("success", 1), ("bogus", 50)]),
            ..OrderStatistics::default()
        };
        assert_eq!(stats.paid_orders(), 1);
        assert_eq!(stats.recharge_success_rate(), Some(100.0));
    }

    #[tokio::test]
    async fn figures_are_dated_by_the_clock() {
        let query = StatisticsQuery {
            appid: Some("wx-app".to_owned()),
            ..StatisticsQuery::default()
        };
        let expected = query.clone();
        let mut repository = MockStatisticsRepository::new();
        repository
            .expect_order_statistics()
            .withf(move |query| *query == expected)
            .returning(|_| {
                Ok(OrderStatistics {
                    total_orders: 4,
                    ..OrderStatistics::default()
                })
            });
        let mut clock = MockClock::new();
        clock.expect_now().returning(t0);
        let service = StatisticsService::new(Arc::new(repository), Arc::new(clock));
        let figures = service.figures(&query).await.unwrap();
        assert_eq!(figures.statistics.total_orders, 4);
        assert_eq!(figures.taken_at, t0());
    }

    #[tokio::test]
    async fn storage_failures_are_unavailable() {
        let mut repository = MockStatisticsRepository::new();
        repository
            .expect_order_statistics()
            .returning(|_| Err(RepositoryError::Unavailable("down".to_owned())));
        let service = StatisticsService::new(Arc::new(repository), Arc::new(MockClock::new()));
        let error = service
            .figures(&StatisticsQuery::default())
            .await
            .unwrap_err();
        assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
    }
}
