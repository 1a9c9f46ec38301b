//! What the mall's back-office routes share: ids read from paths (a malformed one reads as
//! not found, like a missing one), and the audit rows of changes whose use case leaves
//! auditing to its caller (the catalog's, shipping, cancelling, after-sale decisions).

use elife_domain::accounts::audit::{AdminAct, AuditAction};
use elife_domain::catalog::{CategoryId, ProductId, SkuId};
use elife_domain::order::OrderNumber;
use elife_domain::trade::after_sales::AfterSaleKey;

use super::State;
use crate::http::envelope::ApiError;

fn number(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::not_found(format!("{what} {raw} not found")))
}

pub fn category_id(raw: &str) -> Result<CategoryId, ApiError> {
    number(raw, "category").map(CategoryId)
}

pub fn product_id(raw: &str) -> Result<ProductId, ApiError> {
    number(raw, "product").map(ProductId)
}

pub fn sku_id(raw: &str) -> Result<SkuId, ApiError> {
    number(raw, "SKU").map(SkuId)
}

pub fn mall_order_number(raw: &str) -> Result<OrderNumber, ApiError> {
    OrderNumber::parse(raw.trim())
        .map_err(|_| ApiError::not_found(format!("order {raw} not found")))
}

pub fn after_sale_key(raw: &str) -> Result<AfterSaleKey, ApiError> {
    AfterSaleKey::parse(raw)
        .ok_or_else(|| ApiError::not_found(format!("after-sale {raw} not found")))
}

/// A change made by `act`, written to the audit trail after the change itself (the mall's
/// ports take no audit row with their writes). The change stands whatever happens here, so
/// a row that cannot be written is logged as an error rather than failing the request.
pub async fn audit(
    state: &State,
    act: &AdminAct,
    action: AuditAction,
    target: impl Into<String>,
    reason: Option<&str>,
    after: serde_json::Value,
) {
    let entry = act.entry(
        action,
        target,
        reason,
        None,
        Some(after),
        state.ports.clock.now(),
    );
    if let Err(error) = state.ports.audit.record(&entry).await {
        tracing::error!(%error, action = %entry.action, target = %entry.target_id, admin = %entry.actor.username, "audit row of a mall change not written");
    }
}

/// Keeps the in-process search index in step with a catalog write: one product again,
/// or the whole index after a category change (which can hide or move a subtree). The
/// write stands even if this fails; the next write or restart catches up.
pub async fn reindex(state: &State, product: Option<ProductId>) {
    let result = match product {
        Some(id) => state.mall.search.refresh(id).await,
        None => state.mall.search.rebuild().await.map(|_| ()),
    };
    if let Err(error) = result {
        tracing::warn!(%error, "search index not updated");
    }
}
