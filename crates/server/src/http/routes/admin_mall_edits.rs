//! Editing products and SKUs on the shelf (audited; the search index follows). A price
//! change makes every quote seen before it refused at order time.

use actix_web::{HttpResponse, put, web};
use elife_domain::accounts::audit::AuditAction;
use serde_json::json;

use super::State;
use super::admin_mall::{audit, product_id, reindex, sku_id};
use super::admin_mall_products::{ProductBody, SkuBody, product_json};
use crate::http::admin_auth::{Authorized, perm};
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::validation::Problems;
use crate::http::views::{AdminProductDetail, AdminSkuView};

fn version(version: Option<i64>) -> Result<i64, ApiError> {
    version.ok_or_else(|| {
        ApiError::bad_request("version should not be empty: send the version you read")
    })
}

#[utoipa::path(
    tag = "admin-mall",
    request_body = ProductBody,
    params(("id" = i64, Path)),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "the product as edited, with its SKUs (audited)", body = Envelope<AdminProductDetail>),
        (status = 400, description = "invalid content, version missing, or an edit that would leave a product on sale unsellable", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_catalog", body = ErrorEnvelope),
        (status = 404, description = "no such product or category", body = ErrorEnvelope),
        (status = 409, description = "changed meanwhile (reload), or archived", body = ErrorEnvelope),
    )
)]
#[put("/admin/mall/products/{id}")]
pub async fn edit_product(
    state: State,
    admin: Authorized<perm::ManageCatalog>,
    path: web::Path<String>,
    body: web::Json<ProductBody>,
) -> Result<HttpResponse, ApiError> {
    let id = product_id(&path)?;
    let expected = version(body.version)?;
    let (draft, _) = body.drafts()?;
    let product = state
        .mall
        .catalog
        .edit_product(id, expected, &draft)
        .await?;
    reindex(&state, Some(id)).await;
    audit(
        &state,
        &admin.act(),
        AuditAction::ProductChange,
        id.to_string(),
        Some("edited"),
        product_json(&product),
    )
    .await;
    let (product, skus) = state.mall.catalog.product_detail(id).await?;
    Ok(envelope::ok(AdminProductDetail::new(&product, &skus)))
}

#[utoipa::path(
    tag = "admin-mall",
    request_body = SkuBody,
    params(("id" = i64, Path)),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "the SKU as edited; its stock moves only by adjustments (audited)", body = Envelope<AdminSkuView>),
        (status = 400, description = "invalid SKU, version missing, or the product on sale would have no enabled SKU", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_catalog", body = ErrorEnvelope),
        (status = 404, description = "no such SKU", body = ErrorEnvelope),
        (status = 409, description = "changed meanwhile (reload), or its product is archived", body = ErrorEnvelope),
    )
)]
#[put("/admin/mall/skus/{id}")]
pub async fn edit_sku(
    state: State,
    admin: Authorized<perm::ManageCatalog>,
    path: web::Path<String>,
    body: web::Json<SkuBody>,
) -> Result<HttpResponse, ApiError> {
    let id = sku_id(&path)?;
    let expected = version(body.version)?;
    let mut problems = Problems::new();
    let draft = body.draft("", &mut problems);
    let draft = problems.into_value(draft)?;
    let sku = state.mall.catalog.edit_sku(id, expected, &draft).await?;
    reindex(&state, Some(sku.product)).await;
    audit(
        &state,
        &admin.act(),
        AuditAction::ProductChange,
        sku.product.to_string(),
        Some("SKU edited"),
        json!({
            "skuId": id.value(),
            "priceFen": sku.price.value(),
            "originalPriceFen": sku.original_price.value(),
            "status": sku.status.as_str(),
            "version": sku.version,
        }),
    )
    .await;
    Ok(envelope::ok(AdminSkuView::from(&sku)))
}
