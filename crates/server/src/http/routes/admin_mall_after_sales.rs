//! The after-sales queue in the back office: the queue by status, one after-sale, approve,
//! reject, receive the goods back (restocked with the change), and refund through the
//! payments core. A refund needs `refund_orders` and its audit row is written with the
//! refund by the core; the other decisions need `fulfil_mall_orders`.

use std::str::FromStr;

use actix_web::{HttpResponse, get, post, web};
use elife_domain::accounts::audit::AuditAction;
use elife_domain::trade::after_sales::{AfterSale, AfterSaleKey, AfterSaleStatus};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::State;
use super::admin_mall::{after_sale_key, audit};
use crate::http::admin_auth::{Authorized, perm};
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::validation::{Problems, page_request};
use crate::http::views::{AfterSaleList, AfterSaleView};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AfterSaleQueueQuery {
    /// `applied`, `approved`, `rejected`, `returning`, `received`, `refunding`, `refunded`,
    /// `refund_failed`, `cancelled`; every status when absent.
    pub status: Option<String>,
    pub page: Option<String>,
    pub limit: Option<String>,
}

#[utoipa::path(
    tag = "admin-mall",
    params(AfterSaleQueueQuery),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "after-sales, newest first", body = Envelope<AfterSaleList>),
        (status = 400, description = "invalid filter", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_mall", body = ErrorEnvelope),
    )
)]
#[get("/admin/mall/after-sales")]
pub async fn after_sale_queue(
    state: State,
    _admin: Authorized<perm::ViewMall>,
    query: web::Query<AfterSaleQueueQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let status = problems.optional(query.status.as_deref(), |raw| {
        AfterSaleStatus::from_str(raw).map_err(|_| {
            let names: Vec<&str> = AfterSaleStatus::ALL
                .iter()
                .map(|status| status.as_str())
                .collect();
            format!("status {raw:?} must be one of {}", names.join(", "))
        })
    });
    let page = page_request(&mut problems, query.page.as_deref(), query.limit.as_deref());
    problems.into_result()?;
    let queue = state.mall.after_sales.queue(status, page).await?;
    Ok(envelope::ok(AfterSaleList::from(&queue)))
}

#[utoipa::path(
    tag = "admin-mall",
    params(("id" = String, Path, example = "ORD1760754386127abcdefghijkl-1-1")),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "the after-sale", body = Envelope<AfterSaleView>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_mall", body = ErrorEnvelope),
        (status = 404, description = "no such after-sale", body = ErrorEnvelope),
    )
)]
#[get("/admin/mall/after-sales/{id}")]
pub async fn after_sale_detail(
    state: State,
    _admin: Authorized<perm::ViewMall>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = after_sale_key(&path)?;
    let after_sale = state.mall.after_sales.after_sale(&key).await?;
    Ok(envelope::ok(AfterSaleView::from(&after_sale)))
}

/// A decision's audit row and the answer.
async fn decided(
    state: &State,
    admin: &Authorized<perm::FulfilMallOrders>,
    key: &AfterSaleKey,
    reason: Option<&str>,
    after_sale: &AfterSale,
) -> HttpResponse {
    audit(
        state,
        &admin.act(),
        AuditAction::AfterSaleDecide,
        key.to_string(),
        reason,
        json!({ "status": after_sale.status.as_str() }),
    )
    .await;
    envelope::created(AfterSaleView::from(after_sale))
}

#[utoipa::path(
    tag = "admin-mall",
    params(("id" = String, Path, example = "ORD1760754386127abcdefghijkl-1-1")),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "approved (audited): a return waits for the goods, a refund only can be refunded", body = Envelope<AfterSaleView>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks fulfil_mall_orders", body = ErrorEnvelope),
        (status = 404, description = "no such after-sale", body = ErrorEnvelope),
        (status = 409, description = "not waiting for a decision", body = ErrorEnvelope),
    )
)]
#[post("/admin/mall/after-sales/{id}/approve")]
pub async fn approve_after_sale(
    state: State,
    admin: Authorized<perm::FulfilMallOrders>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = after_sale_key(&path)?;
    let after_sale = state.mall.after_sales.approve(&key).await?;
    Ok(decided(&state, &admin, &key, Some("approved"), &after_sale).await)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RejectBody {
    /// Shown to the buyer.
    #[schema(example = "the seal is broken")]
    pub reason: Option<String>,
}

#[utoipa::path(
    tag = "admin-mall",
    params(("id" = String, Path, example = "ORD1760754386127abcdefghijkl-1-1")),
    request_body = RejectBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "rejected (audited), with the reason the buyer reads", body = Envelope<AfterSaleView>),
        (status = 400, description = "no reason", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks fulfil_mall_orders", body = ErrorEnvelope),
        (status = 404, description = "no such after-sale", body = ErrorEnvelope),
        (status = 409, description = "not waiting for a decision", body = ErrorEnvelope),
    )
)]
#[post("/admin/mall/after-sales/{id}/reject")]
pub async fn reject_after_sale(
    state: State,
    admin: Authorized<perm::FulfilMallOrders>,
    path: web::Path<String>,
    body: web::Json<RejectBody>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let reason = problems.required("reason", &body.reason);
    let reason = problems.into_value(reason)?;
    let key = after_sale_key(&path)?;
    let after_sale = state.mall.after_sales.reject(&key, &reason).await?;
    Ok(decided(&state, &admin, &key, Some(&reason), &after_sale).await)
}

#[utoipa::path(
    tag = "admin-mall",
    params(("id" = String, Path, example = "ORD1760754386127abcdefghijkl-1-1")),
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "the goods are back (audited) and restocked", body = Envelope<AfterSaleView>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks fulfil_mall_orders", body = ErrorEnvelope),
        (status = 404, description = "no such after-sale", body = ErrorEnvelope),
        (status = 409, description = "not a return the buyer shipped back", body = ErrorEnvelope),
    )
)]
#[post("/admin/mall/after-sales/{id}/receive")]
pub async fn receive_after_sale(
    state: State,
    admin: Authorized<perm::FulfilMallOrders>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = after_sale_key(&path)?;
    let after_sale = state.mall.after_sales.receive(&key).await?;
    Ok(decided(&state, &admin, &key, Some("goods received"), &after_sale).await)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AfterSaleRefundBody {
    /// Kept in the audit trail; the after-sale's own reason when absent.
    #[schema(example = "return received in good order")]
    pub reason: Option<String>,
}

#[utoipa::path(
    tag = "admin-mall",
    params(("id" = String, Path, example = "ORD1760754386127abcdefghijkl-1-1")),
    request_body = AfterSaleRefundBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "the after-sale's amount sent back through the payments core (audited with the refund): `refunded`, `refund_failed`, or `refunding` until the core reports", body = Envelope<AfterSaleView>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks refund_orders", body = ErrorEnvelope),
        (status = 404, description = "no such after-sale", body = ErrorEnvelope),
        (status = 409, description = "not approved (refund only) or received (return), or another refund of the order is in flight", body = ErrorEnvelope),
    )
)]
#[post("/admin/mall/after-sales/{id}/refund")]
pub async fn refund_after_sale(
    state: State,
    admin: Authorized<perm::RefundOrders>,
    path: web::Path<String>,
    body: web::Json<AfterSaleRefundBody>,
) -> Result<HttpResponse, ApiError> {
    let key = after_sale_key(&path)?;
    let before = state.mall.after_sales.after_sale(&key).await?;
    let reason = body
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|reason| !reason.is_empty())
        .unwrap_or(&before.reason)
        .to_owned();
    let entry = admin.act().entry(
        AuditAction::AfterSaleRefund,
        key.to_string(),
        Some(&reason),
        Some(json!({ "status": before.status.as_str() })),
        Some(json!({
            "status": AfterSaleStatus::Refunding.as_str(),
            "amountFen": before.amount.value(),
            "payOrder": before.pay_order.as_str(),
        })),
        state.ports.clock.now(),
    );
    let after_sale = state
        .mall
        .after_sales
        .start_refund(&key, Some(entry))
        .await?;
    Ok(envelope::created(AfterSaleView::from(&after_sale)))
}
