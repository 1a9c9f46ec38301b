//! The shopper's search: checks and normalises the query, counts the term among the hot
//! ones, asks the index, then reads the hits back from the catalog (the authority), so a
//! product taken off sale after it was indexed is never shown.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Duration;

use crate::catalog::category::{CategoryRepository, CategoryTree};
use crate::catalog::ids::ProductId;
use crate::catalog::product::ProductRepository;
use crate::ports::{Clock, Page};
use crate::services::ServiceError;

use super::browse::{ProductCard, cards};
use super::document::SearchDocument;
use super::port::ProductSearch;
use super::query::SearchQuery;
use super::terms::{HotTerm, SearchTerms};

/// The most hot terms one call returns.
pub const HOT_TERMS_MAX: u64 = 50;
/// Hot terms are those searched within this many days.
pub const HOT_WINDOW_DAYS: i64 = 30;
/// Products read per call while the index is rebuilt.
pub const REBUILD_BATCH: u64 = 200;

pub struct CatalogSearch {
    index: Arc<dyn ProductSearch>,
    terms: Arc<dyn SearchTerms>,
    products: Arc<dyn ProductRepository>,
    categories: Arc<dyn CategoryRepository>,
    clock: Arc<dyn Clock>,
}

impl CatalogSearch {
    pub fn new(
        index: Arc<dyn ProductSearch>,
        terms: Arc<dyn SearchTerms>,
        products: Arc<dyn ProductRepository>,
        categories: Arc<dyn CategoryRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        CatalogSearch {
            index,
            terms,
            products,
            categories,
            clock,
        }
    }

    /// A page of products on sale matching `query`, in the order asked for. `total` is the
    /// index's count, which may include a product that went off sale a moment ago.
    pub async fn search(&self, query: SearchQuery) -> Result<Page<ProductCard>, ServiceError> {
        let query = query.normalized();
        let problems = query.problems();
        if !problems.is_empty() {
            return Err(ServiceError::Validation(problems.join("; ")));
        }
        // Paging through the same results is one search, not one per page.
        if !query.text.is_empty() && query.page.page == 1 {
            self.record(&query.text).await;
        }
        let results = self.index.search(&query).await?;
        let ids: Vec<ProductId> = results.hits.iter().map(|hit| hit.product_id).collect();
        let found = if ids.is_empty() {
            Vec::new()
        } else {
            self.products.find_many(&ids).await?
        };
        let mut by_id: HashMap<ProductId, _> = found.into_iter().map(|p| (p.id, p)).collect();
        let in_hit_order = ids.iter().filter_map(|id| by_id.remove(id)).collect();
        Ok(Page {
            items: cards(self.products.as_ref(), in_hit_order).await?,
            total: results.total,
            page: query.page.page,
            limit: query.page.limit,
        })
    }

    /// The hot terms are a nicety: failing to count one must not fail the search.
    async fn record(&self, term: &str) {
        if let Err(error) = self.terms.record(term, self.clock.now()).await {
            tracing::warn!(error = %error, "could not count a search term");
        }
    }

    /// The most searched terms of the last [`HOT_WINDOW_DAYS`] days, most first.
    pub async fn hot_terms(&self, limit: u64) -> Result<Vec<HotTerm>, ServiceError> {
        if !(1..=HOT_TERMS_MAX).contains(&limit) {
            return Err(ServiceError::Validation(format!(
                "limit must be between 1 and {HOT_TERMS_MAX}"
            )));
        }
        let since = self.clock.now() - Duration::days(HOT_WINDOW_DAYS);
        Ok(self.terms.hot(limit, Some(since)).await?)
    }

    /// Rebuilds the index from the catalog: every product on sale, read in batches, then
    /// swapped in at once. Run at start-up before serving searches, and after a change to
    /// the category tree (which moves or hides whole subtrees). Returns the products indexed.
    pub async fn rebuild(&self) -> Result<usize, ServiceError> {
        let tree = self.tree().await?;
        let mut documents = Vec::new();
        let mut after = ProductId(0);
        loop {
            let batch = self.products.on_sale_after(after, REBUILD_BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            let ids: Vec<ProductId> = batch.iter().map(|p| p.id).collect();
            let skus = self.products.skus_of_products(&ids).await?;
            documents.extend(
                batch
                    .iter()
                    .filter_map(|product| SearchDocument::for_product(product, &skus, &tree)),
            );
            if (batch.len() as u64) < REBUILD_BATCH {
                break;
            }
        }
        let indexed = documents.len();
        self.index.replace_all(documents).await?;
        Ok(indexed)
    }

    /// Brings one product's entry up to date after an admin wrote it (created, edited,
    /// published, unpublished, removed, a SKU changed): indexed when shoppers may find it,
    /// removed otherwise.
    pub async fn refresh(&self, id: ProductId) -> Result<(), ServiceError> {
        let Some(product) = self.products.find(id).await? else {
            return Ok(self.index.remove(id).await?);
        };
        let document = if product.status.sellable() {
            let skus = self.products.skus(id).await?;
            SearchDocument::for_product(&product, &skus, &self.tree().await?)
        } else {
            None
        };
        match document {
            Some(document) => self.index.upsert(document).await?,
            None => self.index.remove(id).await?,
        }
        Ok(())
    }

    async fn tree(&self) -> Result<CategoryTree, ServiceError> {
        Ok(CategoryTree::new(
            self.categories.snapshot().await?.categories,
        )?)
    }
}
