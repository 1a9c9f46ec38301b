//! Mall orders in memory, with the same compare-and-set as the database adapter: for the
//! tests here and in other crates. The events a won change carries are kept in order, as an
//! outbox would keep them, and appended to a [`MemoryTradeOutbox`] (shared with the
//! after-sales with [`MemoryMallOrders::with_outbox`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::order::{OpenId, OrderNumber};
use crate::ports::{CasOutcome, Page, PageRequest, RepositoryError};
use crate::trade::outbox::TradeMessage;
use crate::trade::outbox::memory::MemoryTradeOutbox;

use super::model::MallOrder;
use super::ports::{MallOrderFilter, MallOrderQueue, MallOrderRepository};
use super::status::MallOrderStatus;
use super::transition::{MallOrderTransition, TradeEvent};

#[derive(Debug, Default)]
pub struct MallOrderState {
    pub orders: BTreeMap<String, MallOrder>,
    /// Every event of every won change, in commit order.
    pub events: Vec<TradeEvent>,
    /// Fail the next `fail_next` calls with `Unavailable` (storage outages in tests).
    pub fail_next: usize,
}

#[derive(Debug, Clone, Default)]
pub struct MemoryMallOrders {
    state: Arc<Mutex<MallOrderState>>,
    outbox: MemoryTradeOutbox,
}

impl MemoryMallOrders {
    pub fn new() -> Self {
        MemoryMallOrders::default()
    }

    /// Orders whose won changes append their events to `outbox`.
    pub fn with_outbox(outbox: MemoryTradeOutbox) -> Self {
        MemoryMallOrders {
            state: Arc::default(),
            outbox,
        }
    }

    pub fn outbox(&self) -> &MemoryTradeOutbox {
        &self.outbox
    }

    pub fn state(&self) -> MutexGuard<'_, MallOrderState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn checked(&self) -> Result<MutexGuard<'_, MallOrderState>, RepositoryError> {
        let mut state = self.state();
        if state.fail_next > 0 {
            state.fail_next -= 1;
            return Err(RepositoryError::Unavailable("memory outage".to_owned()));
        }
        Ok(state)
    }
}

#[async_trait]
impl MallOrderRepository for MemoryMallOrders {
    async fn insert(&self, order: &MallOrder) -> Result<(), RepositoryError> {
        let mut state = self.checked()?;
        let key = order.order_no.as_str().to_owned();
        if state.orders.contains_key(&key) {
            return Err(RepositoryError::Duplicate(format!(
                "order {}",
                order.order_no
            )));
        }
        state.orders.insert(key, order.clone());
        Ok(())
    }

    async fn find(&self, order_no: &OrderNumber) -> Result<Option<MallOrder>, RepositoryError> {
        Ok(self.checked()?.orders.get(order_no.as_str()).cloned())
    }

    async fn find_for_buyer(
        &self,
        order_no: &OrderNumber,
        buyer: &OpenId,
    ) -> Result<Option<MallOrder>, RepositoryError> {
        Ok(self
            .checked()?
            .orders
            .get(order_no.as_str())
            .filter(|order| &order.buyer == buyer)
            .cloned())
    }

    async fn apply(&self, transition: &MallOrderTransition) -> Result<CasOutcome, RepositoryError> {
        let mut state = self.checked()?;
        let key = transition.order.order_no.as_str();
        let Some(stored) = state.orders.get_mut(key) else {
            return Ok(CasOutcome::Lost);
        };
        if stored.status != transition.expected_status
            || stored.version != transition.expected_version
        {
            return Ok(CasOutcome::Lost);
        }
        *stored = transition.order.clone();
        state.events.extend(transition.events.iter().cloned());
        // Under the orders' lock, as a database appends in the change's transaction.
        self.outbox.append(
            transition.events.iter().cloned().map(TradeMessage::Order),
            transition.order.updated_at,
        );
        Ok(CasOutcome::Won)
    }

    async fn due(
        &self,
        queue: MallOrderQueue,
        cutoff: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<MallOrder>, RepositoryError> {
        let state = self.checked()?;
        let due_at = |order: &MallOrder| match queue {
            MallOrderQueue::PaymentDue => {
                (order.status == MallOrderStatus::Unpaid).then_some(order.pay_deadline)
            }
            MallOrderQueue::ReceiptDue => (order.status == MallOrderStatus::Shipped)
                .then_some(order.auto_confirm_at)
                .flatten(),
        };
        let mut found: Vec<(DateTime<Utc>, MallOrder)> = state
            .orders
            .values()
            .filter_map(|order| {
                due_at(order)
                    .filter(|at| *at <= cutoff)
                    .map(|at| (at, order.clone()))
            })
            .collect();
        found.sort_by(|a, b| (a.0, a.1.order_no.as_str()).cmp(&(b.0, b.1.order_no.as_str())));
        Ok(found
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|(_, order)| order)
            .collect())
    }

    async fn list(
        &self,
        filter: MallOrderFilter,
        page: PageRequest,
    ) -> Result<Page<MallOrder>, RepositoryError> {
        let state = self.checked()?;
        let mut found: Vec<&MallOrder> = state
            .orders
            .values()
            .filter(|order| filter.matches(order))
            .collect();
        found.sort_by(|a, b| {
            (b.created_at, b.order_no.as_str()).cmp(&(a.created_at, a.order_no.as_str()))
        });
        Ok(paged(found.into_iter().cloned().collect(), page))
    }
}

/// One page of `all` (already in list order), as the database adapters serve it: page 0
/// reads as 1, the limit capped at [`PageRequest::MAX_LIMIT`].
pub(crate) fn paged<T>(all: Vec<T>, page: PageRequest) -> Page<T> {
    let number = page.page.max(1);
    let limit = page.limit.min(PageRequest::MAX_LIMIT);
    let total = u64::try_from(all.len()).unwrap_or(u64::MAX);
    let skip = usize::try_from((number - 1).saturating_mul(limit)).unwrap_or(usize::MAX);
    let take = usize::try_from(limit).unwrap_or(usize::MAX);
    Page {
        items: all.into_iter().skip(skip).take(take).collect(),
        total,
        page: number,
        limit,
    }
}
