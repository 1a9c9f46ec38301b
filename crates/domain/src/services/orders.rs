//! Creating orders and reading them back for their owner.

use crate::money::ExchangeRate;
use crate::msisdn::{Msisdn, Operator};
use crate::order::{OpenId, Order, OrderNumber, ProductSnapshot, RechargeKind};
use crate::ports::{OrderFilter, Page, PageRequest};

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
}

impl OrderService {
    pub fn new(ports: Ports) -> Self {
        OrderService { ports }
    }

    /// Validates the number and the product against the provider's live price list for
    /// that number (postpaid: the unpaid bill), snapshots the price at the active rate and
    /// stores an unpaid order.
    pub async fn create_order(&self, command: CreateOrder) -> Result<Order, ServiceError> {
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
        let order = Order::new(
            self.ports.ids.order_number(now),
            command.openid,
            msisdn,
            product,
            rate,
            price_fen,
            now,
        );
        self.ports.orders.insert(&order).await?;
        tracing::info!(order = %order.number, kind = %kind, fen = order.price_fen.value(), "order created");
        Ok(order)
    }

    async fn priced_product(
        &self,
        msisdn: &Msisdn,
        operator: Operator,
        kind: RechargeKind,
        code: &str,
    ) -> Result<ProductSnapshot, ServiceError> {
        let prices = self.ports.provider.price_list(msisdn).await?;
        let product = prices.find(kind, code).ok_or_else(|| {
            ServiceError::Validation(format!(
                "product {code} is not a {kind} product offered for {msisdn}"
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

    async fn postpaid_bill(
        &self,
        msisdn: &Msisdn,
        operator: Operator,
    ) -> Result<ProductSnapshot, ServiceError> {
        let bill = self.ports.provider.postpaid_bill(msisdn).await?;
        if bill.total_unpaid.value() <= 0 {
            return Err(ServiceError::Validation(format!(
                "nothing is owed on {msisdn}: the postpaid bill is paid"
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
