//! Checkout on the real services: the in-memory catalog (guarded stock updates), mall
//! orders in memory, and the payments core with WeChat faked.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Duration;

use super::{
    CheckoutAddresses, CheckoutCart, CheckoutItems, CheckoutLine, CheckoutService,
    CheckoutSettings, FreightTemplateSource, ShippingAddress,
};
use crate::catalog::memory::MemoryCatalog;
use crate::catalog::{
    CategoryId, ProductDraft, ProductRepository, ProductStatus, SkuDraft, SkuId, SkuStatus,
    SpecValue, StockLedger, StockRef, StockService,
};
use crate::money::Fen;
use crate::order::OpenId;
use crate::payments::tests::world::World;
use crate::payments::{PayChannel, PayMethod, PayStatus, PaymentStart};
use crate::ports::{Alerts, Clock, RandomIds};
use crate::services::ServiceError;
use crate::testing::t0;
use crate::trade::after_sales::memory::MemoryAfterSales;
use crate::trade::orders::memory::MemoryMallOrders;
use crate::trade::orders::tests::support::address;
use crate::trade::orders::{CorePayments, MallOrderService, MallOrderStatus};
use crate::trade::pricing::{ChargeBy, FreightRule, FreightTemplate, RegionCode};

struct Book;

#[async_trait]
impl CheckoutAddresses for Book {
    async fn shipping_address(
        &self,
        _buyer: &OpenId,
        id: Option<i64>,
    ) -> Result<ShippingAddress, ServiceError> {
        match id {
            None | Some(1) => Ok(ShippingAddress {
                id: 1,
                snapshot: address(),
                region: RegionCode::parse("310104").unwrap(),
            }),
            Some(other) => Err(ServiceError::NotFound(format!("address {other} not found"))),
        }
    }
}

#[derive(Default)]
struct Cart {
    lines: Mutex<Vec<CheckoutLine>>,
}

#[async_trait]
impl CheckoutCart for Cart {
    async fn selected_lines(&self, _buyer: &OpenId) -> Result<Vec<CheckoutLine>, ServiceError> {
        Ok(self.lines.lock().unwrap().clone())
    }

    async fn remove_ordered(&self, _buyer: &OpenId, skus: &[SkuId]) -> Result<(), ServiceError> {
        self.lines
            .lock()
            .unwrap()
            .retain(|line| !skus.contains(&line.sku));
        Ok(())
    }
}

/// 10 yuan for the first item to anywhere, 5 per extra item, free from 100 yuan.
struct Freight;

#[async_trait]
impl FreightTemplateSource for Freight {
    async fn templates(&self) -> Result<(Vec<FreightTemplate>, Option<i64>), ServiceError> {
        let template = FreightTemplate {
            id: 7,
            charge_by: ChargeBy::Count,
            rules: vec![FreightRule {
                regions: vec![RegionCode::parse(RegionCode::NATIONWIDE).unwrap()],
                first_units: 1,
                first_fee: 1000,
                extra_units: 1,
                extra_fee: 500,
                free_over: Some(10_000),
            }],
        };
        Ok((vec![template], Some(7)))
    }
}

struct Shop {
    world: World,
    catalog: MemoryCatalog,
    orders: MemoryMallOrders,
    cart: Arc<Cart>,
    checkout: CheckoutService,
    skus: Vec<SkuId>,
}

fn buyer(n: u32) -> OpenId {
    OpenId::parse(&format!("o-checkout-buyer-{n}")).unwrap()
}

impl Shop {
    /// A product on sale with one SKU per entry of `stock` (19.90 yuan each).
    async fn new(stock: &[i64]) -> Shop {
        let world = World::new(PayChannel::V3);
        let catalog = MemoryCatalog::new();
        let drafts: Vec<SkuDraft> = (0..stock.len())
            .map(|n| SkuDraft {
                specs: vec![SpecValue {
                    name: "颜色".to_owned(),
                    value: format!("色{n}"),
                }],
                price: Fen::new(1990),
                original_price: Fen::new(2990),
                low_stock_threshold: 0,
                status: SkuStatus::Enabled,
            })
            .collect();
        let product = ProductDraft {
            category: CategoryId(1),
            name: "保温杯".to_owned(),
            description: "316 不锈钢".to_owned(),
            detail: "<p>详情</p>".to_owned(),
            images: vec!["https://img.example.com/cup.jpg".to_owned()],
        };
        let (_, skus) = ProductRepository::insert(&catalog, &product, &drafts, t0())
            .await
            .unwrap();
        for product in &mut catalog.catalog().products {
            product.status = ProductStatus::OnSale;
        }
        for (sku, units) in skus.iter().zip(stock) {
            let reference = StockRef::parse(&format!("open-{}", sku.id)).unwrap();
            catalog
                .inbound(&reference, sku.id, *units, "opening", t0())
                .await
                .unwrap();
        }
        let orders = MemoryMallOrders::new();
        let core = Arc::new(CorePayments::new(
            world.payments.clone(),
            world.refunds.clone(),
        ));
        let clock: Arc<dyn Clock> = Arc::new(world.clock.clone());
        let service = Arc::new(MallOrderService::new(
            Arc::new(orders.clone()),
            Arc::new(MemoryAfterSales::new()),
            core,
            clock.clone(),
            Duration::days(7),
        ));
        let ledger: Arc<dyn StockLedger> = Arc::new(catalog.clone());
        let alerts: Arc<dyn Alerts> = Arc::new(world.alerts.clone());
        let stock = Arc::new(StockService::new(ledger, alerts, clock.clone()));
        let cart = Arc::new(Cart::default());
        let checkout = CheckoutService::new(
            Arc::new(catalog.clone()),
            Arc::new(Book),
            cart.clone(),
            Arc::new(Freight),
            stock,
            service,
            world.payments.clone(),
            clock,
            Arc::new(RandomIds),
            CheckoutSettings::default(),
        );
        Shop {
            world,
            catalog,
            orders,
            cart,
            checkout,
            skus: skus.into_iter().map(|sku| sku.id).collect(),
        }
    }

    fn line(&self, index: usize, quantity: u32) -> CheckoutLine {
        CheckoutLine {
            sku: self.skus[index],
            quantity,
        }
    }
}

/// Quotes `items` for `who`, then places exactly what was quoted.
async fn quote_and_place(
    shop: &Shop,
    who: &OpenId,
    items: &CheckoutItems,
) -> Result<super::PlacedOrder, ServiceError> {
    let seen = shop.checkout.quote(who, items, None).await?;
    shop.checkout
        .place(
            who,
            items,
            None,
            &seen.quote.fingerprint,
            PayMethod::Jsapi,
            "127.0.0.1",
        )
        .await
}

#[tokio::test]
async fn the_quote_seen_is_the_order_placed_and_its_payment_is_started() {
    let shop = Shop::new(&[10, 10]).await;
    shop.cart
        .lines
        .lock()
        .unwrap()
        .extend([shop.line(0, 2), shop.line(1, 1)]);
    let seen = shop
        .checkout
        .quote(&buyer(1), &CheckoutItems::Cart, None)
        .await
        .unwrap();
    // 3 × 19.90 goods; freight 10 + 2 × 5 yuan.
    assert_eq!(seen.quote.totals.goods, 5970);
    assert_eq!(seen.quote.totals.freight, 2000);
    assert_eq!(seen.quote.totals.pay, 7970);

    let placed = shop
        .checkout
        .place(
            &buyer(1),
            &CheckoutItems::Cart,
            None,
            &seen.quote.fingerprint,
            PayMethod::Jsapi,
            "127.0.0.1",
        )
        .await
        .unwrap();
    let order = placed.order;
    assert!(matches!(placed.payment, Ok(PaymentStart::Jsapi(_))));
    assert_eq!(order.status, MallOrderStatus::Unpaid);
    assert_eq!(order.totals.pay, Fen::new(7970));
    let item_pay: i64 = order.items.iter().map(|item| item.pay_price.value()).sum();
    assert_eq!(item_pay, 7970, "lines add up to the total");
    assert_eq!(shop.catalog.available(shop.skus[0]), Some(8));
    assert_eq!(shop.catalog.available(shop.skus[1]), Some(9));
    assert!(
        shop.cart.lines.lock().unwrap().is_empty(),
        "ordered lines leave the cart"
    );
    let pay_order = shop.world.payments.find(&order.pay_order).await.unwrap();
    assert_eq!(pay_order.map(|p| p.status), Some(PayStatus::Unpaid));
}

#[tokio::test]
async fn a_changed_price_is_refused_and_nothing_is_reserved() {
    let shop = Shop::new(&[10]).await;
    let items = CheckoutItems::Lines(vec![shop.line(0, 1)]);
    let seen = shop.checkout.quote(&buyer(1), &items, None).await.unwrap();
    shop.catalog.catalog().skus[0].price = Fen::new(2090);
    let refused = shop
        .checkout
        .place(
            &buyer(1),
            &items,
            None,
            &seen.quote.fingerprint,
            PayMethod::Jsapi,
            "127.0.0.1",
        )
        .await;
    assert!(
        matches!(refused, Err(ServiceError::Conflict(_))),
        "{refused:?}"
    );
    assert_eq!(shop.catalog.available(shop.skus[0]), Some(10));
    assert!(shop.orders.state().orders.is_empty());
}

#[tokio::test]
async fn out_of_stock_places_no_order_and_moves_no_stock() {
    let shop = Shop::new(&[5, 1]).await;
    let items = CheckoutItems::Lines(vec![shop.line(0, 2), shop.line(1, 2)]);
    let refused = quote_and_place(&shop, &buyer(1), &items).await;
    assert!(
        matches!(refused, Err(ServiceError::Conflict(_))),
        "{refused:?}"
    );
    assert_eq!(
        shop.catalog.available(shop.skus[0]),
        Some(5),
        "all or nothing"
    );
    assert!(shop.orders.state().orders.is_empty());
}

#[tokio::test]
async fn two_hundred_buyers_for_ten_units_make_ten_orders() {
    let shop = Arc::new(Shop::new(&[10]).await);
    let items = CheckoutItems::Lines(vec![shop.line(0, 1)]);
    let seen = shop.checkout.quote(&buyer(0), &items, None).await.unwrap();
    let fingerprint = seen.quote.fingerprint;
    let mut tasks = Vec::new();
    for n in 0..200 {
        let (shop, items, fingerprint) = (shop.clone(), items.clone(), fingerprint.clone());
        tasks.push(tokio::spawn(async move {
            shop.checkout
                .place(
                    &buyer(n),
                    &items,
                    None,
                    &fingerprint,
                    PayMethod::Jsapi,
                    "127.0.0.1",
                )
                .await
                .is_ok()
        }));
    }
    let mut placed = 0;
    for task in tasks {
        placed += usize::from(task.await.unwrap());
    }
    assert_eq!(placed, 10);
    assert_eq!(shop.orders.state().orders.len(), 10);
    assert_eq!(shop.catalog.available(shop.skus[0]), Some(0));
    assert!(shop.catalog.drifted(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unpaid_order_is_paid_later_only_by_its_buyer() {
    let shop = Shop::new(&[3]).await;
    let items = CheckoutItems::Lines(vec![shop.line(0, 1)]);
    let seen = shop.checkout.quote(&buyer(1), &items, None).await.unwrap();
    let placed = shop
        .checkout
        .place(
            &buyer(1),
            &items,
            None,
            &seen.quote.fingerprint,
            PayMethod::Jsapi,
            "127.0.0.1",
        )
        .await
        .unwrap();
    let number = placed.order.order_no.to_string();
    let again = shop
        .checkout
        .pay(&buyer(1), &number, PayMethod::Jsapi, "127.0.0.1")
        .await;
    assert!(
        matches!(again, Ok((_, PaymentStart::Jsapi(_)))),
        "{again:?}"
    );
    let stranger = shop
        .checkout
        .pay(&buyer(2), &number, PayMethod::Jsapi, "127.0.0.1")
        .await;
    assert!(
        matches!(stranger, Err(ServiceError::NotFound(_))),
        "{stranger:?}"
    );

    shop.world.clock.advance(Duration::minutes(31));
    let late = shop
        .checkout
        .pay(&buyer(1), &number, PayMethod::Jsapi, "127.0.0.1")
        .await;
    assert!(matches!(late, Err(ServiceError::Conflict(_))), "{late:?}");
}

#[tokio::test]
async fn an_address_of_someone_else_or_an_empty_basket_is_refused() {
    let shop = Shop::new(&[3]).await;
    let items = CheckoutItems::Lines(vec![shop.line(0, 1)]);
    let foreign = shop.checkout.quote(&buyer(1), &items, Some(99)).await;
    assert!(
        matches!(foreign, Err(ServiceError::NotFound(_))),
        "{foreign:?}"
    );
    let empty = shop
        .checkout
        .quote(&buyer(1), &CheckoutItems::Lines(Vec::new()), None)
        .await;
    assert!(
        matches!(empty, Err(ServiceError::Validation(_))),
        "{empty:?}"
    );
    let off_sale = {
        shop.catalog.catalog().products[0].status = ProductStatus::OffSale;
        shop.checkout.quote(&buyer(1), &items, None).await
    };
    assert!(
        matches!(off_sale, Err(ServiceError::Validation(_))),
        "{off_sale:?}"
    );
}

#[tokio::test]
async fn stock_reserved_for_an_order_never_stored_goes_back_after_the_deadline() {
    let shop = Shop::new(&[10]).await;
    // A crash between reserving and storing: a reservation under a number with no order.
    let lost = StockRef::parse("ORD1760754386127lostlostlost").unwrap();
    let line = crate::catalog::StockLine::new(shop.skus[0], 3);
    shop.catalog
        .reserve(&lost, &[line], shop.world.clock.now())
        .await
        .unwrap();
    // A real unpaid order beside it.
    let items = CheckoutItems::Lines(vec![shop.line(0, 2)]);
    quote_and_place(&shop, &buyer(1), &items).await.unwrap();
    assert_eq!(shop.catalog.available(shop.skus[0]), Some(5));

    assert_eq!(
        shop.checkout.release_abandoned(10).await.unwrap(),
        0,
        "too early"
    );
    shop.world.clock.advance(Duration::minutes(41));
    assert_eq!(shop.checkout.release_abandoned(10).await.unwrap(), 1);
    assert_eq!(
        shop.catalog.available(shop.skus[0]),
        Some(8),
        "the lost 3 came back; the order's 2 wait for its own cancel"
    );
    assert_eq!(
        shop.checkout.release_abandoned(10).await.unwrap(),
        0,
        "once"
    );
    assert!(shop.catalog.drifted(10).await.unwrap().is_empty());
}
