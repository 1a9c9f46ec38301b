//! The rest of the mall's back office: reviews and the merchant's reply, logistics
//! companies offered when shipping, and freight templates.

use actix_web::{HttpResponse, delete, get, post, put, web};
use elife_domain::catalog::reviews::ReviewId;
use elife_domain::trade::freight_templates::FreightTemplateDraft;
use elife_domain::trade::pricing::{ChargeBy, FreightRule, RegionCode};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::State;
use super::points::PageQuery;
use crate::http::admin_auth::{Authorized, perm};
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::validation::{Problems, page_only};
use crate::http::views::{FreightTemplateView, LogisticsCompanyView, ReviewList, ReviewView};

fn path_number(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| ApiError::not_found(format!("{what} {raw} not found")))
}

#[utoipa::path(
    tag = "admin-mall",
    params(PageQuery),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "every review, newest first", body = Envelope<ReviewList>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_mall", body = ErrorEnvelope),
    )
)]
#[get("/admin/mall/reviews")]
pub async fn list_reviews(
    state: State,
    _admin: Authorized<perm::ViewMall>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_only(query.page.as_deref(), query.limit.as_deref())?;
    let reviews = state.mall.reviews.merchant_reviews(page).await?;
    Ok(envelope::ok(ReviewList::of_reviews(&reviews)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReplyBody {
    #[schema(example = "感谢支持！")]
    pub text: Option<String>,
}

#[utoipa::path(
    tag = "admin-mall",
    request_body = ReplyBody,
    params(("id" = i64, Path)),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "the review with the merchant's reply", body = Envelope<ReviewView>),
        (status = 400, description = "empty or too long", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_catalog", body = ErrorEnvelope),
        (status = 404, description = "no such review", body = ErrorEnvelope),
        (status = 409, description = "replied already", body = ErrorEnvelope),
    )
)]
#[post("/admin/mall/reviews/{id}/reply")]
pub async fn reply_review(
    state: State,
    _admin: Authorized<perm::ManageCatalog>,
    path: web::Path<String>,
    body: web::Json<ReplyBody>,
) -> Result<HttpResponse, ApiError> {
    let id = ReviewId(path_number(&path, "review")?);
    let text = crate::http::validation::required_field("text", &body.text)?;
    let review = state.mall.reviews.reply(id, &text).await?;
    Ok(envelope::created(ReviewView::from(&review)))
}

#[utoipa::path(
    tag = "admin-mall",
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "every logistics company, disabled ones too, by sort order", body = Envelope<Vec<LogisticsCompanyView>>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_mall", body = ErrorEnvelope),
    )
)]
#[get("/admin/mall/logistics-companies")]
pub async fn list_companies(
    state: State,
    _admin: Authorized<perm::ViewMall>,
) -> Result<HttpResponse, ApiError> {
    let companies = state.mall.delivery.companies(true).await?;
    Ok(envelope::ok(
        companies
            .iter()
            .map(LogisticsCompanyView::from)
            .collect::<Vec<_>>(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompanyBody {
    #[schema(example = "顺丰速运")]
    pub name: Option<String>,
    /// `true` when absent.
    pub enabled: Option<bool>,
    /// 0 when absent; lower first.
    pub sort_order: Option<i32>,
}

#[utoipa::path(
    tag = "admin-mall",
    request_body = CompanyBody,
    params(("code" = String, Path, example = "shunfeng")),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "the company as saved (added, or replacing the one with this code)", body = Envelope<LogisticsCompanyView>),
        (status = 400, description = "invalid code or name", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_catalog", body = ErrorEnvelope),
    )
)]
#[put("/admin/mall/logistics-companies/{code}")]
pub async fn save_company(
    state: State,
    _admin: Authorized<perm::ManageCatalog>,
    path: web::Path<String>,
    body: web::Json<CompanyBody>,
) -> Result<HttpResponse, ApiError> {
    let name = crate::http::validation::required_field("name", &body.name)?;
    let company = state
        .mall
        .delivery
        .save_company(
            &path,
            &name,
            body.enabled.unwrap_or(true),
            body.sort_order.unwrap_or(0),
        )
        .await?;
    Ok(envelope::ok(LogisticsCompanyView::from(&company)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FreightRuleBody {
    /// GB/T 2260 codes; `000000` is the whole country.
    #[schema(example = json!(["000000"]))]
    pub regions: Vec<String>,
    pub first_units: i64,
    pub first_fee_fen: i64,
    pub extra_units: i64,
    pub extra_fee_fen: i64,
    /// Goods (after discounts) worth at least this ship free.
    pub free_over_fen: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FreightTemplateBody {
    #[schema(example = "全国包邮满99")]
    pub name: Option<String>,
    /// `count` (units are items) or `weight` (grams).
    #[schema(example = "count")]
    pub charge_by: Option<String>,
    #[serde(default)]
    pub rules: Vec<FreightRuleBody>,
    /// Updates only: the version read.
    pub version: Option<i64>,
}

impl FreightTemplateBody {
    fn draft(&self) -> Result<FreightTemplateDraft, ApiError> {
        let mut problems = Problems::new();
        let name = problems.required("name", &self.name);
        let charge_by = match self.charge_by.as_deref() {
            Some("count") | None => ChargeBy::Count,
            Some("weight") => ChargeBy::Weight,
            Some(other) => {
                problems.add(format!("chargeBy {other:?} must be count or weight"));
                ChargeBy::Count
            }
        };
        let mut rules = Vec::with_capacity(self.rules.len());
        for (index, rule) in self.rules.iter().enumerate() {
            let mut regions = Vec::with_capacity(rule.regions.len());
            for region in &rule.regions {
                match RegionCode::parse(region) {
                    Ok(code) => regions.push(code),
                    Err(error) => problems.add(format!("rules[{index}]: {error}")),
                }
            }
            rules.push(FreightRule {
                regions,
                first_units: rule.first_units,
                first_fee: rule.first_fee_fen,
                extra_units: rule.extra_units,
                extra_fee: rule.extra_fee_fen,
                free_over: rule.free_over_fen,
            });
        }
        let name = problems.into_value(name)?;
        Ok(FreightTemplateDraft {
            name,
            charge_by,
            rules,
        })
    }
}

#[utoipa::path(
    tag = "admin-mall",
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "every freight template; products without one ship under the default", body = Envelope<Vec<FreightTemplateView>>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_mall", body = ErrorEnvelope),
    )
)]
#[get("/admin/mall/freight-templates")]
pub async fn list_freight_templates(
    state: State,
    _admin: Authorized<perm::ViewMall>,
) -> Result<HttpResponse, ApiError> {
    let templates = state.mall.freight.list().await?;
    Ok(envelope::ok(
        templates
            .iter()
            .map(FreightTemplateView::from)
            .collect::<Vec<_>>(),
    ))
}

#[utoipa::path(
    tag = "admin-mall",
    request_body = FreightTemplateBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "the new template", body = Envelope<FreightTemplateView>),
        (status = 400, description = "invalid template (every problem listed)", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_catalog", body = ErrorEnvelope),
    )
)]
#[post("/admin/mall/freight-templates")]
pub async fn create_freight_template(
    state: State,
    _admin: Authorized<perm::ManageCatalog>,
    body: web::Json<FreightTemplateBody>,
) -> Result<HttpResponse, ApiError> {
    let template = state.mall.freight.create(&body.draft()?).await?;
    Ok(envelope::created(FreightTemplateView::from(&template)))
}

#[utoipa::path(
    tag = "admin-mall",
    request_body = FreightTemplateBody,
    params(("id" = i64, Path)),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "the template as updated", body = Envelope<FreightTemplateView>),
        (status = 400, description = "invalid template or version missing", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_catalog", body = ErrorEnvelope),
        (status = 404, description = "no such template", body = ErrorEnvelope),
        (status = 409, description = "changed meanwhile: reload", body = ErrorEnvelope),
    )
)]
#[put("/admin/mall/freight-templates/{id}")]
pub async fn update_freight_template(
    state: State,
    _admin: Authorized<perm::ManageCatalog>,
    path: web::Path<String>,
    body: web::Json<FreightTemplateBody>,
) -> Result<HttpResponse, ApiError> {
    let id = path_number(&path, "freight template")?;
    let Some(version) = body.version else {
        return Err(ApiError::bad_request(
            "version should not be empty: send the version you read",
        ));
    };
    let template = state
        .mall
        .freight
        .update(id, version, &body.draft()?)
        .await?;
    Ok(envelope::ok(FreightTemplateView::from(&template)))
}

#[utoipa::path(
    tag = "admin-mall",
    params(("id" = i64, Path)),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "the template, now the only default", body = Envelope<FreightTemplateView>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_catalog", body = ErrorEnvelope),
        (status = 404, description = "no such template", body = ErrorEnvelope),
    )
)]
#[post("/admin/mall/freight-templates/{id}/default")]
pub async fn default_freight_template(
    state: State,
    _admin: Authorized<perm::ManageCatalog>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_number(&path, "freight template")?;
    let template = state.mall.freight.set_default(id).await?;
    Ok(envelope::created(FreightTemplateView::from(&template)))
}

#[utoipa::path(
    tag = "admin-mall",
    params(("id" = i64, Path)),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "deleted", body = Envelope<Object>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_catalog", body = ErrorEnvelope),
        (status = 404, description = "no such template", body = ErrorEnvelope),
        (status = 409, description = "the default template: make another the default first", body = ErrorEnvelope),
    )
)]
#[delete("/admin/mall/freight-templates/{id}")]
pub async fn delete_freight_template(
    state: State,
    _admin: Authorized<perm::ManageCatalog>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_number(&path, "freight template")?;
    state.mall.freight.delete(id).await?;
    Ok(envelope::ok(json!({ "deleted": true })))
}
