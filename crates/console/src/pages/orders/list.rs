//! `GET /console/orders`: every customer's orders, newest first, filtered; phone numbers
//! masked. The filter form is a plain GET form; with htmx it replaces only the table.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use elife_domain::accounts::permissions::Permission;
use elife_domain::order::{AnomalyKind, Order, PaymentStatus, RechargeKind, RechargeStatus};

use super::filters::OrdersQuery;
use super::{payment_badge, recharge_badge};
use crate::error::ConsoleError;
use crate::format;
use crate::layout::{Chrome, Section};
use crate::pages::context::{Context, html};
use crate::pages::forms::{Choice, checked, choices, text};
use crate::pages::paging::Pager;

/// The id of the element the filters and the pager replace.
const TABLE: &str = "orders-table";

/// One order as the list shows it.
pub struct OrderRow {
    pub number: String,
    pub created: String,
    pub phone: String,
    pub operator: String,
    pub kind: &'static str,
    pub package: String,
    pub yuan: String,
    pub mnt: String,
    pub payment: &'static str,
    pub payment_badge: &'static str,
    pub recharge: &'static str,
    pub recharge_badge: &'static str,
    pub anomaly: Option<(&'static str, String)>,
}

impl From<&Order> for OrderRow {
    fn from(order: &Order) -> Self {
        OrderRow {
            number: order.number.to_string(),
            created: format::china_time(order.created_at),
            phone: order.msisdn.masked(),
            operator: order.product.operator.to_string(),
            kind: order.product.kind.as_str(),
            package: order.product.name.clone(),
            yuan: format::yuan(order.price_fen.value()),
            mnt: format::grouped(order.product.price.value()),
            payment: order.payment_status.as_str(),
            payment_badge: payment_badge(order.payment_status),
            recharge: order.recharge_status.as_str(),
            recharge_badge: recharge_badge(order.recharge_status),
            anomaly: order.anomaly.as_ref().map(|anomaly| {
                (
                    anomaly.kind.as_str(),
                    elife_domain::privacy::scrub_phone_numbers(&anomaly.details),
                )
            }),
        }
    }
}

/// The table and its pager: the part htmx replaces.
#[derive(Template)]
#[template(path = "orders_table.html")]
struct OrdersTable {
    error: Option<String>,
    rows: Vec<OrderRow>,
    pager: Pager,
    table: &'static str,
}

/// What the filter form shows: the values typed, the options of each select.
struct FilterForm {
    payment: Vec<Choice>,
    recharge: Vec<Choice>,
    anomaly: Vec<Choice>,
    kind: Vec<Choice>,
    anomalies: bool,
    phone: String,
    from: String,
    to: String,
}

impl FilterForm {
    fn of(query: &OrdersQuery) -> Self {
        FilterForm {
            payment: choices(
                PaymentStatus::ALL.map(PaymentStatus::as_str),
                &query.payment,
            ),
            recharge: choices(
                RechargeStatus::ALL.map(RechargeStatus::as_str),
                &query.recharge,
            ),
            anomaly: choices(AnomalyKind::ALL.map(AnomalyKind::as_str), &query.anomaly),
            kind: choices(RechargeKind::ALL.map(RechargeKind::as_str), &query.kind),
            anomalies: checked(&query.anomalies),
            phone: text(&query.phone),
            from: text(&query.from),
            to: text(&query.to),
        }
    }
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    chrome: Chrome,
    form: FilterForm,
    table: OrdersTable,
}

pub async fn list(
    cx: Context,
    query: web::Query<OrdersQuery>,
) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::ViewOrders)?;
    let (status, table) = match query.parse() {
        Ok((filter, page)) => {
            let orders = cx.services().order_queries.list_all(&filter, page).await?;
            let table = OrdersTable {
                error: None,
                rows: orders.items.iter().map(OrderRow::from).collect(),
                pager: Pager::of(&orders, Some(TABLE), |page| query.href(page)),
                table: TABLE,
            };
            (StatusCode::OK, table)
        }
        // The form stays filled in so that the operator can correct it.
        Err(problems) => (
            StatusCode::BAD_REQUEST,
            OrdersTable {
                error: Some(problems),
                rows: Vec::new(),
                pager: Pager::empty(Some(TABLE)),
                table: TABLE,
            },
        ),
    };
    if cx.targets(TABLE) {
        return Ok(html(status, table.render()?));
    }
    let page = OrdersPage {
        chrome: Chrome::new(&cx.operator, Section::Orders),
        form: FilterForm::of(&query),
        table,
    };
    Ok(html(status, page.render()?))
}
