//! The checkout's ports implemented over the contexts that own the data: the shopper's
//! address book, their cart, and the stored freight templates.

use async_trait::async_trait;

use crate::cart::CartService;
use crate::catalog::SkuId;
use crate::order::OpenId;
use crate::services::ServiceError;
use crate::shoppers::{AddressBook, AddressId};
use crate::trade::freight_templates::FreightTemplateAdmin;
use crate::trade::pricing::FreightTemplate;

use super::lines::CheckoutLine;
use super::ports::{CheckoutAddresses, CheckoutCart, FreightTemplateSource, ShippingAddress};

#[async_trait]
impl CheckoutAddresses for AddressBook {
    async fn shipping_address(
        &self,
        buyer: &OpenId,
        id: Option<i64>,
    ) -> Result<ShippingAddress, ServiceError> {
        let address = match id {
            Some(id) => self.for_checkout(buyer, AddressId(id)).await?,
            None => self
                .list(buyer)
                .await?
                .into_iter()
                .find(|address| address.is_default)
                .ok_or_else(|| {
                    ServiceError::Validation(
                        "no delivery address: add one (or name addressId)".to_owned(),
                    )
                })?,
        };
        Ok(ShippingAddress {
            id: address.id.0,
            snapshot: address.snapshot(),
            region: address.fields.region.clone(),
        })
    }
}

#[async_trait]
impl CheckoutCart for CartService {
    async fn selected_lines(&self, buyer: &OpenId) -> Result<Vec<CheckoutLine>, ServiceError> {
        Ok(self
            .selected(buyer)
            .await?
            .into_iter()
            .map(|item| CheckoutLine {
                sku: item.sku_id,
                quantity: item.quantity,
            })
            .collect())
    }

    async fn remove_ordered(&self, buyer: &OpenId, skus: &[SkuId]) -> Result<(), ServiceError> {
        self.remove_purchased(buyer, skus).await.map(|_| ())
    }
}

#[async_trait]
impl FreightTemplateSource for FreightTemplateAdmin {
    async fn templates(&self) -> Result<(Vec<FreightTemplate>, Option<i64>), ServiceError> {
        let stored = self.list().await?;
        let default = stored
            .iter()
            .find(|template| template.is_default)
            .map(|template| template.id());
        Ok((
            stored
                .into_iter()
                .map(|template| template.template)
                .collect(),
            default,
        ))
    }
}
