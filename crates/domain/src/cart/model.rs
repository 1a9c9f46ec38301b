//! A cart line and the cart's storage port. A line is one SKU; adding a SKU already in the
//! cart adds to its quantity, capped at what one order line may hold.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{ProductId, SkuId};
use crate::order::OpenId;
use crate::ports::RepositoryError;

/// The most distinct SKUs one cart holds.
pub const MAX_LINES: usize = 100;
/// The most units of one SKU a line holds: what an order line may hold.
pub const MAX_LINE_QUANTITY: u32 = crate::trade::orders::MAX_QUANTITY;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartItem {
    pub buyer: OpenId,
    pub sku_id: SkuId,
    pub product_id: ProductId,
    /// 1 to [`MAX_LINE_QUANTITY`].
    pub quantity: u32,
    /// Only selected lines go to checkout.
    pub selected: bool,
    pub added_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What adding to the cart did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CartAdd {
    /// The line as it is now (new, or merged into the existing one, quantity capped).
    Added(CartItem),
    /// A new line would pass [`MAX_LINES`]; nothing changed.
    Full,
}

/// A shopper's cart lines. Every change is atomic: merging into an existing line reads and
/// writes its quantity by compare-and-set, and the line bound holds under concurrency.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CartRepository: Send + Sync {
    /// The shopper's lines, newest added first.
    async fn list(&self, buyer: &OpenId) -> Result<Vec<CartItem>, RepositoryError>;

    /// Adds `quantity` units of the SKU: to its line (at most `max_quantity` in all; the
    /// line becomes selected), or as a new selected line unless the cart has `max_lines`.
    async fn add(
        &self,
        buyer: &OpenId,
        sku: SkuId,
        product: ProductId,
        quantity: u32,
        limits: CartLimits,
        now: DateTime<Utc>,
    ) -> Result<CartAdd, RepositoryError>;

    /// Sets a line's quantity; `None` when the SKU is not in the cart.
    async fn set_quantity(
        &self,
        buyer: &OpenId,
        sku: SkuId,
        quantity: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<CartItem>, RepositoryError>;

    /// Selects or unselects one line (`Some`) or every line (`None`); how many lines
    /// matched.
    async fn set_selected(
        &self,
        buyer: &OpenId,
        sku: Option<SkuId>,
        selected: bool,
        now: DateTime<Utc>,
    ) -> Result<u64, RepositoryError>;

    /// Removes these SKUs' lines; how many there were.
    async fn remove(&self, buyer: &OpenId, skus: &[SkuId]) -> Result<u64, RepositoryError>;
}

/// The bounds an adapter enforces on [`CartRepository::add`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CartLimits {
    pub max_lines: usize,
    pub max_quantity: u32,
}

impl Default for CartLimits {
    fn default() -> Self {
        CartLimits {
            max_lines: MAX_LINES,
            max_quantity: MAX_LINE_QUANTITY,
        }
    }
}
