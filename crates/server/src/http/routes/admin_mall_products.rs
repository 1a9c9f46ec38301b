//! The back office of products: the list, one product with its SKUs and stock, a new draft
//! with its SKUs, publish, unpublish, and delete (a product that sold or has stock history
//! is archived instead). Changes are audited here, as the catalog leaves it to its caller.

use actix_web::{HttpResponse, delete, get, post, web};
use elife_domain::accounts::audit::AuditAction;
use elife_domain::catalog::{
    CategoryId, Product, ProductDraft, ProductId, Removal, SkuDraft, SkuStatus, SpecValue,
};
use elife_domain::money::Fen;
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::State;
use super::admin_mall::{audit, category_id, product_id, reindex};
use crate::http::admin_auth::{Authorized, perm};
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::validation::{Problems, page_request};
use crate::http::views::{
    AdminProductDetail, AdminProductList, AdminProductView, ProductRemovalView,
};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AdminProductsQuery {
    /// Only this category and those under it.
    pub category_id: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

#[utoipa::path(
    tag = "admin-mall",
    params(AdminProductsQuery),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "products on sale, newest first, with their SKUs and stock (drafts and products off sale are read one by one until the catalog lists them)", body = Envelope<AdminProductList>),
        (status = 400, description = "invalid filter", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_mall", body = ErrorEnvelope),
        (status = 404, description = "no such category", body = ErrorEnvelope),
    )
)]
#[get("/admin/mall/products")]
pub async fn list_products(
    state: State,
    _admin: Authorized<perm::ViewMall>,
    query: web::Query<AdminProductsQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let category = problems.optional(query.category_id.as_deref(), |raw| {
        category_id(raw).map_err(|_| format!("categoryId {raw:?} must be a category id"))
    });
    let page = page_request(&mut problems, query.page.as_deref(), query.limit.as_deref());
    problems.into_result()?;
    let (products, skus) = state.mall.catalog.products(category, page).await?;
    Ok(envelope::ok(AdminProductList::new(&products, &skus)))
}

async fn detail(state: &State, id: ProductId) -> Result<AdminProductDetail, ApiError> {
    let (product, skus) = state.mall.catalog.product_detail(id).await?;
    Ok(AdminProductDetail::new(&product, &skus))
}

#[utoipa::path(
    tag = "admin-mall",
    params(("id" = i64, Path)),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "the product, whatever its status, with its SKUs and their stock", body = Envelope<AdminProductDetail>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_mall", body = ErrorEnvelope),
        (status = 404, description = "no such product", body = ErrorEnvelope),
    )
)]
#[get("/admin/mall/products/{id}")]
pub async fn product_detail(
    state: State,
    _admin: Authorized<perm::ViewMall>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(envelope::ok(detail(&state, product_id(&path)?).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SpecBody {
    #[schema(example = "颜色")]
    pub name: String,
    #[schema(example = "红色")]
    pub value: String,
}

/// A SKU as drafted: no stock, which arrives as an adjustment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkuBody {
    /// The same spec names, in the same order, for every SKU of the product.
    #[serde(default)]
    pub specs: Vec<SpecBody>,
    #[schema(example = 1990)]
    pub price_fen: Option<i64>,
    /// The price when absent.
    #[schema(example = 2990)]
    pub original_price_fen: Option<i64>,
    /// 0 when absent: warned when sold out.
    pub low_stock_threshold: Option<i64>,
    /// `enabled` (when absent) or `disabled`.
    pub status: Option<String>,
    /// Edits only (`PUT /admin/mall/skus/{id}`): the version read.
    pub version: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductBody {
    pub category_id: Option<i64>,
    #[schema(example = "316 不锈钢保温杯")]
    pub name: Option<String>,
    /// A short plain text; empty when absent.
    pub description: Option<String>,
    /// Rich text (HTML); empty when absent.
    pub detail: Option<String>,
    /// https URLs, the first the main image (needed to publish).
    #[serde(default)]
    pub images: Vec<String>,
    /// One to 100 when creating; ignored by an edit (edit each SKU on its own).
    #[serde(default)]
    pub skus: Vec<SkuBody>,
    /// Edits only (`PUT /admin/mall/products/{id}`): the version read.
    pub version: Option<i64>,
}

impl SkuBody {
    /// The draft once the price is there (`prefix` names the field in problems).
    pub(super) fn draft(&self, prefix: &str, problems: &mut Problems) -> Option<SkuDraft> {
        let Some(price) = self.price_fen else {
            problems.add(format!("{prefix}priceFen should not be empty"));
            return None;
        };
        let status = problems.optional(self.status.as_deref(), |raw| {
            raw.parse::<SkuStatus>()
                .map_err(|_| format!("{prefix}status must be enabled or disabled"))
        });
        Some(SkuDraft {
            specs: self
                .specs
                .iter()
                .map(|spec| SpecValue {
                    name: spec.name.trim().to_owned(),
                    value: spec.value.trim().to_owned(),
                })
                .collect(),
            price: Fen::new(price),
            original_price: Fen::new(self.original_price_fen.unwrap_or(price)),
            low_stock_threshold: self.low_stock_threshold.unwrap_or(0),
            status: status.unwrap_or(SkuStatus::Enabled),
        })
    }
}

impl ProductBody {
    /// The drafts once the required fields are there; the catalog checks the values.
    pub(super) fn drafts(&self) -> Result<(ProductDraft, Vec<SkuDraft>), ApiError> {
        let mut problems = Problems::new();
        if self.category_id.is_none() {
            problems.add("categoryId should not be empty");
        }
        let name = problems.required("name", &self.name);
        let skus: Vec<SkuDraft> = self
            .skus
            .iter()
            .enumerate()
            .filter_map(|(n, sku)| sku.draft(&format!("skus[{n}]."), &mut problems))
            .collect();
        let (category, name) = problems.into_value(self.category_id.zip(name))?;
        let product = ProductDraft {
            category: CategoryId(category),
            name,
            description: self.description.clone().unwrap_or_default(),
            detail: self.detail.clone().unwrap_or_default(),
            images: self.images.clone(),
        };
        Ok((product, skus))
    }
}

pub(super) fn product_json(product: &Product) -> serde_json::Value {
    json!({
        "name": product.name,
        "categoryId": product.category.value(),
        "status": product.status.as_str(),
        "version": product.version,
    })
}

#[utoipa::path(
    tag = "admin-mall",
    request_body = ProductBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "the new draft with its SKUs, none stocked yet (audited)", body = Envelope<AdminProductDetail>),
        (status = 400, description = "invalid product or SKUs (every problem listed)", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_catalog", body = ErrorEnvelope),
        (status = 404, description = "no such category", body = ErrorEnvelope),
    )
)]
#[post("/admin/mall/products")]
pub async fn create_product(
    state: State,
    admin: Authorized<perm::ManageCatalog>,
    body: web::Json<ProductBody>,
) -> Result<HttpResponse, ApiError> {
    let (draft, skus) = body.drafts()?;
    let (product, skus) = state.mall.catalog.create_product(draft, skus).await?;
    audit(
        &state,
        &admin.act(),
        AuditAction::ProductChange,
        product.id.to_string(),
        Some("created"),
        product_json(&product),
    )
    .await;
    Ok(envelope::created(AdminProductDetail::new(&product, &skus)))
}

#[utoipa::path(
    tag = "admin-mall",
    params(("id" = i64, Path)),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "the product, on sale (audited)", body = Envelope<AdminProductDetail>),
        (status = 400, description = "not ready: no image, no enabled SKU, or its category hidden (every problem listed)", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_catalog", body = ErrorEnvelope),
        (status = 404, description = "no such product", body = ErrorEnvelope),
        (status = 409, description = "on sale already or archived, or changed meanwhile", body = ErrorEnvelope),
    )
)]
#[post("/admin/mall/products/{id}/publish")]
pub async fn publish_product(
    state: State,
    admin: Authorized<perm::ManageCatalog>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = product_id(&path)?;
    let product = state.mall.catalog.publish(id).await?;
    reindex(&state, Some(id)).await;
    audit(
        &state,
        &admin.act(),
        AuditAction::ProductChange,
        id.to_string(),
        Some("published"),
        product_json(&product),
    )
    .await;
    Ok(envelope::created(detail(&state, id).await?))
}

#[utoipa::path(
    tag = "admin-mall",
    params(("id" = i64, Path)),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "the product, off sale (audited); orders placed keep it", body = Envelope<AdminProductDetail>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_catalog", body = ErrorEnvelope),
        (status = 404, description = "no such product", body = ErrorEnvelope),
        (status = 409, description = "not on sale, or changed meanwhile", body = ErrorEnvelope),
    )
)]
#[post("/admin/mall/products/{id}/unpublish")]
pub async fn unpublish_product(
    state: State,
    admin: Authorized<perm::ManageCatalog>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = product_id(&path)?;
    let product = state.mall.catalog.unpublish(id).await?;
    reindex(&state, Some(id)).await;
    audit(
        &state,
        &admin.act(),
        AuditAction::ProductChange,
        id.to_string(),
        Some("unpublished"),
        product_json(&product),
    )
    .await;
    Ok(envelope::created(detail(&state, id).await?))
}

#[utoipa::path(
    tag = "admin-mall",
    params(("id" = i64, Path)),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "deleted, or archived when it sold or has stock history (audited)", body = Envelope<ProductRemovalView>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_catalog", body = ErrorEnvelope),
        (status = 404, description = "no such product", body = ErrorEnvelope),
        (status = 409, description = "on sale: unpublish it first; or changed meanwhile", body = ErrorEnvelope),
    )
)]
#[delete("/admin/mall/products/{id}")]
pub async fn delete_product(
    state: State,
    admin: Authorized<perm::ManageCatalog>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = product_id(&path)?;
    let removal = state.mall.catalog.remove(id).await?;
    reindex(&state, Some(id)).await;
    let (view, after) = match removal {
        Removal::Deleted => (
            ProductRemovalView {
                outcome: "deleted".to_owned(),
                product: None,
            },
            json!({ "deleted": true }),
        ),
        Removal::Archived(product) => (
            ProductRemovalView {
                outcome: "archived".to_owned(),
                product: Some(AdminProductView::from(&product)),
            },
            product_json(&product),
        ),
    };
    audit(
        &state,
        &admin.act(),
        AuditAction::ProductChange,
        id.to_string(),
        Some(&view.outcome),
        after,
    )
    .await;
    Ok(envelope::ok(view))
}
