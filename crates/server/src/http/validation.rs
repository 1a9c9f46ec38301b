//! Input checks that collect every problem, so that a 400 lists them all joined by ", "
//! as the old backend's validation pipe did.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use elife_domain::ports::PageRequest;
use elife_domain::privacy::scrub_phone_numbers;

use super::envelope::ApiError;

#[derive(Debug, Default)]
pub struct Problems(Vec<String>);

impl Problems {
    pub fn new() -> Self {
        Problems::default()
    }

    /// A problem as the client will read it; a phone number it repeats is masked, as in
    /// every message that may reach a log.
    pub fn add(&mut self, message: impl Into<String>) {
        self.0.push(scrub_phone_numbers(&message.into()));
    }

    /// The value of a required text field, or a problem noted.
    pub fn required(&mut self, name: &str, value: &Option<String>) -> Option<String> {
        match value.as_deref().map(str::trim) {
            Some(text) if !text.is_empty() => Some(text.to_owned()),
            _ => {
                self.add(format!("{name} should not be empty"));
                None
            }
        }
    }

    /// An optional filter: absent or blank is `None`; otherwise `parse` gives the value or
    /// the problem to note.
    pub fn optional<T>(
        &mut self,
        value: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let raw = value.map(str::trim).filter(|raw| !raw.is_empty())?;
        match parse(raw) {
            Ok(parsed) => Some(parsed),
            Err(message) => {
                self.add(message);
                None
            }
        }
    }

    pub fn into_result(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::bad_request(self.0.join(", ")))
        }
    }

    /// Every problem as one 400, else the checked input. Each check notes a problem whenever
    /// it gives `None`, so the fallback only guards against a check that forgot to.
    pub fn into_value<T>(self, value: Option<T>) -> Result<T, ApiError> {
        self.into_result()?;
        value.ok_or_else(|| ApiError::bad_request("invalid input"))
    }
}

/// A body whose only check is one required text field.
pub fn required_field(name: &str, value: &Option<String>) -> Result<String, ApiError> {
    let mut problems = Problems::new();
    let text = problems.required(name, value);
    problems.into_value(text)
}

/// A day as `YYYY-MM-DD`, or as a full ISO-8601 date-time (the old backend's
/// `@IsDateString` took both): then the China day that instant falls on.
fn parse_day(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok().or_else(|| {
        DateTime::parse_from_rfc3339(raw)
            .ok()
            .map(|at| at.with_timezone(&Shanghai).date_naive())
    })
}

/// `YYYY-MM-DD` as the start of that day in China (UTC+8, the mini-program's days).
pub fn day_start(
    problems: &mut Problems,
    name: &str,
    value: Option<&str>,
) -> Option<DateTime<Utc>> {
    let raw = value.map(str::trim).filter(|raw| !raw.is_empty())?;
    match parse_day(raw) {
        Some(date) => Shanghai
            .from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
            .single()
            .map(|at| at.with_timezone(&Utc)),
        None => {
            problems.add(format!("{name} must be a date YYYY-MM-DD"));
            None
        }
    }
}

/// The end of an inclusive `YYYY-MM-DD` day, as an exclusive bound.
pub fn day_end(problems: &mut Problems, name: &str, value: Option<&str>) -> Option<DateTime<Utc>> {
    day_start(problems, name, value).and_then(|start| start.checked_add_days(Days::new(1)))
}

/// `page` and `limit` from the query, defaults 1 and 10.
///
/// A `limit` above [`PageRequest::MAX_LIMIT`] is served as that maximum (the answer's
/// `pagination.limit` says so): the old backend had no upper bound, so a client asking for
/// more must still get its first page rather than a 400.
pub fn page_request(
    problems: &mut Problems,
    page: Option<&str>,
    limit: Option<&str>,
) -> PageRequest {
    let mut number = |name: &str, raw: Option<&str>, default: u64, max: u64| -> u64 {
        match raw.map(str::trim).filter(|raw| !raw.is_empty()) {
            None => default,
            Some(raw) => match raw.parse::<u64>() {
                Ok(value) if value >= 1 => value.min(max),
                _ => {
                    problems.add(format!("{name} must be an integer of at least 1"));
                    default
                }
            },
        }
    };
    PageRequest {
        page: number("page", page, 1, 1_000_000),
        limit: number("limit", limit, 10, PageRequest::MAX_LIMIT),
    }
}

/// A `YYYY-MM-DD` China day from the query (the figures' periods).
pub fn china_day(problems: &mut Problems, name: &str, raw: Option<&str>) -> Option<NaiveDate> {
    problems.optional(raw, |raw| {
        NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| format!("{name} must be a date YYYY-MM-DD"))
    })
}

/// Midnight of a China day, as an instant.
pub fn china_midnight(day: NaiveDate) -> Result<DateTime<Utc>, ApiError> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|midnight| Shanghai.from_local_datetime(&midnight).single())
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| ApiError::bad_request(format!("{day} is out of range")))
}

/// [`page_request`] for a route whose query has nothing else to check.
pub fn page_only(page: Option<&str>, limit: Option<&str>) -> Result<PageRequest, ApiError> {
    let mut problems = Problems::new();
    let request = page_request(&mut problems, page, limit);
    problems.into_result()?;
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_above_the_maximum_is_served_as_the_maximum() {
        let mut problems = Problems::new();
        let page = page_request(&mut problems, Some("2000000"), Some("1000"));
        assert_eq!(page.limit, PageRequest::MAX_LIMIT);
        assert_eq!(page.page, 1_000_000);
        assert!(problems.into_result().is_ok());
    }

    #[test]
    fn iso_date_times_count_as_their_china_day() {
        let mut problems = Problems::new();
        let start = day_start(&mut problems, "startDate", Some("2025-10-18T20:00:00.000Z"));
        assert_eq!(start.unwrap().to_rfc3339(), "2025-10-18T16:00:00+00:00");
        let end = day_end(&mut problems, "endDate", Some("2025-10-18T00:00:00+08:00"));
        assert_eq!(end.unwrap().to_rfc3339(), "2025-10-18T16:00:00+00:00");
        assert!(problems.into_result().is_ok());
        let mut problems = Problems::new();
        assert_eq!(
            day_start(&mut problems, "startDate", Some("2025-13-01")),
            None
        );
        assert!(problems.into_result().is_err());
    }

    #[test]
    fn days_are_china_days() {
        let mut problems = Problems::new();
        let start = day_start(&mut problems, "startDate", Some("2025-10-18")).unwrap();
        assert_eq!(start.to_rfc3339(), "2025-10-17T16:00:00+00:00");
        let end = day_end(&mut problems, "endDate", Some("2025-10-18")).unwrap();
        assert_eq!(end.to_rfc3339(), "2025-10-18T16:00:00+00:00");
        assert!(problems.into_result().is_ok());
    }

    #[test]
    fn problems_mask_the_phone_numbers_they_repeat() {
        let mut problems = Problems::new();
        problems.add("paymentStatus \"88112233\" is not a payment status");
        let error = problems.into_result().unwrap_err();
        assert_eq!(
            error.message,
            "paymentStatus \"8811****\" is not a payment status"
        );
    }

    #[test]
    fn every_problem_is_reported_together() {
        let mut problems = Problems::new();
        day_start(&mut problems, "startDate", Some("18/10/2025"));
        page_request(&mut problems, Some("0"), Some("-1"));
        let error = problems.into_result().unwrap_err();
        assert_eq!(
            error.message,
            "startDate must be a date YYYY-MM-DD, page must be an integer of at least 1, limit must be an integer of at least 1"
        );
    }
}
