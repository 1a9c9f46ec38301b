//! Points packages: the rows, and the forms that create, change and remove them.

use actix_web::{HttpResponse, web};
use elife_domain::accounts::permissions::Permission;
use elife_domain::money::Fen;
use elife_domain::points::{Package, PackageDraft, Removal};
use serde::Deserialize;

use super::orders::OrdersQuery;
use super::{Flash, render};
use crate::error::ConsoleError;
use crate::format;
use crate::pages::context::Context;
use crate::pages::forms::{Problems, given};

pub(super) struct PackageRow {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) description: String,
    /// `9.90`: shown, and what the edit form starts from.
    pub(super) price: String,
    pub(super) points: i64,
    pub(super) bonus_points: i64,
    pub(super) total_points: i64,
    pub(super) active: bool,
    pub(super) sort_order: i32,
    pub(super) updated: String,
}

impl PackageRow {
    pub(super) fn of(package: &Package) -> Self {
        PackageRow {
            id: package.id,
            name: package.name.clone(),
            description: package.description.clone(),
            price: format::yuan(package.amount.value()),
            points: package.points,
            bonus_points: package.bonus_points,
            total_points: package.total_points(),
            active: package.active,
            sort_order: package.sort_order,
            updated: format::china_time(package.updated_at),
        }
    }
}

/// A package as the form sends it: the whole package on every write, as the API takes it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct PackageForm {
    name: String,
    description: String,
    /// Yuan, e.g. `9.90`.
    price: String,
    points: String,
    bonus_points: String,
    /// A checkbox: present when ticked.
    active: Option<String>,
    sort_order: String,
}

impl PackageForm {
    /// The draft once the required fields are there and are numbers; the domain checks
    /// the values (as `PackageBody::draft`).
    fn draft(&self) -> Result<PackageDraft, ConsoleError> {
        let mut problems = Problems::default();
        let name = problems.required("name", &self.name);
        let amount = problems.required("price", &self.price).and_then(|raw| {
            problems.optional(&raw, |raw| {
                format::parse_yuan(raw).map_err(|problem| format!("price: {problem}"))
            })
        });
        let mut number = |name: &str, raw: &str, default: Option<i64>| match given(raw) {
            None if default.is_some() => default,
            None => {
                problems.add(format!("{name} should not be empty"));
                None
            }
            Some(raw) => raw
                .parse::<i64>()
                .map_err(|_| problems.add(format!("{name} {raw:?} must be a whole number")))
                .ok(),
        };
        let points = number("points", &self.points, None);
        let bonus_points = number("bonusPoints", &self.bonus_points, Some(0));
        let sort_order = number("sortOrder", &self.sort_order, Some(0)).and_then(|order| {
            i32::try_from(order)
                .map_err(|_| problems.add("sortOrder is out of range"))
                .ok()
        });
        problems.check(())?;
        let (Some(name), Some(amount), Some(points), Some(bonus_points), Some(sort_order)) =
            (name, amount, points, bonus_points, sort_order)
        else {
            return Err(ConsoleError::Invalid("invalid input".to_owned()));
        };
        Ok(PackageDraft {
            name,
            description: self.description.trim().to_owned(),
            amount: Fen::new(amount),
            points,
            bonus_points,
            active: self.active.is_some(),
            sort_order,
        })
    }
}

/// The id in the path; one that is not a number names no package.
fn package_id(raw: &str) -> Result<i64, ConsoleError> {
    raw.trim()
        .parse()
        .map_err(|_| ConsoleError::NotFound(format!("package {raw} not found")))
}

pub(super) async fn create(
    cx: Context,
    query: web::Query<OrdersQuery>,
    form: web::Form<PackageForm>,
) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::ManagePoints)?;
    let draft = form.draft()?;
    let package = cx
        .services()
        .points_admin
        .create(draft, &cx.operator.act())
        .await?;
    let flash = Flash::done(format!(
        "已创建套餐 Package created: #{} {}",
        package.id, package.name
    ));
    render(&cx, &query, Some(flash)).await
}

pub(super) async fn update(
    cx: Context,
    path: web::Path<String>,
    query: web::Query<OrdersQuery>,
    form: web::Form<PackageForm>,
) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::ManagePoints)?;
    let id = package_id(&path)?;
    let draft = form.draft()?;
    let package = cx
        .services()
        .points_admin
        .update(id, draft, &cx.operator.act())
        .await?;
    let flash = Flash::done(format!(
        "已保存套餐 Package saved: #{} {}（已售订单不变 orders keep what they bought）",
        package.id, package.name
    ));
    render(&cx, &query, Some(flash)).await
}

pub(super) async fn remove(
    cx: Context,
    path: web::Path<String>,
    query: web::Query<OrdersQuery>,
) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::ManagePoints)?;
    let id = package_id(&path)?;
    let removal = cx
        .services()
        .points_admin
        .remove(id, &cx.operator.act())
        .await?;
    let flash = Flash::done(match removal {
        Removal::Deleted => format!("已删除套餐 Package #{id} deleted"),
        Removal::Deactivated(package) => format!(
            "套餐 #{id} {} 已有订单，已停用而非删除 Package #{id} has orders: deactivated, not deleted",
            package.name
        ),
    });
    render(&cx, &query, Some(flash)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(price: &str, points: &str) -> PackageForm {
        PackageForm {
            name: " 100 积分 ".to_owned(),
            price: price.to_owned(),
            points: points.to_owned(),
            active: Some("true".to_owned()),
            ..PackageForm::default()
        }
    }

    #[test]
    fn a_form_becomes_the_draft_the_api_would_build() {
        let draft = form("9.9", "100").draft().unwrap();
        assert_eq!(draft.name, "100 积分");
        assert_eq!(draft.amount, Fen::new(990));
        assert_eq!(
            (draft.points, draft.bonus_points, draft.sort_order),
            (100, 0, 0)
        );
        assert!(draft.active);
        let inactive = PackageForm {
            active: None,
            ..form("1", "1")
        };
        assert!(!inactive.draft().unwrap().active);
    }

    #[test]
    fn missing_or_malformed_fields_are_all_reported() {
        let blank = PackageForm::default().draft();
        let Err(ConsoleError::Invalid(message)) = blank else {
            panic!("expected a refusal");
        };
        assert_eq!(
            message,
            "name should not be empty, price should not be empty, points should not be empty"
        );
        let Err(ConsoleError::Invalid(message)) = form("9.999", "ten").draft() else {
            panic!("expected a refusal");
        };
        assert!(message.contains("price"), "{message}");
        assert!(
            message.contains("points \"ten\" must be a whole number"),
            "{message}"
        );
    }

    #[test]
    fn package_ids_are_numbers() {
        assert_eq!(package_id("12").ok(), Some(12));
        assert!(matches!(package_id("x"), Err(ConsoleError::NotFound(_))));
    }
}
