//! Reading what a filter form or an action form sends, the way the API reads its own input:
//! blank means absent, every problem is collected so that one answer lists them all, a
//! phone number a message repeats is masked, and days are China days (UTC+8).

use chrono::{DateTime, Days, NaiveDate, Utc};
use elife_domain::order::OrderNumber;
use elife_domain::ports::PageRequest;
use elife_domain::privacy::scrub_phone_numbers;

use crate::error::ConsoleError;
use crate::format;

/// The furthest page anyone may ask for (as the API).
const MAX_PAGE: u64 = 1_000_000;

/// A field as typed: `None` when blank.
pub fn given(raw: &str) -> Option<&str> {
    Some(raw.trim()).filter(|raw| !raw.is_empty())
}

/// A field as typed, trimmed: what a form shows again.
pub fn text(raw: &str) -> String {
    raw.trim().to_owned()
}

/// A checkbox or `?x=true`.
pub fn checked(raw: &str) -> bool {
    given(raw).is_some_and(|raw| matches!(raw, "true" | "on" | "1"))
}

/// The order a path names; a number that cannot name one names none: the same 404 as an
/// unknown one.
pub fn order_number(raw: &str) -> Result<OrderNumber, ConsoleError> {
    let raw = raw.trim();
    OrderNumber::parse(raw).map_err(|_| ConsoleError::NotFound(format!("order {raw} not found")))
}

/// The bounds `[from, before)` of a run of China days.
pub type Bounds = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// Every problem with the input, listed together (phone numbers it repeats masked).
#[derive(Debug, Default)]
pub struct Problems(Vec<String>);

impl Problems {
    pub fn add(&mut self, message: impl Into<String>) {
        self.0.push(scrub_phone_numbers(&message.into()));
    }

    /// `value`, or every problem joined, as the form shows them.
    pub fn into_result<T>(self, value: T) -> Result<T, String> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0.join(", "))
        }
    }

    /// `value`, or every problem as one refusal.
    pub fn check<T>(self, value: T) -> Result<T, ConsoleError> {
        self.into_result(value).map_err(ConsoleError::Invalid)
    }

    /// The checked input, or every problem as one refusal. Each check notes a problem
    /// whenever it gives `None`, so the fallback only guards against one that forgot to.
    pub fn into_value<T>(self, value: Option<T>) -> Result<T, ConsoleError> {
        self.check(value)?
            .ok_or_else(|| ConsoleError::Invalid("invalid input".to_owned()))
    }

    /// A required field, trimmed; `{name} should not be empty` when blank.
    pub fn required(&mut self, name: &str, raw: &str) -> Option<String> {
        let value = given(raw).map(str::to_owned);
        if value.is_none() {
            self.add(format!("{name} should not be empty"));
        }
        value
    }

    /// An optional field: blank is `None`; otherwise `parse` gives the value or the problem.
    pub fn optional<T, E: std::fmt::Display>(
        &mut self,
        raw: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        parse(given(raw)?)
            .map_err(|problem| self.add(problem.to_string()))
            .ok()
    }

    /// An optional name (`exchange_rate.change`, `admin`, `paid`); an unknown one is a
    /// problem in the words of its parser.
    pub fn named<T>(&mut self, raw: &str) -> Option<T>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        self.optional(raw, str::parse::<T>)
    }

    /// An optional `YYYY-MM-DD` China day.
    pub fn day(&mut self, name: &str, raw: &str) -> Option<NaiveDate> {
        self.optional(raw, |raw| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map_err(|_| format!("{name} must be a date YYYY-MM-DD"))
        })
    }

    /// The China days `from` to `to` (`YYYY-MM-DD`, both inclusive, both optional).
    pub fn china_days(&mut self, from: &str, to: &str) -> Bounds {
        let (first, last) = (self.day("from", from), self.day("to", to));
        bounds(first, last)
    }

    /// The same, where a `from` after `to` is a problem too.
    pub fn ordered_china_days(&mut self, from: &str, to: &str) -> Bounds {
        let (first, last) = (self.day("from", from), self.day("to", to));
        if let (Some(first), Some(last)) = (first, last)
            && first > last
        {
            self.add("from must not be after to");
        }
        bounds(first, last)
    }

    /// A page number of at least 1; 1 when blank.
    pub fn page_number(&mut self, raw: &str) -> u64 {
        match given(raw).map(str::parse::<u64>) {
            None => 1,
            Some(Ok(page)) if page >= 1 => page.min(MAX_PAGE),
            Some(_) => {
                self.add("page must be an integer of at least 1");
                1
            }
        }
    }

    /// Page `raw` (1 when blank) of `limit` rows.
    pub fn page_request(&mut self, raw: &str, limit: u64) -> PageRequest {
        PageRequest {
            page: self.page_number(raw),
            limit,
        }
    }
}

/// From China midnight of `first` to China midnight after `last`.
fn bounds(first: Option<NaiveDate>, last: Option<NaiveDate>) -> Bounds {
    (
        first.and_then(format::china_midnight),
        last.and_then(|last| last.checked_add_days(Days::new(1)))
            .and_then(format::china_midnight),
    )
}

/// The page number of a list that has no other filter; a wrong one is refused.
pub fn page_number(raw: &str) -> Result<u64, ConsoleError> {
    let mut problems = Problems::default();
    let page = problems.page_number(raw);
    problems.check(page)
}

/// One option of a select.
pub struct Choice {
    pub value: &'static str,
    pub selected: bool,
}

/// `values` as options, the one typed selected.
pub fn choices(values: impl IntoIterator<Item = &'static str>, typed: &str) -> Vec<Choice> {
    let typed = given(typed);
    values
        .into_iter()
        .map(|value| Choice {
            value,
            selected: typed == Some(value),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_absent_and_every_problem_is_kept() {
        let mut problems = Problems::default();
        assert_eq!(given("  "), None);
        assert_eq!(problems.required("reason", " why "), Some("why".to_owned()));
        assert_eq!(problems.required("username", " "), None);
        assert_eq!(problems.named::<u8>(""), None);
        assert_eq!(problems.named::<u8>("x"), None);
        assert_eq!(problems.page_number("0"), 1);
        assert_eq!(problems.page_number(" 3 "), 3);
        let message = problems.into_result(()).unwrap_err();
        assert_eq!(
            message,
            "username should not be empty, invalid digit found in string, \
             page must be an integer of at least 1"
        );
    }

    #[test]
    fn problems_mask_the_phone_numbers_they_repeat() {
        let mut problems = Problems::default();
        problems.add("status \"88112233\" is unknown");
        let Err(ConsoleError::Invalid(message)) = problems.check(()) else {
            panic!("expected a refusal");
        };
        assert_eq!(message, "status \"8811****\" is unknown");
    }

    #[test]
    fn china_days_become_utc_bounds() {
        let mut problems = Problems::default();
        let (from, before) = problems.china_days("2025-10-18", "2025-10-18");
        assert_eq!(from.unwrap().to_rfc3339(), "2025-10-17T16:00:00+00:00");
        assert_eq!(before.unwrap().to_rfc3339(), "2025-10-18T16:00:00+00:00");
        // Backwards days are an empty run here, a problem where the order is checked.
        problems.china_days("2025-10-19", "2025-10-18");
        assert!(problems.into_result(()).is_ok());
        let mut problems = Problems::default();
        problems.ordered_china_days("2025-10-19", "2025-10-18");
        problems.ordered_china_days("18/10/2025", "");
        assert_eq!(
            problems.into_result(()).unwrap_err(),
            "from must not be after to, from must be a date YYYY-MM-DD"
        );
    }

    #[test]
    fn a_malformed_order_number_is_not_found() {
        assert!(matches!(
            order_number("../etc"),
            Err(ConsoleError::NotFound(_))
        ));
    }

    #[test]
    fn the_typed_choice_is_selected() {
        let options = choices(["a", "b"], " b ");
        assert!(!options[0].selected && options[1].selected);
        assert!(checked("on") && checked("true") && !checked("") && !checked("no"));
    }
}
