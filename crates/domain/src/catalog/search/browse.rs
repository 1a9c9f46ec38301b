//! The shopper's reads of the shelf: a category's products and a product's detail. Only
//! products on sale exist for shoppers; anything else reads as not found.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::catalog::category::{Category, CategoryRepository, CategoryTree};
use crate::catalog::ids::{CategoryId, ProductId};
use crate::catalog::product::{Product, ProductRepository, Sku};
use crate::money::Fen;
use crate::ports::{Page, PageRequest};
use crate::services::ServiceError;

use super::document::enabled;

/// A product in a list: what a shopper sees before opening it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCard {
    pub id: ProductId,
    pub category: CategoryId,
    pub name: String,
    pub description: String,
    /// The main image.
    pub image: Option<String>,
    /// The lowest price among the enabled SKUs, and that SKU's original price.
    pub price: Fen,
    pub original_price: Fen,
    pub sales: i64,
}

impl ProductCard {
    /// The card of a product on sale with an enabled SKU; `None` otherwise.
    pub fn of(product: &Product, skus: &[Sku]) -> Option<ProductCard> {
        if !product.status.sellable() {
            return None;
        }
        let cheapest = skus
            .iter()
            .filter(|sku| sku.product == product.id && enabled(sku))
            .min_by_key(|sku| (sku.price, sku.id))?;
        Some(ProductCard {
            id: product.id,
            category: product.category,
            name: product.name.clone(),
            description: product.description.clone(),
            image: product.images.first().cloned(),
            price: cheapest.price,
            original_price: cheapest.original_price,
            sales: product.sales,
        })
    }
}

/// A product page: the product and the SKUs a shopper can choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDetail {
    pub product: Product,
    /// Enabled SKUs only, by id, with their current stock.
    pub skus: Vec<Sku>,
}

/// Cards for `products` in their order, skipping those not (or no longer) on sale.
pub(super) async fn cards(
    products: &dyn ProductRepository,
    listed: Vec<Product>,
) -> Result<Vec<ProductCard>, ServiceError> {
    if listed.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<ProductId> = listed.iter().map(|p| p.id).collect();
    let skus = products.skus_of_products(&ids).await?;
    Ok(listed
        .iter()
        .filter_map(|product| ProductCard::of(product, &skus))
        .collect())
}

pub struct ShopperCatalog {
    products: Arc<dyn ProductRepository>,
    categories: Arc<dyn CategoryRepository>,
}

impl ShopperCatalog {
    pub fn new(
        products: Arc<dyn ProductRepository>,
        categories: Arc<dyn CategoryRepository>,
    ) -> Self {
        ShopperCatalog {
            products,
            categories,
        }
    }

    /// The categories shoppers see, parents before children, siblings in display order.
    pub async fn categories(&self) -> Result<Vec<Category>, ServiceError> {
        Ok(self.tree().await?.visible().into_iter().cloned().collect())
    }

    /// Products on sale in `category` and everything under it (every visible category when
    /// `None`), newest first. A category shoppers cannot see is not found.
    pub async fn list(
        &self,
        category: Option<CategoryId>,
        page: PageRequest,
    ) -> Result<Page<ProductCard>, ServiceError> {
        if !(1..=PageRequest::MAX_LIMIT).contains(&page.limit) || page.page == 0 {
            return Err(ServiceError::Validation(format!(
                "page starts at 1 and limit is between 1 and {}",
                PageRequest::MAX_LIMIT
            )));
        }
        let tree = self.tree().await?;
        let shown: Vec<CategoryId> = match category {
            Some(id) => {
                if !tree.is_visible(id)? {
                    return Err(not_found_category(id));
                }
                // The subtree less what a disabled category hides inside it.
                let mut shown = Vec::new();
                for member in tree.subtree(id)? {
                    if tree.is_visible(member)? {
                        shown.push(member);
                    }
                }
                shown
            }
            None => tree.visible().iter().map(|c| c.id).collect(),
        };
        let listed = self.products.list_on_sale(&shown, page).await?;
        Ok(Page {
            items: cards(self.products.as_ref(), listed.items).await?,
            total: listed.total,
            page: listed.page,
            limit: listed.limit,
        })
    }

    /// A product on sale with its enabled SKUs; any other product is not found.
    pub async fn detail(&self, id: ProductId) -> Result<ProductDetail, ServiceError> {
        let product = self
            .products
            .find(id)
            .await?
            .filter(|product| product.status.sellable())
            .ok_or_else(|| ServiceError::NotFound(format!("product {id} not found")))?;
        let skus = self
            .products
            .skus(id)
            .await?
            .into_iter()
            .filter(enabled)
            .collect();
        Ok(ProductDetail { product, skus })
    }

    async fn tree(&self) -> Result<CategoryTree, ServiceError> {
        Ok(CategoryTree::new(
            self.categories.snapshot().await?.categories,
        )?)
    }
}

fn not_found_category(id: CategoryId) -> ServiceError {
    ServiceError::NotFound(format!("category {id} not found"))
}
