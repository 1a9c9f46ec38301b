//! The shopper's address book, favourites and browsing history. Everything here is the
//! caller's own: another shopper's address reads as not found.

use actix_web::{HttpResponse, delete, get, post, put, web};
use elife_domain::catalog::ProductId;
use elife_domain::shoppers::{AddressDraft, AddressId};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::State;
use super::points::PageQuery;
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::identity::CurrentUser;
use crate::http::validation::{Problems, page_only};
use crate::http::views::{ProductMarkList, ShopperAddressView};

/// An id from the path; one that is not a number names nothing.
fn path_id(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| ApiError::not_found(format!("{what} {raw} not found")))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddressBody {
    #[schema(example = "张三")]
    pub receiver: Option<String>,
    #[schema(example = "13812345678")]
    pub phone: Option<String>,
    #[schema(example = "上海市")]
    pub province: Option<String>,
    #[schema(example = "上海市")]
    pub city: Option<String>,
    #[schema(example = "徐汇区")]
    pub district: Option<String>,
    #[schema(example = "漕溪北路 1 号")]
    pub detail: Option<String>,
    /// GB/T 2260 code of the district: freight is priced by it.
    #[schema(example = "310104")]
    pub region: Option<String>,
    /// Updates only: the version read.
    pub version: Option<i64>,
}

impl AddressBody {
    fn draft(&self) -> Result<AddressDraft, ApiError> {
        let mut problems = Problems::new();
        let receiver = problems.required("receiver", &self.receiver);
        let phone = problems.required("phone", &self.phone);
        let province = problems.required("province", &self.province);
        let city = problems.required("city", &self.city);
        let detail = problems.required("detail", &self.detail);
        let region = problems.required("region", &self.region);
        let ((((receiver, phone), (province, city)), detail), region) = problems.into_value(
            receiver
                .zip(phone)
                .zip(province.zip(city))
                .zip(detail)
                .zip(region),
        )?;
        Ok(AddressDraft {
            receiver,
            phone,
            province,
            city,
            district: self.district.clone().unwrap_or_default(),
            detail,
            region,
        })
    }
}

#[utoipa::path(
    tag = "mall",
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "the caller's addresses, the default first", body = Envelope<Vec<ShopperAddressView>>),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/mall/addresses")]
pub async fn list_addresses(state: State, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let addresses = state.mall.addresses.list(&user.openid).await?;
    Ok(envelope::ok(
        addresses
            .iter()
            .map(ShopperAddressView::from)
            .collect::<Vec<_>>(),
    ))
}

#[utoipa::path(
    tag = "mall",
    request_body = AddressBody,
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 201, description = "the new address (the first one becomes the default)", body = Envelope<ShopperAddressView>),
        (status = 400, description = "invalid address (every problem listed)", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 409, description = "the address book is full", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[post("/api/mall/addresses")]
pub async fn add_address(
    state: State,
    user: CurrentUser,
    body: web::Json<AddressBody>,
) -> Result<HttpResponse, ApiError> {
    let address = state
        .mall
        .addresses
        .add(&user.openid, &body.draft()?)
        .await?;
    Ok(envelope::created(ShopperAddressView::from(&address)))
}

#[utoipa::path(
    tag = "mall",
    request_body = AddressBody,
    params(("id" = i64, Path)),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "the address as updated", body = Envelope<ShopperAddressView>),
        (status = 400, description = "invalid address or version missing", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such address of the caller's", body = ErrorEnvelope),
        (status = 409, description = "changed meanwhile: reload", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[put("/api/mall/addresses/{id}")]
pub async fn update_address(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Json<AddressBody>,
) -> Result<HttpResponse, ApiError> {
    let id = AddressId(path_id(&path, "address")?);
    let Some(version) = body.version else {
        return Err(ApiError::bad_request(
            "version should not be empty: send the version you read",
        ));
    };
    let address = state
        .mall
        .addresses
        .update(&user.openid, id, version, &body.draft()?)
        .await?;
    Ok(envelope::ok(ShopperAddressView::from(&address)))
}

#[utoipa::path(
    tag = "mall",
    params(("id" = i64, Path)),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "deleted (the newest remaining becomes the default if this was it)", body = Envelope<Object>),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such address of the caller's", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[delete("/api/mall/addresses/{id}")]
pub async fn delete_address(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = AddressId(path_id(&path, "address")?);
    state.mall.addresses.delete(&user.openid, id).await?;
    Ok(envelope::ok(json!({ "deleted": true })))
}

#[utoipa::path(
    tag = "mall",
    params(("id" = i64, Path)),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 201, description = "the address, now the only default", body = Envelope<ShopperAddressView>),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such address of the caller's", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[post("/api/mall/addresses/{id}/default")]
pub async fn set_default_address(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = AddressId(path_id(&path, "address")?);
    let address = state.mall.addresses.set_default(&user.openid, id).await?;
    Ok(envelope::created(ShopperAddressView::from(&address)))
}

#[utoipa::path(
    tag = "mall",
    params(PageQuery),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "the caller's favourite products, newest first", body = Envelope<ProductMarkList>),
        (status = 400, description = "invalid page", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/mall/favourites")]
pub async fn list_favourites(
    state: State,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_only(query.page.as_deref(), query.limit.as_deref())?;
    let favourites = state.mall.favourites.list(&user.openid, page).await?;
    Ok(envelope::ok(ProductMarkList::from(&favourites)))
}

#[utoipa::path(
    tag = "mall",
    params(("productId" = i64, Path)),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 201, description = "a favourite (adding twice keeps one)", body = Envelope<Object>),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "not a product id", body = ErrorEnvelope),
        (status = 409, description = "too many favourites", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[post("/api/mall/favourites/{productId}")]
pub async fn add_favourite(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let product = ProductId(path_id(&path, "product")?);
    let added = state.mall.favourites.add(&user.openid, product).await?;
    Ok(envelope::created(json!({ "added": added })))
}

#[utoipa::path(
    tag = "mall",
    params(("productId" = i64, Path)),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "not a favourite any more", body = Envelope<Object>),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[delete("/api/mall/favourites/{productId}")]
pub async fn remove_favourite(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let product = ProductId(path_id(&path, "product")?);
    let removed = state.mall.favourites.remove(&user.openid, product).await?;
    Ok(envelope::ok(json!({ "removed": removed })))
}

#[utoipa::path(
    tag = "mall",
    params(PageQuery),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "products the caller viewed, most recent first (each once)", body = Envelope<ProductMarkList>),
        (status = 400, description = "invalid page", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[get("/api/mall/history")]
pub async fn list_history(
    state: State,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_only(query.page.as_deref(), query.limit.as_deref())?;
    let viewed = state.mall.history.list(&user.openid, page).await?;
    Ok(envelope::ok(ProductMarkList::from(&viewed)))
}

#[utoipa::path(
    tag = "mall",
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "the history emptied", body = Envelope<Object>),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[delete("/api/mall/history")]
pub async fn clear_history(state: State, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let cleared = state.mall.history.clear(&user.openid).await?;
    Ok(envelope::ok(json!({ "cleared": cleared })))
}
