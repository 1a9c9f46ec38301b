//! Editing what is on the shelf: a product's content and one SKU's specs, prices,
//! threshold and status. Each edit is a compare-and-set on the version the admin read;
//! one that would leave a product on sale unsellable (no image, no enabled SKU, hidden
//! category) is refused, so "on sale" keeps meaning what publishing checked.

use crate::ports::{CasOutcome, Clock};
use crate::services::ServiceError;

use super::admin::CatalogAdmin;
use super::category::CategoryRepository;
use super::ids::{ProductId, SkuId};
use super::product::{
    Product, ProductDraft, ProductRepository, Sku, SkuChange, SkuDraft, publish_problems,
    sku_set_problems,
};
use super::status::ProductStatus;

fn changed_meanwhile(what: String, now: i64) -> ServiceError {
    ServiceError::Conflict(format!(
        "{what} changed meanwhile (now version {now}); reload it"
    ))
}

fn as_draft(sku: &Sku) -> SkuDraft {
    SkuDraft {
        specs: sku.specs.clone(),
        price: sku.price,
        original_price: sku.original_price,
        low_stock_threshold: sku.low_stock_threshold,
        status: sku.status,
    }
}

impl<R, P, C> CatalogAdmin<R, P, C>
where
    R: CategoryRepository + ?Sized,
    P: ProductRepository + ?Sized,
    C: Clock + ?Sized,
{
    /// Refuses a product on sale that would not pass publishing any more.
    async fn still_sellable(&self, product: &Product, skus: &[Sku]) -> Result<(), ServiceError> {
        match product.status {
            ProductStatus::OnSale => {}
            ProductStatus::Draft | ProductStatus::OffSale | ProductStatus::Archived => {
                return Ok(());
            }
        }
        let visible = self.tree().await?.is_visible(product.category)?;
        let problems = publish_problems(product, skus, visible);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Validation(format!(
                "product {} is on sale: {} (take it off sale first)",
                product.id,
                problems.join("; ")
            )))
        }
    }

    /// Rewrites a product's content (category, name, description, detail, images).
    pub async fn edit_product(
        &self,
        id: ProductId,
        expected_version: i64,
        draft: &ProductDraft,
    ) -> Result<Product, ServiceError> {
        let problems = draft.problems();
        if !problems.is_empty() {
            return Err(ServiceError::Validation(problems.join("; ")));
        }
        self.tree().await?.get(draft.category)?;
        let (product, skus) = self.product_detail(id).await?;
        if product.version != expected_version {
            return Err(changed_meanwhile(format!("product {id}"), product.version));
        }
        let change = product.edited(draft, self.clock.now())?;
        self.still_sellable(&change.product, &skus).await?;
        match self.products.apply(&change).await? {
            CasOutcome::Won => Ok(self.product_detail(id).await?.0),
            CasOutcome::Lost => {
                let now = self.product_detail(id).await?.0.version;
                Err(changed_meanwhile(format!("product {id}"), now))
            }
        }
    }

    /// Rewrites one SKU's specs, prices, low-stock threshold and status; never its stock,
    /// which moves only through the ledger. An archived product's SKUs are frozen.
    pub async fn edit_sku(
        &self,
        id: SkuId,
        expected_version: i64,
        draft: &SkuDraft,
    ) -> Result<Sku, ServiceError> {
        let not_found = || ServiceError::NotFound(format!("SKU {id} not found"));
        let sku = self.products.find_sku(id).await?.ok_or_else(not_found)?;
        if sku.version != expected_version {
            return Err(changed_meanwhile(format!("SKU {id}"), sku.version));
        }
        let (product, siblings) = self.product_detail(sku.product).await?;
        match product.status {
            ProductStatus::Archived => {
                return Err(ServiceError::Conflict(format!(
                    "product {} is archived: its SKUs are kept as sold",
                    product.id
                )));
            }
            ProductStatus::Draft | ProductStatus::OnSale | ProductStatus::OffSale => {}
        }
        let mut edited = sku.clone();
        edited.specs = draft.specs.clone();
        edited.price = draft.price;
        edited.original_price = draft.original_price;
        edited.low_stock_threshold = draft.low_stock_threshold;
        edited.status = draft.status;
        edited.version = sku.version + 1;
        edited.updated_at = self.clock.now();
        let after: Vec<Sku> = siblings
            .iter()
            .map(|sibling| {
                if sibling.id == id {
                    edited.clone()
                } else {
                    sibling.clone()
                }
            })
            .collect();
        let problems = sku_set_problems(&after.iter().map(as_draft).collect::<Vec<_>>());
        if !problems.is_empty() {
            return Err(ServiceError::Validation(problems.join("; ")));
        }
        self.still_sellable(&product, &after).await?;
        let change = SkuChange {
            sku: edited,
            expected_version,
        };
        match self.products.update_sku(&change).await? {
            CasOutcome::Won => self.products.find_sku(id).await?.ok_or_else(not_found),
            CasOutcome::Lost => {
                let now = self
                    .products
                    .find_sku(id)
                    .await?
                    .map_or(0, |sku| sku.version);
                Err(changed_meanwhile(format!("SKU {id}"), now))
            }
        }
    }
}
