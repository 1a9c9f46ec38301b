//! Products: the SPU a shopper sees, with its status machine, and the SKUs it is sold as.
//! Stock is not edited here: a SKU's `available` changes only through the stock ledger.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Fen;
use crate::ports::{CasOutcome, Page, PageRequest, RepositoryError};

use super::ids::{CategoryId, ProductId, SkuId};
pub use super::status::{IllegalTransition, ProductAction, ProductStatus, SkuStatus};

/// The most a single price may be: one million yuan, far above anything this shop sells.
pub const MAX_PRICE: Fen = Fen::new(100_000_000);
pub const MAX_IMAGES: usize = 9;
pub const MAX_SKUS: usize = 100;
pub const MAX_SPECS: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: ProductId,
    pub category: CategoryId,
    pub name: String,
    /// A short plain-text description for lists.
    pub description: String,
    /// The detail page as rich text (HTML), shown as stored; sanitising is the web layer's.
    pub detail: String,
    /// Image URLs, the first being the main image.
    pub images: Vec<String>,
    pub status: ProductStatus,
    /// Units sold (paid), across its SKUs; only stock deductions move it.
    pub sales: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A product as an admin writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDraft {
    pub category: CategoryId,
    pub name: String,
    pub description: String,
    pub detail: String,
    pub images: Vec<String>,
}

impl ProductDraft {
    /// Every problem at once, or nothing.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let name = self.name.trim().chars().count();
        if name == 0 || name > 100 {
            problems.push("name must have 1 to 100 characters".to_owned());
        }
        if self.description.chars().count() > 500 {
            problems.push("description must have at most 500 characters".to_owned());
        }
        if self.detail.chars().count() > 100_000 {
            problems.push("detail must have at most 100000 characters".to_owned());
        }
        if self.images.len() > MAX_IMAGES {
            problems.push(format!("at most {MAX_IMAGES} images"));
        }
        if self.images.iter().any(|url| !is_image_url(url)) {
            problems.push("image URLs must be https and at most 512 characters".to_owned());
        }
        problems
    }
}

fn is_image_url(url: &str) -> bool {
    url.len() <= 512
        && url.starts_with("https://")
        && url.len() > "https://".len()
        && !url.chars().any(char::is_whitespace)
}

/// One spec attribute of a SKU, e.g. 颜色 = 红色. A SKU's specs are ordered as the admin
/// entered them, which is the order the shopper picks them in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecValue {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sku {
    pub id: SkuId,
    pub product: ProductId,
    pub specs: Vec<SpecValue>,
    pub price: Fen,
    pub original_price: Fen,
    /// Units that can still be reserved: moved only by the stock ledger.
    pub available: i64,
    /// A warning goes out when `available` falls to this or below (see `stock::is_low`).
    pub low_stock_threshold: i64,
    pub status: SkuStatus,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A SKU as an admin writes it: no stock, which arrives as an inbound movement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuDraft {
    pub specs: Vec<SpecValue>,
    pub price: Fen,
    pub original_price: Fen,
    pub low_stock_threshold: i64,
    pub status: SkuStatus,
}

impl SkuDraft {
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.price.value() <= 0 || self.price > MAX_PRICE {
            problems.push(format!(
                "price must be between 1 and {} fen",
                MAX_PRICE.value()
            ));
        }
        if self.original_price < self.price || self.original_price > MAX_PRICE {
            problems.push("original price must be at least the price".to_owned());
        }
        if !(0..=1_000_000).contains(&self.low_stock_threshold) {
            problems.push("low-stock threshold must be between 0 and 1000000".to_owned());
        }
        if self.specs.len() > MAX_SPECS {
            problems.push(format!("at most {MAX_SPECS} spec attributes"));
        }
        let bad_text = |text: &str, max: usize| {
            let chars = text.trim().chars().count();
            chars == 0 || chars > max
        };
        if self
            .specs
            .iter()
            .any(|spec| bad_text(&spec.name, 32) || bad_text(&spec.value, 64))
        {
            problems.push("spec names have 1 to 32 characters, values 1 to 64".to_owned());
        }
        let names: BTreeSet<&str> = self.specs.iter().map(|spec| spec.name.trim()).collect();
        if names.len() != self.specs.len() {
            problems.push("spec names must differ".to_owned());
        }
        problems
    }
}

/// Problems of a product's SKUs taken together: one to [`MAX_SKUS`], each valid, all with
/// the same spec names in the same order, no two with the same values.
pub fn sku_set_problems(skus: &[SkuDraft]) -> Vec<String> {
    let mut problems = Vec::new();
    if skus.is_empty() || skus.len() > MAX_SKUS {
        problems.push(format!("a product has 1 to {MAX_SKUS} SKUs"));
    }
    for (n, sku) in skus.iter().enumerate() {
        problems.extend(
            sku.problems()
                .into_iter()
                .map(|p| format!("SKU {}: {p}", n + 1)),
        );
    }
    let names = |sku: &SkuDraft| -> Vec<String> {
        sku.specs.iter().map(|s| s.name.trim().to_owned()).collect()
    };
    if let Some(first) = skus.first()
        && skus.iter().any(|sku| names(sku) != names(first))
    {
        problems.push("every SKU has the same spec names in the same order".to_owned());
    }
    let combinations: BTreeSet<Vec<&str>> = skus
        .iter()
        .map(|sku| sku.specs.iter().map(|s| s.value.trim()).collect())
        .collect();
    if combinations.len() != skus.len() {
        problems.push("two SKUs have the same spec values".to_owned());
    }
    problems
}

/// A product's row changed by a compare-and-set on (status, version). Adapters write the
/// editable columns and the status from `product`, never `sales`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductChange {
    pub product: Product,
    pub expected_status: ProductStatus,
    pub expected_version: i64,
}

impl Product {
    /// The product after `action`, as a change to apply; illegal moves are errors.
    pub fn transition(
        &self,
        action: ProductAction,
        now: DateTime<Utc>,
    ) -> Result<ProductChange, IllegalTransition> {
        let status = self.status.apply(action)?;
        Ok(self.changed(now, |product| product.status = status))
    }

    /// The product with `draft`'s content, status unchanged (an archived one is frozen).
    pub fn edited(
        &self,
        draft: &ProductDraft,
        now: DateTime<Utc>,
    ) -> Result<ProductChange, IllegalTransition> {
        if self.status == ProductStatus::Archived {
            return Err(IllegalTransition {
                from: self.status,
                action: "edit",
            });
        }
        Ok(self.changed(now, |product| {
            product.category = draft.category;
            product.name = draft.name.trim().to_owned();
            product.description = draft.description.clone();
            product.detail = draft.detail.clone();
            product.images = draft.images.clone();
        }))
    }

    fn changed(&self, now: DateTime<Utc>, edit: impl FnOnce(&mut Product)) -> ProductChange {
        let mut product = self.clone();
        edit(&mut product);
        product.version = self.version + 1;
        product.updated_at = now;
        ProductChange {
            product,
            expected_status: self.status,
            expected_version: self.version,
        }
    }
}

/// Why a product may not go on sale (all at once).
pub fn publish_problems(product: &Product, skus: &[Sku], category_visible: bool) -> Vec<String> {
    let mut problems = Vec::new();
    if product.images.is_empty() {
        problems.push("a product on sale has at least one image".to_owned());
    }
    if !skus.iter().any(|sku| sku.status == SkuStatus::Enabled) {
        problems.push("a product on sale has at least one enabled SKU".to_owned());
    }
    if !category_visible {
        problems.push("its category is disabled or hidden by a disabled parent".to_owned());
    }
    problems
}

/// What an admin's "delete" does to a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemovalPlan {
    /// Nothing refers to it yet: try to delete it (storage has the last word).
    Delete,
    /// It sold, so orders and the stock ledger refer to it: archive it instead.
    Archive(ProductChange),
    /// Archived before: nothing to do.
    AlreadyArchived,
}

/// What became of a product an admin asked to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    Deleted,
    /// It is referred to (sales, stock movements): kept, archived, never sold again.
    Archived(Product),
}

/// A product on sale must be taken off sale first, so that nobody is buying it while it
/// goes; one with sales is archived, never deleted. When storage refuses the delete
/// (something else refers to it) the caller archives with [`ProductAction::Archive`].
pub fn plan_removal(
    product: &Product,
    now: DateTime<Utc>,
) -> Result<RemovalPlan, IllegalTransition> {
    match product.status {
        ProductStatus::OnSale => Err(IllegalTransition {
            from: product.status,
            action: "remove",
        }),
        ProductStatus::Archived => Ok(RemovalPlan::AlreadyArchived),
        ProductStatus::Draft | ProductStatus::OffSale => {
            if product.sales == 0 {
                Ok(RemovalPlan::Delete)
            } else {
                Ok(RemovalPlan::Archive(
                    product.transition(ProductAction::Archive, now)?,
                ))
            }
        }
    }
}

/// A SKU's row changed by a compare-and-set on its version. Adapters write specs, prices,
/// threshold and status from `sku`, never `available`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuChange {
    pub sku: Sku,
    pub expected_version: i64,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ProductRepository: Send + Sync {
    /// A new draft product with its SKUs (each with no stock), in one transaction.
    async fn insert(
        &self,
        draft: &ProductDraft,
        skus: &[SkuDraft],
        now: DateTime<Utc>,
    ) -> Result<(Product, Vec<Sku>), RepositoryError>;

    async fn find(&self, id: ProductId) -> Result<Option<Product>, RepositoryError>;

    /// A product's SKUs by id, with their current stock.
    async fn skus(&self, product: ProductId) -> Result<Vec<Sku>, RepositoryError>;

    async fn find_sku(&self, id: SkuId) -> Result<Option<Sku>, RepositoryError>;

    async fn apply(&self, change: &ProductChange) -> Result<CasOutcome, RepositoryError>;

    async fn update_sku(&self, change: &SkuChange) -> Result<CasOutcome, RepositoryError>;

    /// Deletes a product and its SKUs when nothing refers to them: no sales and no stock
    /// movement of any kind (the ledger is append-only and keeps its SKUs). `false` when
    /// something does (nothing deleted) or there is no such product.
    async fn delete_unreferenced(&self, id: ProductId) -> Result<bool, RepositoryError>;

    // Shopper reads: listing only, nothing below writes.

    /// Products by id, in no particular order; ids that do not exist are left out. Search
    /// hits are loaded with one call instead of one per hit.
    async fn find_many(&self, ids: &[ProductId]) -> Result<Vec<Product>, RepositoryError>;

    /// The SKUs of several products (ascending id, with their current stock).
    async fn skus_of_products(&self, products: &[ProductId]) -> Result<Vec<Sku>, RepositoryError>;

    /// Products on sale in one of `categories` (none when it is empty), newest first
    /// (created, then id, descending), with the total of every match. Page 0 is served as
    /// the first; the limit is capped at [`PageRequest::MAX_LIMIT`].
    async fn list_on_sale(
        &self,
        categories: &[CategoryId],
        page: PageRequest,
    ) -> Result<Page<Product>, RepositoryError>;

    /// Up to `limit` products on sale with an id above `after`, ascending: the whole shelf
    /// read in pages (from `ProductId(0)`) that a product inserted meanwhile cannot shift.
    async fn on_sale_after(
        &self,
        after: ProductId,
        limit: u64,
    ) -> Result<Vec<Product>, RepositoryError>;
}
