//! The back office of the points shop: packages (a package with orders is deactivated,
//! not deleted) and the figures per day. Orders, refunds and accounts: `admin_points_orders`.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::Days;
use chrono_tz::Asia::Shanghai;
use elife_domain::money::Fen;
use elife_domain::points::{PackageDraft, Removal};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::State;
use super::points::package_id;
use crate::http::admin_auth::{Authorized, perm};
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::validation::{Problems, china_day, china_midnight};
use crate::http::views::{PackageRemovalView, PackageView, ShopDayView, ShopStatisticsView};

/// Days the figures cover when the query names no start.
const DEFAULT_DAYS: u64 = 30;

#[utoipa::path(
    tag = "admin-points",
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "every package, active or not, by sort order", body = Envelope<Vec<PackageView>>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_points", body = ErrorEnvelope),
    )
)]
#[get("/admin/points/packages")]
pub async fn list_packages(
    state: State,
    _admin: Authorized<perm::ViewPoints>,
) -> Result<HttpResponse, ApiError> {
    let packages = state.points.admin.packages().await?;
    Ok(envelope::ok(
        packages.iter().map(PackageView::from).collect::<Vec<_>>(),
    ))
}

/// A package as written by an admin; the whole package on every write.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackageBody {
    #[schema(example = "100 积分")]
    pub name: Option<String>,
    /// Empty when absent.
    #[schema(example = "100 积分，加赠 10 积分")]
    pub description: Option<String>,
    /// The price in fen.
    #[schema(example = 990)]
    pub amount_fen: Option<i64>,
    #[schema(example = 100)]
    pub points: Option<i64>,
    /// 0 when absent.
    #[schema(example = 10)]
    pub bonus_points: Option<i64>,
    /// `true` when absent.
    pub active: Option<bool>,
    /// 0 when absent; lower first.
    pub sort_order: Option<i32>,
}

impl PackageBody {
    /// The draft, once the required fields are there; the domain checks the values.
    fn draft(&self) -> Result<PackageDraft, ApiError> {
        let mut problems = Problems::new();
        let name = problems.required("name", &self.name);
        if self.amount_fen.is_none() {
            problems.add("amountFen should not be empty");
        }
        if self.points.is_none() {
            problems.add("points should not be empty");
        }
        let ((name, amount), points) =
            problems.into_value(name.zip(self.amount_fen).zip(self.points))?;
        Ok(PackageDraft {
            name,
            description: self.description.clone().unwrap_or_default(),
            amount: Fen::new(amount),
            points,
            bonus_points: self.bonus_points.unwrap_or(0),
            active: self.active.unwrap_or(true),
            sort_order: self.sort_order.unwrap_or(0),
        })
    }
}

#[utoipa::path(
    tag = "admin-points",
    request_body = PackageBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "the new package (audited)", body = Envelope<PackageView>),
        (status = 400, description = "invalid package", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_points", body = ErrorEnvelope),
    )
)]
#[post("/admin/points/packages")]
pub async fn create_package(
    state: State,
    admin: Authorized<perm::ManagePoints>,
    body: web::Json<PackageBody>,
) -> Result<HttpResponse, ApiError> {
    let draft = body.draft()?;
    let package = state.points.admin.create(draft, &admin.act()).await?;
    Ok(envelope::created(PackageView::from(&package)))
}

#[utoipa::path(
    tag = "admin-points",
    params(("id" = i64, Path)),
    request_body = PackageBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "the package as changed (audited); orders keep what they bought", body = Envelope<PackageView>),
        (status = 400, description = "invalid package", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_points", body = ErrorEnvelope),
        (status = 404, description = "no such package", body = ErrorEnvelope),
    )
)]
#[put("/admin/points/packages/{id}")]
pub async fn update_package(
    state: State,
    admin: Authorized<perm::ManagePoints>,
    path: web::Path<String>,
    body: web::Json<PackageBody>,
) -> Result<HttpResponse, ApiError> {
    let id = package_id(&path)?;
    let draft = body.draft()?;
    let package = state.points.admin.update(id, draft, &admin.act()).await?;
    Ok(envelope::ok(PackageView::from(&package)))
}

#[utoipa::path(
    tag = "admin-points",
    params(("id" = i64, Path)),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "deleted, or deactivated when it has orders (audited)", body = Envelope<PackageRemovalView>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_points", body = ErrorEnvelope),
        (status = 404, description = "no such package", body = ErrorEnvelope),
    )
)]
#[delete("/admin/points/packages/{id}")]
pub async fn delete_package(
    state: State,
    admin: Authorized<perm::ManagePoints>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = package_id(&path)?;
    let view = match state.points.admin.remove(id, &admin.act()).await? {
        Removal::Deleted => PackageRemovalView {
            outcome: "deleted".to_owned(),
            package: None,
        },
        Removal::Deactivated(package) => PackageRemovalView {
            outcome: "deactivated".to_owned(),
            package: Some(PackageView::from(&package)),
        },
    };
    Ok(envelope::ok(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShopStatisticsQuery {
    /// YYYY-MM-DD (China day), inclusive; 29 days before `to` when absent.
    pub from: Option<String>,
    /// YYYY-MM-DD (China day), inclusive; today when absent.
    pub to: Option<String>,
}

#[utoipa::path(
    tag = "admin-points",
    params(ShopStatisticsQuery),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "packages sold, revenue, points issued, spent and taken back per China day", body = Envelope<ShopStatisticsView>),
        (status = 400, description = "invalid dates, or a period of more than 93 days", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_points", body = ErrorEnvelope),
    )
)]
#[get("/admin/points/statistics")]
pub async fn shop_statistics(
    state: State,
    _admin: Authorized<perm::ViewPoints>,
    query: web::Query<ShopStatisticsQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let from = china_day(&mut problems, "from", query.from.as_deref());
    let to = china_day(&mut problems, "to", query.to.as_deref());
    problems.into_result()?;
    let today = state
        .ports
        .clock
        .now()
        .with_timezone(&Shanghai)
        .date_naive();
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| {
        to.checked_sub_days(Days::new(DEFAULT_DAYS - 1))
            .unwrap_or(to)
    });
    let before = to
        .checked_add_days(Days::new(1))
        .ok_or_else(|| ApiError::bad_request("to is out of range"))?;
    let days = state
        .points
        .admin
        .statistics(china_midnight(from)?, china_midnight(before)?)
        .await?;
    Ok(envelope::ok(ShopStatisticsView {
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
        days: days.iter().map(ShopDayView::from).collect(),
    }))
}
