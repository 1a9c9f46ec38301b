//! WeChat Pay v2 times: `yyyyMMddHHmmss` in China Standard Time (UTC+8, no DST).

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};

const CHINA_OFFSET_SECONDS: i32 = 8 * 3600;
const FORMAT: &str = "%Y%m%d%H%M%S";

/// Formats a time for WeChat (`time_expire`).
pub(crate) fn format_china_time(time: DateTime<Utc>) -> String {
    match FixedOffset::east_opt(CHINA_OFFSET_SECONDS) {
        Some(china) => time.with_timezone(&china).format(FORMAT).to_string(),
        None => time.format(FORMAT).to_string(),
    }
}

/// Parses a WeChat `time_end`; `None` when it is not exactly 14 digits of a real time.
pub(crate) fn parse_china_time(raw: &str) -> Option<DateTime<Utc>> {
    if raw.len() != 14 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let naive = NaiveDateTime::parse_from_str(raw, FORMAT).ok()?;
    let china = FixedOffset::east_opt(CHINA_OFFSET_SECONDS)?;
    china
        .from_local_datetime(&naive)
        .single()
        .map(|time| time.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_back() {
        let utc = parse_china_time("20220321132007").unwrap();
        assert_eq!(format_china_time(utc), "20220321132007");
    }

    #[test]
    fn converts_china_time_to_utc() {
        let utc = parse_china_time("20220321132007").unwrap();
        assert_eq!(utc.to_rfc3339(), "2022-03-21T05:20:07+00:00");
        // Just after midnight in China is the previous day in UTC.
        let utc = parse_china_time("20220101000500").unwrap();
        assert_eq!(utc.to_rfc3339(), "2021-12-31T16:05:00+00:00");
    }

    #[test]
    fn refuses_malformed_times() {
        for bad in [
            "",
            "2022032113200",
            "202203211320071",
            "2022-03-21 13:20",
            "20221341132007",
        ] {
            assert!(parse_china_time(bad).is_none(), "{bad:?} accepted");
        }
    }
}
