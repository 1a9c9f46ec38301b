//! The checkout use cases: quote, place, and pay an order placed earlier.
//!
//! Placing reserves stock *before* storing the order, so that a refused reservation leaves
//! nothing behind (2,000 buyers of 100 units make 100 orders, not 2,000 with 1,900
//! cancelled). A failure to store the order gives the units back at once.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;

use crate::catalog::{
    Product, ProductRepository, ProductStatus, Sku, SkuId, SkuStatus, StockLine, StockOutcome,
    StockRef, StockRefusal,
};
use crate::money::Fen;
use crate::order::{OpenId, OrderNumber};
use crate::payments::{PayMethod, PaymentService, PaymentStart};
use crate::ports::{Clock, IdGenerator};
use crate::services::ServiceError;
use crate::trade::orders::{
    ItemDraft, MallOrder, MallOrderDraft, MallOrderService, MallOrderStatus, OrderTotals,
};
use crate::trade::outbox::TradeStock;
use crate::trade::pricing::{
    Fingerprint, FreightRule, FreightTemplate, PriceItem, PriceQuote, PriceRequest, PriceRules,
    PricingError, RegionCode, quote, requote,
};

use super::lines::{CheckoutItems, CheckoutLine, PricedLine, merged};
use super::ports::{CheckoutAddresses, CheckoutCart, FreightTemplateSource, ShippingAddress};

/// How long after its payment deadline a reservation without an order is given back:
/// past the deadline every real order has been cancelled or paid, settling it.
const ABANDONED_AFTER_DEADLINE: Duration = Duration::minutes(10);

/// The template of products that name none when the shop has no default: ships free
/// everywhere.
const FREE_SHIPPING: i64 = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckoutSettings {
    /// How long a placed order may be paid (the seed: 30 minutes).
    pub pay_window: Duration,
}

impl Default for CheckoutSettings {
    fn default() -> Self {
        CheckoutSettings {
            pay_window: Duration::minutes(30),
        }
    }
}

/// What the shopper sees before placing: every line priced, the totals and the address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutQuote {
    pub lines: Vec<PricedLine>,
    pub quote: PriceQuote,
    pub address: ShippingAddress,
}

/// A placed order and how to pay it. The order stands even when the payment could not be
/// started (WeChat busy): the shopper pays it from the order page until its deadline.
#[derive(Debug)]
pub struct PlacedOrder {
    pub order: MallOrder,
    pub payment: Result<PaymentStart, ServiceError>,
}

pub struct CheckoutService {
    products: Arc<dyn ProductRepository>,
    addresses: Arc<dyn CheckoutAddresses>,
    cart: Arc<dyn CheckoutCart>,
    freight: Arc<dyn FreightTemplateSource>,
    stock: Arc<TradeStock>,
    orders: Arc<MallOrderService>,
    payments: Arc<PaymentService>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    settings: CheckoutSettings,
}

fn pricing_error(error: PricingError) -> ServiceError {
    match error {
        PricingError::QuoteChanged => ServiceError::Conflict(
            "the price changed since you saw it: check the new price and order again".to_owned(),
        ),
        other => ServiceError::Validation(other.to_string()),
    }
}

impl CheckoutService {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        products: Arc<dyn ProductRepository>,
        addresses: Arc<dyn CheckoutAddresses>,
        cart: Arc<dyn CheckoutCart>,
        freight: Arc<dyn FreightTemplateSource>,
        stock: Arc<TradeStock>,
        orders: Arc<MallOrderService>,
        payments: Arc<PaymentService>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        settings: CheckoutSettings,
    ) -> Self {
        CheckoutService {
            products,
            addresses,
            cart,
            freight,
            stock,
            orders,
            payments,
            clock,
            ids,
            settings,
        }
    }

    async fn lines(
        &self,
        buyer: &OpenId,
        items: &CheckoutItems,
    ) -> Result<Vec<CheckoutLine>, ServiceError> {
        let lines = match items {
            CheckoutItems::Cart => self.cart.selected_lines(buyer).await?,
            CheckoutItems::Lines(lines) => lines.clone(),
        };
        merged(&lines).map_err(ServiceError::Validation)
    }

    /// Each line's SKU and product as they are now; a SKU that cannot be sold is refused by
    /// name, so the shopper knows which line to remove.
    async fn goods(
        &self,
        lines: &[CheckoutLine],
    ) -> Result<Vec<(Product, Sku, u32)>, ServiceError> {
        let mut products: BTreeMap<i64, Product> = BTreeMap::new();
        let mut goods = Vec::with_capacity(lines.len());
        for line in lines {
            let unavailable =
                || ServiceError::Validation(format!("SKU {} is not on sale", line.sku));
            let sku = self
                .products
                .find_sku(line.sku)
                .await?
                .ok_or_else(unavailable)?;
            let product = match products.get(&sku.product.value()) {
                Some(product) => product.clone(),
                None => {
                    let product = self
                        .products
                        .find(sku.product)
                        .await?
                        .ok_or_else(unavailable)?;
                    products.insert(product.id.value(), product.clone());
                    product
                }
            };
            let sellable = match (product.status, sku.status) {
                (ProductStatus::OnSale, SkuStatus::Enabled) => true,
                (
                    ProductStatus::Draft
                    | ProductStatus::OnSale
                    | ProductStatus::OffSale
                    | ProductStatus::Archived,
                    SkuStatus::Enabled | SkuStatus::Disabled,
                ) => false,
            };
            if !sellable {
                return Err(unavailable());
            }
            goods.push((product, sku, line.quantity));
        }
        Ok(goods)
    }

    /// The rules in force: today freight only (members, coupons, full reduction and points
    /// are stages the marketing issue fills in), and the template each line ships under.
    async fn rules(&self) -> Result<(PriceRules, i64), ServiceError> {
        let (mut templates, default) = self.freight.templates().await?;
        let template = match default {
            Some(id) => id,
            None => {
                templates.push(FreightTemplate {
                    id: FREE_SHIPPING,
                    charge_by: crate::trade::pricing::ChargeBy::Count,
                    rules: vec![FreightRule {
                        regions: vec![
                            RegionCode::parse(RegionCode::NATIONWIDE).map_err(pricing_error)?,
                        ],
                        first_units: 1,
                        first_fee: 0,
                        extra_units: 1,
                        extra_fee: 0,
                        free_over: None,
                    }],
                });
                FREE_SHIPPING
            }
        };
        let rules = PriceRules {
            freight_templates: templates,
            ..PriceRules::default()
        };
        Ok((rules, template))
    }

    fn request(
        goods: &[(Product, Sku, u32)],
        address: &ShippingAddress,
        template: i64,
    ) -> PriceRequest {
        PriceRequest {
            items: goods
                .iter()
                .map(|(product, sku, quantity)| PriceItem {
                    sku_id: sku.id.value(),
                    spu_id: product.id.value(),
                    category_id: product.category.value(),
                    unit_price: sku.price.value(),
                    quantity: i64::from(*quantity),
                    weight_grams: 0,
                    freight_template_id: template,
                    selected: true,
                })
                .collect(),
            region: address.region.clone(),
            member: None,
            coupon: None,
            points_offered: None,
        }
    }

    fn priced(goods: Vec<(Product, Sku, u32)>, quote: &PriceQuote) -> Vec<PricedLine> {
        goods
            .into_iter()
            .filter_map(|(product, sku, quantity)| {
                let priced = quote
                    .lines
                    .iter()
                    .find(|line| line.sku_id == sku.id.value())?
                    .clone();
                Some(PricedLine {
                    product,
                    sku,
                    quantity,
                    priced,
                })
            })
            .collect()
    }

    /// Prices what the shopper would buy, for the address chosen (or their default one).
    pub async fn quote(
        &self,
        buyer: &OpenId,
        items: &CheckoutItems,
        address_id: Option<i64>,
    ) -> Result<CheckoutQuote, ServiceError> {
        let lines = self.lines(buyer, items).await?;
        let goods = self.goods(&lines).await?;
        let address = self.addresses.shipping_address(buyer, address_id).await?;
        let (rules, template) = self.rules().await?;
        let request = Self::request(&goods, &address, template);
        let quote = quote(&request, &rules).map_err(pricing_error)?;
        Ok(CheckoutQuote {
            lines: Self::priced(goods, &quote),
            quote,
            address,
        })
    }

    /// Places the order the shopper saw quoted as `seen`: priced again and refused if it
    /// changed, stock reserved (all lines or none), the order stored, its payment opened.
    pub async fn place(
        &self,
        buyer: &OpenId,
        items: &CheckoutItems,
        address_id: Option<i64>,
        seen: &Fingerprint,
        method: PayMethod,
        client_ip: &str,
    ) -> Result<PlacedOrder, ServiceError> {
        self.payments.check_method(method)?;
        let lines = self.lines(buyer, items).await?;
        let goods = self.goods(&lines).await?;
        let address = self.addresses.shipping_address(buyer, address_id).await?;
        let (rules, template) = self.rules().await?;
        let request = Self::request(&goods, &address, template);
        let quote = requote(&request, &rules, seen).map_err(pricing_error)?;
        let priced = Self::priced(goods, &quote);

        let now = self.clock.now();
        let order_no = self.ids.order_number(now);
        let reference = StockRef::parse(order_no.as_str())?;
        let stock_lines: Vec<StockLine> = priced
            .iter()
            .map(|line| StockLine::new(line.sku.id, i64::from(line.quantity)))
            .collect();
        match self.stock.reserve(&reference, &stock_lines).await? {
            StockOutcome::Applied(_) | StockOutcome::Repeated(_) => {}
            StockOutcome::Refused(refusal) => return Err(stock_refused(refusal)),
        }
        let draft = MallOrderDraft {
            order_no: order_no.clone(),
            buyer: buyer.clone(),
            items: priced.iter().map(item_draft).collect(),
            address: address.snapshot.clone(),
            totals: OrderTotals {
                goods: Fen::new(quote.totals.goods),
                discount: Fen::new(quote.totals.discount_total),
                freight: Fen::new(quote.totals.freight),
                pay: Fen::new(quote.totals.pay),
            },
            pay_order: order_no.clone(),
            pay_deadline: now + self.settings.pay_window,
        };
        let order = match self.orders.place(draft).await {
            Ok(order) => order,
            Err(error) => {
                self.give_back(&reference).await;
                return Err(error);
            }
        };
        if matches!(items, CheckoutItems::Cart) {
            let skus: Vec<SkuId> = priced.iter().map(|line| line.sku.id).collect();
            if let Err(error) = self.cart.remove_ordered(buyer, &skus).await {
                tracing::warn!(order = %order.order_no, %error, "ordered lines left in the cart");
            }
        }
        let payment = self.open_payment(&order, method, client_ip).await;
        Ok(PlacedOrder { order, payment })
    }

    /// Gives back stock reserved for orders that were never stored (a crash between
    /// reserving and storing): reservations still open well past any payment deadline
    /// whose order does not exist. Answers how many were released.
    pub async fn release_abandoned(&self, limit: u64) -> Result<usize, ServiceError> {
        let before = self.clock.now() - self.settings.pay_window - ABANDONED_AFTER_DEADLINE;
        let mut released = 0;
        for reference in self.stock.open_reservations(before, limit).await? {
            let Ok(order_no) = OrderNumber::parse(reference.as_str()) else {
                continue;
            };
            match self.orders.order(&order_no).await {
                // The order's own cancel or payment settles it.
                Ok(_) => continue,
                Err(ServiceError::NotFound(_)) => {}
                Err(error) => return Err(error),
            }
            match self.stock.release(&reference).await? {
                StockOutcome::Applied(_) => {
                    tracing::warn!(
                        reference = reference.as_str(),
                        "stock of an order never stored released"
                    );
                    released += 1;
                }
                StockOutcome::Repeated(_) | StockOutcome::Refused(_) => {}
            }
        }
        Ok(released)
    }

    /// Releases a reservation whose order could not be stored. If this fails too, the
    /// units stay reserved for an order that does not exist: logged for the nightly check.
    async fn give_back(&self, reference: &StockRef) {
        if let Err(error) = self.stock.release(reference).await {
            tracing::error!(reference = reference.as_str(), %error, "stock reserved for an order that was not stored");
        }
    }

    async fn open_payment(
        &self,
        order: &MallOrder,
        method: PayMethod,
        client_ip: &str,
    ) -> Result<PaymentStart, ServiceError> {
        let description = match order.items.as_slice() {
            [only] => only.name.clone(),
            [first, ..] => format!("{} 等{}件商品", first.name, order.items.len()),
            [] => "商城订单".to_owned(),
        };
        let description: String = description.chars().take(100).collect();
        self.payments
            .open(order.pay_order_draft(&description))
            .await?;
        self.payments
            .begin(&order.pay_order, method, client_ip)
            .await
    }

    /// Pays an unpaid order of the shopper's (its payment was not started, or the shopper
    /// came back to it): the same pay order every time.
    pub async fn pay(
        &self,
        buyer: &OpenId,
        order_no: &str,
        method: PayMethod,
        client_ip: &str,
    ) -> Result<(MallOrder, PaymentStart), ServiceError> {
        let order = self.orders.order_for_buyer(buyer, order_no).await?;
        match order.status {
            MallOrderStatus::Unpaid => {}
            MallOrderStatus::Paid
            | MallOrderStatus::Shipped
            | MallOrderStatus::Completed
            | MallOrderStatus::Cancelled => {
                return Err(ServiceError::Conflict(format!(
                    "order {} is {}: nothing to pay",
                    order.order_no,
                    order.status.label_zh()
                )));
            }
        }
        if order.pay_deadline <= self.clock.now() {
            return Err(ServiceError::Conflict(format!(
                "order {} is past its payment deadline",
                order.order_no
            )));
        }
        let start = self.open_payment(&order, method, client_ip).await?;
        Ok((order, start))
    }
}

fn item_draft(line: &PricedLine) -> ItemDraft {
    ItemDraft {
        product_id: line.product.id.value(),
        sku_id: line.sku.id.value(),
        name: line.product.name.clone(),
        spec: line.spec_text(),
        image: line.image(),
        unit_price: line.sku.price,
        quantity: line.quantity,
        pay_price: Fen::new(line.priced.pay),
    }
}

fn stock_refused(refusal: StockRefusal) -> ServiceError {
    match refusal {
        StockRefusal::Insufficient {
            sku,
            available,
            wanted,
        } => ServiceError::Conflict(format!(
            "SKU {sku} has {available} left, {wanted} wanted: out of stock"
        )),
        StockRefusal::UnknownSku { sku } => {
            ServiceError::Validation(format!("SKU {sku} is not on sale"))
        }
        refusal @ (StockRefusal::NotReserved
        | StockRefusal::Released
        | StockRefusal::Deducted
        | StockRefusal::DifferentLines
        | StockRefusal::ExceedsSold { .. }) => {
            // A fresh order number reserves nothing twice: a bug, not the shopper's doing.
            ServiceError::Unavailable(format!("stock refused the reservation: {refusal}"))
        }
    }
}
