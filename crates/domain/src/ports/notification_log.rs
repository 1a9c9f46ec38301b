//! What the admin asks of the payment callback log: which callbacks to list, and the
//! figures of a period.

use chrono::{DateTime, NaiveDate, Utc};

use super::repositories::{NotificationKind, NotificationOutcome};

/// Which callbacks to list; every field given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationFilter {
    /// The channel the callback came in on, as logged (`wechat_cloud`, `wechat_v3`).
    pub channel: Option<String>,
    pub kind: Option<NotificationKind>,
    pub outcome: Option<NotificationOutcome>,
    /// The order number the callback named, exactly as it named it.
    pub order_number: Option<String>,
    /// First received at or after this instant.
    pub received_from: Option<DateTime<Utc>>,
    /// First received before this instant (exclusive).
    pub received_before: Option<DateTime<Utc>>,
}

impl NotificationFilter {
    /// Every callback with this outcome.
    pub fn with_outcome(outcome: NotificationOutcome) -> Self {
        NotificationFilter {
            outcome: Some(outcome),
            ..NotificationFilter::default()
        }
    }
}

/// The period (and channel) the callback figures cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationStatsQuery {
    /// First received at or after this instant.
    pub from: DateTime<Utc>,
    /// First received before this instant (exclusive).
    pub before: DateTime<Utc>,
    pub channel: Option<String>,
}

/// Callbacks counted by their outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutcomeCounts {
    pub received: u64,
    pub processed: u64,
    pub duplicate: u64,
    pub rejected: u64,
    pub unconfirmed: u64,
    pub error: u64,
}

impl OutcomeCounts {
    pub fn get(&self, outcome: NotificationOutcome) -> u64 {
        match outcome {
            NotificationOutcome::Received => self.received,
            NotificationOutcome::Processed => self.processed,
            NotificationOutcome::Duplicate => self.duplicate,
            NotificationOutcome::Rejected => self.rejected,
            NotificationOutcome::Unconfirmed => self.unconfirmed,
            NotificationOutcome::Error => self.error,
        }
    }

    pub fn add(&mut self, outcome: NotificationOutcome) {
        let count = match outcome {
            NotificationOutcome::Received => &mut self.received,
            NotificationOutcome::Processed => &mut self.processed,
            NotificationOutcome::Duplicate => &mut self.duplicate,
            NotificationOutcome::Rejected => &mut self.rejected,
            NotificationOutcome::Unconfirmed => &mut self.unconfirmed,
            NotificationOutcome::Error => &mut self.error,
        };
        *count = count.saturating_add(1);
    }

    pub fn total(&self) -> u64 {
        NotificationOutcome::ALL
            .into_iter()
            .fold(0u64, |total, outcome| {
                total.saturating_add(self.get(outcome))
            })
    }
}

/// Processing times, summed exactly so that an average over several days is the average
/// of their callbacks, not of their daily averages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessingTimes {
    /// Callbacks with a processing time (one still `received` has none).
    pub timed: u64,
    pub total_ms: i64,
}

impl ProcessingTimes {
    pub fn add(&mut self, processing_ms: i64) {
        self.timed = self.timed.saturating_add(1);
        self.total_ms = self.total_ms.saturating_add(processing_ms);
    }

    /// Whole milliseconds, rounded down; `None` when nothing was timed.
    pub fn average_ms(&self) -> Option<i64> {
        let timed = i64::try_from(self.timed).ok().filter(|timed| *timed > 0)?;
        Some(self.total_ms.div_euclid(timed))
    }
}

/// One UTC+8 calendar day of callbacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationDay {
    pub day: NaiveDate,
    pub outcomes: OutcomeCounts,
    pub processing: ProcessingTimes,
}

impl NotificationDay {
    pub fn empty(day: NaiveDate) -> Self {
        NotificationDay {
            day,
            outcomes: OutcomeCounts::default(),
            processing: ProcessingTimes::default(),
        }
    }
}

/// The callbacks of a period: per day, oldest first, and overall.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationStatistics {
    pub days: Vec<NotificationDay>,
    pub outcomes: OutcomeCounts,
    pub processing: ProcessingTimes,
}

impl NotificationStatistics {
    /// No callback yet, on every day of `first..=last` (none when `last` is before `first`).
    pub fn for_days(first: NaiveDate, last: NaiveDate) -> Self {
        NotificationStatistics {
            days: first
                .iter_days()
                .take_while(|day| *day <= last)
                .map(NotificationDay::empty)
                .collect(),
            ..NotificationStatistics::default()
        }
    }

    /// Counts one callback on its day and in the totals; a day not listed yet is added in
    /// its place.
    pub fn count(
        &mut self,
        day: NaiveDate,
        outcome: NotificationOutcome,
        processing_ms: Option<i64>,
    ) {
        let index = match self.days.binary_search_by(|listed| listed.day.cmp(&day)) {
            Ok(index) => index,
            Err(index) => {
                self.days.insert(index, NotificationDay::empty(day));
                index
            }
        };
        let entry = &mut self.days[index];
        entry.outcomes.add(outcome);
        self.outcomes.add(outcome);
        if let Some(ms) = processing_ms {
            entry.processing.add(ms);
            self.processing.add(ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 10, d).unwrap()
    }

    #[test]
    fn every_day_of_the_range_is_listed_and_callbacks_land_on_theirs() {
        let mut stats = NotificationStatistics::for_days(day(17), day(19));
        stats.count(day(18), NotificationOutcome::Processed, Some(10));
        stats.count(day(18), NotificationOutcome::Processed, Some(21));
        stats.count(day(19), NotificationOutcome::Rejected, Some(3));
        stats.count(day(19), NotificationOutcome::Received, None);
        assert_eq!(
            stats.days.iter().map(|d| d.day).collect::<Vec<_>>(),
            vec![day(17), day(18), day(19)]
        );
        assert_eq!(stats.days[0].outcomes.total(), 0);
        assert_eq!(stats.days[0].processing.average_ms(), None);
        assert_eq!(stats.days[1].outcomes.processed, 2);
        assert_eq!(stats.days[1].processing.average_ms(), Some(15));
        assert_eq!(stats.days[2].outcomes.rejected, 1);
        assert_eq!(stats.days[2].outcomes.received, 1);
        // The untimed callback does not pull the average down.
        assert_eq!(stats.days[2].processing.average_ms(), Some(3));
        assert_eq!(stats.outcomes.total(), 4);
        assert_eq!(stats.processing.timed, 3);
        // Over the callbacks, not over the daily averages ((15 + 3) / 2 = 9).
        assert_eq!(stats.processing.average_ms(), Some(11));
    }

    #[test]
    fn a_day_outside_the_listed_ones_is_added_in_order() {
        let mut stats = NotificationStatistics::for_days(day(18), day(18));
        stats.count(day(20), NotificationOutcome::Error, Some(1));
        stats.count(day(16), NotificationOutcome::Duplicate, Some(1));
        assert_eq!(
            stats.days.iter().map(|d| d.day).collect::<Vec<_>>(),
            vec![day(16), day(18), day(20)]
        );
        assert!(
            NotificationStatistics::for_days(day(19), day(18))
                .days
                .is_empty()
        );
    }

    #[test]
    fn each_outcome_has_its_own_count() {
        let mut counts = OutcomeCounts::default();
        for (n, outcome) in NotificationOutcome::ALL.into_iter().enumerate() {
            for _ in 0..=n {
                counts.add(outcome);
            }
        }
        for (n, outcome) in NotificationOutcome::ALL.into_iter().enumerate() {
            assert_eq!(counts.get(outcome), n as u64 + 1, "{outcome:?}");
        }
        assert_eq!(counts.total(), 21);
    }
}
