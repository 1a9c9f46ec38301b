//! Search and the shopper's shelf over the in-memory catalog, index and hot terms.

mod browse;
mod rules;
mod service;

use std::sync::Arc;

use chrono::Duration;

use crate::catalog::CatalogAdmin;
use crate::catalog::category::CategoryDraft;
use crate::catalog::ids::{CategoryId, ProductId};
use crate::catalog::memory::MemoryCatalog;
use crate::catalog::product::{ProductDraft, SkuDraft, SpecValue};
use crate::catalog::status::SkuStatus;
use crate::catalog::tests::FixedClock;
use crate::money::Fen;
use crate::ports::PageRequest;
use crate::testing::t0;

use super::memory::{MemoryProductSearch, MemorySearchTerms};
use super::{CatalogSearch, SearchQuery, SearchSort, ShopperCatalog};

pub(super) struct Shop {
    pub catalog: MemoryCatalog,
    pub admin: CatalogAdmin<MemoryCatalog, MemoryCatalog, FixedClock>,
    pub index: Arc<MemoryProductSearch>,
    pub terms: Arc<MemorySearchTerms>,
    pub search: CatalogSearch,
    pub shelf: ShopperCatalog,
}

impl Shop {
    pub fn new() -> Shop {
        let catalog = MemoryCatalog::new();
        let shared = Arc::new(catalog.clone());
        let index = Arc::new(MemoryProductSearch::new());
        let terms = Arc::new(MemorySearchTerms::new());
        Shop {
            admin: CatalogAdmin::new(
                Arc::clone(&shared),
                Arc::clone(&shared),
                Arc::new(FixedClock),
            ),
            search: CatalogSearch::new(
                index.clone(),
                terms.clone(),
                shared.clone(),
                shared.clone(),
                Arc::new(FixedClock),
            ),
            shelf: ShopperCatalog::new(shared.clone(), shared),
            catalog,
            index,
            terms,
        }
    }

    pub async fn category(&self, parent: Option<CategoryId>, name: &str) -> CategoryId {
        let draft = CategoryDraft {
            parent,
            name: name.to_owned(),
            sort_order: 0,
            enabled: true,
        };
        self.admin.create_category(draft).await.unwrap().id
    }

    /// A product on sale with one enabled SKU per price, created `age_days` before t0.
    pub async fn on_sale(
        &self,
        category: CategoryId,
        name: &str,
        description: &str,
        prices: &[i64],
    ) -> ProductId {
        let id = self.draft(category, name, description, prices).await;
        self.admin.publish(id).await.unwrap();
        id
    }

    pub async fn draft(
        &self,
        category: CategoryId,
        name: &str,
        description: &str,
        prices: &[i64],
    ) -> ProductId {
        let product = ProductDraft {
            category,
            name: name.to_owned(),
            description: description.to_owned(),
            detail: "<p>详情</p>".to_owned(),
            images: vec![format!("https://img.example.com/{name}.jpg")],
        };
        let skus = prices
            .iter()
            .enumerate()
            .map(|(n, price)| sku(&format!("款{n}"), *price, SkuStatus::Enabled))
            .collect();
        self.admin.create_product(product, skus).await.unwrap().0.id
    }

    /// Overwrites a product's sales and creation time, which only the ledger and the
    /// insert set.
    pub fn set(&self, id: ProductId, sales: i64, age_days: i64) {
        let mut catalog = self.catalog.catalog();
        let product = catalog.products.iter_mut().find(|p| p.id == id).unwrap();
        product.sales = sales;
        product.created_at = t0() - Duration::days(age_days);
    }
}

pub(super) fn sku(value: &str, price: i64, status: SkuStatus) -> SkuDraft {
    SkuDraft {
        specs: vec![SpecValue {
            name: "款式".to_owned(),
            value: value.to_owned(),
        }],
        price: Fen::new(price),
        original_price: Fen::new(price + 1000),
        low_stock_threshold: 0,
        status,
    }
}

pub(super) fn query(text: &str) -> SearchQuery {
    SearchQuery {
        text: text.to_owned(),
        ..SearchQuery::browse()
    }
}

pub(super) fn sorted(sort: SearchSort) -> SearchQuery {
    SearchQuery {
        sort,
        ..SearchQuery::browse()
    }
}

pub(super) fn page(page: u64, limit: u64) -> PageRequest {
    PageRequest { page, limit }
}
