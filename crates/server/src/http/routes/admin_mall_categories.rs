//! The back office of the category tree: the whole tree (disabled categories too), create,
//! rename or switch on and off, move under another parent, and reorder a parent's
//! children. Every change is a compare-and-set on the tree's revision (the catalog's), and
//! audited here.

use actix_web::{HttpResponse, get, post, put, web};
use elife_domain::accounts::audit::AuditAction;
use elife_domain::catalog::{CategoryDraft, CategoryId, CategoryTree};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::State;
use super::admin_mall::{audit, category_id, reindex};
use crate::http::admin_auth::{Authorized, perm};
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::validation::Problems;
use crate::http::views::{CategoryNodeView, CategoryTreeView};

/// The category as it stands after a change.
async fn node(state: &State, id: CategoryId) -> Result<(CategoryTree, CategoryNodeView), ApiError> {
    let tree = state.mall.catalog.tree().await?;
    let category = tree
        .get(id)
        .map_err(|_| ApiError::not_found(format!("category {id} not found")))?;
    let view = CategoryNodeView::of(&tree, category);
    Ok((tree, view))
}

fn node_json(view: &CategoryNodeView) -> serde_json::Value {
    json!({
        "parentId": view.parent_id,
        "name": view.name,
        "sortOrder": view.sort_order,
        "enabled": view.enabled,
    })
}

#[utoipa::path(
    tag = "admin-mall",
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "every category, disabled ones too: parents before children, siblings in display order", body = Envelope<CategoryTreeView>),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks view_mall", body = ErrorEnvelope),
    )
)]
#[get("/admin/mall/categories")]
pub async fn list_categories(
    state: State,
    _admin: Authorized<perm::ViewMall>,
) -> Result<HttpResponse, ApiError> {
    let tree = state.mall.catalog.tree().await?;
    Ok(envelope::ok(CategoryTreeView::from(&tree)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryBody {
    #[schema(example = "杯壶")]
    pub name: Option<String>,
    /// The parent; a root when absent. At most three levels.
    pub parent_id: Option<i64>,
    /// 0 when absent; lower first.
    pub sort_order: Option<i32>,
    /// `true` when absent.
    pub enabled: Option<bool>,
}

#[utoipa::path(
    tag = "admin-mall",
    request_body = CategoryBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "the new category (audited)", body = Envelope<CategoryNodeView>),
        (status = 400, description = "no or too long a name, or too deep", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_catalog", body = ErrorEnvelope),
        (status = 404, description = "no such parent", body = ErrorEnvelope),
        (status = 409, description = "a sibling has that name, or the tree kept changing", body = ErrorEnvelope),
    )
)]
#[post("/admin/mall/categories")]
pub async fn create_category(
    state: State,
    admin: Authorized<perm::ManageCatalog>,
    body: web::Json<CategoryBody>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let name = problems.required("name", &body.name);
    let name = problems.into_value(name)?;
    let draft = CategoryDraft {
        parent: body.parent_id.map(CategoryId),
        name,
        sort_order: body.sort_order.unwrap_or(0),
        enabled: body.enabled.unwrap_or(true),
    };
    let category = state.mall.catalog.create_category(draft).await?;
    let (_, view) = node(&state, category.id).await?;
    audit(
        &state,
        &admin.act(),
        AuditAction::CategoryChange,
        category.id.to_string(),
        Some("created"),
        node_json(&view),
    )
    .await;
    Ok(envelope::created(view))
}

/// A change of a category's own fields; each present field is applied.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryChangeBody {
    #[schema(example = "保温杯")]
    pub name: Option<String>,
    /// Switched off, it and everything under it is hidden from shoppers (its children keep
    /// their own switches).
    pub enabled: Option<bool>,
}

#[utoipa::path(
    tag = "admin-mall",
    params(("id" = i64, Path)),
    request_body = CategoryChangeBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "the category as changed (audited)", body = Envelope<CategoryNodeView>),
        (status = 400, description = "nothing to change, or an invalid name", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_catalog", body = ErrorEnvelope),
        (status = 404, description = "no such category", body = ErrorEnvelope),
        (status = 409, description = "a sibling has that name, or the tree kept changing", body = ErrorEnvelope),
    )
)]
#[put("/admin/mall/categories/{id}")]
pub async fn update_category(
    state: State,
    admin: Authorized<perm::ManageCatalog>,
    path: web::Path<String>,
    body: web::Json<CategoryChangeBody>,
) -> Result<HttpResponse, ApiError> {
    let id = category_id(&path)?;
    if body.name.is_none() && body.enabled.is_none() {
        return Err(ApiError::bad_request("name or enabled should be given"));
    }
    if let Some(name) = &body.name {
        state.mall.catalog.rename(id, name).await?;
    }
    if let Some(enabled) = body.enabled {
        state.mall.catalog.enable(id, enabled).await?;
        reindex(&state, None).await;
    }
    let (_, view) = node(&state, id).await?;
    audit(
        &state,
        &admin.act(),
        AuditAction::CategoryChange,
        id.to_string(),
        Some("updated"),
        node_json(&view),
    )
    .await;
    Ok(envelope::ok(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryMoveBody {
    /// The new parent; `null` or absent makes it a root. It goes last among its new
    /// siblings.
    pub parent_id: Option<i64>,
}

#[utoipa::path(
    tag = "admin-mall",
    params(("id" = i64, Path)),
    request_body = CategoryMoveBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "the category under its new parent (audited)", body = Envelope<CategoryNodeView>),
        (status = 400, description = "under itself or a descendant, or too deep", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_catalog", body = ErrorEnvelope),
        (status = 404, description = "no such category or parent", body = ErrorEnvelope),
        (status = 409, description = "a new sibling has its name, or the tree kept changing", body = ErrorEnvelope),
    )
)]
#[post("/admin/mall/categories/{id}/move")]
pub async fn move_category(
    state: State,
    admin: Authorized<perm::ManageCatalog>,
    path: web::Path<String>,
    body: web::Json<CategoryMoveBody>,
) -> Result<HttpResponse, ApiError> {
    let id = category_id(&path)?;
    state
        .mall
        .catalog
        .move_category(id, body.parent_id.map(CategoryId))
        .await?;
    reindex(&state, None).await;
    let (_, view) = node(&state, id).await?;
    audit(
        &state,
        &admin.act(),
        AuditAction::CategoryChange,
        id.to_string(),
        Some("moved"),
        node_json(&view),
    )
    .await;
    Ok(envelope::created(view))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryReorderBody {
    /// Whose children are reordered; the roots when `null` or absent.
    pub parent_id: Option<i64>,
    /// Every child of the parent exactly once, in the new order.
    #[schema(example = json!([3, 1, 2]))]
    pub ids: Option<Vec<i64>>,
}

#[utoipa::path(
    tag = "admin-mall",
    request_body = CategoryReorderBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 201, description = "the whole tree in its new order (audited)", body = Envelope<CategoryTreeView>),
        (status = 400, description = "ids missing, or not exactly the parent's children", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks manage_catalog", body = ErrorEnvelope),
        (status = 409, description = "the tree kept changing", body = ErrorEnvelope),
    )
)]
#[post("/admin/mall/categories/reorder")]
pub async fn reorder_categories(
    state: State,
    admin: Authorized<perm::ManageCatalog>,
    body: web::Json<CategoryReorderBody>,
) -> Result<HttpResponse, ApiError> {
    let Some(ids) = &body.ids else {
        return Err(ApiError::bad_request("ids should not be empty"));
    };
    let parent = body.parent_id.map(CategoryId);
    let ordered: Vec<CategoryId> = ids.iter().copied().map(CategoryId).collect();
    state.mall.catalog.reorder(parent, &ordered).await?;
    let tree = state.mall.catalog.tree().await?;
    audit(
        &state,
        &admin.act(),
        AuditAction::CategoryChange,
        parent.map_or_else(|| "root".to_owned(), |parent| parent.to_string()),
        Some("children reordered"),
        json!({ "parentId": body.parent_id, "ids": ids }),
    )
    .await;
    Ok(envelope::created(CategoryTreeView::from(&tree)))
}
