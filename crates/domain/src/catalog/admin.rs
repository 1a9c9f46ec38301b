//! The back office of the catalog: the category tree (every change a compare-and-set on
//! the tree's revision, retried on a lost race) and products (publish, unpublish, and
//! removal: deleted when nothing refers to them, archived otherwise). Auditing is the
//! caller's, with the admin's act, as for stock adjustments.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::ports::{CasOutcome, Clock};
use crate::services::ServiceError;

use super::category::{Category, CategoryDraft, CategoryError, CategoryRepository, CategoryTree};
use super::ids::{CategoryId, ProductId};
use super::product::{
    IllegalTransition, Product, ProductAction, ProductDraft, ProductRepository, Removal,
    RemovalPlan, Sku, SkuDraft, plan_removal, publish_problems, sku_set_problems,
};

/// Lost compare-and-sets tolerated in one call before the caller is asked to retry.
const RACE_RETRIES: usize = 5;

impl From<CategoryError> for ServiceError {
    fn from(error: CategoryError) -> Self {
        match error {
            CategoryError::NotFound(_) => ServiceError::NotFound(error.to_string()),
            CategoryError::Corrupt(_) => ServiceError::Unavailable(error.to_string()),
            CategoryError::DuplicateName(_) => ServiceError::Conflict(error.to_string()),
            CategoryError::TooDeep(_)
            | CategoryError::Cycle(_)
            | CategoryError::InvalidName
            | CategoryError::NotTheChildren
            | CategoryError::TooMany => ServiceError::Validation(error.to_string()),
        }
    }
}

impl From<IllegalTransition> for ServiceError {
    fn from(error: IllegalTransition) -> Self {
        ServiceError::Conflict(error.to_string())
    }
}

pub struct CatalogAdmin<R: ?Sized, P: ?Sized, C: ?Sized> {
    pub(super) categories: Arc<R>,
    pub(super) products: Arc<P>,
    pub(super) clock: Arc<C>,
}

impl<R, P, C> CatalogAdmin<R, P, C>
where
    R: CategoryRepository + ?Sized,
    P: ProductRepository + ?Sized,
    C: Clock + ?Sized,
{
    pub fn new(categories: Arc<R>, products: Arc<P>, clock: Arc<C>) -> Self {
        CatalogAdmin {
            categories,
            products,
            clock,
        }
    }

    pub async fn tree(&self) -> Result<CategoryTree, ServiceError> {
        let snapshot = self.categories.snapshot().await?;
        Ok(CategoryTree::new(snapshot.categories)?)
    }

    pub async fn create_category(&self, draft: CategoryDraft) -> Result<Category, ServiceError> {
        for _ in 0..RACE_RETRIES {
            let snapshot = self.categories.snapshot().await?;
            CategoryTree::new(snapshot.categories)?.check_insert(&draft)?;
            let now = self.clock.now();
            if let Some(category) = self
                .categories
                .insert(snapshot.revision, &draft, now)
                .await?
            {
                return Ok(category);
            }
        }
        Err(busy())
    }

    pub async fn move_category(
        &self,
        id: CategoryId,
        parent: Option<CategoryId>,
    ) -> Result<(), ServiceError> {
        self.change_tree(|tree, now| Ok(vec![tree.plan_move(id, parent, now)?]))
            .await
    }

    pub async fn reorder(
        &self,
        parent: Option<CategoryId>,
        ordered: &[CategoryId],
    ) -> Result<(), ServiceError> {
        self.change_tree(|tree, now| tree.plan_reorder(parent, ordered, now))
            .await
    }

    pub async fn rename(&self, id: CategoryId, name: &str) -> Result<(), ServiceError> {
        self.change_tree(|tree, now| Ok(vec![tree.plan_rename(id, name, now)?]))
            .await
    }

    pub async fn enable(&self, id: CategoryId, enabled: bool) -> Result<(), ServiceError> {
        self.change_tree(|tree, now| Ok(vec![tree.plan_enable(id, enabled, now)?]))
            .await
    }

    /// Reads the tree, plans against it, writes if nobody changed it meanwhile.
    async fn change_tree<F>(&self, plan: F) -> Result<(), ServiceError>
    where
        F: Fn(&CategoryTree, DateTime<Utc>) -> Result<Vec<Category>, CategoryError>,
    {
        for _ in 0..RACE_RETRIES {
            let snapshot = self.categories.snapshot().await?;
            let tree = CategoryTree::new(snapshot.categories)?;
            let changed = plan(&tree, self.clock.now())?;
            if changed.is_empty() {
                return Ok(());
            }
            match self.categories.update(snapshot.revision, &changed).await? {
                CasOutcome::Won => return Ok(()),
                CasOutcome::Lost => continue,
            }
        }
        Err(busy())
    }

    /// A new draft product with its SKUs (no stock yet: stock arrives as inbound).
    pub async fn create_product(
        &self,
        draft: ProductDraft,
        skus: Vec<SkuDraft>,
    ) -> Result<(Product, Vec<Sku>), ServiceError> {
        let mut problems = draft.problems();
        problems.extend(sku_set_problems(&skus));
        if !problems.is_empty() {
            return Err(ServiceError::Validation(problems.join("; ")));
        }
        self.tree().await?.get(draft.category)?;
        Ok(self
            .products
            .insert(&draft, &skus, self.clock.now())
            .await?)
    }

    /// On sale: with an image, an enabled SKU, and a category shoppers can see.
    pub async fn publish(&self, id: ProductId) -> Result<Product, ServiceError> {
        let product = self.product(id).await?;
        let skus = self.products.skus(id).await?;
        let visible = self.tree().await?.is_visible(product.category)?;
        let problems = publish_problems(&product, &skus, visible);
        if !problems.is_empty() {
            return Err(ServiceError::Validation(problems.join("; ")));
        }
        self.act(&product, ProductAction::Publish).await
    }

    pub async fn unpublish(&self, id: ProductId) -> Result<Product, ServiceError> {
        let product = self.product(id).await?;
        self.act(&product, ProductAction::Unpublish).await
    }

    /// Deletes a product nothing refers to; one with sales or stock history is archived.
    pub async fn remove(&self, id: ProductId) -> Result<Removal, ServiceError> {
        let product = self.product(id).await?;
        match plan_removal(&product, self.clock.now())? {
            RemovalPlan::AlreadyArchived => Ok(Removal::Archived(product)),
            RemovalPlan::Delete if self.products.delete_unreferenced(id).await? => {
                Ok(Removal::Deleted)
            }
            RemovalPlan::Delete | RemovalPlan::Archive(_) => Ok(Removal::Archived(
                self.act(&product, ProductAction::Archive).await?,
            )),
        }
    }

    async fn product(&self, id: ProductId) -> Result<Product, ServiceError> {
        self.products
            .find(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("product {id} not found")))
    }

    async fn act(&self, product: &Product, action: ProductAction) -> Result<Product, ServiceError> {
        let change = product.transition(action, self.clock.now())?;
        match self.products.apply(&change).await? {
            CasOutcome::Won => Ok(self.product(product.id).await?),
            CasOutcome::Lost => Err(ServiceError::Conflict(format!(
                "product {} changed meanwhile; reload and retry",
                product.id
            ))),
        }
    }
}

fn busy() -> ServiceError {
    ServiceError::Conflict("the category tree kept changing; retry".to_owned())
}
