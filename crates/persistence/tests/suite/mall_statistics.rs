//! The mall's figures on each database: orders placed and paid by the payment's own time,
//! refunds by the time they completed, units from the stock ledger net of after-sale
//! restocks, and viewers from the browsing history, each at the edges of the period.

use chrono::{DateTime, Duration, TimeZone, Utc};
use elife_domain::catalog::{ProductId, SkuId, StockLedger, StockLine, StockRef};
use elife_domain::money::Fen;
use elife_domain::order::OpenId;
use elife_domain::ports::CasOutcome;
use elife_domain::shoppers::HistoryRepository;
use elife_domain::testing::order_number;
use elife_domain::trade::after_sales::{
    AfterSale, AfterSaleEvent, AfterSaleKind, AfterSaleRepository, Application,
};
use elife_domain::trade::orders::{
    AddressSnapshot, ChinaMobile, Decision, ItemDraft, MallOrder, MallOrderDraft,
    MallOrderRepository, OrderEvent, OrderTotals, PaymentRecord,
};
use elife_domain::trade::statistics::{
    MallDay, MallStatistics, MallStatisticsQuery, MallStatisticsRepository,
};
use elife_persistence::catalog::entities::{products, skus};
use elife_persistence::{
    SeaOrmAfterSaleRepository, SeaOrmHistoryRepository, SeaOrmMallOrderRepository,
    SeaOrmMallStatistics, SeaOrmStockLedger,
};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use std::sync::Arc;

use crate::common::{TestDb, keyring};

/// China day 2025-10-18 starts here; the period is that day and the next.
fn from() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 10, 17, 16, 0, 0).unwrap()
}

fn before() -> DateTime<Utc> {
    from() + Duration::days(2)
}

fn hours(n: i64) -> DateTime<Utc> {
    from() + Duration::hours(n)
}

fn openid(name: &str) -> OpenId {
    OpenId::parse(&format!("o-statistics-{name}")).unwrap()
}

fn r(raw: &str) -> StockRef {
    StockRef::parse(raw).unwrap()
}

async fn product(db: &DatabaseConnection, name: &str, sku_count: usize) -> (i64, Vec<i64>) {
    let at = (from() - Duration::days(10)).naive_utc();
    let product = products::Entity::insert(products::ActiveModel {
        category_id: Set(1),
        name: Set(name.to_owned()),
        description: Set(String::new()),
        detail: Set(String::new()),
        images: Set("[]".to_owned()),
        status: Set("on_sale".to_owned()),
        sales: Set(0),
        version: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    })
    .exec(db)
    .await
    .unwrap()
    .last_insert_id;
    let mut ids = Vec::new();
    for _ in 0..sku_count {
        let sku = skus::Entity::insert(skus::ActiveModel {
            product_id: Set(product),
            specs: Set("[]".to_owned()),
            price_fen: Set(100),
            original_price_fen: Set(100),
            available: Set(0),
            low_stock_threshold: Set(0),
            status: Set("on_sale".to_owned()),
            version: Set(0),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .exec(db)
        .await
        .unwrap()
        .last_insert_id;
        ids.push(sku);
    }
    (product, ids)
}

struct World {
    test: TestDb,
    orders: SeaOrmMallOrderRepository,
    after_sales: SeaOrmAfterSaleRepository,
    ledger: SeaOrmStockLedger,
    history: SeaOrmHistoryRepository,
}

impl World {
    async fn new() -> World {
        let test = TestDb::new().await;
        World {
            orders: SeaOrmMallOrderRepository::new(test.db.clone(), keyring()),
            after_sales: SeaOrmAfterSaleRepository::new(test.db.clone()),
            ledger: SeaOrmStockLedger::new(test.db.clone()),
            history: SeaOrmHistoryRepository::new(test.db.clone()),
            test,
        }
    }

    /// Order `n`: `quantity` units of `sku` at `unit` fen each, placed at `at`, its units
    /// reserved.
    async fn place(
        &self,
        n: u32,
        buyer: &OpenId,
        (product, sku): (i64, i64),
        quantity: u32,
        unit: i64,
        at: DateTime<Utc>,
    ) -> MallOrder {
        let pay = unit * i64::from(quantity);
        let draft = MallOrderDraft {
            order_no: order_number(n),
            buyer: buyer.clone(),
            items: vec![ItemDraft {
                product_id: product,
                sku_id: sku,
                name: "商品".to_owned(),
                spec: String::new(),
                image: String::new(),
                unit_price: Fen::new(unit),
                quantity,
                pay_price: Fen::new(pay),
            }],
            address: AddressSnapshot {
                receiver: "张三".to_owned(),
                phone: ChinaMobile::parse("13812345678").unwrap(),
                province: "广东省".to_owned(),
                city: "深圳市".to_owned(),
                district: "南山区".to_owned(),
                detail: "科技园路1号".to_owned(),
            },
            totals: OrderTotals {
                goods: Fen::new(pay),
                discount: Fen::ZERO,
                freight: Fen::ZERO,
                pay: Fen::new(pay),
            },
            pay_order: order_number(n),
            pay_deadline: at + Duration::minutes(30),
        };
        let order = MallOrder::place(draft, at).unwrap();
        self.orders.insert(&order).await.unwrap();
        let reference = r(order.order_no.as_str());
        let lines = [StockLine::new(SkuId(sku), i64::from(quantity))];
        let outcome = self.ledger.reserve(&reference, &lines, at).await.unwrap();
        assert!(outcome.movements().is_some(), "{outcome:?}");
        order
    }

    /// The order paid at `paid_at` (recorded a minute later), its units deducted then.
    async fn pay(&self, order: &MallOrder, paid_at: DateTime<Utc>) -> MallOrder {
        let payment = PaymentRecord {
            pay_order: order.pay_order.clone(),
            transaction_id: format!("tx-{}", order.order_no),
            amount: order.totals.pay,
            paid_at,
        };
        let recorded = paid_at + Duration::minutes(1);
        let Ok(Decision::Write(paid)) = order.decide(&OrderEvent::Paid(payment), recorded) else {
            panic!("payment refused");
        };
        assert_eq!(self.orders.apply(&paid).await.unwrap(), CasOutcome::Won);
        let outcome = self
            .ledger
            .deduct(&r(order.order_no.as_str()), paid_at)
            .await
            .unwrap();
        assert!(outcome.movements().is_some(), "{outcome:?}");
        paid.order
    }

    /// A refund-only after-sale of `amount` on line 1, stepped through `events` one second
    /// apart from `at`.
    async fn after_sale(
        &self,
        order: &MallOrder,
        amount: i64,
        at: DateTime<Utc>,
        events: &[AfterSaleEvent],
    ) {
        let application = Application {
            line: 1,
            kind: AfterSaleKind::RefundOnly,
            reason: "不想要了".to_owned(),
            amount: Fen::new(amount),
            quantity: 0,
        };
        let mut after_sale = AfterSale::apply(order, &[], &application, at).unwrap();
        self.after_sales.insert(&after_sale).await.unwrap();
        for event in events {
            let step = after_sale
                .decide(event, after_sale.updated_at + Duration::seconds(1))
                .unwrap();
            assert_eq!(
                self.after_sales.apply(&step).await.unwrap(),
                CasOutcome::Won
            );
            after_sale = step.after_sale;
        }
    }

    async fn view(&self, who: &str, product: i64, at: DateTime<Utc>) {
        self.history
            .record(&openid(who), ProductId(product), 100, at)
            .await
            .unwrap();
    }
}

const REFUNDED: [AfterSaleEvent; 3] = [
    AfterSaleEvent::Approve,
    AfterSaleEvent::StartRefund,
    AfterSaleEvent::RefundSucceeded,
];

/// The same world on every database; see each figure's comment for what falls inside.
async fn seeded() -> World {
    let world = World::new().await;
    let (tea, tea_skus) = product(&world.test.db, "Tea", 2).await;
    let (cups, cup_skus) = product(&world.test.db, "Cups", 1).await;
    let (a1, a2, b1) = (tea_skus[0], tea_skus[1], cup_skus[0]);
    for sku in [a1, a2, b1] {
        let outcome = world
            .ledger
            .inbound(
                &r(&format!("opening-{sku}")),
                SkuId(sku),
                100,
                "opening stock",
                from() - Duration::days(5),
            )
            .await
            .unwrap();
        assert!(outcome.movements().is_some());
    }
    let (x, y, z) = (openid("x"), openid("y"), openid("z"));

    // Placed before the period, paid in it (day 1): paid, not placed.
    let first = world.place(1, &x, (tea, a1), 2, 500, hours(-1)).await;
    let first = world.pay(&first, hours(1)).await;
    // Placed and paid on day 1.
    let second = world.place(2, &x, (cups, b1), 3, 800, hours(2)).await;
    let second = world.pay(&second, hours(3)).await;
    // Placed on day 2, paid after the period: placed, not paid.
    let third = world.place(3, &y, (tea, a1), 1, 300, hours(25)).await;
    world.pay(&third, before() + Duration::hours(1)).await;
    // Placed and paid on day 2.
    let fourth = world.place(4, &z, (tea, a2), 4, 175, hours(26)).await;
    let fourth = world.pay(&fourth, hours(27)).await;
    // Placed on day 2 and never paid.
    world.place(5, &y, (tea, a1), 1, 300, hours(28)).await;
    // Paid a minute before the period: neither.
    let early = world.place(6, &y, (tea, a1), 5, 100, hours(-2)).await;
    world.pay(&early, from() - Duration::minutes(1)).await;
    // Placed at the period's end: outside.
    world.place(7, &y, (tea, a1), 1, 300, before()).await;

    // The second order's cups: one back on the shelf on day 2.
    let outcome = world
        .ledger
        .restock(
            &r("AS-2-1"),
            &r(second.order_no.as_str()),
            &[StockLine::new(SkuId(b1), 1)],
            hours(29),
        )
        .await
        .unwrap();
    assert!(outcome.movements().is_some(), "{outcome:?}");

    // Refunded in the period: 500 fen. Refunded after it, and only approved: not counted.
    world.after_sale(&second, 500, hours(30), &REFUNDED).await;
    world
        .after_sale(&first, 200, before() - Duration::seconds(2), &REFUNDED)
        .await;
    world
        .after_sale(&fourth, 100, hours(31), &[AfterSaleEvent::Approve])
        .await;

    // Viewers in the period: x, y and w (w twice); v after it and u before it.
    world.view("x", tea, hours(0)).await;
    world.view("y", tea, hours(24)).await;
    world.view("w", cups, hours(24)).await;
    world.view("w", tea, hours(40)).await;
    world.view("v", tea, before()).await;
    world.view("u", cups, from() - Duration::seconds(1)).await;
    world
}

#[tokio::test]
async fn the_repository_reads_each_figure_at_the_edges_of_the_period() {
    let world = seeded().await;
    let statistics = SeaOrmMallStatistics::new(world.test.db.clone());

    let placed = statistics.placed(from(), before()).await.unwrap();
    let mut placed: Vec<DateTime<Utc>> = placed;
    placed.sort();
    assert_eq!(placed, vec![hours(2), hours(25), hours(26), hours(28)]);

    let mut paid: Vec<(String, i64, DateTime<Utc>)> = statistics
        .paid(from(), before())
        .await
        .unwrap()
        .into_iter()
        .map(|order| (order.buyer.to_string(), order.amount.value(), order.paid_at))
        .collect();
    paid.sort_by_key(|(_, _, at)| *at);
    assert_eq!(
        paid,
        vec![
            (openid("x").to_string(), 1_000, hours(1)),
            (openid("x").to_string(), 2_400, hours(3)),
            (openid("z").to_string(), 700, hours(27)),
        ]
    );

    let refunds = statistics.refunded(from(), before()).await.unwrap();
    assert_eq!((refunds.count, refunds.amount), (1, Fen::new(500)));

    let units = statistics.units(from(), before()).await.unwrap();
    let units: Vec<(Option<i64>, String, i64, i64)> = units
        .into_iter()
        .map(|sku| {
            (
                sku.product.map(ProductId::value),
                sku.product_name,
                sku.deducted,
                sku.restocked,
            )
        })
        .collect();
    assert_eq!(units.len(), 3);
    assert!(
        units.contains(&(Some(1), "Tea".to_owned(), 2, 0)),
        "{units:?}"
    );
    assert!(
        units.contains(&(Some(1), "Tea".to_owned(), 4, 0)),
        "{units:?}"
    );
    assert!(
        units.contains(&(Some(2), "Cups".to_owned(), 3, 1)),
        "{units:?}"
    );

    assert_eq!(statistics.viewers(from(), before()).await.unwrap(), 3);

    // An empty period reads as zeros, not as an error (SUM over no rows is NULL).
    let empty_from = before() + Duration::days(30);
    let empty_before = empty_from + Duration::days(1);
    let refunds = statistics.refunded(empty_from, empty_before).await.unwrap();
    assert_eq!((refunds.count, refunds.amount), (0, Fen::ZERO));
    assert!(
        statistics
            .units(empty_from, empty_before)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        statistics.viewers(empty_from, empty_before).await.unwrap(),
        0
    );
    assert!(
        statistics
            .paid(empty_from, empty_before)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_service_builds_the_figures_from_the_tables() {
    let world = seeded().await;
    let service = MallStatistics::new(Arc::new(SeaOrmMallStatistics::new(world.test.db.clone())));
    let figures = service
        .figures(&MallStatisticsQuery {
            from: from(),
            before: before(),
            top: 1,
        })
        .await
        .unwrap();

    assert_eq!(figures.orders_placed, 4);
    assert_eq!(figures.orders_paid, 3);
    assert_eq!(figures.paid_amount, Fen::new(4_100));
    assert_eq!(figures.refunds.amount, Fen::new(500));
    assert_eq!(figures.units_deducted, 9);
    assert_eq!(figures.units_restocked, 1);
    assert_eq!(figures.units_sold(), 8);
    assert_eq!(figures.top_products.len(), 1);
    let tea = &figures.top_products[0];
    assert_eq!((tea.name.as_str(), tea.sold), ("Tea", 6));
    assert_eq!(figures.top_skus.len(), 1);
    assert_eq!(figures.top_skus[0].sold(), 4);
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2025, 10, d).unwrap();
    assert_eq!(
        figures.days,
        vec![
            MallDay {
                day: day(18),
                orders_placed: 1,
                orders_paid: 2,
                paid_amount: Fen::new(3_400),
            },
            MallDay {
                day: day(19),
                orders_placed: 3,
                orders_paid: 1,
                paid_amount: Fen::new(700),
            },
        ]
    );
    assert_eq!(
        (figures.conversion.buyers, figures.conversion.viewers),
        (2, 3)
    );
    assert_eq!(figures.conversion.basis_points(), Some(6_666));
}
