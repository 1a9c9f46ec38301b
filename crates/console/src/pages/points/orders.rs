//! Points orders: the list with the filters of `GET /admin/points/orders`, and a refund
//! (the points it granted taken back in proportion first), as
//! `POST /admin/points/orders/{orderNo}/refund`.

use actix_web::{HttpResponse, web};
use elife_domain::accounts::permissions::Permission;
use elife_domain::money::Fen;
use elife_domain::order::OpenId;
use elife_domain::payments::RefundOutcome;
use elife_domain::points::{Package, PointsOrder, PointsOrderFilter, PointsOrderStatus};
use elife_domain::ports::PageRequest;
use elife_domain::privacy::scrub_phone_numbers;
use serde::Deserialize;

use super::{Flash, render};
use crate::error::ConsoleError;
use crate::format;
use crate::pages::context::Context;
use crate::pages::forms::{Problems, given, order_number, text};
use crate::pages::paging::{self, Pager};

/// Orders per page.
const PAGE_SIZE: u64 = 20;

/// The orders' filters as the form sends them (`?status=&package=&openid=&from=&to=&page=`);
/// actions carry them in their URL so that the page re-renders as it was.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct OrdersQuery {
    status: String,
    package: String,
    openid: String,
    /// China day of creation, inclusive.
    from: String,
    to: String,
    page: String,
}

impl OrdersQuery {
    fn pairs(&self) -> [(&'static str, &str); 5] {
        [
            ("status", self.status.trim()),
            ("package", self.package.trim()),
            ("openid", self.openid.trim()),
            ("from", self.from.trim()),
            ("to", self.to.trim()),
        ]
    }

    /// The filters and the page, for an action's URL.
    fn here(&self) -> String {
        let mut pairs = self.pairs().to_vec();
        pairs.push(("page", self.page.trim()));
        format::query(&pairs)
    }

    fn page_link(&self, page: u64) -> String {
        let link = paging::page_link("/console/points", &self.pairs(), page);
        format!("{link}#orders")
    }

    /// The filter and page, checked as the API checks them; every problem at once.
    fn parse(&self) -> Result<(PointsOrderFilter, u64), ConsoleError> {
        let mut problems = Problems::default();
        let status = problems.optional(&self.status, |raw| {
            raw.parse::<PointsOrderStatus>().map_err(|_| {
                let names: Vec<&str> = PointsOrderStatus::ALL
                    .iter()
                    .map(|status| status.as_str())
                    .collect();
                format!("status {raw:?} must be one of {}", names.join(", "))
            })
        });
        let package_id = problems.optional(&self.package, |raw| {
            raw.parse::<i64>()
                .map_err(|_| format!("packageId {raw:?} must be a number"))
        });
        let user = problems.optional(&self.openid, OpenId::parse);
        let (created_from, created_before) = problems.china_days(&self.from, &self.to);
        let page = problems.page_number(&self.page);
        let filter = PointsOrderFilter {
            user,
            status,
            package_id,
            created_from,
            created_before,
        };
        problems.check((filter, page))
    }
}

pub(super) struct Choice {
    pub(super) value: String,
    pub(super) label: String,
    pub(super) selected: bool,
}

pub(super) struct OrderRow {
    pub(super) number: String,
    pub(super) created: String,
    /// The buyer's openid, masked.
    pub(super) user: String,
    pub(super) package: String,
    pub(super) amount: String,
    pub(super) points: i64,
    pub(super) status: &'static str,
    /// The badge class of the status.
    pub(super) badge: &'static str,
    pub(super) refunded: String,
    pub(super) paid_at: String,
    /// Paid and not all given back: a refund form is offered (the use case decides).
    pub(super) refundable: bool,
}

fn row(order: &PointsOrder) -> OrderRow {
    let badge = match order.status {
        PointsOrderStatus::Paid => "ok",
        PointsOrderStatus::PartlyRefunded | PointsOrderStatus::Refunded => "warn",
        PointsOrderStatus::Pending | PointsOrderStatus::Closed => "",
    };
    OrderRow {
        number: order.order_no.as_str().to_owned(),
        created: format::china_time(order.created_at),
        user: order.user.masked(),
        package: order.package_name.clone(),
        amount: format::yuan(order.amount.value()),
        points: order.total_points(),
        status: order.status.as_str(),
        badge,
        refunded: format::yuan(order.refunded.value()),
        paid_at: order.paid_at.map(format::china_time).unwrap_or_default(),
        refundable: matches!(
            order.status,
            PointsOrderStatus::Paid | PointsOrderStatus::PartlyRefunded
        ),
    }
}

pub(super) struct OrdersView {
    pub(super) status: String,
    pub(super) openid: String,
    pub(super) from: String,
    pub(super) to: String,
    pub(super) statuses: Vec<Choice>,
    pub(super) packages: Vec<Choice>,
    pub(super) rows: Vec<OrderRow>,
    pub(super) total: u64,
    pub(super) pager: Pager,
    /// The query an action's URL carries.
    pub(super) here: String,
    pub(super) can_refund: bool,
}

pub(super) async fn view(
    cx: &Context,
    query: &OrdersQuery,
    packages: &[Package],
) -> Result<OrdersView, ConsoleError> {
    let (filter, page) = query.parse()?;
    let orders = cx
        .services()
        .points_shop
        .orders(
            &filter,
            PageRequest {
                page,
                limit: PAGE_SIZE,
            },
        )
        .await?;
    Ok(OrdersView {
        status: text(&query.status),
        openid: text(&query.openid),
        from: text(&query.from),
        to: text(&query.to),
        statuses: PointsOrderStatus::ALL
            .iter()
            .map(|status| Choice {
                value: status.as_str().to_owned(),
                label: status.as_str().to_owned(),
                selected: Some(*status) == filter.status,
            })
            .collect(),
        packages: packages
            .iter()
            .map(|package| Choice {
                value: package.id.to_string(),
                label: format!("#{} {}", package.id, package.name),
                selected: Some(package.id) == filter.package_id,
            })
            .collect(),
        rows: orders.items.iter().map(row).collect(),
        total: orders.total,
        pager: Pager::of(&orders, None, |page| query.page_link(page)),
        here: query.here(),
        can_refund: cx.operator.may(Permission::RefundOrders),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RefundForm {
    /// Yuan; all that remains when blank.
    amount: String,
    reason: String,
}

fn refund_input(form: &RefundForm) -> Result<(Option<Fen>, String), ConsoleError> {
    let Some(reason) = given(&form.reason) else {
        return Err(ConsoleError::Invalid(
            "reason should not be empty".to_owned(),
        ));
    };
    let amount = match given(&form.amount) {
        None => None,
        Some(raw) => {
            Some(Fen::new(format::parse_yuan(raw).map_err(|problem| {
                ConsoleError::Invalid(format!("amount: {problem}"))
            })?))
        }
    };
    Ok((amount, reason.to_owned()))
}

pub(super) async fn refund(
    cx: Context,
    path: web::Path<String>,
    query: web::Query<OrdersQuery>,
    form: web::Form<RefundForm>,
) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::RefundOrders)?;
    let (amount, reason) = refund_input(&form)?;
    let number = order_number(&path)?;
    let outcome = cx
        .services()
        .points_shop
        .refund(&number, amount, &reason, &cx.operator.act())
        .await?;
    let flash = match outcome {
        RefundOutcome::Refunded => {
            Flash::done(format!("订单 {number} 已退款 Order {number} refunded"))
        }
        RefundOutcome::InProgress => Flash::done(format!(
            "订单 {number} 退款处理中 Refund of order {number} in progress: checked again later"
        )),
        RefundOutcome::Failed(message) => Flash::failed(format!(
            "订单 {number} 退款失败 Refund of order {number} failed: {}",
            scrub_phone_numbers(&message)
        )),
    };
    render(&cx, &query, Some(flash)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked_as_the_api_checks_them() {
        let query = OrdersQuery {
            status: "paid".to_owned(),
            package: "3".to_owned(),
            openid: " o-abc123456789 ".to_owned(),
            from: "2025-10-18".to_owned(),
            to: "2025-10-18".to_owned(),
            page: "2".to_owned(),
        };
        let (filter, page) = query.parse().unwrap();
        assert_eq!(page, 2);
        assert_eq!(filter.status, Some(PointsOrderStatus::Paid));
        assert_eq!(filter.package_id, Some(3));
        assert_eq!(filter.user.unwrap().as_str(), "o-abc123456789");
        assert_eq!(
            filter.created_before.unwrap() - filter.created_from.unwrap(),
            chrono::Duration::days(1)
        );
        let bad = OrdersQuery {
            status: "sold".to_owned(),
            package: "x".to_owned(),
            ..OrdersQuery::default()
        };
        let Err(ConsoleError::Invalid(message)) = bad.parse() else {
            panic!("expected a refusal");
        };
        assert_eq!(
            message,
            "status \"sold\" must be one of pending, paid, closed, partly_refunded, refunded, \
             packageId \"x\" must be a number"
        );
    }

    #[test]
    fn links_keep_the_filters() {
        let query = OrdersQuery {
            status: "paid".to_owned(),
            page: "3".to_owned(),
            ..OrdersQuery::default()
        };
        assert_eq!(query.here(), "status=paid&page=3");
        assert_eq!(
            query.page_link(4),
            "/console/points?status=paid&page=4#orders"
        );
    }

    #[test]
    fn a_refund_needs_a_reason_and_takes_yuan() {
        let form = |amount: &str, reason: &str| RefundForm {
            amount: amount.to_owned(),
            reason: reason.to_owned(),
        };
        assert!(matches!(
            refund_input(&form("", " ")),
            Err(ConsoleError::Invalid(_))
        ));
        assert_eq!(
            refund_input(&form("", " asked ")).unwrap(),
            (None, "asked".to_owned())
        );
        assert_eq!(
            refund_input(&form("4.5", "asked")).unwrap().0,
            Some(Fen::new(450))
        );
        assert!(refund_input(&form("4.555", "asked")).is_err());
    }
}
