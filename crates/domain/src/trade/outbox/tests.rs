//! The relay against the in-memory outbox (shared by the order and after-sale memory
//! repositories), the in-memory stock ledger and a fake payments core.

use std::sync::Arc;

use chrono::Duration;

use crate::catalog::memory::MemoryCatalog;
use crate::catalog::{
    CategoryId, MovementKind, ProductDraft, ProductRepository, SkuDraft, SkuId, SkuStatus,
    SpecValue, StockLedger, StockLine, StockRef, StockService,
};
use crate::money::Fen;
use crate::ports::{Alert, AlertError, Alerts, Clock};
use crate::testing::t0;
use crate::trade::after_sales::memory::MemoryAfterSales;
use crate::trade::after_sales::{AfterSaleEffect, AfterSaleKey};
use crate::trade::orders::memory::MemoryMallOrders;
use crate::trade::orders::tests::support::{Answer, FakePayments, TestClock, draft, payment};
use crate::trade::orders::{MallOrder, MallOrderService, PaymentOutcome, TradeEvent};

use super::memory::MemoryTradeOutbox;
use super::{Backoff, TradeMessage, TradeOutbox, TradeRelay, TradeStock};

struct NoAlerts;

#[async_trait::async_trait]
impl Alerts for NoAlerts {
    async fn send(&self, _alert: &Alert) -> Result<(), AlertError> {
        Ok(())
    }
}

struct World {
    clock: TestClock,
    catalog: MemoryCatalog,
    outbox: MemoryTradeOutbox,
    payments: Arc<FakePayments>,
    stock: Arc<TradeStock>,
    orders: Arc<MallOrderService>,
    relay: TradeRelay,
    skus: Vec<SkuId>,
}

const BACKOFF: Backoff = Backoff {
    first: Duration::seconds(30),
    max: Duration::hours(1),
};

impl World {
    async fn new() -> World {
        let clock = TestClock::at(t0());
        let catalog = MemoryCatalog::new();
        let outbox = MemoryTradeOutbox::new();
        let payments = Arc::new(FakePayments::default());
        let ledger: Arc<dyn StockLedger> = Arc::new(catalog.clone());
        let alerts: Arc<dyn Alerts> = Arc::new(NoAlerts);
        let time: Arc<dyn Clock> = Arc::new(clock.clone());
        let stock = Arc::new(StockService::new(ledger, alerts, time.clone()));
        let orders = Arc::new(MallOrderService::new(
            Arc::new(MemoryMallOrders::with_outbox(outbox.clone())),
            Arc::new(MemoryAfterSales::with_outbox(outbox.clone())),
            payments.clone(),
            time.clone(),
            Duration::days(7),
        ));
        let relay = TradeRelay::new(
            Arc::new(outbox.clone()),
            stock.clone(),
            payments.clone(),
            time,
            BACKOFF,
        );
        let sku = |value: &str| SkuDraft {
            specs: vec![SpecValue {
                name: "颜色".to_owned(),
                value: value.to_owned(),
            }],
            price: Fen::new(1000),
            original_price: Fen::new(1100),
            low_stock_threshold: 0,
            status: SkuStatus::Enabled,
        };
        let product = ProductDraft {
            category: CategoryId(1),
            name: "保温杯".to_owned(),
            description: "316".to_owned(),
            detail: "<p></p>".to_owned(),
            images: vec![],
        };
        let (_, skus) = catalog
            .insert(&product, &[sku("红"), sku("蓝")], t0())
            .await
            .unwrap();
        let skus: Vec<SkuId> = skus.into_iter().map(|sku| sku.id).collect();
        for sku in &skus {
            let opening = StockRef::parse(&format!("open-{sku}")).unwrap();
            catalog
                .inbound(&opening, *sku, 10, "opening", t0())
                .await
                .unwrap();
        }
        World {
            clock,
            catalog,
            outbox,
            payments,
            stock,
            orders,
            relay,
            skus,
        }
    }

    /// An order of 2 × the first SKU and 1 × the second, its stock reserved.
    async fn placed(&self, n: u32) -> MallOrder {
        let mut draft = draft(n, self.clock.now());
        draft.items[0].sku_id = self.skus[0].value();
        draft.items[1].sku_id = self.skus[1].value();
        let order = self.orders.place(draft).await.unwrap();
        let lines = [
            StockLine::new(self.skus[0], 2),
            StockLine::new(self.skus[1], 1),
        ];
        let reference = StockRef::parse(order.order_no.as_str()).unwrap();
        self.stock.reserve(&reference, &lines).await.unwrap();
        order
    }

    async fn paid(&self, n: u32) -> MallOrder {
        let order = self.placed(n).await;
        let outcome = self
            .orders
            .record_payment(order.order_no.as_str(), payment(&order, &format!("tx-{n}")))
            .await
            .unwrap();
        assert!(matches!(outcome, PaymentOutcome::Paid(_)), "{outcome:?}");
        order
    }

    fn available(&self, index: usize) -> i64 {
        self.catalog.available(self.skus[index]).unwrap()
    }

    fn movements(&self, kind: MovementKind) -> usize {
        self.catalog
            .ledger()
            .movements
            .iter()
            .filter(|movement| movement.kind == kind)
            .count()
    }
}

#[tokio::test]
async fn a_payment_deducts_the_reservation_once_and_is_not_delivered_again() {
    let world = World::new().await;
    world.paid(1).await;
    assert_eq!(world.available(0), 8);
    assert_eq!(world.outbox.undelivered(), 1);

    let report = world.relay.run_once(10).await.unwrap();
    assert_eq!(
        (report.examined, report.delivered, report.retried),
        (1, 1, 0)
    );
    assert_eq!(world.movements(MovementKind::Deduct), 2);
    assert_eq!(
        world.available(0),
        8,
        "a deduct moves no units: the reserve took them"
    );

    let again = world.relay.run_once(10).await.unwrap();
    assert_eq!(again.examined, 0);
    assert_eq!(world.movements(MovementKind::Deduct), 2);
}

#[tokio::test]
async fn a_cancel_releases_the_stock_and_a_repeated_release_moves_nothing() {
    let world = World::new().await;
    let order = world.placed(1).await;
    world.orders.cancel_by_admin(&order.order_no).await.unwrap();
    world.relay.run_once(10).await.unwrap();
    assert_eq!((world.available(0), world.available(1)), (10, 10));

    // The same message delivered twice (a crash between the delivery and its mark).
    let release = world.outbox.messages()[0].clone();
    world.outbox.append([release], world.clock.now());
    let report = world.relay.run_once(10).await.unwrap();
    assert_eq!(report.delivered, 1);
    assert_eq!((world.available(0), world.available(1)), (10, 10));
    assert_eq!(world.movements(MovementKind::Release), 2);
}

#[tokio::test]
async fn a_deduct_after_the_release_is_acknowledged_and_moves_nothing() {
    let world = World::new().await;
    let order = world.placed(1).await;
    world.orders.cancel_by_admin(&order.order_no).await.unwrap();
    world.relay.run_once(10).await.unwrap();
    // A stale deduct (the ledger lets only one of release and deduct settle an order).
    let deduct = TradeEvent::StockDeduct {
        order_no: order.order_no.clone(),
        lines: Vec::new(),
    };
    world
        .outbox
        .append([TradeMessage::Order(deduct)], world.clock.now());
    let report = world.relay.run_once(10).await.unwrap();
    assert_eq!((report.delivered, report.retried), (1, 0));
    assert_eq!(world.movements(MovementKind::Deduct), 0);
    assert_eq!(world.available(0), 10);
}

#[tokio::test]
async fn a_failed_refund_waits_for_its_backoff_without_blocking_the_messages_behind_it() {
    let world = World::new().await;
    let order = world.placed(1).await;
    world.orders.cancel_by_admin(&order.order_no).await.unwrap();
    world.relay.run_once(10).await.unwrap();
    // A payment after the cancel: refunded directly (the core busy), then by the relay.
    world
        .payments
        .answer_refund(Answer::Unavailable("busy".to_owned()));
    world
        .payments
        .answer_refund(Answer::Unavailable("busy".to_owned()));
    let late = world
        .orders
        .record_payment(order.order_no.as_str(), payment(&order, "tx-late"))
        .await;
    assert!(late.is_err(), "the direct refund failed: {late:?}");
    let other = world.paid(2).await;

    let first = world.relay.run_once(10).await.unwrap();
    assert_eq!((first.examined, first.delivered, first.retried), (2, 1, 1));
    assert_eq!(
        world.movements(MovementKind::Deduct),
        2,
        "order {} deducted",
        other.order_no
    );
    // Not due before its pause.
    assert_eq!(world.relay.run_once(10).await.unwrap().examined, 0);
    let row = world.outbox.state().rows[1].clone();
    assert_eq!(row.pending.attempts, 1);
    assert_eq!(
        row.next_attempt_at,
        world.clock.now() + Duration::seconds(30)
    );

    world.clock.advance(Duration::seconds(30));
    let second = world.relay.run_once(10).await.unwrap();
    assert_eq!((second.examined, second.delivered), (1, 1));
    let refunds = world.payments.refunds();
    assert_eq!(refunds.len(), 3);
    assert_eq!(
        refunds[2].1,
        Answer::Ok(crate::payments::RefundOutcome::Refunded)
    );
    assert_eq!(world.outbox.undelivered(), 0);
}

#[tokio::test]
async fn a_refund_given_back_already_is_acknowledged() {
    let world = World::new().await;
    let order = world.placed(1).await;
    world.orders.cancel_by_admin(&order.order_no).await.unwrap();
    world
        .orders
        .record_payment(order.order_no.as_str(), payment(&order, "tx-late"))
        .await
        .unwrap();
    world
        .payments
        .answer_refund(Answer::Validation("more than remains".to_owned()));
    let report = world.relay.run_once(10).await.unwrap();
    assert_eq!((report.examined, report.delivered), (2, 2));
    assert_eq!(world.outbox.undelivered(), 0);
}

#[tokio::test]
async fn storage_down_fails_the_run_and_leaves_the_messages() {
    let world = World::new().await;
    world.paid(1).await;
    world.outbox.state().fail_next = 1;
    assert!(world.relay.run_once(10).await.is_err());
    assert_eq!(world.outbox.undelivered(), 1);
    assert_eq!(world.relay.run_once(10).await.unwrap().delivered, 1);
}

#[tokio::test]
async fn a_restock_delivered_twice_puts_the_units_back_once() {
    let world = World::new().await;
    let order = world.paid(1).await;
    world.relay.run_once(10).await.unwrap();
    let restock = AfterSaleEffect::Restock {
        after_sale: AfterSaleKey {
            order_no: order.order_no.clone(),
            line: 1,
            seq: 1,
        },
        sku_id: world.skus[0].value(),
        quantity: 1,
    };
    for _ in 0..2 {
        world.outbox.append(
            [TradeMessage::AfterSale(restock.clone())],
            world.clock.now(),
        );
    }
    let report = world.relay.run_once(10).await.unwrap();
    assert_eq!(report.delivered, 2);
    assert_eq!(world.available(0), 9);
    assert_eq!(world.movements(MovementKind::AfterSaleRestock), 1);
}

#[test]
fn the_backoff_doubles_up_to_its_ceiling() {
    let now = t0();
    assert_eq!(BACKOFF.next_attempt(0, now), now + Duration::seconds(30));
    assert_eq!(BACKOFF.next_attempt(3, now), now + Duration::seconds(240));
    assert_eq!(BACKOFF.next_attempt(40, now), now + Duration::hours(1));
}

#[tokio::test]
async fn messages_are_returned_oldest_first_up_to_the_limit() {
    let outbox = MemoryTradeOutbox::new();
    let order = crate::testing::order_number(1);
    for _ in 0..3 {
        let release = TradeEvent::StockRelease {
            order_no: order.clone(),
            lines: Vec::new(),
        };
        outbox.append([TradeMessage::Order(release)], t0());
    }
    let pending = outbox.pending(t0(), 2).await.unwrap();
    assert_eq!(pending.iter().map(|m| m.id).collect::<Vec<_>>(), vec![1, 2]);
}
