//! The order list's filters as the form sends them (`?payment=&recharge=&anomaly=&anomalies=
//! &phone=&from=&to=&page=`), checked the way the API checks its own, into the domain's
//! [`OrderFilter`]. Days are China days (UTC+8), as everywhere in the back office.

use elife_domain::msisdn::Msisdn;
use elife_domain::order::{AnomalyKind, PaymentStatus, RechargeKind, RechargeStatus};
use elife_domain::ports::{OrderFilter, PageRequest};
use serde::Deserialize;

use crate::pages::forms::{Problems, checked};
use crate::pages::paging;

/// Orders per page of the list.
pub const PAGE_SIZE: u64 = 20;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OrdersQuery {
    pub payment: String,
    pub recharge: String,
    pub anomaly: String,
    /// `true` (the checkbox): only orders with an anomaly.
    pub anomalies: String,
    /// `voice`, `data` or `postpaid`.
    pub kind: String,
    /// A full 8-digit number, matched by the store's blind index.
    pub phone: String,
    pub from: String,
    pub to: String,
    pub page: String,
}

impl OrdersQuery {
    /// The filter and page these parameters mean, or every problem with them.
    pub fn parse(&self) -> Result<(OrderFilter, PageRequest), String> {
        let mut problems = Problems::default();
        let payment_status = problems.optional(&self.payment, |raw| {
            raw.parse::<PaymentStatus>()
                .map_err(|_| format!("payment {raw:?} is not a payment status"))
        });
        let recharge_status = problems.optional(&self.recharge, |raw| {
            raw.parse::<RechargeStatus>()
                .map_err(|_| format!("recharge {raw:?} is not a recharge status"))
        });
        let anomaly = problems.named::<AnomalyKind>(&self.anomaly);
        let recharge_kind = problems.optional(&self.kind, |raw| {
            raw.parse::<RechargeKind>()
                .map_err(|_| format!("类型 kind {raw:?} is not voice, data or postpaid"))
        });
        let msisdn = problems.optional(&self.phone, |raw| {
            Msisdn::parse(raw).map_err(|error| format!("手机号 phone: {error}"))
        });
        let (created_from, created_before) = problems.ordered_china_days(&self.from, &self.to);
        let page = problems.page_request(&self.page, PAGE_SIZE);
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
        let anomalies = if checked(&self.anomalies) { "true" } else { "" };
        paging::page_link(
            "/console/orders",
            &[
                ("payment", &self.payment),
                ("recharge", &self.recharge),
                ("anomaly", &self.anomaly),
                ("anomalies", anomalies),
                ("kind", &self.kind),
                ("phone", &self.phone),
                ("from", &self.from),
                ("to", &self.to),
            ],
            page,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The query as the form sends it (`a=1&b=2`).
    fn query(pairs: &str) -> OrdersQuery {
        actix_web::web::Query::<OrdersQuery>::from_query(pairs)
            .expect("a query")
            .into_inner()
    }

    #[test]
    fn no_filter_is_the_first_page_of_everything() {
        let (filter, page) = query("").parse().unwrap();
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
        let (filter, _) = query("from=2026-11-30&to=2026-11-30").parse().unwrap();
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
        let (filter, page) = query(
            "payment=paid&recharge=unknown&anomaly=amount_mismatch&anomalies=true\
             &phone=+88112233+&page=3",
        )
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
        let error = query("phone=8811223").parse().unwrap_err();
        assert!(error.contains("phone"), "{error}");
        assert!(!error.contains("8811223"), "{error}");
        let error = query("phone=881122334").parse().unwrap_err();
        assert!(!error.contains("881122334"), "{error}");
    }

    #[test]
    fn every_problem_is_listed() {
        let error = query("payment=gone&recharge=later&anomaly=odd&from=30/11/2026&page=0")
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
        let backwards = query("from=2026-12-01&to=2026-11-30").parse().unwrap_err();
        assert!(backwards.contains("from must not be after to"));
    }

    #[test]
    fn links_keep_the_filters() {
        let query = query("recharge=failed&anomalies=on&page=4");
        assert_eq!(
            query.href(5),
            "/console/orders?recharge=failed&anomalies=true&page=5"
        );
    }
}
