//! The simulator's clock: real time plus an offset tests can move forward (past an order's
//! `time_expire`, for instance) without waiting. Signature timestamps read it too.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration as ChronoDuration, FixedOffset, SecondsFormat, Utc};

#[derive(Debug, Default)]
pub(crate) struct SimClock {
    offset_ms: AtomicI64,
}

impl SimClock {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        Utc::now() + ChronoDuration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }

    pub(crate) fn advance_ms(&self, milliseconds: i64) {
        self.offset_ms.fetch_add(milliseconds, Ordering::SeqCst);
    }

    pub(crate) fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }
}

/// China Standard Time, in which WeChat Pay prints every time.
fn china(time: DateTime<Utc>) -> DateTime<FixedOffset> {
    const CHINA_OFFSET_SECONDS: i32 = 8 * 3600;
    match FixedOffset::east_opt(CHINA_OFFSET_SECONDS) {
        Some(offset) => time.with_timezone(&offset),
        None => time.fixed_offset(),
    }
}

/// API v3's time format: RFC 3339 in China time, whole seconds (`2018-06-08T10:34:56+08:00`).
pub(crate) fn rfc3339(time: DateTime<Utc>) -> String {
    china(time).to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The China calendar day of an instant: bills are per China day.
pub(crate) fn china_day(time: DateTime<Utc>) -> chrono::NaiveDate {
    china(time).date_naive()
}

/// `2018-06-08 10:34:56`, as in the bill files.
pub(crate) fn bill_time(time: DateTime<Utc>) -> String {
    china(time).format("%Y-%m-%d %H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_china_time_with_its_offset() {
        let time = DateTime::parse_from_rfc3339("2018-06-08T02:34:56.789Z")
            .map(|time| time.with_timezone(&Utc))
            .expect("a valid time");
        assert_eq!(rfc3339(time), "2018-06-08T10:34:56+08:00");
        assert_eq!(bill_time(time), "2018-06-08 10:34:56");
        assert_eq!(china_day(time).to_string(), "2018-06-08");
    }
}
