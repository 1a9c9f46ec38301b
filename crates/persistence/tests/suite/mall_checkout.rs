//! Checkout on each database: the real `CheckoutService` over the SQL catalog, stock
//! ledger and mall orders (payments in memory, WeChat mocked). 2,000 shoppers racing for
//! 100 units place exactly 100 orders; two SKUs bought in opposite orders never surface a
//! deadlock to a shopper.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{Duration, Utc};
use elife_domain::accounts::audit::MockAuditLog;
use elife_domain::catalog::{
    CategoryId, ProductDraft, ProductRepository, SkuDraft, SkuId, SkuStatus, SpecValue,
    StockLedger, StockRef, StockService, check_stock,
};
use elife_domain::money::Fen;
use elife_domain::order::OpenId;
use elife_domain::payments::memory::MemoryPayments;
use elife_domain::payments::{
    FulfilmentRelay, FulfilmentRouter, PayChannel, PayMethod, PayPorts, PaymentService,
    RefundService,
};
use elife_domain::ports::{
    Alerts, Clock, MockAlerts, MockPaymentGateway, PaymentParams, RandomIds, SystemClock,
};
use elife_domain::services::ServiceError;
use elife_domain::trade::after_sales::memory::MemoryAfterSales;
use elife_domain::trade::checkout::{
    CheckoutAddresses, CheckoutCart, CheckoutItems, CheckoutLine, CheckoutService,
    CheckoutSettings, FreightTemplateSource, ShippingAddress,
};
use elife_domain::trade::orders::{
    AddressSnapshot, ChinaMobile, CorePayments, MallOrderRepository, MallOrderService,
};
use elife_domain::trade::pricing::{FreightTemplate, RegionCode};
use elife_persistence::catalog::entities::products;
use elife_persistence::{SeaOrmMallOrderRepository, SeaOrmProductRepository, SeaOrmStockLedger};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

use crate::common::{TestDb, keyring};

struct OneAddress;

#[async_trait]
impl CheckoutAddresses for OneAddress {
    async fn shipping_address(
        &self,
        _buyer: &OpenId,
        _id: Option<i64>,
    ) -> Result<ShippingAddress, ServiceError> {
        Ok(ShippingAddress {
            id: 1,
            snapshot: AddressSnapshot {
                receiver: "张三".to_owned(),
                phone: ChinaMobile::parse("13812345678").expect("phone"),
                province: "上海市".to_owned(),
                city: "上海市".to_owned(),
                district: "徐汇区".to_owned(),
                detail: "漕溪北路 1 号".to_owned(),
            },
            region: RegionCode::parse("310104").expect("region"),
        })
    }
}

struct NoCart;

#[async_trait]
impl CheckoutCart for NoCart {
    async fn selected_lines(&self, _buyer: &OpenId) -> Result<Vec<CheckoutLine>, ServiceError> {
        Ok(Vec::new())
    }

    async fn remove_ordered(&self, _buyer: &OpenId, _skus: &[SkuId]) -> Result<(), ServiceError> {
        Ok(())
    }
}

struct FreeShipping;

#[async_trait]
impl FreightTemplateSource for FreeShipping {
    async fn templates(&self) -> Result<(Vec<FreightTemplate>, Option<i64>), ServiceError> {
        Ok((Vec::new(), None))
    }
}

struct Rig {
    checkout: Arc<CheckoutService>,
    ledger: Arc<SeaOrmStockLedger>,
    orders: Arc<SeaOrmMallOrderRepository>,
    skus: Vec<SkuId>,
}

/// The payments core in memory with WeChat mocked: these tests are about stock and orders.
fn payments(clock: Arc<dyn Clock>) -> (Arc<PaymentService>, Arc<RefundService>) {
    let store = MemoryPayments::new();
    let mut gateway = MockPaymentGateway::new();
    gateway.expect_create_payment().returning(|_| {
        Ok(PaymentParams(
            serde_json::json!({ "package": "prepay_id=wx" }),
        ))
    });
    let mut alerts = MockAlerts::new();
    alerts.expect_send().returning(|_| Ok(()));
    let mut audit = MockAuditLog::new();
    audit.expect_record().returning(|_| Ok(1));
    let ports = PayPorts {
        pay_orders: Arc::new(store.clone()),
        outbox: Arc::new(store.clone()),
        refunds: Arc::new(store.clone()),
        notifications: Arc::new(store.clone()),
        gateway: Arc::new(gateway),
        clock: Arc::clone(&clock),
        alerts: Arc::new(alerts),
        audit: Arc::new(audit),
        channel: PayChannel::V3,
    };
    let relay = Arc::new(FulfilmentRelay::new(
        Arc::new(store),
        Arc::new(FulfilmentRouter::new()),
        clock,
    ));
    (
        Arc::new(PaymentService::new(ports.clone(), Arc::clone(&relay))),
        Arc::new(RefundService::new(ports, relay)),
    )
}

/// A product on sale with one SKU per entry of `stock`, each given its units.
async fn rig(test: &TestDb, stock: &[i64]) -> Rig {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let products_repo = Arc::new(SeaOrmProductRepository::new(test.db.clone()));
    let drafts: Vec<SkuDraft> = (0..stock.len())
        .map(|n| SkuDraft {
            specs: vec![SpecValue {
                name: "口味".to_owned(),
                value: format!("味{n}"),
            }],
            price: Fen::new(990),
            original_price: Fen::new(990),
            low_stock_threshold: 0,
            status: SkuStatus::Enabled,
        })
        .collect();
    let draft = ProductDraft {
        category: CategoryId(1),
        name: "乌龙茶".to_owned(),
        description: String::new(),
        detail: String::new(),
        images: vec!["https://img.example.com/tea.jpg".to_owned()],
    };
    let (product, skus) = products_repo
        .insert(&draft, &drafts, Utc::now())
        .await
        .expect("product");
    products::Entity::update_many()
        .col_expr(products::Column::Status, Expr::value("on_sale"))
        .filter(products::Column::Id.eq(product.id.value()))
        .exec(&test.db)
        .await
        .expect("on sale");
    let ledger = Arc::new(SeaOrmStockLedger::new(test.db.clone()));
    for (sku, units) in skus.iter().zip(stock) {
        let reference = StockRef::parse(&format!("open-{}", sku.id)).expect("reference");
        ledger
            .inbound(&reference, sku.id, *units, "opening stock", Utc::now())
            .await
            .expect("inbound");
    }
    let orders = Arc::new(SeaOrmMallOrderRepository::new(test.db.clone(), keyring()));
    let (payments, refunds) = payments(Arc::clone(&clock));
    let core = Arc::new(CorePayments::new(Arc::clone(&payments), refunds));
    let service = Arc::new(MallOrderService::new(
        Arc::clone(&orders) as Arc<dyn MallOrderRepository>,
        Arc::new(MemoryAfterSales::new()),
        core,
        Arc::clone(&clock),
        Duration::days(7),
    ));
    let mut alerts = MockAlerts::new();
    alerts.expect_send().returning(|_| Ok(()));
    let alerts: Arc<dyn Alerts> = Arc::new(alerts);
    let stock_service = Arc::new(StockService::new(
        Arc::clone(&ledger) as Arc<dyn StockLedger>,
        alerts,
        Arc::clone(&clock),
    ));
    let checkout = Arc::new(CheckoutService::new(
        products_repo,
        Arc::new(OneAddress),
        Arc::new(NoCart),
        Arc::new(FreeShipping),
        stock_service,
        service,
        payments,
        clock,
        Arc::new(RandomIds),
        CheckoutSettings::default(),
    ));
    Rig {
        checkout,
        ledger,
        orders,
        skus: skus.into_iter().map(|sku| sku.id).collect(),
    }
}

fn buyer(n: usize) -> OpenId {
    OpenId::parse(&format!("o-rush-{n:05}")).expect("openid")
}

async fn place(rig: &Rig, n: usize, lines: Vec<CheckoutLine>) -> Result<(), ServiceError> {
    let items = CheckoutItems::Lines(lines);
    let quote = rig.checkout.quote(&buyer(n), &items, None).await?;
    rig.checkout
        .place(
            &buyer(n),
            &items,
            None,
            &quote.quote.fingerprint,
            PayMethod::Jsapi,
            "127.0.0.1",
        )
        .await
        .map(|_| ())
}

async fn assert_invariant(rig: &Rig, sku: SkuId) -> i64 {
    let available = rig.ledger.levels(&[sku]).await.expect("levels")[0].available;
    let movements = rig.ledger.movements(sku).await.expect("movements");
    check_stock(sku, &movements, available).expect("the ledger explains the stock");
    available
}

#[tokio::test]
async fn two_thousand_shoppers_for_one_hundred_units_place_exactly_one_hundred_orders() {
    let test = TestDb::new().await;
    let rig = Arc::new(rig(&test, &[100]).await);
    let sku = rig.skus[0];
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..2_000 {
        let rig = Arc::clone(&rig);
        tasks.spawn(async move { place(&rig, n, vec![CheckoutLine { sku, quantity: 1 }]).await });
    }
    let (mut placed, mut out_of_stock) = (0, 0);
    while let Some(result) = tasks.join_next().await {
        match result.expect("task") {
            Ok(()) => placed += 1,
            Err(ServiceError::Conflict(_)) => out_of_stock += 1,
            Err(other) => panic!("a shopper saw {other:?}"),
        }
    }
    assert_eq!(placed, 100);
    assert_eq!(out_of_stock, 1_900);
    assert_eq!(
        assert_invariant(&rig, sku).await,
        0,
        "never negative, all sold"
    );
    let stored = rig
        .orders
        .list(
            elife_domain::trade::orders::MallOrderFilter::default(),
            elife_domain::ports::PageRequest {
                page: 1,
                limit: 100,
            },
        )
        .await
        .expect("orders");
    assert_eq!(stored.total, 100, "exactly one hundred orders stored");
}

#[tokio::test]
async fn two_skus_bought_in_opposite_orders_never_show_a_deadlock() {
    let test = TestDb::new().await;
    let rig = Arc::new(rig(&test, &[1_000, 1_000]).await);
    let (a, b) = (rig.skus[0], rig.skus[1]);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..200 {
        let rig = Arc::clone(&rig);
        let lines = if n % 2 == 0 {
            vec![
                CheckoutLine {
                    sku: a,
                    quantity: 1,
                },
                CheckoutLine {
                    sku: b,
                    quantity: 1,
                },
            ]
        } else {
            vec![
                CheckoutLine {
                    sku: b,
                    quantity: 1,
                },
                CheckoutLine {
                    sku: a,
                    quantity: 1,
                },
            ]
        };
        tasks.spawn(async move { place(&rig, n, lines).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.expect("task").expect("no shopper sees a failure");
    }
    assert_eq!(assert_invariant(&rig, a).await, 800);
    assert_eq!(assert_invariant(&rig, b).await, 800);
}

#[tokio::test]
async fn open_reservations_are_those_neither_released_nor_deducted() {
    let test = TestDb::new().await;
    let rig = rig(&test, &[10]).await;
    let sku = rig.skus[0];
    let at = Utc::now() - Duration::hours(2);
    let r = |raw: &str| StockRef::parse(raw).expect("reference");
    for order in [
        "ORD1000000000001aaaa",
        "ORD1000000000002bbbb",
        "ORD1000000000003cccc",
    ] {
        rig.ledger
            .reserve(
                &r(order),
                &[elife_domain::catalog::StockLine::new(sku, 1)],
                at,
            )
            .await
            .expect("reserve");
    }
    rig.ledger
        .release(&r("ORD1000000000001aaaa"), at)
        .await
        .expect("release");
    rig.ledger
        .deduct(&r("ORD1000000000002bbbb"), at)
        .await
        .expect("deduct");
    let open = rig
        .ledger
        .open_reservations(Utc::now() - Duration::hours(1), 10)
        .await
        .expect("open reservations");
    assert_eq!(open, vec![r("ORD1000000000003cccc")]);
    let none = rig
        .ledger
        .open_reservations(Utc::now() - Duration::hours(3), 10)
        .await
        .expect("open reservations");
    assert!(none.is_empty(), "only reservations made before the cut-off");
}
