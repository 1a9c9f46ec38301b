//! The shopper's own things as the API shows them: addresses (in full: they are the
//! owner's), favourites, browsing history and cart lines.

use chrono::{DateTime, Utc};
use elife_domain::cart::CartItem;
use elife_domain::ports::Page;
use elife_domain::shoppers::{Address, Favourite, Viewed};
use serde::Serialize;
use utoipa::ToSchema;

use super::format::js_time;
use super::paging::{Pagination, pagination};

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShopperAddressView {
    pub id: i64,
    pub receiver: String,
    #[schema(example = "13812345678")]
    pub phone: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
    /// GB/T 2260 code freight is priced by.
    #[schema(example = "310104")]
    pub region: String,
    pub is_default: bool,
    /// Send it back when updating: a change made meanwhile is refused, not overwritten.
    pub version: i64,
    #[serde(with = "js_time")]
    #[schema(value_type = String)]
    pub updated_at: DateTime<Utc>,
}

impl From<&Address> for ShopperAddressView {
    fn from(address: &Address) -> Self {
        let fields = &address.fields;
        ShopperAddressView {
            id: address.id.0,
            receiver: fields.receiver.clone(),
            phone: fields.phone.as_str().to_owned(),
            province: fields.province.clone(),
            city: fields.city.clone(),
            district: fields.district.clone(),
            detail: fields.detail.clone(),
            region: fields.region.as_str().to_owned(),
            is_default: address.is_default,
            version: address.version,
            updated_at: address.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductMarkView {
    pub product_id: i64,
    /// When it was added (favourites) or last viewed (history).
    #[serde(with = "js_time")]
    #[schema(value_type = String)]
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductMarkList {
    pub items: Vec<ProductMarkView>,
    pub pagination: Pagination,
}

impl From<&Page<Favourite>> for ProductMarkList {
    fn from(page: &Page<Favourite>) -> Self {
        ProductMarkList {
            items: page
                .items
                .iter()
                .map(|favourite| ProductMarkView {
                    product_id: favourite.product.value(),
                    at: favourite.added_at,
                })
                .collect(),
            pagination: pagination(page),
        }
    }
}

impl From<&Page<Viewed>> for ProductMarkList {
    fn from(page: &Page<Viewed>) -> Self {
        ProductMarkList {
            items: page
                .items
                .iter()
                .map(|viewed| ProductMarkView {
                    product_id: viewed.product.value(),
                    at: viewed.viewed_at,
                })
                .collect(),
            pagination: pagination(page),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartLineView {
    pub sku_id: i64,
    pub product_id: i64,
    pub quantity: u32,
    pub selected: bool,
    #[serde(with = "js_time")]
    #[schema(value_type = String)]
    pub added_at: DateTime<Utc>,
}

impl From<&CartItem> for CartLineView {
    fn from(item: &CartItem) -> Self {
        CartLineView {
            sku_id: item.sku_id.value(),
            product_id: item.product_id.value(),
            quantity: item.quantity,
            selected: item.selected,
            added_at: item.added_at,
        }
    }
}
