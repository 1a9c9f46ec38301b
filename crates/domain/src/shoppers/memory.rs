//! The shoppers' storage in memory, with the SQL adapter's guarantees: every operation is
//! atomic under one lock, so bounds and the one-default rule hold under concurrency.

use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::catalog::ProductId;
use crate::order::OpenId;
use crate::ports::{CasOutcome, Page, PageRequest, RepositoryError};

use super::address::{Address, AddressFields, AddressId};
use super::ports::{
    AddressRepository, Bounded, Favourite, FavouriteRepository, HistoryRepository, Viewed,
};

#[derive(Debug, Default)]
pub struct ShoppersState {
    pub next_id: i64,
    pub addresses: Vec<Address>,
    pub favourites: Vec<(OpenId, Favourite)>,
    pub history: Vec<(OpenId, Viewed)>,
}

#[derive(Debug, Default)]
pub struct MemoryShoppers {
    state: Mutex<ShoppersState>,
}

impl MemoryShoppers {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn state(&self) -> MutexGuard<'_, ShoppersState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One page of `items` (already in order), as the SQL adapters serve it.
pub fn page_of<T: Clone>(items: &[T], page: PageRequest) -> Page<T> {
    let number = page.page.max(1);
    let limit = page.limit.min(PageRequest::MAX_LIMIT);
    let offset = usize::try_from((number - 1).saturating_mul(limit)).unwrap_or(usize::MAX);
    let take = usize::try_from(limit).unwrap_or(usize::MAX);
    Page {
        items: items.iter().skip(offset).take(take).cloned().collect(),
        total: items.len() as u64,
        page: number,
        limit,
    }
}

fn newest_default_first(addresses: &mut [Address]) {
    addresses.sort_by_key(|a| std::cmp::Reverse((a.is_default, a.created_at, a.id)));
}

#[async_trait]
impl AddressRepository for MemoryShoppers {
    async fn list(&self, buyer: &OpenId) -> Result<Vec<Address>, RepositoryError> {
        let mut mine: Vec<Address> = self
            .state()
            .addresses
            .iter()
            .filter(|a| &a.buyer == buyer)
            .cloned()
            .collect();
        newest_default_first(&mut mine);
        Ok(mine)
    }

    async fn find(
        &self,
        buyer: &OpenId,
        id: AddressId,
    ) -> Result<Option<Address>, RepositoryError> {
        let state = self.state();
        Ok(state
            .addresses
            .iter()
            .find(|a| a.id == id && &a.buyer == buyer)
            .cloned())
    }

    async fn insert(
        &self,
        buyer: &OpenId,
        fields: &AddressFields,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Bounded<Address>, RepositoryError> {
        let mut state = self.state();
        let held = state.addresses.iter().filter(|a| &a.buyer == buyer).count();
        if held >= limit {
            return Ok(Bounded::Full);
        }
        state.next_id += 1;
        let address = Address {
            id: AddressId(state.next_id),
            buyer: buyer.clone(),
            fields: fields.clone(),
            is_default: held == 0,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        state.addresses.push(address.clone());
        Ok(Bounded::Inserted(address))
    }

    async fn update(
        &self,
        buyer: &OpenId,
        id: AddressId,
        expected_version: i64,
        fields: &AddressFields,
        now: DateTime<Utc>,
    ) -> Result<CasOutcome, RepositoryError> {
        let mut state = self.state();
        let found = state
            .addresses
            .iter_mut()
            .find(|a| a.id == id && &a.buyer == buyer && a.version == expected_version);
        Ok(match found {
            Some(address) => {
                address.fields = fields.clone();
                address.version += 1;
                address.updated_at = now;
                CasOutcome::Won
            }
            None => CasOutcome::Lost,
        })
    }

    async fn delete(
        &self,
        buyer: &OpenId,
        id: AddressId,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let mut state = self.state();
        let Some(index) = state
            .addresses
            .iter()
            .position(|a| a.id == id && &a.buyer == buyer)
        else {
            return Ok(false);
        };
        let removed = state.addresses.remove(index);
        if removed.is_default
            && let Some(newest) = state
                .addresses
                .iter_mut()
                .filter(|a| &a.buyer == buyer)
                .max_by_key(|a| (a.created_at, a.id))
        {
            newest.is_default = true;
            newest.version += 1;
            newest.updated_at = now;
        }
        Ok(true)
    }

    async fn set_default(
        &self,
        buyer: &OpenId,
        id: AddressId,
        now: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let mut state = self.state();
        if !state
            .addresses
            .iter()
            .any(|a| a.id == id && &a.buyer == buyer)
        {
            return Ok(false);
        }
        for address in state.addresses.iter_mut().filter(|a| &a.buyer == buyer) {
            let default = address.id == id;
            if address.is_default != default {
                address.is_default = default;
                address.version += 1;
                address.updated_at = now;
            }
        }
        Ok(true)
    }
}

#[async_trait]
impl FavouriteRepository for MemoryShoppers {
    async fn add(
        &self,
        buyer: &OpenId,
        product: ProductId,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Bounded<bool>, RepositoryError> {
        let mut state = self.state();
        let mine = || state.favourites.iter().filter(|(b, _)| b == buyer);
        if mine().any(|(_, f)| f.product == product) {
            return Ok(Bounded::Inserted(false));
        }
        if mine().count() >= limit {
            return Ok(Bounded::Full);
        }
        state.favourites.push((
            buyer.clone(),
            Favourite {
                product,
                added_at: now,
            },
        ));
        Ok(Bounded::Inserted(true))
    }

    async fn remove(&self, buyer: &OpenId, product: ProductId) -> Result<bool, RepositoryError> {
        let mut state = self.state();
        let before = state.favourites.len();
        state
            .favourites
            .retain(|(b, f)| !(b == buyer && f.product == product));
        Ok(state.favourites.len() < before)
    }

    async fn list(
        &self,
        buyer: &OpenId,
        page: PageRequest,
    ) -> Result<Page<Favourite>, RepositoryError> {
        let state = self.state();
        // Pushed in time order: newest is last.
        let mine: Vec<Favourite> = state
            .favourites
            .iter()
            .rev()
            .filter(|(b, _)| b == buyer)
            .map(|(_, f)| f.clone())
            .collect();
        Ok(page_of(&mine, page))
    }

    async fn contains(&self, buyer: &OpenId, product: ProductId) -> Result<bool, RepositoryError> {
        let state = self.state();
        Ok(state
            .favourites
            .iter()
            .any(|(b, f)| b == buyer && f.product == product))
    }
}

#[async_trait]
impl HistoryRepository for MemoryShoppers {
    async fn record(
        &self,
        buyer: &OpenId,
        product: ProductId,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let mut state = self.state();
        state
            .history
            .retain(|(b, v)| !(b == buyer && v.product == product));
        state.history.push((
            buyer.clone(),
            Viewed {
                product,
                viewed_at: now,
            },
        ));
        let mut held = state.history.iter().filter(|(b, _)| b == buyer).count();
        // The oldest are first.
        state.history.retain(|(b, _)| {
            if b == buyer && held > limit {
                held -= 1;
                false
            } else {
                true
            }
        });
        Ok(())
    }

    async fn list(
        &self,
        buyer: &OpenId,
        page: PageRequest,
    ) -> Result<Page<Viewed>, RepositoryError> {
        let state = self.state();
        let mine: Vec<Viewed> = state
            .history
            .iter()
            .rev()
            .filter(|(b, _)| b == buyer)
            .map(|(_, v)| v.clone())
            .collect();
        Ok(page_of(&mine, page))
    }

    async fn clear(&self, buyer: &OpenId) -> Result<u64, RepositoryError> {
        let mut state = self.state();
        let before = state.history.len();
        state.history.retain(|(b, _)| b != buyer);
        Ok((before - state.history.len()) as u64)
    }
}
