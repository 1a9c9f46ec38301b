//! The acceptance race on each database, through the real `MallOrderService` on the SQL
//! repositories: the timeout cancel job races the buyers' payments, in both orders of
//! arrival and truly concurrently, over many orders. Whatever wins, no order ends
//! cancelled with a payment kept (a payment after the cancel carries a refund event), and
//! each order's reservation is settled by exactly one stock event: released or deducted.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Duration;
use elife_domain::order::OrderNumber;
use elife_domain::ports::Clock;
use elife_domain::services::ServiceError;
use elife_domain::testing::order_number;
use elife_domain::trade::orders::{
    MallOrder, MallOrderRepository, MallOrderService, MallOrderStatus, TradeEvent,
};
use elife_domain::trade::outbox::TradeMessage;

use super::fixtures::{FlagPayments, PAY_MINUTES, Repos, TestClock, buyer, draft, payment};

const ORDERS: u32 = 24;
/// Orders cancelled before their payment, and paid before their deadline, in sequence.
const SEQUENTIAL: u32 = 4;
/// Redeliveries of a payment the service could not record yet (the payments core's relay
/// delivers again until it is).
const DELIVERIES: usize = 50;

/// The payments core telling trade, delivering again while storage is busy.
async fn notify(service: &MallOrderService, order: &MallOrder, n: u32) {
    for _ in 0..DELIVERIES {
        match service
            .record_payment(order.order_no.as_str(), payment(order, &format!("tx-{n}")))
            .await
        {
            Ok(_) => return,
            Err(ServiceError::Unavailable(_)) => tokio::task::yield_now().await,
            Err(error) => panic!("payment of order {n} refused: {error}"),
        }
    }
    panic!("payment of order {n} never recorded");
}

/// Runs the timeout job until nothing is due (a run may leave orders to the next).
async fn finish_the_job(service: &MallOrderService) {
    for _ in 0..10 {
        if matches!(service.cancel_expired(100).await, Ok(report) if report.examined == 0) {
            return;
        }
    }
    panic!("the timeout job never finished");
}

#[derive(Default, Debug)]
struct Settled {
    release: usize,
    deduct: usize,
    refund: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_timeout_cancel_racing_a_payment_never_keeps_a_payment_and_settles_stock_once() {
    let payments = Arc::new(FlagPayments::default());
    let (cancelled, refunded) = race(payments.clone()).await;
    assert!(cancelled >= 4, "the orders cancelled first stay cancelled");
    assert_eq!(refunded, 0, "WeChat was consistent: nothing to give back");
    assert_eq!(payments.refunds(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_payment_landing_after_the_close_is_refunded_and_never_revives_the_order() {
    let payments = Arc::new(FlagPayments::with_late_payments());
    let (cancelled, refunded) = race(payments.clone()).await;
    // Every buyer pays here: each cancelled order got a payment, given back.
    assert!(cancelled >= 4, "the orders cancelled first stay cancelled");
    assert_eq!(refunded, cancelled);
    assert_eq!(payments.refunds(), cancelled);
}

/// Runs the race over [`ORDERS`] orders and checks every order; (cancelled, refund events).
async fn race(payments: Arc<FlagPayments>) -> (usize, usize) {
    let repos = Repos::new().await;
    let clock = TestClock::new();
    let service = Arc::new(MallOrderService::new(
        repos.orders.clone(),
        repos.after_sales.clone(),
        payments.clone(),
        Arc::new(clock.clone()),
        Duration::days(7),
    ));
    let place = |n: u32| {
        let (service, now) = (service.clone(), clock.now());
        async move { service.place(draft(n, &buyer(), now)).await.unwrap() }
    };
    let pay = |order: MallOrder, n: u32| {
        let (service, payments) = (service.clone(), payments.clone());
        async move {
            if payments.try_pay(&order.pay_order) {
                notify(&service, &order, n).await;
            }
        }
    };
    // In sequence first, the cancel before the payment: orders 1 to 4.
    let mut early = Vec::new();
    for n in 1..=SEQUENTIAL {
        early.push(place(n).await);
    }
    clock.advance(Duration::minutes(PAY_MINUTES));
    finish_the_job(&service).await;
    for (order, n) in early.into_iter().zip(1..) {
        pay(order, n).await;
    }
    // Then the payment before the deadline: orders 5 to 8.
    let mut orders = Vec::new();
    for n in SEQUENTIAL + 1..=ORDERS {
        orders.push(place(n).await);
    }
    for (order, n) in orders
        .drain(..usize::try_from(SEQUENTIAL).unwrap())
        .zip(SEQUENTIAL + 1..)
    {
        pay(order, n).await;
    }
    clock.advance(Duration::minutes(PAY_MINUTES));

    let mut tasks = Vec::new();
    // Then truly concurrently: the rest, the job and the payments spawned in both orders.
    for (order, n) in orders.into_iter().zip(2 * SEQUENTIAL + 1..) {
        let pay = pay(order, n);
        let job = {
            let service = service.clone();
            async move {
                // A job run may be left behind by storage or a lost race: counted, not fatal.
                let _ = service.cancel_expired(4).await;
            }
        };
        // Both orders of arrival: the job first on even orders, the payment first on odd.
        if n % 2 == 0 {
            tasks.push(tokio::spawn(job));
            tasks.push(tokio::spawn(pay));
        } else {
            tasks.push(tokio::spawn(pay));
            tasks.push(tokio::spawn(job));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    finish_the_job(&service).await;

    let mut settled: HashMap<String, Settled> = HashMap::new();
    for message in repos.messages().await {
        let TradeMessage::Order(event) = message else {
            continue;
        };
        let (order_no, entry): (&OrderNumber, fn(&mut Settled)) = match &event {
            TradeEvent::StockRelease { order_no, .. } => (order_no, |s| s.release += 1),
            TradeEvent::StockDeduct { order_no, .. } => (order_no, |s| s.deduct += 1),
            TradeEvent::RefundPayment(late) => (&late.order_no, |s| s.refund += 1),
        };
        entry(settled.entry(order_no.to_string()).or_default());
    }
    let (mut paid, mut cancelled, mut refunds) = (0, 0, 0);
    for n in 1..=ORDERS {
        let number = order_number(n);
        let order = repos.orders.find(&number).await.unwrap().unwrap();
        let moved = settled.remove(number.as_str()).unwrap_or_default();
        let kept_payment = payments.paid(&order.pay_order);
        match order.status {
            MallOrderStatus::Paid => {
                paid += 1;
                assert!(kept_payment, "order {n} paid without a payment");
                assert_eq!(
                    (moved.deduct, moved.release, moved.refund),
                    (1, 0, 0),
                    "order {n}: {moved:?}"
                );
            }
            MallOrderStatus::Cancelled => {
                cancelled += 1;
                refunds += moved.refund;
                assert!(
                    !kept_payment || moved.refund == 1,
                    "order {n} cancelled and paid without a refund"
                );
                assert_eq!(
                    (moved.deduct, moved.release),
                    (0, 1),
                    "order {n}: {moved:?}"
                );
            }
            other => panic!("order {n} ended {other}"),
        }
    }
    assert!(settled.is_empty(), "events of unknown orders: {settled:?}");
    assert_eq!(paid + cancelled, usize::try_from(ORDERS).unwrap());
    (cancelled, refunds)
}
