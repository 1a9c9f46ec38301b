//! Categories (compare-and-set on the tree's revision) and products with their SKUs
//! (compare-and-set on status and version) in memory.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::catalog::category::{Category, CategoryDraft, CategoryRepository, CategorySnapshot};
use crate::catalog::ids::{CategoryId, ProductId, SkuId};
use crate::catalog::product::{
    Product, ProductChange, ProductDraft, ProductRepository, ProductStatus, Sku, SkuChange,
    SkuDraft,
};
use crate::ports::{CasOutcome, Page, PageRequest, RepositoryError};

use super::{MemoryCatalog, StockRow, lock};

#[async_trait]
impl CategoryRepository for MemoryCatalog {
    async fn snapshot(&self) -> Result<CategorySnapshot, RepositoryError> {
        let catalog = self.catalog();
        Ok(CategorySnapshot {
            revision: catalog.revision,
            categories: catalog.categories.clone(),
        })
    }

    async fn insert(
        &self,
        revision: i64,
        draft: &CategoryDraft,
        now: DateTime<Utc>,
    ) -> Result<Option<Category>, RepositoryError> {
        let mut catalog = self.catalog();
        if catalog.revision != revision {
            return Ok(None);
        }
        let id = catalog.categories.iter().map(|c| c.id.0).max().unwrap_or(0) + 1;
        let category = Category {
            id: CategoryId(id),
            parent: draft.parent,
            name: draft.name.trim().to_owned(),
            sort_order: draft.sort_order,
            enabled: draft.enabled,
            created_at: now,
            updated_at: now,
        };
        catalog.categories.push(category.clone());
        catalog.revision += 1;
        Ok(Some(category))
    }

    async fn update(
        &self,
        revision: i64,
        changed: &[Category],
    ) -> Result<CasOutcome, RepositoryError> {
        let mut catalog = self.catalog();
        let all_exist = changed
            .iter()
            .all(|c| catalog.categories.iter().any(|stored| stored.id == c.id));
        if catalog.revision != revision || !all_exist {
            return Ok(CasOutcome::Lost);
        }
        for category in changed {
            if let Some(stored) = catalog.categories.iter_mut().find(|s| s.id == category.id) {
                *stored = category.clone();
            }
        }
        catalog.revision += 1;
        Ok(CasOutcome::Won)
    }
}

impl MemoryCatalog {
    /// `sku` with its `available` from the stock row.
    fn with_stock(&self, mut sku: Sku) -> Sku {
        sku.available = self.available(sku.id).unwrap_or(0);
        sku
    }
}

#[async_trait]
impl ProductRepository for MemoryCatalog {
    async fn insert(
        &self,
        draft: &ProductDraft,
        skus: &[SkuDraft],
        now: DateTime<Utc>,
    ) -> Result<(Product, Vec<Sku>), RepositoryError> {
        let mut catalog = self.catalog();
        let product = Product {
            id: ProductId(catalog.products.iter().map(|p| p.id.0).max().unwrap_or(0) + 1),
            category: draft.category,
            name: draft.name.trim().to_owned(),
            description: draft.description.clone(),
            detail: draft.detail.clone(),
            images: draft.images.clone(),
            status: ProductStatus::Draft,
            sales: 0,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let first = catalog.skus.iter().map(|s| s.id.0).max().unwrap_or(0) + 1;
        let created: Vec<Sku> = skus
            .iter()
            .zip(first..)
            .map(|(draft, id)| Sku {
                id: SkuId(id),
                product: product.id,
                specs: draft.specs.clone(),
                price: draft.price,
                original_price: draft.original_price,
                available: 0,
                low_stock_threshold: draft.low_stock_threshold,
                status: draft.status,
                version: 1,
                created_at: now,
                updated_at: now,
            })
            .collect();
        catalog.products.push(product.clone());
        catalog.skus.extend(created.iter().cloned());
        let mut table = lock(&self.rows);
        for sku in &created {
            table.insert(sku.id, Arc::new(Mutex::new(StockRow::default())));
        }
        Ok((product, created))
    }

    async fn find(&self, id: ProductId) -> Result<Option<Product>, RepositoryError> {
        Ok(self.catalog().products.iter().find(|p| p.id == id).cloned())
    }

    async fn skus(&self, product: ProductId) -> Result<Vec<Sku>, RepositoryError> {
        let skus: Vec<Sku> = self
            .catalog()
            .skus
            .iter()
            .filter(|s| s.product == product)
            .cloned()
            .collect();
        Ok(skus.into_iter().map(|sku| self.with_stock(sku)).collect())
    }

    async fn find_sku(&self, id: SkuId) -> Result<Option<Sku>, RepositoryError> {
        let sku = self.catalog().skus.iter().find(|s| s.id == id).cloned();
        Ok(sku.map(|sku| self.with_stock(sku)))
    }

    async fn apply(&self, change: &ProductChange) -> Result<CasOutcome, RepositoryError> {
        let mut catalog = self.catalog();
        let Some(stored) = catalog
            .products
            .iter_mut()
            .find(|p| p.id == change.product.id)
        else {
            return Ok(CasOutcome::Lost);
        };
        if stored.status != change.expected_status || stored.version != change.expected_version {
            return Ok(CasOutcome::Lost);
        }
        // Sales move only with the ledger: never from an edit.
        let sales = stored.sales;
        *stored = Product {
            sales,
            ..change.product.clone()
        };
        Ok(CasOutcome::Won)
    }

    async fn update_sku(&self, change: &SkuChange) -> Result<CasOutcome, RepositoryError> {
        let mut catalog = self.catalog();
        let Some(stored) = catalog.skus.iter_mut().find(|s| s.id == change.sku.id) else {
            return Ok(CasOutcome::Lost);
        };
        if stored.version != change.expected_version || stored.product != change.sku.product {
            return Ok(CasOutcome::Lost);
        }
        let available = stored.available;
        *stored = Sku {
            available,
            ..change.sku.clone()
        };
        Ok(CasOutcome::Won)
    }

    async fn delete_unreferenced(&self, id: ProductId) -> Result<bool, RepositoryError> {
        // Ledger before catalog: the adapter's lock order.
        let ledger = self.ledger();
        let mut catalog = self.catalog();
        let Some(product) = catalog.products.iter().find(|p| p.id == id) else {
            return Ok(false);
        };
        let skus: Vec<SkuId> = catalog
            .skus
            .iter()
            .filter(|s| s.product == id)
            .map(|s| s.id)
            .collect();
        let stocked = ledger.movements.iter().any(|m| skus.contains(&m.sku));
        if product.sales > 0 || stocked {
            return Ok(false);
        }
        catalog.products.retain(|p| p.id != id);
        catalog.skus.retain(|s| s.product != id);
        let mut table = lock(&self.rows);
        for sku in skus {
            table.remove(&sku);
        }
        Ok(true)
    }

    async fn find_many(&self, ids: &[ProductId]) -> Result<Vec<Product>, RepositoryError> {
        Ok(self
            .catalog()
            .products
            .iter()
            .filter(|p| ids.contains(&p.id))
            .cloned()
            .collect())
    }

    async fn skus_of_products(&self, products: &[ProductId]) -> Result<Vec<Sku>, RepositoryError> {
        let mut skus: Vec<Sku> = self
            .catalog()
            .skus
            .iter()
            .filter(|s| products.contains(&s.product))
            .cloned()
            .collect();
        skus.sort_by_key(|sku| sku.id);
        Ok(skus.into_iter().map(|sku| self.with_stock(sku)).collect())
    }

    async fn list_on_sale(
        &self,
        categories: &[CategoryId],
        page: PageRequest,
    ) -> Result<Page<Product>, RepositoryError> {
        let mut shelf: Vec<Product> = self
            .catalog()
            .products
            .iter()
            .filter(|p| p.status == ProductStatus::OnSale && categories.contains(&p.category))
            .cloned()
            .collect();
        shelf.sort_by_key(|p| std::cmp::Reverse((p.created_at, p.id)));
        // The SQL adapter's window: page 0 is the first, the limit capped.
        let number = page.page.max(1);
        let limit = page.limit.min(PageRequest::MAX_LIMIT);
        let offset = (number - 1).saturating_mul(limit);
        let total = shelf.len() as u64;
        let items = shelf
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        Ok(Page {
            items,
            total,
            page: number,
            limit,
        })
    }

    async fn on_sale_after(
        &self,
        after: ProductId,
        limit: u64,
    ) -> Result<Vec<Product>, RepositoryError> {
        let mut shelf: Vec<Product> = self
            .catalog()
            .products
            .iter()
            .filter(|p| p.status == ProductStatus::OnSale && p.id > after)
            .cloned()
            .collect();
        shelf.sort_by_key(|p| p.id);
        shelf.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(shelf)
    }
}
