//! The README's mall walk-through, end to end in the sandbox: the merchant stocks a
//! product; a shopper browses, searches, fills the cart, orders from the quote, pays in
//! the WeChat simulator; the merchant ships; the shopper tracks the parcel, confirms
//! receipt, reviews the item and gets part of the money back through an after-sale.

use std::time::Duration;

use elife_server::jobs::Job;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::mall_support::*;
use crate::points_support::Shopper;

fn data(reply: &Reply, status: u16) -> Value {
    assert_eq!(reply.status, status, "{}", reply.body);
    reply.body["data"].clone()
}

async fn after_sale_status(app: &TestApp, shopper: &Shopper, id: &str) -> String {
    let reply = shopper
        .get(app, &format!("/api/mall/after-sales/{id}"))
        .await;
    data(&reply, 200)["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn browse_search_cart_order_pay_ship_receive_review_and_refund() {
    let app = spawn_app().await;

    // The merchant: a category, a product with 50 units on sale.
    let tea = category(&app, "茶饮").await;
    let oolong = stocked(&app, tea, "铁观音乌龙茶", 1990, 50).await;
    stocked(&app, tea, "茉莉花茶", 990, 10).await;

    // Browse and search.
    let shopper = shopper(&app, "o-walkthrough").await;
    let categories = data(&shopper.get(&app, "/api/mall/categories").await, 200);
    assert_eq!(categories[0]["name"], "茶饮");
    let listed = data(
        &shopper
            .get(
                &app,
                &format!("/api/mall/products?categoryId={tea}&sort=price_asc"),
            )
            .await,
        200,
    );
    assert_eq!(listed["pagination"]["total"], 2);
    assert_eq!(listed["items"][0]["name"], "茉莉花茶", "cheapest first");
    let found = data(
        &shopper
            .get(&app, "/api/mall/products?q=%E4%B9%8C%E9%BE%99") // 乌龙
            .await,
        200,
    );
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found["items"][0]["id"], oolong.product);
    let hot = data(&shopper.get(&app, "/api/mall/search/hot").await, 200);
    assert_eq!(hot[0]["term"], "乌龙");
    let page = data(
        &shopper
            .get(&app, &format!("/api/mall/products/{}", oolong.product))
            .await,
        200,
    );
    assert_eq!(page["skus"][0]["available"], 50);
    let history = data(&shopper.get(&app, "/api/mall/history").await, 200);
    assert_eq!(history["items"][0]["productId"], oolong.product);

    // Cart, quote, order.
    let added = shopper
        .post(
            &app,
            "/api/mall/cart/items",
            &json!({ "skuId": oolong.sku, "quantity": 2 }),
        )
        .await;
    data(&added, 201);
    let quote = data(
        &shopper
            .post(&app, "/api/mall/checkout/quote", &json!({}))
            .await,
        200,
    );
    assert_eq!(quote["goodsFen"], 3980);
    let purchase = data(
        &shopper
            .post(
                &app,
                "/api/mall/orders",
                &json!({ "quoteFingerprint": quote["quoteFingerprint"] }),
            )
            .await,
        201,
    );
    assert_eq!(purchase["channel"], "jsapi", "{purchase}");
    let number = order_no(&purchase);
    let cart = data(&shopper.get(&app, "/api/mall/cart").await, 200);
    assert_eq!(cart, json!([]), "ordered lines leave the cart");
    assert_eq!(available(&app, oolong.product, oolong.sku).await, 48);

    // Pay in the simulator: the payments core tells the mall.
    let paid = pay(&app, &shopper, &number).await;
    assert_eq!(paid["statusLabel"], "待发货");

    // The merchant ships; the parcel can be tracked; the shopper confirms receipt.
    let shipped = app
        .admin_post(
            &format!("/admin/mall/orders/{number}/ship"),
            &json!({ "carrierCode": "shunfeng", "trackingNo": "SF1234567890" }),
        )
        .await;
    data(&shipped, 201);
    let parcel = data(
        &shopper
            .get(&app, &format!("/api/mall/orders/{number}/tracking"))
            .await,
        200,
    );
    assert_eq!(parcel["carrierName"], "顺丰速运");
    assert_eq!(parcel["state"], "delivered", "{parcel}");
    let received = shopper
        .post(
            &app,
            &format!("/api/mall/orders/{number}/receive"),
            &json!({}),
        )
        .await;
    assert_eq!(data(&received, 201)["status"], "completed");

    // A review of the item, shown on the product.
    let review = shopper
        .post(
            &app,
            &format!("/api/mall/orders/{number}/items/1/review"),
            &json!({ "rating": 5, "text": "回甘很好", "anonymous": true, "nickname": "张三" }),
        )
        .await;
    assert_eq!(data(&review, 201)["reviewer"], "张**");
    let reviews = data(
        &shopper
            .get(
                &app,
                &format!("/api/mall/products/{}/reviews", oolong.product),
            )
            .await,
        200,
    );
    assert_eq!(reviews["items"][0]["text"], "回甘很好");
    assert!(!reviews.to_string().contains("o-walkthrough"), "no openid");

    // An after-sale: part of the money back, through the payments core.
    let applied = shopper
        .post(
            &app,
            &format!("/api/mall/orders/{number}/after-sales"),
            &json!({ "line": 1, "kind": "refund_only", "reason": "包装破损", "amountFen": 500 }),
        )
        .await;
    let after_sale = data(&applied, 201);
    let id = after_sale["id"].as_str().expect("after-sale id").to_owned();
    data(
        &app.admin_post(&format!("/admin/mall/after-sales/{id}/approve"), &json!({}))
            .await,
        201,
    );
    data(
        &app.admin_post(
            &format!("/admin/mall/after-sales/{id}/refund"),
            &json!({ "reason": "包装破损" }),
        )
        .await,
        201,
    );
    // WeChat answers a refund later; the refund job asks about refunds a minute old.
    app.clock.advance(chrono::Duration::minutes(2));
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let status = after_sale_status(&app, &shopper, &id).await;
        if status == "refunded" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "after-sale stuck in {status}"
        );
        app.run_job(Job::Refunds).await;
        app.run_job(Job::Recharge).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let order = order(&app, &shopper, &number).await;
    assert_eq!(
        order["status"], "completed",
        "a refund does not reopen the order"
    );
    app.stop().await;
}
