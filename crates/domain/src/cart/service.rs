//! The cart's use cases. SKUs are checked against the catalog when added: a SKU that is
//! unknown or disabled, or whose product is not on sale, is refused. Checkout prices the
//! selected lines again, so a line that went off sale later is refused there.

use std::sync::Arc;

use crate::catalog::{ProductRepository, ProductStatus, SkuId, SkuStatus};
use crate::order::OpenId;
use crate::ports::Clock;
use crate::services::ServiceError;

use super::model::{CartAdd, CartItem, CartLimits, CartRepository, MAX_LINE_QUANTITY, MAX_LINES};

pub struct CartService {
    cart: Arc<dyn CartRepository>,
    products: Arc<dyn ProductRepository>,
    clock: Arc<dyn Clock>,
}

fn checked_quantity(quantity: i64) -> Result<u32, ServiceError> {
    match u32::try_from(quantity) {
        Ok(quantity) if (1..=MAX_LINE_QUANTITY).contains(&quantity) => Ok(quantity),
        _ if quantity <= 0 => Err(ServiceError::Validation(
            "quantity must be at least 1 (remove the line instead)".to_owned(),
        )),
        _ => Err(ServiceError::Validation(format!(
            "quantity must be at most {MAX_LINE_QUANTITY}"
        ))),
    }
}

impl CartService {
    pub fn new(
        cart: Arc<dyn CartRepository>,
        products: Arc<dyn ProductRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        CartService {
            cart,
            products,
            clock,
        }
    }

    /// Adds units of a SKU on sale; into its existing line when there is one, the total
    /// capped at [`MAX_LINE_QUANTITY`]. A cart holds at most [`MAX_LINES`] SKUs.
    pub async fn add(
        &self,
        buyer: &OpenId,
        sku: SkuId,
        quantity: i64,
    ) -> Result<CartItem, ServiceError> {
        let quantity = checked_quantity(quantity)?;
        let unavailable = || ServiceError::NotFound(format!("SKU {sku} is not for sale"));
        let found = self.products.find_sku(sku).await?.ok_or_else(unavailable)?;
        let product = self
            .products
            .find(found.product)
            .await?
            .ok_or_else(unavailable)?;
        let on_sale = match product.status {
            ProductStatus::OnSale => true,
            ProductStatus::Draft | ProductStatus::OffSale | ProductStatus::Archived => false,
        };
        let enabled = match found.status {
            SkuStatus::Enabled => true,
            SkuStatus::Disabled => false,
        };
        if !on_sale || !enabled {
            return Err(unavailable());
        }
        match self
            .cart
            .add(
                buyer,
                sku,
                found.product,
                quantity,
                CartLimits::default(),
                self.clock.now(),
            )
            .await?
        {
            CartAdd::Added(item) => Ok(item),
            CartAdd::Full => Err(ServiceError::Conflict(format!(
                "a cart holds at most {MAX_LINES} different items"
            ))),
        }
    }

    /// Sets a line's quantity: at least 1 (remove a line to drop it).
    pub async fn set_quantity(
        &self,
        buyer: &OpenId,
        sku: SkuId,
        quantity: i64,
    ) -> Result<CartItem, ServiceError> {
        let quantity = checked_quantity(quantity)?;
        self.cart
            .set_quantity(buyer, sku, quantity, self.clock.now())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("SKU {sku} is not in the cart")))
    }

    pub async fn select(
        &self,
        buyer: &OpenId,
        sku: SkuId,
        selected: bool,
    ) -> Result<(), ServiceError> {
        let matched = self
            .cart
            .set_selected(buyer, Some(sku), selected, self.clock.now())
            .await?;
        if matched == 0 {
            return Err(ServiceError::NotFound(format!(
                "SKU {sku} is not in the cart"
            )));
        }
        Ok(())
    }

    /// Selects or unselects every line.
    pub async fn select_all(&self, buyer: &OpenId, selected: bool) -> Result<(), ServiceError> {
        self.cart
            .set_selected(buyer, None, selected, self.clock.now())
            .await?;
        Ok(())
    }

    /// Removes lines; SKUs not in the cart are ignored. How many lines went.
    pub async fn remove(&self, buyer: &OpenId, skus: &[SkuId]) -> Result<u64, ServiceError> {
        if skus.len() > MAX_LINES {
            return Err(ServiceError::Validation(format!(
                "at most {MAX_LINES} SKUs at once"
            )));
        }
        Ok(self.cart.remove(buyer, skus).await?)
    }

    /// Newest added first.
    pub async fn list(&self, buyer: &OpenId) -> Result<Vec<CartItem>, ServiceError> {
        Ok(self.cart.list(buyer).await?)
    }

    /// The lines checkout prices.
    pub async fn selected(&self, buyer: &OpenId) -> Result<Vec<CartItem>, ServiceError> {
        let mut lines = self.cart.list(buyer).await?;
        lines.retain(|line| line.selected);
        Ok(lines)
    }

    /// After an order was placed: its SKUs leave the cart.
    pub async fn remove_purchased(
        &self,
        buyer: &OpenId,
        skus: &[SkuId],
    ) -> Result<u64, ServiceError> {
        Ok(self.cart.remove(buyer, skus).await?)
    }
}
