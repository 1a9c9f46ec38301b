//! The payments core's migration: every top-up order of a database migrated up gets its
//! pay order, in every payment status, in batches; `down` drops the core's tables and `up`
//! after it builds them again.

use chrono::{DateTime, TimeDelta, Utc};
use elife_domain::money::Fen;
use elife_domain::order::{Order, OrderNumber, PaymentStatus};
use elife_domain::payments::{GoodsKind, PayChannel, PayOrder, PayOrderRepository, PayStatus};
use elife_domain::ports::OrderRepository;
use elife_persistence::{
    DbBackend, Migrator, MigratorTrait, SeaOrmOrderRepository, SeaOrmPayOrderRepository,
};
use sea_orm::ConnectionTrait;

use crate::common::{TestDb, keyring, order_at};

const MIGRATION: &str = "m20261130_000004_payments_core";

/// Migrations after and including the payments core, which `down` must undo to reach it.
fn steps_down_to_before_the_core() -> u32 {
    let all = Migrator::migrations();
    let position = all
        .iter()
        .position(|migration| migration.name() == MIGRATION)
        .expect("the payments core migration is registered");
    u32::try_from(all.len() - position).unwrap()
}

/// Order `n` in `status`, created at minute `n`; paid two minutes later when money was
/// received, closed forty minutes later when closed.
fn order_in(n: u32, status: PaymentStatus) -> Order {
    let mut order = order_at(n, "o-backfill", i64::from(n));
    order.payment_status = status;
    order.price_fen = Fen::new(600 + i64::from(n));
    if status.money_received() {
        order.transaction_id = Some(format!("42000{n:05}"));
        order.paid_at = Some(order.created_at + TimeDelta::minutes(2));
    }
    if status == PaymentStatus::Closed {
        order.closed_at = Some(order.created_at + TimeDelta::minutes(40));
    }
    order
}

/// The pay order the migration derives from `order`.
fn expected_pay_order(order: &Order) -> PayOrder {
    let status = order.payment_status.as_str().parse::<PayStatus>().unwrap();
    let price = order.price_fen;
    let updated_at: DateTime<Utc> = [order.paid_at, order.closed_at]
        .into_iter()
        .flatten()
        .fold(order.created_at, DateTime::max);
    PayOrder {
        out_trade_no: order.number.clone(),
        kind: GoodsKind::TopUp,
        merchant_order_no: order.number.to_string(),
        amount: price,
        channel: PayChannel::Cloud,
        payer: order.openid.clone(),
        description: "top-up".to_owned(),
        time_expire: order.created_at + TimeDelta::minutes(30),
        status,
        transaction_id: order.transaction_id.clone(),
        paid_at: order.paid_at,
        refunded: if status == PayStatus::Refunded {
            price
        } else {
            Fen::new(0)
        },
        refunding: if status == PayStatus::Refunding {
            price
        } else {
            Fen::new(0)
        },
        late_payment: false,
        anomaly: None,
        created_at: order.created_at,
        updated_at,
        version: 0,
    }
}

async fn assert_backfilled(pay_orders: &SeaOrmPayOrderRepository, orders: &[Order]) {
    for order in orders {
        let found = pay_orders.find(&order.number).await.unwrap();
        assert_eq!(found, Some(expected_pay_order(order)), "{}", order.number);
    }
}

async fn count(test: &TestDb, table: &str) -> i64 {
    let row = test
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            test.backend(),
            format!("SELECT COUNT(*) FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn has_table(test: &TestDb, table: &str) -> bool {
    let sql = match test.backend() {
        DbBackend::Sqlite => {
            format!("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'")
        }
        DbBackend::MySql => format!(
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name = '{table}'"
        ),
        _ => format!(
            "SELECT COUNT(*) FROM pg_tables \
             WHERE schemaname = current_schema() AND tablename = '{table}'"
        ),
    };
    let row = test
        .db
        .query_one_raw(sea_orm::Statement::from_string(test.backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap() > 0
}

#[tokio::test]
async fn every_top_up_order_gets_its_pay_order_and_down_then_up_builds_them_again() {
    let test = TestDb::new().await;
    let orders = SeaOrmOrderRepository::new(test.db.clone(), keyring());
    // One order in each payment status, then unpaid ones past a batch of the migration.
    let mut all: Vec<Order> = PaymentStatus::ALL
        .iter()
        .zip(0..)
        .map(|(status, n)| order_in(n, *status))
        .collect();
    let statuses = all.len() as u32;
    all.extend((statuses..statuses + 505).map(|n| order_in(n, PaymentStatus::Unpaid)));
    for order in &all {
        orders.insert(order).await.unwrap();
    }

    // The schema before the core, with those orders: migrated up.
    Migrator::down(&test.db, Some(steps_down_to_before_the_core()))
        .await
        .unwrap();
    assert!(!has_table(&test, "pay_orders").await);
    assert!(!has_table(&test, "pay_outbox").await);
    Migrator::up(&test.db, None).await.unwrap();

    let pay_orders = SeaOrmPayOrderRepository::new(test.db.clone());
    // Every status, and the first and last orders of the second batch.
    assert_backfilled(&pay_orders, &all[..statuses as usize + 1]).await;
    assert_backfilled(&pay_orders, &all[all.len() - 1..]).await;
    assert_eq!(count(&test, "pay_orders").await, all.len() as i64);
    assert_eq!(count(&test, "pay_outbox").await, 0);

    // Down and up again: the same pay orders, nothing left over.
    Migrator::down(&test.db, Some(steps_down_to_before_the_core()))
        .await
        .unwrap();
    assert!(!has_table(&test, "pay_orders").await);
    Migrator::up(&test.db, None).await.unwrap();
    assert_backfilled(&pay_orders, &all[..statuses as usize]).await;
    assert_eq!(count(&test, "pay_orders").await, all.len() as i64);
}

#[tokio::test]
async fn an_order_in_a_status_no_pay_order_has_stops_the_migration_with_its_number() {
    let test = TestDb::new().await;
    let orders = SeaOrmOrderRepository::new(test.db.clone(), keyring());
    let order = order_in(1, PaymentStatus::Paid);
    orders.insert(&order).await.unwrap();
    Migrator::down(&test.db, Some(steps_down_to_before_the_core()))
        .await
        .unwrap();
    test.db
        .execute_unprepared("UPDATE orders SET payment_status = 'cancelled'")
        .await
        .unwrap();
    let error = Migrator::up(&test.db, None).await.unwrap_err().to_string();
    assert!(
        error.contains(order.number.as_str()) && error.contains("cancelled"),
        "{error}"
    );
}

#[tokio::test]
async fn the_old_backends_orders_get_their_pay_orders_when_taken_over() {
    let test = TestDb::empty().await;
    if test.backend() != DbBackend::MySql {
        return; // only MySQL databases are taken over
    }
    for statement in crate::adopt_prisma::PRISMA_SCHEMA
        .iter()
        .chain(crate::adopt_prisma::OLD_ROWS)
    {
        test.db.execute_unprepared(statement).await.unwrap();
    }
    elife_persistence::migrate_up(&test.db).await.unwrap();
    assert_eq!(count(&test, "pay_orders").await, 6);

    let orders = SeaOrmOrderRepository::new(test.db.clone(), keyring());
    let pay_orders = SeaOrmPayOrderRepository::new(test.db.clone());
    for raw in [
        "ORD1760054386127abcdefgh",
        "ORD1760754386127postpaid-001",
        "ORD1760754386131timeout00001",
    ] {
        let number = OrderNumber::parse(raw).unwrap();
        let order = orders.find(&number).await.unwrap().unwrap();
        let found = pay_orders.find(&number).await.unwrap();
        assert_eq!(found, Some(expected_pay_order(&order)), "{raw}");
    }
    let postpaid = pay_orders
        .find(&OrderNumber::parse("ORD1760754386127postpaid-001").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(postpaid.amount, Fen::new(15775));
    assert_eq!(postpaid.status, PayStatus::Paid);
    assert_eq!(postpaid.updated_at, postpaid.paid_at.unwrap());
}
