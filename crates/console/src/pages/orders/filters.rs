//! The order list's filters as the form sends them (`?payment=&recharge=&anomaly=&anomalies=
//! &phone=&from=&to=&page=`), checked the way the API checks its own, into the domain's
//! [`OrderFilter`]. Days are China days (UTC+8), as everywhere in the back office.

use chrono::{DateTime, Days, NaiveDate, Utc};
use elife_domain::msisdn::Msisdn;
use elife_domain::order::{AnomalyKind, PaymentStatus, RechargeKind, RechargeStatus};
use elife_domain::ports::{OrderFilter, PageRequest};
use elife_domain::privacy::scrub_phone_numbers;
use serde::Deserialize;

use super::paging;
use crate::format;

/// Orders per page of the list.
pub const PAGE_SIZE: u64 = 20;
/// The furthest page anyone may ask for (as the API).
const MAX_PAGE: u64 = 1_000_000;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrdersQuery {
    pub payment: Option<String>,
    pub recharge: Option<String>,
    pub anomaly: Option<String>,
    /// `true` (the checkbox): only orders with an anomaly.
    pub anomalies: Option<String>,
    /// `voice`, `data` or `postpaid`.
    pub kind: Option<String>,
    /// A full 8-digit number, matched by the store's blind index.
    pub phone: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<String>,
}

/// Every problem with the input, listed together (phone numbers it repeats masked).
#[derive(Debug, Default)]
pub struct Problems(Vec<String>);

impl Problems {
    pub fn add(&mut self, message: impl Into<String>) {
        self.0.push(scrub_phone_numbers(&message.into()));
    }

    pub fn into_result<T>(self, value: T) -> Result<T, String> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0.join(", "))
        }
    }
}

/// A field as typed: `None` when absent or blank.
pub fn given(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|raw| !raw.is_empty())
}

/// The bounds `[from, before)` of the China days `from` to `to`, both inclusive and both
/// optional, as `YYYY-MM-DD`.
pub fn china_days(
    problems: &mut Problems,
    from: &Option<String>,
    to: &Option<String>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let mut day = |name: &str, raw: &Option<String>| {
        let raw = given(raw)?;
        let parsed = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok();
        if parsed.is_none() {
            problems.add(format!("{name} must be a date YYYY-MM-DD"));
        }
        parsed
    };
    let (first, last) = (day("from", from), day("to", to));
    if let (Some(first), Some(last)) = (first, last)
        && first > last
    {
        problems.add("from must not be after to");
    }
    (
        first.and_then(format::china_midnight),
        last.and_then(|last| last.checked_add_days(Days::new(1)))
            .and_then(format::china_midnight),
    )
}

/// Page `page` (1 when absent) of `limit` rows.
pub fn page_request(problems: &mut Problems, page: &Option<String>, limit: u64) -> PageRequest {
    let page = match given(page).map(str::parse::<u64>) {
        None => 1,
        Some(Ok(page)) if page >= 1 => page.min(MAX_PAGE),
        Some(_) => {
            problems.add("page must be an integer of at least 1");
            1
        }
    };
    PageRequest { page, limit }
}

/// A checkbox or `?x=true`.
pub fn checked(raw: &Option<String>) -> bool {
    given(raw).is_some_and(|raw| matches!(raw, "true" | "on" | "1"))
}

impl OrdersQuery {
    /// The filter and page these parameters mean, or every problem with them.
    pub fn parse(&self) -> Result<(OrderFilter, PageRequest), String> {
        let mut problems = Problems::default();
        let payment_status = given(&self.payment).and_then(|raw| {
            let parsed = raw.parse::<PaymentStatus>().ok();
            if parsed.is_none() {
                problems.add(format!("payment {raw:?} is not a payment status"));
            }
            parsed
        });
        let recharge_status = given(&self.recharge).and_then(|raw| {
            let parsed = raw.parse::<RechargeStatus>().ok();
            if parsed.is_none() {
                problems.add(format!("recharge {raw:?} is not a recharge status"));
            }
            parsed
        });
        let anomaly = given(&self.anomaly).and_then(|raw| {
            raw.parse::<AnomalyKind>()
                .map_err(|message| problems.add(message))
                .ok()
        });
        let recharge_kind = given(&self.kind).and_then(|raw| {
            let parsed = raw.parse::<RechargeKind>().ok();
            if parsed.is_none() {
                problems.add(format!("类型 kind {raw:?} is not voice, data or postpaid"));
            }
            parsed
        });
        let msisdn = given(&self.phone).and_then(|raw| {
            Msisdn::parse(raw)
                .map_err(|error| {
                    problems.add(format!("手机号 phone: {error}"));
                })
                .ok()
        });
        let (created_from, created_before) = china_days(&mut problems, &self.from, &self.to);
        let page = page_request(&mut problems, &self.page, PAGE_SIZE);
        let filter = OrderFilter {
            payment_status,
            recharge_status,
            created_from,
            created_before,
            anomaly,
            only_anomalies: checked(&self.anomalies),
            msisdn,
            recharge_kind,
        };
        problems.into_result((filter, page))
    }

    /// The list with these filters, on page `page`.
    pub fn href(&self, page: u64) -> String {
        let text = |raw: &Option<String>| given(raw).unwrap_or_default().to_owned();
        let page = page.to_string();
        let anomalies = if checked(&self.anomalies) { "true" } else { "" };
        paging::link(
            "/console/orders",
            &[
                ("payment", &text(&self.payment)),
                ("recharge", &text(&self.recharge)),
                ("anomaly", &text(&self.anomaly)),
                ("anomalies", anomalies),
                ("kind", &text(&self.kind)),
                ("phone", &text(&self.phone)),
                ("from", &text(&self.from)),
                ("to", &text(&self.to)),
                ("page", &page),
            ],
        )
    }
}

/// One option of a filter's select.
pub struct Choice {
    pub value: &'static str,
    pub selected: bool,
}

/// `values` as options, the one typed selected.
pub fn choices(
    values: impl IntoIterator<Item = &'static str>,
    typed: &Option<String>,
) -> Vec<Choice> {
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

    fn query(pairs: &[(&str, &str)]) -> OrdersQuery {
        let mut query = OrdersQuery::default();
        for (name, value) in pairs {
            let value = Some((*value).to_owned());
            match *name {
                "payment" => query.payment = value,
                "recharge" => query.recharge = value,
                "anomaly" => query.anomaly = value,
                "anomalies" => query.anomalies = value,
                "kind" => query.kind = value,
                "phone" => query.phone = value,
                "from" => query.from = value,
                "to" => query.to = value,
                "page" => query.page = value,
                other => panic!("no parameter {other}"),
            }
        }
        query
    }

    #[test]
    fn no_filter_is_the_first_page_of_everything() {
        let (filter, page) = query(&[]).parse().unwrap();
        assert_eq!(filter, OrderFilter::default());
        assert_eq!(
            page,
            PageRequest {
                page: 1,
                limit: PAGE_SIZE
            }
        );
    }

    #[test]
    fn china_days_become_utc_bounds() {
        let (filter, _) = query(&[("from", "2026-11-30"), ("to", "2026-11-30")])
            .parse()
            .unwrap();
        assert_eq!(
            filter.created_from.unwrap().to_rfc3339(),
            "2026-11-29T16:00:00+00:00"
        );
        // Inclusive day, exclusive bound: the next China midnight.
        assert_eq!(
            filter.created_before.unwrap().to_rfc3339(),
            "2026-11-30T16:00:00+00:00"
        );
    }

    #[test]
    fn every_field_is_parsed() {
        let (filter, page) = query(&[
            ("payment", "paid"),
            ("recharge", "unknown"),
            ("anomaly", "amount_mismatch"),
            ("anomalies", "true"),
            ("phone", " 88112233 "),
            ("page", "3"),
        ])
        .parse()
        .unwrap();
        assert_eq!(filter.payment_status, Some(PaymentStatus::Paid));
        assert_eq!(filter.recharge_status, Some(RechargeStatus::Unknown));
        assert_eq!(filter.anomaly, Some(AnomalyKind::AmountMismatch));
        assert!(filter.only_anomalies);
        assert_eq!(filter.msisdn, Some(Msisdn::parse("88112233").unwrap()));
        assert_eq!(page.page, 3);
    }

    #[test]
    fn an_invalid_phone_is_refused_without_repeating_it() {
        let error = query(&[("phone", "8811223")]).parse().unwrap_err();
        assert!(error.contains("phone"), "{error}");
        assert!(!error.contains("8811223"), "{error}");
        let error = query(&[("phone", "881122334")]).parse().unwrap_err();
        assert!(!error.contains("881122334"), "{error}");
    }

    #[test]
    fn every_problem_is_listed() {
        let error = query(&[
            ("payment", "gone"),
            ("recharge", "later"),
            ("anomaly", "odd"),
            ("from", "30/11/2026"),
            ("page", "0"),
        ])
        .parse()
        .unwrap_err();
        for part in [
            "payment",
            "recharge",
            "anomaly",
            "from must be a date",
            "page",
        ] {
            assert!(error.contains(part), "{part} missing from {error}");
        }
        let backwards = query(&[("from", "2026-12-01"), ("to", "2026-11-30")])
            .parse()
            .unwrap_err();
        assert!(backwards.contains("from must not be after to"));
    }

    #[test]
    fn links_keep_the_filters() {
        let query = query(&[("recharge", "failed"), ("anomalies", "on"), ("page", "4")]);
        assert_eq!(
            query.href(5),
            "/console/orders?recharge=failed&anomalies=true&page=5"
        );
    }

    #[test]
    fn the_typed_choice_is_selected() {
        let options = choices(["a", "b"], &Some("b".to_owned()));
        assert!(!options[0].selected && options[1].selected);
    }
}
