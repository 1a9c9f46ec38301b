//! The points shop's back office: packages (created, changed, removed — a package that sold
//! is deactivated, not deleted), thirty days of the shop's figures, the points orders with
//! their refunds, and a user's account with its ledger and a person's adjustment. The same
//! use cases as `/admin/points/*`; viewing needs `view_points`, packages and adjustments
//! `manage_points`, refunds `refund_orders`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use elife_domain::accounts::permissions::Permission;

use crate::error::ConsoleError;
use crate::layout::Section;
use crate::pages::context::{Context, Fragment};

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
#[derive(Template)]
#[template(path = "points_body.html")]
struct PointsBody {
    flash: Option<Flash>,
    can_manage: bool,
    packages: Vec<PackageRow>,
    stats: StatsView,
    orders: OrdersView,
}

impl Fragment for PointsBody {
    const SECTION: Section = Section::Points;
    const CHARTS: bool = true;
}

/// The shop page with the orders `query` selects, after an action (`flash`) or not.
async fn render(
    cx: &Context,
    query: &OrdersQuery,
    flash: Option<Flash>,
) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::ViewPoints)?;
    let packages = cx.services().points_admin.packages().await?;
    let orders = orders::view(cx, query, &packages).await?;
    let body = PointsBody {
        flash,
        can_manage: cx.operator.may(Permission::ManagePoints),
        packages: packages.iter().map(PackageRow::of).collect(),
        stats: stats::view(cx.services()).await?,
        orders,
    };
    cx.page(StatusCode::OK, body)
}

async fn show(cx: Context, query: web::Query<OrdersQuery>) -> Result<HttpResponse, ConsoleError> {
    render(&cx, &query, None).await
}
