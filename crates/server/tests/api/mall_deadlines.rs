//! The mall's deadlines on the running app with its job scheduler: unpaid orders are
//! cancelled soon after their deadline (after WeChat closed the payment) and their stock
//! comes back exactly once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::*;
use crate::mall_support::*;

const ORDERS: usize = 120;

async fn cancelled_numbers(app: &TestApp) -> Vec<String> {
    let reply = app
        .admin_get("/admin/mall/orders?status=cancelled&limit=100&page=1")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let mut numbers = Vec::new();
    let pages = reply.body["data"]["pagination"]["totalPages"]
        .as_u64()
        .unwrap_or(1);
    let mut collect = |body: &Value| {
        for order in body["data"]["items"].as_array().into_iter().flatten() {
            if let Some(number) = order["orderNo"].as_str() {
                numbers.push(number.to_owned());
            }
        }
    };
    collect(&reply.body);
    for page in 2..=pages {
        let reply = app
            .admin_get(&format!(
                "/admin/mall/orders?status=cancelled&limit=100&page={page}"
            ))
            .await;
        collect(&reply.body);
    }
    numbers
}

#[tokio::test]
async fn unpaid_orders_are_cancelled_within_five_seconds_of_their_deadline() {
    let app = spawn_app_with(&[("JOBS_ENABLED", "true"), ("MALL_JOB_INTERVAL_MS", "1000")]).await;
    let category = category(&app, "茶").await;
    let goods = stocked(&app, category, "乌龙茶", 990, 1_000).await;
    // One shopper per order: a shopper may start only so many payments a minute.
    let mut placed = Vec::with_capacity(ORDERS);
    for n in 0..ORDERS {
        let buyer = shopper(&app, &format!("o-deadline-{n:03}")).await;
        placed.push((order_no(&place(&app, &buyer, goods.sku, 2).await), buyer));
    }
    assert_eq!(
        available(&app, goods.product, goods.sku).await,
        1_000 - 2 * ORDERS as i64
    );

    // Every deadline passes at once: the moment the clock moves is when they fall due.
    app.sandbox
        .wechat
        .advance_clock(Duration::from_secs(30 * 60));
    app.clock.advance(chrono::Duration::minutes(30));
    let due = Instant::now();
    let mut lateness: HashMap<String, Duration> = HashMap::new();
    while lateness.len() < ORDERS {
        assert!(
            due.elapsed() < Duration::from_secs(60),
            "only {} of {ORDERS} cancelled after a minute",
            lateness.len()
        );
        for number in cancelled_numbers(&app).await {
            lateness.entry(number).or_insert_with(|| due.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut delays: Vec<Duration> = lateness.into_values().collect();
    delays.sort();
    let p99 = delays[(delays.len() * 99).div_ceil(100) - 1];
    println!(
        "timeout cancel after the deadline: p50 {:?}, p99 {:?}, max {:?} ({ORDERS} orders)",
        delays[delays.len() / 2],
        p99,
        delays[delays.len() - 1]
    );
    assert!(p99 <= Duration::from_secs(5), "p99 {p99:?}");

    // The releases are delivered by the trade outbox: the stock is back, once.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now = available(&app, goods.product, goods.sku).await;
        if now == 1_000 {
            break;
        }
        assert!(now < 1_000, "released more than reserved: {now}");
        assert!(Instant::now() < deadline, "stock not back: {now}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (number, buyer) in placed.iter().take(3) {
        let order = order(&app, buyer, number).await;
        assert_eq!(order["status"], "cancelled");
        assert_eq!(order["cancelReason"], "timeout");
    }
    app.stop().await;
}
