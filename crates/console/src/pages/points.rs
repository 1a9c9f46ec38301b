//! The points shop's back office: packages (created, changed, removed — a package that sold
//! is deactivated, not deleted), thirty days of the shop's figures, the points orders with
//! their refunds, and a user's account with its ledger and a person's adjustment. The same
//! use cases as `/admin/points/*`; viewing needs `view_points`, packages and adjustments
//! `manage_points`, refunds `refund_orders`.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use elife_domain::accounts::permissions::Permission;

use crate::error::ConsoleError;
use crate::layout::{Chrome, Section};
use crate::services::Console;
use crate::session::Operator;

mod accounts;
mod orders;
mod packages;
mod stats;

use orders::{OrdersQuery, OrdersView};
use packages::PackageRow;
use stats::StatsView;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/points", web::get().to(show))
        .route("/points/packages", web::post().to(packages::create))
        .route("/points/packages/{id}", web::post().to(packages::update))
        .route(
            "/points/packages/{id}/remove",
            web::post().to(packages::remove),
        )
        .route(
            "/points/orders/{number}/refund",
            web::post().to(orders::refund),
        )
        .route("/points/accounts", web::get().to(accounts::show))
        .route("/points/accounts/adjust", web::post().to(accounts::adjust));
}

/// What an action says it did.
pub(super) struct Flash {
    text: String,
    error: bool,
}

impl Flash {
    fn done(text: String) -> Self {
        Flash { text, error: false }
    }

    fn failed(text: String) -> Self {
        Flash { text, error: true }
    }
}

/// The shop page's content: the page and the htmx fragment.
struct PointsBody {
    flash: Option<Flash>,
    can_manage: bool,
    packages: Vec<PackageRow>,
    stats: StatsView,
    orders: OrdersView,
}

#[derive(Template)]
#[template(path = "points.html")]
struct PointsPage {
    chrome: Chrome,
    body: PointsBody,
}

#[derive(Template)]
#[template(path = "points_body.html")]
struct PointsFragment {
    body: PointsBody,
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body)
}

fn is_htmx(request: &HttpRequest) -> bool {
    request.headers().contains_key("HX-Request")
}

/// Every problem with a form at once, or nothing.
fn invalid(problems: Vec<String>) -> Result<(), ConsoleError> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConsoleError::Invalid(problems.join(", ")))
    }
}

/// The shop page with the orders `query` selects, after an action (`flash`) or not.
async fn render(
    console: &Console,
    operator: &Operator,
    request: &HttpRequest,
    query: &OrdersQuery,
    flash: Option<Flash>,
) -> Result<HttpResponse, ConsoleError> {
    operator.require(Permission::ViewPoints)?;
    let services = &console.services;
    let packages = services.points_admin.packages().await?;
    let orders = orders::view(console, operator, query, &packages).await?;
    let body = PointsBody {
        flash,
        can_manage: operator.may(Permission::ManagePoints),
        packages: packages.iter().map(PackageRow::of).collect(),
        stats: stats::view(console).await?,
        orders,
    };
    let rendered = if is_htmx(request) {
        PointsFragment { body }.render()?
    } else {
        PointsPage {
            chrome: Chrome::new(operator, Section::Points),
            body,
        }
        .render()?
    };
    Ok(html(rendered))
}

async fn show(
    console: web::Data<Console>,
    operator: Operator,
    request: HttpRequest,
    query: web::Query<OrdersQuery>,
) -> Result<HttpResponse, ConsoleError> {
    render(&console, &operator, &request, &query, None).await
}
