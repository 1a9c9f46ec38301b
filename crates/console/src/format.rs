//! How the console writes amounts and times: fen as yuan by integer arithmetic, times in
//! China's time zone.

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Shanghai;

/// `1234` fen → `"12.34"`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    format!("{sign}{}.{:02}", fen / 100, fen % 100)
}

/// `1234567` → `"1,234,567"`.
pub fn grouped(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    if value < 0 { format!("-{out}") } else { out }
}

/// A moment in China's time: `2026-11-30 18:05:09`.
pub fn china_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Shanghai)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A duration in words an operator reads at a glance: `45s`, `12m 5s`, `3h 20m`, `2d 4h`.
pub fn duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m {}s", seconds / 60, seconds % 60),
        3600..86400 => format!("{}h {}m", seconds / 3600, seconds % 3600 / 60),
        _ => format!("{}d {}h", seconds / 86400, seconds % 86400 / 3600),
    }
}

/// What an operator types as yuan (`9.9`, `12.30`, `5`) as fen, by integer arithmetic.
pub fn parse_yuan(raw: &str) -> Result<i64, String> {
    let refused = || format!("{raw:?} is not an amount in yuan such as 9.90");
    let raw_trimmed = raw.trim();
    let (whole, cents) = raw_trimmed.split_once('.').unwrap_or((raw_trimmed, ""));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (raw_trimmed.contains('.') && !digits(cents)) || cents.len() > 2 {
        return Err(refused());
    }
    let whole: i64 = whole.parse().map_err(|_| refused())?;
    let cents: i64 = format!("{cents:0<2}").parse().map_err(|_| refused())?;
    whole
        .checked_mul(100)
        .and_then(|fen| fen.checked_add(cents))
        .ok_or_else(refused)
}

/// A query string (`a=1&b=x%20y`) of the pairs whose value is not empty, for links that
/// keep a page's filters.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        let mut out = String::with_capacity(text.len());
        for byte in text.bytes() {
            if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                out.push(char::from(byte));
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
        out
    };
    pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Midnight in China starting `day`, as an instant (a China day runs from it to the next).
pub fn china_midnight(day: chrono::NaiveDate) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    Shanghai
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .single()
        .map(|at| at.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_is_exact() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(1234), "12.34");
        assert_eq!(yuan(-101), "-1.01");
    }

    #[test]
    fn grouping() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(-1234567), "-1,234,567");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(-3), "0s");
        assert_eq!(duration(59), "59s");
        assert_eq!(duration(725), "12m 5s");
        assert_eq!(duration(12_000), "3h 20m");
        assert_eq!(duration(187_200), "2d 4h");
    }

    #[test]
    fn yuan_typed_by_an_operator() {
        assert_eq!(parse_yuan("9.9"), Ok(990));
        assert_eq!(parse_yuan(" 12.30 "), Ok(1230));
        assert_eq!(parse_yuan("5"), Ok(500));
        assert_eq!(parse_yuan("0.05"), Ok(5));
        for bad in [
            "",
            "1.234",
            "-1",
            "1.",
            ".5",
            "1,5",
            "abc",
            "99999999999999999999",
        ] {
            assert!(parse_yuan(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn china_days_start_at_utc_four_pm() {
        let day = chrono::NaiveDate::from_ymd_opt(2025, 10, 18).unwrap();
        assert_eq!(
            china_midnight(day).unwrap().to_rfc3339(),
            "2025-10-17T16:00:00+00:00"
        );
    }

    #[test]
    fn queries_keep_filled_pairs_encoded() {
        assert_eq!(
            query(&[("a", "1"), ("b", ""), ("c", "x y&z")]),
            "a=1&c=x%20y%26z"
        );
        assert_eq!(query(&[("q", "汇")]), "q=%E6%B1%87");
        assert_eq!(query(&[]), "");
    }
}
