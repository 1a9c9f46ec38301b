//! The admin's view of the payment callback log: searches are checked before they reach
//! the log, and the figures of a period are bounded so that one request reads a bounded
//! number of rows.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use crate::ports::{
    NotificationFilter, NotificationKind, NotificationOutcome, NotificationRecord,
    NotificationStatistics, NotificationStatsQuery, Page, PageRequest, PaymentNotificationLog,
};
use crate::privacy::scrub_phone_numbers;

use super::ServiceError;

/// The log's `channel` column holds at most this many characters.
const MAX_CHANNEL_LEN: usize = 32;
/// The log's `order_number` column holds at most this many characters.
const MAX_ORDER_NUMBER_LEN: usize = 64;

/// A search of the log as the admin typed it; blank fields are absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationSearch {
    pub channel: Option<String>,
    /// A [`NotificationKind`] name: `payment`, `refund`.
    pub kind: Option<String>,
    /// A [`NotificationOutcome`] name: `received`, `processed`, ...
    pub outcome: Option<String>,
    pub order_number: Option<String>,
    pub received_from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub received_before: Option<DateTime<Utc>>,
}

impl NotificationSearch {
    /// The filter this search means, or every problem with it in one `Validation`.
    pub fn filter(&self) -> Result<NotificationFilter, ServiceError> {
        let mut problems = Problems::default();
        let filter = NotificationFilter {
            channel: problems.check(self.channel.as_deref(), channel_name),
            kind: problems.check(self.kind.as_deref(), kind_name),
            outcome: problems.check(self.outcome.as_deref(), outcome_name),
            order_number: problems.check(self.order_number.as_deref(), order_number),
            received_from: self.received_from,
            received_before: self.received_before,
        };
        if let (Some(from), Some(before)) = (self.received_from, self.received_before) {
            problems.period(from, before);
        }
        problems.into_result(filter)
    }
}

pub struct NotificationLogService {
    log: Arc<dyn PaymentNotificationLog>,
}

impl NotificationLogService {
    /// The longest period the statistics cover (a quarter): they are counted over the
    /// period's rows, so the period bounds the work of one request.
    pub const MAX_STATISTICS_DAYS: i64 = 93;

    pub fn new(log: Arc<dyn PaymentNotificationLog>) -> Self {
        NotificationLogService { log }
    }

    /// The callbacks the search matches, newest first.
    pub async fn list(
        &self,
        search: &NotificationSearch,
        page: PageRequest,
    ) -> Result<Page<NotificationRecord>, ServiceError> {
        let filter = search.filter()?;
        Ok(self.log.list(&filter, page).await?)
    }

    /// Callbacks per UTC+8 day and outcome, with processing times, over a period of at
    /// most [`Self::MAX_STATISTICS_DAYS`].
    pub async fn statistics(
        &self,
        query: &NotificationStatsQuery,
    ) -> Result<NotificationStatistics, ServiceError> {
        let mut problems = Problems::default();
        let channel = problems.check(query.channel.as_deref(), channel_name);
        if problems.period(query.from, query.before)
            && query.before - query.from > TimeDelta::days(Self::MAX_STATISTICS_DAYS)
        {
            problems.add(format!(
                "statistics cover at most {} days; the period asked spans {} days",
                Self::MAX_STATISTICS_DAYS,
                (query.before - query.from).num_days()
            ));
        }
        let query = problems.into_result(NotificationStatsQuery {
            from: query.from,
            before: query.before,
            channel,
        })?;
        Ok(self.log.statistics(&query).await?)
    }

    /// How many callbacks the log holds with each outcome, in [`NotificationOutcome::ALL`]
    /// order.
    pub async fn counts_by_outcome(&self) -> Result<Vec<(NotificationOutcome, u64)>, ServiceError> {
        // A page of nothing still counts every match.
        let count_only = PageRequest { page: 1, limit: 0 };
        let mut counts = Vec::with_capacity(NotificationOutcome::ALL.len());
        for outcome in NotificationOutcome::ALL {
            let page = self
                .log
                .list(&NotificationFilter::with_outcome(outcome), count_only)
                .await?;
            counts.push((outcome, page.total));
        }
        Ok(counts)
    }
}

/// Every problem with the input, so that one answer lists them all.
#[derive(Debug, Default)]
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, message: String) {
        // The messages repeat what was typed, which may be a phone number.
        self.0.push(scrub_phone_numbers(&message));
    }

    /// `None` for an absent or blank field; the parsed value, or a problem noted.
    fn check<T>(
        &mut self,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let raw = raw.map(str::trim).filter(|raw| !raw.is_empty())?;
        parse(raw).map_err(|message| self.add(message)).ok()
    }

    /// Whether the period starts before it ends; a problem noted if not.
    fn period(&mut self, from: DateTime<Utc>, before: DateTime<Utc>) -> bool {
        let valid = from < before;
        if !valid {
            self.add(format!(
                "the period must start before it ends: it starts at {} and ends at {}",
                from.to_rfc3339(),
                before.to_rfc3339()
            ));
        }
        valid
    }

    fn into_result<T>(self, value: T) -> Result<T, ServiceError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(ServiceError::Validation(self.0.join(", ")))
        }
    }
}

/// "a, b or c".
fn alternatives(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn kind_name(raw: &str) -> Result<NotificationKind, String> {
    raw.parse().map_err(|_| {
        let names = NotificationKind::ALL.map(NotificationKind::as_str);
        format!(
            "kind {raw:?} is not a callback kind: {}",
            alternatives(&names)
        )
    })
}

fn outcome_name(raw: &str) -> Result<NotificationOutcome, String> {
    raw.parse().map_err(|_| {
        let names = NotificationOutcome::ALL.map(NotificationOutcome::as_str);
        format!(
            "outcome {raw:?} is not a callback outcome: {}",
            alternatives(&names)
        )
    })
}

/// Channels are logged under names like `wechat_cloud`.
fn channel_name(raw: &str) -> Result<String, String> {
    let valid = raw.len() <= MAX_CHANNEL_LEN
        && raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "channel {raw:?} is not a channel name: lower-case letters, digits and _, \
             at most {MAX_CHANNEL_LEN}"
        ))
    }
}

/// As the callback named it: the log keeps callbacks about orders that do not exist, so
/// any text the column can hold is searchable.
fn order_number(raw: &str) -> Result<String, String> {
    if raw.chars().count() <= MAX_ORDER_NUMBER_LEN && !raw.chars().any(char::is_control) {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "order number must be at most {MAX_ORDER_NUMBER_LEN} printable characters"
        ))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::ports::{MockPaymentNotificationLog, RepositoryError};
    use crate::testing::t0;

    fn page() -> PageRequest {
        PageRequest { page: 2, limit: 5 }
    }

    fn empty_page(page: PageRequest) -> Page<NotificationRecord> {
        Page {
            items: Vec::new(),
            total: 0,
            page: page.page,
            limit: page.limit,
        }
    }

    fn service(log: MockPaymentNotificationLog) -> NotificationLogService {
        NotificationLogService::new(Arc::new(log))
    }

    /// A log that must not be asked anything: the input is refused before.
    fn untouched() -> NotificationLogService {
        let mut log = MockPaymentNotificationLog::new();
        log.expect_list().never();
        log.expect_statistics().never();
        service(log)
    }

    fn validation(error: ServiceError) -> String {
        match error {
            ServiceError::Validation(message) => message,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_search_reaches_the_log_as_a_typed_filter() {
        let mut log = MockPaymentNotificationLog::new();
        log.expect_list()
            .times(1)
            .withf(|filter, page| {
                *filter
                    == NotificationFilter {
                        channel: Some("wechat_v3".to_owned()),
                        kind: Some(NotificationKind::Refund),
                        outcome: Some(NotificationOutcome::Unconfirmed),
                        order_number: Some("ORD1760754386127abcdefghijkl".to_owned()),
                        received_from: Some(t0()),
                        received_before: Some(t0() + TimeDelta::days(1)),
                    }
                    && *page == PageRequest { page: 2, limit: 5 }
            })
            .returning(|_, page| Ok(empty_page(page)));
        let search = NotificationSearch {
            channel: Some(" wechat_v3 ".to_owned()),
            kind: Some("refund".to_owned()),
            outcome: Some("unconfirmed".to_owned()),
            order_number: Some("ORD1760754386127abcdefghijkl".to_owned()),
            received_from: Some(t0()),
            received_before: Some(t0() + TimeDelta::days(1)),
        };
        service(log).list(&search, page()).await.unwrap();
    }

    #[tokio::test]
    async fn blank_fields_filter_nothing() {
        let mut log = MockPaymentNotificationLog::new();
        log.expect_list()
            .times(1)
            .withf(|filter, _| *filter == NotificationFilter::default())
            .returning(|_, page| Ok(empty_page(page)));
        let search = NotificationSearch {
            channel: Some("  ".to_owned()),
            kind: Some(String::new()),
            outcome: None,
            order_number: Some(" ".to_owned()),
            ..NotificationSearch::default()
        };
        service(log).list(&search, page()).await.unwrap();
    }

    #[tokio::test]
    async fn unknown_names_are_refused_together_with_what_is_accepted() {
        let search = NotificationSearch {
            kind: Some("chargeback".to_owned()),
            outcome: Some("PROCESSED".to_owned()),
            channel: Some("WeChat Cloud".to_owned()),
            ..NotificationSearch::default()
        };
        let message = validation(untouched().list(&search, page()).await.unwrap_err());
        assert_eq!(
            message,
            "channel \"WeChat Cloud\" is not a channel name: lower-case letters, digits and _, \
             at most 32, \
             kind \"chargeback\" is not a callback kind: payment or refund, \
             outcome \"PROCESSED\" is not a callback outcome: received, processed, duplicate, \
             rejected, unconfirmed or error"
        );
    }

    #[tokio::test]
    async fn an_over_long_or_unprintable_order_number_is_refused() {
        for raw in ["O".repeat(65), "ORD\n1".to_owned()] {
            let search = NotificationSearch {
                order_number: Some(raw.clone()),
                ..NotificationSearch::default()
            };
            let message = validation(untouched().list(&search, page()).await.unwrap_err());
            assert!(
                message.starts_with("order number must be at most 64"),
                "{message}"
            );
        }
    }

    #[tokio::test]
    async fn a_search_whose_period_is_empty_or_reversed_is_refused() {
        for before in [t0(), t0() - TimeDelta::hours(1)] {
            let search = NotificationSearch {
                received_from: Some(t0()),
                received_before: Some(before),
                ..NotificationSearch::default()
            };
            let message = validation(untouched().list(&search, page()).await.unwrap_err());
            assert!(
                message.starts_with("the period must start before it ends"),
                "{message}"
            );
        }
    }

    #[tokio::test]
    async fn a_phone_number_typed_into_a_filter_is_masked_in_the_answer() {
        let search = NotificationSearch {
            kind: Some("88112233".to_owned()),
            ..NotificationSearch::default()
        };
        let message = validation(untouched().list(&search, page()).await.unwrap_err());
        assert!(message.contains("8811****"), "{message}");
        assert!(!message.contains("88112233"), "{message}");
    }

    fn stats_query(days: i64) -> NotificationStatsQuery {
        NotificationStatsQuery {
            from: t0(),
            before: t0() + TimeDelta::days(days),
            channel: Some("wechat_cloud".to_owned()),
        }
    }

    #[tokio::test]
    async fn statistics_of_a_valid_period_are_the_logs() {
        let mut log = MockPaymentNotificationLog::new();
        let expected = stats_query(NotificationLogService::MAX_STATISTICS_DAYS);
        let asked = expected.clone();
        log.expect_statistics()
            .times(1)
            .withf(move |query| *query == asked)
            .returning(|_| Ok(NotificationStatistics::default()));
        let stats = service(log).statistics(&expected).await.unwrap();
        assert_eq!(stats, NotificationStatistics::default());
    }

    #[tokio::test]
    async fn statistics_refuse_a_reversed_too_long_or_badly_named_period() {
        let reversed = NotificationStatsQuery {
            from: t0(),
            before: t0() - TimeDelta::days(1),
            channel: None,
        };
        let message = validation(untouched().statistics(&reversed).await.unwrap_err());
        assert!(
            message.starts_with("the period must start before it ends"),
            "{message}"
        );

        let long = stats_query(NotificationLogService::MAX_STATISTICS_DAYS + 1);
        let message = validation(untouched().statistics(&long).await.unwrap_err());
        assert_eq!(
            message,
            "statistics cover at most 93 days; the period asked spans 94 days"
        );

        let mut badly_named = stats_query(1);
        badly_named.channel = Some("wechat-cloud".to_owned());
        let message = validation(untouched().statistics(&badly_named).await.unwrap_err());
        assert!(message.starts_with("channel \"wechat-cloud\""), "{message}");
    }

    #[tokio::test]
    async fn statistics_pass_a_blank_channel_as_none() {
        let mut log = MockPaymentNotificationLog::new();
        log.expect_statistics()
            .times(1)
            .withf(|query| query.channel.is_none())
            .returning(|_| Ok(NotificationStatistics::default()));
        let mut query = stats_query(7);
        query.channel = Some(" ".to_owned());
        service(log).statistics(&query).await.unwrap();
    }

    #[tokio::test]
    async fn counts_by_outcome_ask_only_for_totals() {
        let mut log = MockPaymentNotificationLog::new();
        log.expect_list()
            .times(NotificationOutcome::ALL.len())
            .withf(|filter, page| {
                page.limit == 0
                    && filter.outcome.is_some()
                    && *filter == NotificationFilter::with_outcome(filter.outcome.unwrap())
            })
            .returning(|filter, page| {
                let total = match filter.outcome {
                    Some(NotificationOutcome::Processed) => 7,
                    Some(NotificationOutcome::Rejected) => 2,
                    _ => 0,
                };
                Ok(Page {
                    total,
                    ..empty_page(page)
                })
            });
        let counts = service(log).counts_by_outcome().await.unwrap();
        assert_eq!(counts.len(), NotificationOutcome::ALL.len());
        assert!(counts.contains(&(NotificationOutcome::Processed, 7)));
        assert!(counts.contains(&(NotificationOutcome::Rejected, 2)));
        assert!(counts.contains(&(NotificationOutcome::Error, 0)));
    }

    #[tokio::test]
    async fn a_storage_failure_is_unavailable() {
        let mut log = MockPaymentNotificationLog::new();
        log.expect_list()
            .returning(|_, _| Err(RepositoryError::Unavailable("down".to_owned())));
        let error = service(log)
            .list(&NotificationSearch::default(), page())
            .await
            .unwrap_err();
        assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
    }
}
