//! The address book: validation, the per-shopper bound and ownership. Storage keeps the
//! one-default rule (see [`AddressRepository`]).

use std::sync::Arc;

use crate::order::OpenId;
use crate::ports::{CasOutcome, Clock};
use crate::services::ServiceError;
use crate::trade::orders::AddressSnapshot;

use super::address::{Address, AddressDraft, AddressFields, AddressId, MAX_ADDRESSES};
use super::ports::{AddressRepository, Bounded};

pub struct AddressBook {
    addresses: Arc<dyn AddressRepository>,
    clock: Arc<dyn Clock>,
}

fn validated(draft: &AddressDraft) -> Result<AddressFields, ServiceError> {
    draft
        .validate()
        .map_err(|problems| ServiceError::Validation(problems.join("; ")))
}

fn not_found(id: AddressId) -> ServiceError {
    ServiceError::NotFound(format!("address {id} not found"))
}

impl AddressBook {
    pub fn new(addresses: Arc<dyn AddressRepository>, clock: Arc<dyn Clock>) -> Self {
        AddressBook { addresses, clock }
    }

    /// The default first, then newest first.
    pub async fn list(&self, buyer: &OpenId) -> Result<Vec<Address>, ServiceError> {
        Ok(self.addresses.list(buyer).await?)
    }

    pub async fn get(&self, buyer: &OpenId, id: AddressId) -> Result<Address, ServiceError> {
        self.addresses
            .find(buyer, id)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// Adds an address; the shopper's first becomes the default.
    pub async fn add(&self, buyer: &OpenId, draft: &AddressDraft) -> Result<Address, ServiceError> {
        let fields = validated(draft)?;
        match self
            .addresses
            .insert(buyer, &fields, MAX_ADDRESSES, self.clock.now())
            .await?
        {
            Bounded::Inserted(address) => Ok(address),
            Bounded::Full => Err(ServiceError::Conflict(format!(
                "an address book holds at most {MAX_ADDRESSES} addresses"
            ))),
        }
    }

    /// Rewrites an address the shopper read at `expected_version`.
    pub async fn update(
        &self,
        buyer: &OpenId,
        id: AddressId,
        expected_version: i64,
        draft: &AddressDraft,
    ) -> Result<Address, ServiceError> {
        let fields = validated(draft)?;
        let outcome = self
            .addresses
            .update(buyer, id, expected_version, &fields, self.clock.now())
            .await?;
        let current = self.get(buyer, id).await?;
        match outcome {
            CasOutcome::Won => Ok(current),
            CasOutcome::Lost => Err(ServiceError::Conflict(format!(
                "address {id} changed meanwhile (now version {}); reload it",
                current.version
            ))),
        }
    }

    /// Deletes an address; deleting the default makes the newest remaining one the default.
    pub async fn delete(&self, buyer: &OpenId, id: AddressId) -> Result<(), ServiceError> {
        if self.addresses.delete(buyer, id, self.clock.now()).await? {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    pub async fn set_default(
        &self,
        buyer: &OpenId,
        id: AddressId,
    ) -> Result<Address, ServiceError> {
        if !self
            .addresses
            .set_default(buyer, id, self.clock.now())
            .await?
        {
            return Err(not_found(id));
        }
        self.get(buyer, id).await
    }

    /// The address an order goes to: the shopper's own (someone else's reads as not found).
    pub async fn for_checkout(
        &self,
        buyer: &OpenId,
        id: AddressId,
    ) -> Result<Address, ServiceError> {
        self.get(buyer, id).await
    }

    /// [`AddressBook::for_checkout`] as the order stores it.
    pub async fn snapshot_for_checkout(
        &self,
        buyer: &OpenId,
        id: AddressId,
    ) -> Result<AddressSnapshot, ServiceError> {
        Ok(self.for_checkout(buyer, id).await?.snapshot())
    }
}
