//! What the back office reads of the catalog: a page of products with their SKUs, one
//! product whatever its status, and the SKUs running low.

use crate::ports::{Clock, Page, PageRequest};
use crate::services::ServiceError;

use super::admin::CatalogAdmin;
use super::category::{CategoryRepository, CategoryTree};
use super::ids::{CategoryId, ProductId};
use super::product::{Product, ProductRepository, Sku};
use super::stock::is_low;

/// Products read per statement while looking for low stock.
const SHELF_BATCH: u64 = 200;

/// SKUs at or below their threshold, fewest units first; `truncated` when the scan stopped
/// at its bound before the end of the shelf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowStock {
    pub items: Vec<(Product, Sku)>,
    pub truncated: bool,
}

impl<R, P, C> CatalogAdmin<R, P, C>
where
    R: CategoryRepository + ?Sized,
    P: ProductRepository + ?Sized,
    C: Clock + ?Sized,
{
    /// A product in any status, with its SKUs and their stock.
    pub async fn product_detail(&self, id: ProductId) -> Result<(Product, Vec<Sku>), ServiceError> {
        let product = self
            .products
            .find(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("product {id} not found")))?;
        let skus = self.products.skus(id).await?;
        Ok((product, skus))
    }

    /// Products on sale in `category` and everything under it (every category when
    /// `None`), newest first, with the SKUs of the page.
    pub async fn products(
        &self,
        category: Option<CategoryId>,
        page: PageRequest,
    ) -> Result<(Page<Product>, Vec<Sku>), ServiceError> {
        let snapshot = self.categories.snapshot().await?;
        let tree = CategoryTree::new(snapshot.categories)?;
        let categories: Vec<CategoryId> = match category {
            Some(category) => tree.subtree(category)?,
            None => tree.all_ids(),
        };
        let products = self.products.list_on_sale(&categories, page).await?;
        let ids: Vec<ProductId> = products.items.iter().map(|product| product.id).collect();
        let skus = self.products.skus_of_products(&ids).await?;
        Ok((products, skus))
    }

    /// SKUs of products on sale at or below their low-stock threshold, reading at most
    /// `max_products` products.
    pub async fn low_stock(&self, max_products: u64) -> Result<LowStock, ServiceError> {
        let mut items = Vec::new();
        let mut after = ProductId(0);
        let mut read = 0;
        let truncated = loop {
            if read >= max_products {
                break true;
            }
            let products = self.products.on_sale_after(after, SHELF_BATCH).await?;
            let Some(last) = products.last() else {
                break false;
            };
            after = last.id;
            read += products.len() as u64;
            let ids: Vec<ProductId> = products.iter().map(|product| product.id).collect();
            for sku in self.products.skus_of_products(&ids).await? {
                if is_low(sku.available, sku.low_stock_threshold)
                    && let Some(product) = products.iter().find(|p| p.id == sku.product)
                {
                    items.push((product.clone(), sku));
                }
            }
            if (products.len() as u64) < SHELF_BATCH {
                break false;
            }
        };
        items.sort_by_key(|(_, sku)| (sku.available, sku.id));
        Ok(LowStock { items, truncated })
    }
}
