//! The cart in memory: every operation atomic under one lock, as the SQL adapter's
//! transactions are.

use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::catalog::{ProductId, SkuId};
use crate::order::OpenId;
use crate::ports::RepositoryError;

use super::model::{CartAdd, CartItem, CartLimits, CartRepository};

#[derive(Debug, Default)]
pub struct MemoryCart {
    items: Mutex<Vec<CartItem>>,
}

impl MemoryCart {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn items(&self) -> MutexGuard<'_, Vec<CartItem>> {
        self.items
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl CartRepository for MemoryCart {
    async fn list(&self, buyer: &OpenId) -> Result<Vec<CartItem>, RepositoryError> {
        let mut mine: Vec<CartItem> = self
            .items()
            .iter()
            .filter(|item| &item.buyer == buyer)
            .cloned()
            .collect();
        mine.sort_by_key(|item| std::cmp::Reverse((item.added_at, item.sku_id)));
        Ok(mine)
    }

    async fn add(
        &self,
        buyer: &OpenId,
        sku: SkuId,
        product: ProductId,
        quantity: u32,
        limits: CartLimits,
        now: DateTime<Utc>,
    ) -> Result<CartAdd, RepositoryError> {
        let mut items = self.items();
        if let Some(line) = items
            .iter_mut()
            .find(|item| &item.buyer == buyer && item.sku_id == sku)
        {
            line.quantity = line
                .quantity
                .saturating_add(quantity)
                .min(limits.max_quantity);
            line.selected = true;
            line.updated_at = now;
            return Ok(CartAdd::Added(line.clone()));
        }
        if items.iter().filter(|item| &item.buyer == buyer).count() >= limits.max_lines {
            return Ok(CartAdd::Full);
        }
        let line = CartItem {
            buyer: buyer.clone(),
            sku_id: sku,
            product_id: product,
            quantity: quantity.min(limits.max_quantity),
            selected: true,
            added_at: now,
            updated_at: now,
        };
        items.push(line.clone());
        Ok(CartAdd::Added(line))
    }

    async fn set_quantity(
        &self,
        buyer: &OpenId,
        sku: SkuId,
        quantity: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<CartItem>, RepositoryError> {
        let mut items = self.items();
        Ok(items
            .iter_mut()
            .find(|item| &item.buyer == buyer && item.sku_id == sku)
            .map(|line| {
                line.quantity = quantity;
                line.updated_at = now;
                line.clone()
            }))
    }

    async fn set_selected(
        &self,
        buyer: &OpenId,
        sku: Option<SkuId>,
        selected: bool,
        now: DateTime<Utc>,
    ) -> Result<u64, RepositoryError> {
        let mut matched = 0;
        for line in self
            .items()
            .iter_mut()
            .filter(|item| &item.buyer == buyer && sku.is_none_or(|sku| item.sku_id == sku))
        {
            line.selected = selected;
            line.updated_at = now;
            matched += 1;
        }
        Ok(matched)
    }

    async fn remove(&self, buyer: &OpenId, skus: &[SkuId]) -> Result<u64, RepositoryError> {
        let mut items = self.items();
        let before = items.len();
        items.retain(|item| !(&item.buyer == buyer && skus.contains(&item.sku_id)));
        Ok((before - items.len()) as u64)
    }
}
