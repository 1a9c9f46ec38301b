//! Helpers of the mall tests: products stocked and published through the back office,
//! shoppers with an address, orders placed from a quote, paid in the WeChat simulator.

use std::time::Duration;

use elife_server::jobs::Job;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::points_support::Shopper;

pub const WAIT: Duration = Duration::from_secs(15);

/// A SKU on sale: its product and its id.
#[derive(Debug, Clone, Copy)]
pub struct Stocked {
    pub product: i64,
    pub sku: i64,
}

fn ok_data(reply: &Reply, status: u16) -> Value {
    assert_eq!(reply.status, status, "{}", reply.body);
    reply.body["data"].clone()
}

/// A category, once per app.
pub async fn category(app: &TestApp, name: &str) -> i64 {
    let reply = app
        .admin_post(
            "/admin/mall/categories",
            &json!({ "name": name, "sortOrder": 0, "enabled": true }),
        )
        .await;
    ok_data(&reply, 201)["id"].as_i64().expect("category id")
}

/// A product of one SKU at `price` fen with `units` in stock, on sale.
pub async fn stocked(app: &TestApp, category: i64, name: &str, price: i64, units: i64) -> Stocked {
    let reply = app
        .admin_post(
            "/admin/mall/products",
            &json!({
                "categoryId": category,
                "name": name,
                "description": format!("{name}，好物"),
                "detail": "<p>详情</p>",
                "images": ["https://img.example.com/goods.jpg"],
                "skus": [{ "specs": [{ "name": "规格", "value": "标准" }], "priceFen": price }],
            }),
        )
        .await;
    let created = ok_data(&reply, 201);
    let product = created["product"]["id"]
        .as_i64()
        .or_else(|| created["id"].as_i64())
        .expect("product id");
    let sku = created["skus"][0]["id"].as_i64().expect("sku id");
    let reply = app
        .admin_post(
            &format!("/admin/mall/skus/{sku}/stock"),
            &json!({ "delta": units, "reason": "opening stock" }),
        )
        .await;
    ok_data(&reply, 201);
    let reply = app
        .admin_post(
            &format!("/admin/mall/products/{product}/publish"),
            &json!({}),
        )
        .await;
    assert!(reply.status < 300, "publish: {}", reply.body);
    Stocked { product, sku }
}

pub fn address_body() -> Value {
    json!({
        "receiver": "张三",
        "phone": "13812345678",
        "province": "上海市",
        "city": "上海市",
        "district": "徐汇区",
        "detail": "漕溪北路 1 号",
        "region": "310104",
    })
}

/// A shopper (Cloud Hosting headers) with a default address.
pub async fn shopper(app: &TestApp, openid: &str) -> Shopper {
    let shopper = Shopper::with_headers(openid);
    let reply = shopper
        .post(app, "/api/mall/addresses", &address_body())
        .await;
    ok_data(&reply, 201);
    shopper
}

/// Quotes `quantity` of `sku` and places the order; answers the purchase
/// (`order`, `channel`, `payment`).
pub async fn place(app: &TestApp, shopper: &Shopper, sku: i64, quantity: i64) -> Value {
    let items = json!([{ "skuId": sku, "quantity": quantity }]);
    let quote = shopper
        .post(app, "/api/mall/checkout/quote", &json!({ "items": items }))
        .await;
    let quote = ok_data(&quote, 200);
    let reply = shopper
        .post(
            app,
            "/api/mall/orders",
            &json!({ "items": items, "quoteFingerprint": quote["quoteFingerprint"] }),
        )
        .await;
    ok_data(&reply, 201)
}

pub fn order_no(purchase: &Value) -> String {
    purchase["order"]["orderNo"]
        .as_str()
        .expect("orderNo")
        .to_owned()
}

pub async fn order(app: &TestApp, shopper: &Shopper, order_no: &str) -> Value {
    let reply = shopper
        .get(app, &format!("/api/mall/orders/{order_no}"))
        .await;
    ok_data(&reply, 200)
}

/// Polls the shopper's order until its status is `status`, delivering the trade outbox.
pub async fn wait_for_status(
    app: &TestApp,
    shopper: &Shopper,
    order_no: &str,
    status: &str,
) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let order = order(app, shopper, order_no).await;
        if order["status"] == status {
            app.run_job(Job::TradeRelay).await;
            return order;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "order never became {status}: {order}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The shopper pays in the WeChat simulator; waits until the order is paid.
pub async fn pay(app: &TestApp, shopper: &Shopper, order_no: &str) -> Value {
    app.pay(order_no, json!({})).await;
    wait_for_status(app, shopper, order_no, "paid").await
}

/// A SKU's stock as the back office shows it.
pub async fn available(app: &TestApp, product: i64, sku: i64) -> i64 {
    let reply = app
        .admin_get(&format!("/admin/mall/products/{product}"))
        .await;
    let detail = ok_data(&reply, 200);
    detail["skus"]
        .as_array()
        .expect("skus")
        .iter()
        .find(|line| line["id"].as_i64() == Some(sku))
        .and_then(|line| line["available"].as_i64())
        .expect("the SKU's available")
}
