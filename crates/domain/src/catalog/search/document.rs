//! What the search index holds of a product: built from the catalog by a pure function, so
//! the rebuild at start-up and the refresh after a write index exactly the same thing.

use chrono::{DateTime, Utc};

use crate::catalog::category::CategoryTree;
use crate::catalog::ids::{CategoryId, ProductId};
use crate::catalog::product::{Product, Sku};
use crate::catalog::status::SkuStatus;
use crate::money::Fen;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchDocument {
    pub product_id: ProductId,
    pub name: String,
    pub description: String,
    pub category_id: CategoryId,
    /// The ids from the root down to the product's own category, so that a filter on a
    /// parent category matches everything under it.
    pub category_path: Vec<CategoryId>,
    /// The lowest and highest price among the enabled SKUs; the lowest is the price shown.
    pub min_price: Fen,
    pub max_price: Fen,
    pub sales: i64,
    pub created_at: DateTime<Utc>,
}

impl SearchDocument {
    /// The document of a product shoppers may find: on sale, with an enabled SKU, in a
    /// category shoppers can see. `None` for anything else, which the index must not hold.
    pub fn for_product(
        product: &Product,
        skus: &[Sku],
        tree: &CategoryTree,
    ) -> Option<SearchDocument> {
        if !product.status.sellable() {
            return None;
        }
        let category_path = tree.path(product.category).ok()?;
        if !tree.is_visible(product.category).ok()? {
            return None;
        }
        let (min_price, max_price) = price_range(product, skus)?;
        Some(SearchDocument {
            product_id: product.id,
            name: product.name.clone(),
            description: product.description.clone(),
            category_id: product.category,
            category_path,
            min_price,
            max_price,
            sales: product.sales,
            created_at: product.created_at,
        })
    }
}

/// The lowest and highest price of `product`'s enabled SKUs; `None` when it has none.
pub(super) fn price_range(product: &Product, skus: &[Sku]) -> Option<(Fen, Fen)> {
    let prices = || {
        skus.iter()
            .filter(|sku| sku.product == product.id && enabled(sku))
            .map(|sku| sku.price)
    };
    Some((prices().min()?, prices().max()?))
}

pub(super) fn enabled(sku: &Sku) -> bool {
    match sku.status {
        SkuStatus::Enabled => true,
        SkuStatus::Disabled => false,
    }
}
