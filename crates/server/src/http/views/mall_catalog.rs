//! The catalog as shoppers see it: categories, product cards, a product page with its
//! SKUs, hot search terms.

use elife_domain::catalog::search::{HotTerm, ProductCard, ProductDetail};
use elife_domain::catalog::{Category, Sku};
use elife_domain::ports::Page;
use serde::Serialize;
use utoipa::ToSchema;

use super::mall_orders::yuan;
use super::paging::{Pagination, pagination};

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryView {
    pub id: i64,
    pub parent_id: Option<i64>,
    #[schema(example = "茶饮")]
    pub name: String,
    pub sort_order: i32,
}

impl From<&Category> for CategoryView {
    fn from(category: &Category) -> Self {
        CategoryView {
            id: category.id.value(),
            parent_id: category.parent.map(|parent| parent.value()),
            name: category.name.clone(),
            sort_order: category.sort_order,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductCardView {
    pub id: i64,
    pub category_id: i64,
    pub name: String,
    pub description: String,
    pub image: Option<String>,
    /// The cheapest enabled SKU's price.
    pub price_fen: i64,
    #[schema(example = "9.9")]
    pub price_yuan: String,
    pub original_price_fen: i64,
    pub sales: i64,
}

impl From<&ProductCard> for ProductCardView {
    fn from(card: &ProductCard) -> Self {
        ProductCardView {
            id: card.id.value(),
            category_id: card.category.value(),
            name: card.name.clone(),
            description: card.description.clone(),
            image: card.image.clone(),
            price_fen: card.price.value(),
            price_yuan: yuan(card.price),
            original_price_fen: card.original_price.value(),
            sales: card.sales,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductCardList {
    pub items: Vec<ProductCardView>,
    pub pagination: Pagination,
}

impl From<&Page<ProductCard>> for ProductCardList {
    fn from(page: &Page<ProductCard>) -> Self {
        ProductCardList {
            items: page.items.iter().map(ProductCardView::from).collect(),
            pagination: pagination(page),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkuView {
    pub id: i64,
    /// `颜色: 红; 尺码: XL`, and the same as pairs.
    pub spec: String,
    #[schema(value_type = Vec<Object>)]
    pub specs: serde_json::Value,
    pub price_fen: i64,
    pub original_price_fen: i64,
    /// Units that can still be ordered.
    pub available: i64,
}

impl From<&Sku> for SkuView {
    fn from(sku: &Sku) -> Self {
        SkuView {
            id: sku.id.value(),
            spec: sku
                .specs
                .iter()
                .map(|spec| format!("{}: {}", spec.name, spec.value))
                .collect::<Vec<_>>()
                .join("; "),
            specs: serde_json::Value::Array(
                sku.specs
                    .iter()
                    .map(|spec| serde_json::json!({ "name": spec.name, "value": spec.value }))
                    .collect(),
            ),
            price_fen: sku.price.value(),
            original_price_fen: sku.original_price.value(),
            available: sku.available.max(0),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductPageView {
    pub id: i64,
    pub category_id: i64,
    pub name: String,
    pub description: String,
    /// Rich text (HTML) as the merchant wrote it.
    pub detail: String,
    pub images: Vec<String>,
    pub sales: i64,
    pub skus: Vec<SkuView>,
    /// Whether the caller keeps it among favourites (`false` when not logged in).
    pub favourite: bool,
}

impl ProductPageView {
    pub fn new(detail: &ProductDetail, favourite: bool) -> Self {
        let product = &detail.product;
        ProductPageView {
            id: product.id.value(),
            category_id: product.category.value(),
            name: product.name.clone(),
            description: product.description.clone(),
            detail: product.detail.clone(),
            images: product.images.clone(),
            sales: product.sales,
            skus: detail.skus.iter().map(SkuView::from).collect(),
            favourite,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HotTermView {
    #[schema(example = "乌龙茶")]
    pub term: String,
    pub count: i64,
}

impl From<&HotTerm> for HotTermView {
    fn from(term: &HotTerm) -> Self {
        HotTermView {
            term: term.term.clone(),
            count: term.count,
        }
    }
}
