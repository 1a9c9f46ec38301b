//! Creating orders and reading them back for their owner.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use crate::money::ExchangeRate;
use crate::msisdn::{Msisdn, Operator};
use crate::order::{OpenId, Order, OrderNumber, ProductSnapshot, RechargeKind};
use crate::ports::{OrderFilter, Page, PageRequest, PriceList};

use super::{Ports, ServiceError};

/// The mini-program's `POST /orders`, as typed by the caller (validated here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOrder {
    pub openid: OpenId,
    pub phone_number: String,
    pub operator: String,
    pub recharge_type: String,
    pub product_code: Option<String>,
}

pub struct OrderService {
    ports: Ports,
    prices: PriceListCache,
}

impl OrderService {
    /// How long a number's price list is reused for new orders.
    pub const PRICE_LIST_TTL: Duration = Duration::seconds(60);
    /// How many numbers' price lists are kept at most.
    pub const PRICE_LIST_CAPACITY: usize = 1024;

    pub fn new(ports: Ports) -> Self {
        Self::with_price_cache(ports, Self::PRICE_LIST_TTL, Self::PRICE_LIST_CAPACITY)
    }

    /// Keeps each number's price list for `ttl` (by the `Clock` port), for at most
    /// `capacity` numbers; a zero `ttl` or `capacity` asks the provider every time.
    pub fn with_price_cache(ports: Ports, ttl: Duration, capacity: usize) -> Self {
        OrderService {
            ports,
            prices: PriceListCache::new(ttl, capacity),
        }
    }

    /// Validates the number and the product against the provider's price list for that
    /// number (fetched at most [`Self::PRICE_LIST_TTL`] ago; postpaid: the live unpaid
    /// bill), snapshots the price at the active rate and stores an unpaid order. The
    /// snapshot is what is charged and what the top-up sends, so both always agree.
    pub async fn create_order(&self, command: CreateOrder) -> Result<Order, ServiceError> {
        let order = self.prepare_order(command).await?;
        self.place_order(order).await
    }

    /// Validates and prices an order without storing it: every refusal (4xx) happens here,
    /// so a caller can count a quota only for orders that will be placed.
    pub async fn prepare_order(&self, command: CreateOrder) -> Result<Order, ServiceError> {
        let msisdn = Msisdn::parse(&command.phone_number)?;
        let operator: Operator = command.operator.parse()?;
        if operator != Operator::Unitel {
            return Err(ServiceError::Validation(format!(
                "operator {operator} is not supported yet; only Unitel is"
            )));
        }
        self.ports.prefixes.ensure(&msisdn, operator)?;
        let kind: RechargeKind = command.recharge_type.parse()?;
        let product = match kind {
            RechargeKind::Voice | RechargeKind::Data => {
                let code = command
                    .product_code
                    .as_deref()
                    .map(str::trim)
                    .filter(|code| !code.is_empty())
                    .ok_or_else(|| {
                        ServiceError::Validation(format!(
                            "productCode is required for {kind} orders"
                        ))
                    })?;
                self.priced_product(&msisdn, operator, kind, code).await?
            }
            RechargeKind::Postpaid => self.postpaid_bill(&msisdn, operator).await?,
        };
        let rate = self.active_rate().await?;
        let price_fen = rate.mnt_to_fen(product.price)?;
        if price_fen.value() <= 0 {
            return Err(ServiceError::Validation(format!(
                "{} is too small to pay",
                product.price
            )));
        }
        let now = self.ports.clock.now();
        Ok(Order::new(
            self.ports.ids.order_number(now),
            command.openid,
            msisdn,
            product,
            rate,
            price_fen,
            now,
        ))
    }

    /// Stores an order [`OrderService::prepare_order`] built.
    pub async fn place_order(&self, order: Order) -> Result<Order, ServiceError> {
        self.ports.orders.insert(&order).await?;
        tracing::info!(order = %order.number, kind = %order.product.kind, fen = order.price_fen.value(), "order created");
        Ok(order)
    }

    async fn priced_product(
        &self,
        msisdn: &Msisdn,
        operator: Operator,
        kind: RechargeKind,
        code: &str,
    ) -> Result<ProductSnapshot, ServiceError> {
        let prices = self.price_list(msisdn).await?;
        let product = prices.find(kind, code).ok_or_else(|| {
            ServiceError::Validation(format!(
                "product {code} is not a {kind} product offered for {}",
                msisdn.masked()
            ))
        })?;
        if product.price.value() <= 0 {
            return Err(ServiceError::Validation(format!(
                "product {code} has no price"
            )));
        }
        Ok(ProductSnapshot {
            operator,
            kind,
            code: product.code.clone(),
            name: product.name.clone(),
            eng_name: product.eng_name.clone(),
            price: product.price,
            unit: product.unit,
            data: product.data.clone(),
            days: product.days,
        })
    }

    /// The number's price list: the cached one while fresh, else the provider's (which is
    /// then cached). Failures are not cached.
    async fn price_list(&self, msisdn: &Msisdn) -> Result<Arc<PriceList>, ServiceError> {
        let now = self.ports.clock.now();
        if let Some(prices) = self.prices.get(msisdn, now) {
            return Ok(prices);
        }
        let prices = Arc::new(self.ports.provider.price_list(msisdn).await?);
        self.prices
            .put(msisdn, Arc::clone(&prices), self.ports.clock.now());
        Ok(prices)
    }

    async fn postpaid_bill(
        &self,
        msisdn: &Msisdn,
        operator: Operator,
    ) -> Result<ProductSnapshot, ServiceError> {
        let bill = self.ports.provider.postpaid_bill(msisdn).await?;
        if bill.total_unpaid.value() <= 0 {
            return Err(ServiceError::Validation(format!(
                "nothing is owed on {}: the postpaid bill is paid",
                msisdn.masked()
            )));
        }
        let period = bill.invoice_date.clone().unwrap_or_default();
        Ok(ProductSnapshot {
            operator,
            kind: RechargeKind::Postpaid,
            code: ProductSnapshot::POSTPAID_CODE.to_owned(),
            name: format!("Төлбөрт үйлчилгээ {period}").trim().to_owned(),
            eng_name: format!("Postpaid bill {period}").trim().to_owned(),
            price: bill.total_unpaid,
            unit: None,
            data: None,
            days: None,
        })
    }

    async fn active_rate(&self) -> Result<ExchangeRate, ServiceError> {
        self.ports
            .rates
            .active(ExchangeRate::MNT_TO_CNY)
            .await?
            .map(|stored| stored.rate)
            .ok_or_else(|| {
                ServiceError::Unavailable("no active MNT_TO_CNY exchange rate".to_owned())
            })
    }

    /// The order if `openid` owns it; someone else's order is reported as not found.
    pub async fn find_for_user(
        &self,
        openid: &OpenId,
        number: &str,
    ) -> Result<Order, ServiceError> {
        let not_found = || ServiceError::NotFound(format!("order {number} not found"));
        let number = OrderNumber::parse(number).map_err(|_| not_found())?;
        match self.ports.orders.find(&number).await? {
            Some(order) if order.is_owned_by(openid) => Ok(order),
            Some(_) | None => Err(not_found()),
        }
    }

    pub async fn list_for_user(
        &self,
        openid: &OpenId,
        filter: &OrderFilter,
        page: PageRequest,
    ) -> Result<Page<Order>, ServiceError> {
        if page.page == 0 || page.limit == 0 || page.limit > PageRequest::MAX_LIMIT {
            return Err(ServiceError::Validation(format!(
                "page must be at least 1 and limit between 1 and {}",
                PageRequest::MAX_LIMIT
            )));
        }
        Ok(self
            .ports
            .orders
            .list_for_user(openid, filter, page)
            .await?)
    }
}

/// A price list and when it was fetched.
type CachedPriceList = (DateTime<Utc>, Arc<PriceList>);

/// Price lists per number, fresh for `ttl`, at most `capacity` numbers. Concurrent misses
/// for one number may each ask the provider; the last answer is kept.
struct PriceListCache {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<Msisdn, CachedPriceList>>,
}

impl PriceListCache {
    fn new(ttl: Duration, capacity: usize) -> Self {
        PriceListCache {
            ttl,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn enabled(&self) -> bool {
        self.capacity > 0 && self.ttl > Duration::zero()
    }

    /// Fresh: fetched at most `ttl` ago and not in the future (a clock set back).
    fn is_fresh(&self, fetched_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        fetched_at <= now && now - fetched_at < self.ttl
    }

    fn get(&self, msisdn: &Msisdn, now: DateTime<Utc>) -> Option<Arc<PriceList>> {
        if !self.enabled() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(msisdn)
            .filter(|(fetched_at, _)| self.is_fresh(*fetched_at, now))
            .map(|(_, prices)| Arc::clone(prices))
    }

    fn put(&self, msisdn: &Msisdn, prices: Arc<PriceList>, now: DateTime<Utc>) {
        if !self.enabled() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(msisdn) {
            entries.retain(|_, (fetched_at, _)| self.is_fresh(*fetched_at, now));
            if entries.len() >= self.capacity {
                // Still full of fresh lists: make room by dropping the oldest.
                let oldest = entries
                    .iter()
                    .min_by_key(|(_, (fetched_at, _))| *fetched_at)
                    .map(|(number, _)| number.clone());
                if let Some(oldest) = oldest {
                    entries.remove(&oldest);
                }
            }
        }
        entries.insert(msisdn.clone(), (now, prices));
    }
}
