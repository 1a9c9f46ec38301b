//! After-sales in memory, with the same unique key, compare-and-set and one-refund-per-order
//! rule as the database adapter; the effects of won changes go to a [`MemoryTradeOutbox`]
//! (shared with the orders through [`MemoryAfterSales::with_outbox`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use crate::order::{OpenId, OrderNumber};
use crate::ports::{CasOutcome, Page, PageRequest, RepositoryError};
use crate::trade::orders::memory::paged;
use crate::trade::outbox::TradeMessage;
use crate::trade::outbox::memory::MemoryTradeOutbox;

use super::model::{AfterSale, AfterSaleKey};
use super::ports::AfterSaleRepository;
use super::status::AfterSaleStatus;
use super::transition::{AfterSaleEffect, AfterSaleTransition};

#[derive(Debug, Default)]
pub struct AfterSaleState {
    pub after_sales: BTreeMap<AfterSaleKey, AfterSale>,
    /// Every effect of every won change, in commit order.
    pub effects: Vec<AfterSaleEffect>,
}

#[derive(Debug, Clone, Default)]
pub struct MemoryAfterSales {
    state: Arc<Mutex<AfterSaleState>>,
    outbox: MemoryTradeOutbox,
}

impl MemoryAfterSales {
    pub fn new() -> Self {
        MemoryAfterSales::default()
    }

    /// After-sales whose won changes append their effects to `outbox`.
    pub fn with_outbox(outbox: MemoryTradeOutbox) -> Self {
        MemoryAfterSales {
            state: Arc::default(),
            outbox,
        }
    }

    pub fn outbox(&self) -> &MemoryTradeOutbox {
        &self.outbox
    }

    /// Newest first (by creation, then key), one page.
    fn page_of(&self, keep: impl Fn(&AfterSale) -> bool, page: PageRequest) -> Page<AfterSale> {
        let state = self.state();
        let mut found: Vec<AfterSale> = state
            .after_sales
            .values()
            .filter(|after_sale| keep(after_sale))
            .cloned()
            .collect();
        found.sort_by(|a, b| (b.created_at, &b.key).cmp(&(a.created_at, &a.key)));
        paged(found, page)
    }

    pub fn state(&self) -> MutexGuard<'_, AfterSaleState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl AfterSaleRepository for MemoryAfterSales {
    async fn insert(&self, after_sale: &AfterSale) -> Result<(), RepositoryError> {
        let mut state = self.state();
        if state.after_sales.contains_key(&after_sale.key) {
            return Err(RepositoryError::Duplicate(format!(
                "after-sale {}",
                after_sale.key
            )));
        }
        state
            .after_sales
            .insert(after_sale.key.clone(), after_sale.clone());
        Ok(())
    }

    async fn find(&self, key: &AfterSaleKey) -> Result<Option<AfterSale>, RepositoryError> {
        Ok(self.state().after_sales.get(key).cloned())
    }

    async fn for_order(&self, order_no: &OrderNumber) -> Result<Vec<AfterSale>, RepositoryError> {
        Ok(self
            .state()
            .after_sales
            .values()
            .filter(|after_sale| &after_sale.key.order_no == order_no)
            .cloned()
            .collect())
    }

    async fn apply(&self, transition: &AfterSaleTransition) -> Result<CasOutcome, RepositoryError> {
        let mut state = self.state();
        let next = &transition.after_sale;
        let Some(stored) = state.after_sales.get(&next.key) else {
            return Ok(CasOutcome::Lost);
        };
        if stored.status != transition.expected_status
            || stored.version != transition.expected_version
        {
            return Ok(CasOutcome::Lost);
        }
        let refunding = AfterSaleStatus::Refunding;
        if next.status == refunding
            && state.after_sales.values().any(|other| {
                other.key.order_no == next.key.order_no
                    && other.key != next.key
                    && other.status == refunding
            })
        {
            return Err(RepositoryError::Duplicate(format!(
                "a refund of order {}",
                next.key.order_no
            )));
        }
        state.after_sales.insert(next.key.clone(), next.clone());
        state.effects.extend(transition.effects.iter().cloned());
        self.outbox.append(
            transition
                .effects
                .iter()
                .cloned()
                .map(TradeMessage::AfterSale),
            next.updated_at,
        );
        Ok(CasOutcome::Won)
    }

    async fn list(
        &self,
        status: Option<AfterSaleStatus>,
        page: PageRequest,
    ) -> Result<Page<AfterSale>, RepositoryError> {
        Ok(self.page_of(
            |after_sale| status.is_none_or(|wanted| after_sale.status == wanted),
            page,
        ))
    }

    async fn for_buyer(
        &self,
        buyer: &OpenId,
        page: PageRequest,
    ) -> Result<Page<AfterSale>, RepositoryError> {
        Ok(self.page_of(|after_sale| &after_sale.buyer == buyer, page))
    }
}
