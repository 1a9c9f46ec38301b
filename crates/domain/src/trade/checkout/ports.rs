//! What checkout needs of the shoppers and cart contexts and of the freight templates,
//! as narrow ports; those contexts implement them over their own services.

use async_trait::async_trait;

use crate::catalog::SkuId;
use crate::order::OpenId;
use crate::services::ServiceError;
use crate::trade::orders::AddressSnapshot;
use crate::trade::pricing::{FreightTemplate, RegionCode};

use super::lines::CheckoutLine;

/// An address from the shopper's book, as an order copies it, with the region freight is
/// priced for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingAddress {
    pub id: i64,
    pub snapshot: AddressSnapshot,
    pub region: RegionCode,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CheckoutAddresses: Send + Sync {
    /// The shopper's address `id`, or their default one when `None`; someone else's reads
    /// as not found; no address at all is a validation error telling them to add one.
    async fn shipping_address(
        &self,
        buyer: &OpenId,
        id: Option<i64>,
    ) -> Result<ShippingAddress, ServiceError>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CheckoutCart: Send + Sync {
    /// The selected lines of the shopper's cart.
    async fn selected_lines(&self, buyer: &OpenId) -> Result<Vec<CheckoutLine>, ServiceError>;

    /// Takes the SKUs just ordered out of the cart.
    async fn remove_ordered(&self, buyer: &OpenId, skus: &[SkuId]) -> Result<(), ServiceError>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait FreightTemplateSource: Send + Sync {
    /// The shop's templates (a few dozen at most) and the id of the default one, used for
    /// products that name none.
    async fn templates(&self) -> Result<(Vec<FreightTemplate>, Option<i64>), ServiceError>;
}
