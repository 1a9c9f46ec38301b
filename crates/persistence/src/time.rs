//! Timestamps are stored as UTC without zone, truncated to microseconds: the precision of
//! PostgreSQL `timestamp` and MySQL `DATETIME(6)`, so that what is written reads back equal
//! on every backend.

use chrono::{DateTime, DurationRound, NaiveDateTime, TimeDelta, Utc};

pub fn to_db(at: DateTime<Utc>) -> NaiveDateTime {
    let naive = at.naive_utc();
    naive
        .duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(naive)
}

pub fn from_db(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

/// `at` as the backends will return it (for callers that compare with stored values).
pub fn truncated(at: DateTime<Utc>) -> DateTime<Utc> {
    from_db(to_db(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn truncates_to_microseconds() {
        let at = Utc
            .timestamp_opt(1_760_781_600, 123_456_789)
            .single()
            .unwrap();
        assert_eq!(truncated(at).timestamp_subsec_nanos(), 123_456_000);
        assert_eq!(truncated(truncated(at)), truncated(at));
    }
}
