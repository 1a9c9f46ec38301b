//! The mall's back office as the API shows it: the whole category tree (disabled included),
//! products with their SKUs and stock, stock adjustments, and an order with its
//! after-sales. Staff views mask the receiver's phone number.

use chrono::{DateTime, Utc};
use elife_domain::catalog::adjustments::StockAdjustment;
use elife_domain::catalog::{Category, CategoryTree, Product, Sku, is_low};
use elife_domain::ports::Page;
use serde::Serialize;
use utoipa::ToSchema;

use super::format::js_time;
use super::mall_orders::{AfterSaleView, MallOrderView, yuan};
use super::paging::{Pagination, pagination};

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryNodeView {
    pub id: i64,
    /// `null` for a root.
    pub parent_id: Option<i64>,
    pub name: String,
    pub sort_order: i32,
    /// The category's own switch.
    pub enabled: bool,
    /// Shown to shoppers: enabled, and every ancestor enabled.
    pub visible: bool,
    /// 1 for a root.
    pub depth: usize,
    #[serde(with = "js_time")]
    #[schema(value_type = String)]
    pub updated_at: DateTime<Utc>,
}

/// Every category, parents before their children, siblings in display order.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryTreeView {
    pub categories: Vec<CategoryNodeView>,
}

impl CategoryNodeView {
    fn new(tree: &CategoryTree, category: &Category, depth: usize) -> Self {
        CategoryNodeView {
            id: category.id.value(),
            parent_id: category.parent.map(|parent| parent.value()),
            name: category.name.clone(),
            sort_order: category.sort_order,
            enabled: category.enabled,
            visible: tree.is_visible(category.id).unwrap_or(false),
            depth,
            updated_at: category.updated_at,
        }
    }

    /// One category of `tree`, as it stands there.
    pub fn of(tree: &CategoryTree, category: &Category) -> Self {
        let depth = tree.depth(category.id).unwrap_or(1);
        CategoryNodeView::new(tree, category, depth)
    }
}

impl From<&CategoryTree> for CategoryTreeView {
    fn from(tree: &CategoryTree) -> Self {
        let mut categories = Vec::with_capacity(tree.len());
        let mut stack: Vec<(&Category, usize)> = tree
            .children(None)
            .into_iter()
            .rev()
            .map(|root| (root, 1))
            .collect();
        while let Some((category, depth)) = stack.pop() {
            categories.push(CategoryNodeView::new(tree, category, depth));
            stack.extend(
                tree.children(Some(category.id))
                    .into_iter()
                    .rev()
                    .map(|child| (child, depth + 1)),
            );
        }
        CategoryTreeView { categories }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SpecView {
    #[schema(example = "颜色")]
    pub name: String,
    #[schema(example = "红色")]
    pub value: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminSkuView {
    pub id: i64,
    pub product_id: i64,
    pub specs: Vec<SpecView>,
    pub price_fen: i64,
    #[schema(example = "19.9")]
    pub price_yuan: String,
    pub original_price_fen: i64,
    /// Units that can still be reserved (moved only by the stock ledger).
    pub available: i64,
    pub low_stock_threshold: i64,
    /// `available` at or below the threshold.
    pub low: bool,
    /// `enabled` or `disabled`.
    pub status: String,
    pub version: i64,
}

impl From<&Sku> for AdminSkuView {
    fn from(sku: &Sku) -> Self {
        AdminSkuView {
            id: sku.id.value(),
            product_id: sku.product.value(),
            specs: sku
                .specs
                .iter()
                .map(|spec| SpecView {
                    name: spec.name.clone(),
                    value: spec.value.clone(),
                })
                .collect(),
            price_fen: sku.price.value(),
            price_yuan: yuan(sku.price),
            original_price_fen: sku.original_price.value(),
            available: sku.available,
            low_stock_threshold: sku.low_stock_threshold,
            low: is_low(sku.available, sku.low_stock_threshold),
            status: sku.status.as_str().to_owned(),
            version: sku.version,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminProductView {
    pub id: i64,
    pub category_id: i64,
    pub name: String,
    pub description: String,
    /// Rich text (HTML) as stored.
    pub detail: String,
    pub images: Vec<String>,
    /// `draft`, `on_sale`, `off_sale` or `archived`.
    #[schema(example = "draft")]
    pub status: String,
    /// Units sold (paid).
    pub sales: i64,
    pub version: i64,
    #[serde(with = "js_time")]
    #[schema(value_type = String)]
    pub created_at: DateTime<Utc>,
    #[serde(with = "js_time")]
    #[schema(value_type = String)]
    pub updated_at: DateTime<Utc>,
}

impl From<&Product> for AdminProductView {
    fn from(product: &Product) -> Self {
        AdminProductView {
            id: product.id.value(),
            category_id: product.category.value(),
            name: product.name.clone(),
            description: product.description.clone(),
            detail: product.detail.clone(),
            images: product.images.clone(),
            status: product.status.as_str().to_owned(),
            sales: product.sales,
            version: product.version,
            created_at: product.created_at,
            updated_at: product.updated_at,
        }
    }
}

/// A product with its SKUs and their stock.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminProductDetail {
    pub product: AdminProductView,
    pub skus: Vec<AdminSkuView>,
}

impl AdminProductDetail {
    pub fn new(product: &Product, skus: &[Sku]) -> Self {
        AdminProductDetail {
            product: AdminProductView::from(product),
            skus: skus
                .iter()
                .filter(|sku| sku.product == product.id)
                .map(AdminSkuView::from)
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminProductList {
    pub items: Vec<AdminProductDetail>,
    pub pagination: Pagination,
}

impl AdminProductList {
    /// The page's products, each with its SKUs among `skus`.
    pub fn new(page: &Page<Product>, skus: &[Sku]) -> Self {
        AdminProductList {
            items: page
                .items
                .iter()
                .map(|product| AdminProductDetail::new(product, skus))
                .collect(),
            pagination: pagination(page),
        }
    }
}

/// What a delete did: `deleted`, or `archived` (it sold or has stock history).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductRemovalView {
    #[schema(example = "archived")]
    pub outcome: String,
    pub product: Option<AdminProductView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StockAdjustmentView {
    /// The ledger reference: `adj-` and the key.
    #[schema(example = "adj-count-2026-11-30")]
    pub reference: String,
    pub sku_id: i64,
    pub delta: i64,
    /// The SKU's stock right after this adjustment.
    pub available_after: i64,
    pub reason: String,
    /// Applied before under this key: nothing moved now.
    pub repeated: bool,
    pub movement_id: i64,
    #[serde(with = "js_time")]
    #[schema(value_type = String)]
    pub created_at: DateTime<Utc>,
}

impl From<&StockAdjustment> for StockAdjustmentView {
    fn from(adjustment: &StockAdjustment) -> Self {
        let movement = &adjustment.movement;
        StockAdjustmentView {
            reference: adjustment.reference.to_string(),
            sku_id: movement.sku.value(),
            delta: movement.delta,
            available_after: movement.available_after,
            reason: movement.note.clone(),
            repeated: adjustment.repeated,
            movement_id: movement.id,
            created_at: movement.created_at,
        }
    }
}

/// A SKU at or below its low-stock threshold, with its product's name.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LowStockView {
    pub product_name: String,
    pub sku: AdminSkuView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LowStockList {
    pub items: Vec<LowStockView>,
    /// More products than one look covers: the list may be incomplete.
    pub truncated: bool,
}

/// An order as staff see it (phone masked), with its after-sales.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminMallOrderDetail {
    pub order: MallOrderView,
    pub after_sales: Vec<AfterSaleView>,
}
