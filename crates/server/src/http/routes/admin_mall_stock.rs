//! Stock in the back office: a person's adjustment of a SKU (an inbound movement of the
//! stock ledger, audited, idempotent under the client's key) and the SKUs low on stock.

use std::sync::Arc;

use actix_web::{HttpResponse, get, post, web};
use elife_domain::catalog::adjustments::{AdjustmentRequest, StockAdjustments};
use serde::Deserialize;
use utoipa::ToSchema;

use super::State;
use super::admin_mall::sku_id;
use crate::http::admin_auth::{Authorized, perm};
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::validation::Problems;
use crate::http::views::{AdminSkuView, LowStockList, LowStockView, StockAdjustmentView};

/// Products on sale the low-stock list reads at most.
const SHELF_LIMIT: u64 = 5_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StockAdjustmentBody {
    /// Units to add (positive) or take away (negative), 1 to 100000 either way; stock never
    /// goes below zero.
    #[schema(example = 100)]
    pub delta: Option<i64>,
    #[schema(example = "goods received, delivery note 2026-118")]
    pub reason: Option<String>,
    /// An idempotency key (printable ASCII, at most 60): sent again with the same SKU and
    /// delta, nothing moves twice. A random one when absent, so that a retry adjusts again.
    #[schema(example = "count-2026-11-30-a")]
    pub key: Option<String>,
}

#[utoipa::path(
    tag = "admin-mall",
    params(("id" = i64, Path, description = "the SKU")),
    request_body = StockAdjustmentBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "stock adjusted (audited), or the earlier adjustment under this key (`repeated`)", body = Envelope<StockAdjustmentView>),
        (status = 400, description = "no reason, a delta of zero or beyond 100000, or an invalid key", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_catalog", body = ErrorEnvelope),
        (status = 404, description = "no such SKU", body = ErrorEnvelope),
        (status = 409, description = "fewer units than taken away, or the key was used for another delta: nothing moved", body = ErrorEnvelope),
    )
)]
#[post("/admin/mall/skus/{id}/stock")]
pub async fn adjust_stock(
    state: State,
    admin: Authorized<perm::ManageCatalog>,
    path: web::Path<String>,
    body: web::Json<StockAdjustmentBody>,
) -> Result<HttpResponse, ApiError> {
    let sku = sku_id(&path)?;
    let mut problems = Problems::new();
    if body.delta.is_none() {
        problems.add("delta should not be empty");
    }
    let reason = problems.required("reason", &body.reason);
    let (delta, reason) = problems.into_value(body.delta.zip(reason))?;
    let adjustments = StockAdjustments::new(
        Arc::clone(&state.mall.stock),
        Arc::clone(&state.ports.audit),
        Arc::clone(&state.ports.clock),
    );
    let request = AdjustmentRequest {
        sku,
        delta,
        reason,
        key: body.key.clone(),
    };
    let adjustment = adjustments.adjust(&request, &admin.act()).await?;
    Ok(envelope::created(StockAdjustmentView::from(&adjustment)))
}

#[utoipa::path(
    tag = "admin-mall",
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "SKUs of products on sale at or below their low-stock threshold, fewest units first", body = Envelope<LowStockList>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_mall", body = ErrorEnvelope),
    )
)]
#[get("/admin/mall/stock/low")]
pub async fn low_stock(
    state: State,
    _admin: Authorized<perm::ViewMall>,
) -> Result<HttpResponse, ApiError> {
    let low = state.mall.catalog.low_stock(SHELF_LIMIT).await?;
    let items = low
        .items
        .iter()
        .map(|(product, sku)| LowStockView {
            product_name: product.name.clone(),
            sku: AdminSkuView::from(sku),
        })
        .collect();
    let truncated = low.truncated;
    Ok(envelope::ok(LowStockList { items, truncated }))
}
