//! A shopper cannot read, change, pay, cancel, review or track another shopper's things:
//! every shopper route of the mall, called by a stranger naming the owner's order,
//! after-sale or address, answers exactly what a missing one would (404) and changes
//! nothing. The table must name every `/api/mall` route of the OpenAPI document, so a new
//! route cannot be forgotten.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::*;
use crate::mall_support::*;
use crate::points_support::Shopper;

/// What a route does when a stranger names the owner's resource.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// 404, like a resource that does not exist.
    NotFound,
    /// Answers only the caller's own data: nothing of the owner's appears.
    OwnOnly,
    /// Not about anyone's data (the catalog).
    Public,
}

struct Case {
    method: &'static str,
    /// As in the OpenAPI document.
    path: &'static str,
    expect: Expect,
    body: Value,
}

fn case(method: &'static str, path: &'static str, expect: Expect, body: Value) -> Case {
    Case {
        method,
        path,
        expect,
        body,
    }
}

fn table() -> Vec<Case> {
    use Expect::{NotFound, OwnOnly, Public};
    let none = json!({});
    vec![
        case("GET", "/api/mall/categories", Public, none.clone()),
        case("GET", "/api/mall/products", Public, none.clone()),
        case("GET", "/api/mall/products/{id}", Public, none.clone()),
        case("GET", "/api/mall/search/hot", Public, none.clone()),
        case(
            "GET",
            "/api/mall/products/{id}/reviews",
            Public,
            none.clone(),
        ),
        case(
            "GET",
            "/api/mall/products/{id}/reviews/stats",
            Public,
            none.clone(),
        ),
        case(
            "POST",
            "/api/mall/checkout/quote",
            OwnOnly,
            json!({ "addressId": "{address}" }),
        ),
        case(
            "POST",
            "/api/mall/orders",
            OwnOnly,
            json!({ "addressId": "{address}" }),
        ),
        case("GET", "/api/mall/orders", OwnOnly, none.clone()),
        case("GET", "/api/mall/orders/{orderNo}", NotFound, none.clone()),
        case(
            "POST",
            "/api/mall/orders/{orderNo}/pay",
            NotFound,
            none.clone(),
        ),
        case(
            "POST",
            "/api/mall/orders/{orderNo}/cancel",
            NotFound,
            none.clone(),
        ),
        case(
            "POST",
            "/api/mall/orders/{orderNo}/receive",
            NotFound,
            none.clone(),
        ),
        case(
            "GET",
            "/api/mall/orders/{orderNo}/tracking",
            NotFound,
            none.clone(),
        ),
        case(
            "POST",
            "/api/mall/orders/{orderNo}/items/{line}/review",
            NotFound,
            json!({ "rating": 1, "text": "not mine" }),
        ),
        case(
            "POST",
            "/api/mall/orders/{orderNo}/after-sales",
            NotFound,
            json!({ "line": 1, "kind": "refund_only", "reason": "not mine", "amountFen": 1 }),
        ),
        case(
            "GET",
            "/api/mall/orders/{orderNo}/after-sales",
            NotFound,
            none.clone(),
        ),
        case("GET", "/api/mall/after-sales", OwnOnly, none.clone()),
        case("GET", "/api/mall/after-sales/{id}", NotFound, none.clone()),
        case(
            "POST",
            "/api/mall/after-sales/{id}/ship-back",
            NotFound,
            json!({ "carrier": "shunfeng", "trackingNo": "SF0" }),
        ),
        case(
            "POST",
            "/api/mall/after-sales/{id}/cancel",
            NotFound,
            none.clone(),
        ),
        case("GET", "/api/mall/reviews/mine", OwnOnly, none.clone()),
        case("GET", "/api/mall/addresses", OwnOnly, none.clone()),
        case("POST", "/api/mall/addresses", OwnOnly, address_body()),
        case("PUT", "/api/mall/addresses/{id}", NotFound, {
            let mut body = address_body();
            body["version"] = json!(0);
            body
        }),
        case("DELETE", "/api/mall/addresses/{id}", NotFound, none.clone()),
        case(
            "POST",
            "/api/mall/addresses/{id}/default",
            NotFound,
            none.clone(),
        ),
        case("GET", "/api/mall/favourites", OwnOnly, none.clone()),
        case(
            "POST",
            "/api/mall/favourites/{productId}",
            OwnOnly,
            none.clone(),
        ),
        case(
            "DELETE",
            "/api/mall/favourites/{productId}",
            OwnOnly,
            none.clone(),
        ),
        case("GET", "/api/mall/history", OwnOnly, none.clone()),
        case("DELETE", "/api/mall/history", OwnOnly, none.clone()),
        case("GET", "/api/mall/cart", OwnOnly, none.clone()),
        case(
            "POST",
            "/api/mall/cart/items",
            OwnOnly,
            json!({ "skuId": "{sku}" }),
        ),
        case(
            "PUT",
            "/api/mall/cart/items/{skuId}",
            OwnOnly,
            json!({ "quantity": 3 }),
        ),
        case(
            "DELETE",
            "/api/mall/cart/items/{skuId}",
            OwnOnly,
            none.clone(),
        ),
        case(
            "POST",
            "/api/mall/cart/select",
            OwnOnly,
            json!({ "selected": false }),
        ),
    ]
}

/// The owner's things: a completed order with a review, a second order still unpaid, an
/// after-sale, an address, a cart line.
struct Owned {
    paid_order: String,
    unpaid_order: String,
    after_sale: String,
    address: i64,
    goods: Stocked,
    owner: Shopper,
}

async fn owner_things(app: &TestApp) -> Owned {
    let tea = category(app, "茶").await;
    let goods = stocked(app, tea, "龙井", 1990, 20).await;
    let owner = shopper(app, "o-owner").await;
    let addresses = owner.get(app, "/api/mall/addresses").await;
    let address = addresses.body["data"][0]["id"].as_i64().expect("address");
    let paid_order = order_no(&place(app, &owner, goods.sku, 1).await);
    pay(app, &owner, &paid_order).await;
    let unpaid_order = order_no(&place(app, &owner, goods.sku, 1).await);
    let applied = owner
        .post(
            app,
            &format!("/api/mall/orders/{paid_order}/after-sales"),
            &json!({ "line": 1, "kind": "refund_only", "reason": "少发", "amountFen": 100 }),
        )
        .await;
    assert_eq!(applied.status, 201, "{}", applied.body);
    let after_sale = applied.body["data"]["id"].as_str().expect("id").to_owned();
    let added = owner
        .post(
            app,
            "/api/mall/cart/items",
            &json!({ "skuId": goods.sku, "quantity": 1 }),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    Owned {
        paid_order,
        unpaid_order,
        after_sale,
        address,
        goods,
        owner,
    }
}

fn concrete(template: &str, owned: &Owned, method: &str) -> String {
    // Paying and cancelling name the unpaid order; everything else the paid one.
    let order = match (method, template) {
        ("POST", "/api/mall/orders/{orderNo}/pay")
        | ("POST", "/api/mall/orders/{orderNo}/cancel") => &owned.unpaid_order,
        _ => &owned.paid_order,
    };
    template
        .replace("{orderNo}", order)
        .replace("{line}", "1")
        .replace("{id}", &after_sale_or_address(template, owned))
        .replace("{productId}", &owned.goods.product.to_string())
        .replace("{skuId}", &owned.goods.sku.to_string())
}

fn after_sale_or_address(template: &str, owned: &Owned) -> String {
    if template.starts_with("/api/mall/after-sales") {
        owned.after_sale.clone()
    } else if template.starts_with("/api/mall/addresses") {
        owned.address.to_string()
    } else {
        owned.goods.product.to_string()
    }
}

fn concrete_body(body: &Value, owned: &Owned) -> Value {
    let text = body
        .to_string()
        .replace("\"{address}\"", &owned.address.to_string())
        .replace("\"{sku}\"", &owned.goods.sku.to_string());
    serde_json::from_str(&text).expect("json")
}

async fn call(app: &TestApp, who: &Shopper, method: &str, path: &str, body: &Value) -> Reply {
    app.user_call(&who.openid, method, path, body).await
}

/// What the owner sees of their things, to check nothing changed.
async fn snapshot(app: &TestApp, owned: &Owned) -> Vec<Value> {
    let mut seen = Vec::new();
    for path in [
        format!("/api/mall/orders/{}", owned.paid_order),
        format!("/api/mall/orders/{}", owned.unpaid_order),
        format!("/api/mall/after-sales/{}", owned.after_sale),
        "/api/mall/addresses".to_owned(),
        "/api/mall/cart".to_owned(),
    ] {
        let reply = owned.owner.get(app, &path).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        seen.push(reply.body["data"].clone());
    }
    seen
}

#[tokio::test]
async fn a_shopper_cannot_reach_another_shoppers_orders_after_sales_or_addresses() {
    let app = spawn_app().await;
    let owned = owner_things(&app).await;
    let stranger = shopper(&app, "o-stranger").await;
    let before = snapshot(&app, &owned).await;
    let secrets = [
        owned.paid_order.as_str(),
        owned.unpaid_order.as_str(),
        owned.after_sale.as_str(),
        "o-owner",
    ];

    for case in table() {
        let path = concrete(case.path, &owned, case.method);
        let body = concrete_body(&case.body, &owned);
        let reply = call(&app, &stranger, case.method, &path, &body).await;
        let text = reply.body.to_string();
        match case.expect {
            Expect::NotFound => {
                assert_eq!(reply.status, 404, "{} {path}: {text}", case.method);
            }
            Expect::OwnOnly | Expect::Public => {
                assert!(reply.status < 500, "{} {path}: {text}", case.method);
                for secret in secrets {
                    assert!(
                        !text.contains(secret),
                        "{} {path} showed {secret}: {text}",
                        case.method
                    );
                }
            }
        }
    }
    assert_eq!(
        snapshot(&app, &owned).await,
        before,
        "nothing of the owner's changed"
    );

    // Every shopper route of the document is in the table.
    let document = app.get("/api-json").await.body;
    let mut routes = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/mall") {
            continue;
        }
        for method in item.as_object().expect("methods").keys() {
            routes.insert((method.to_uppercase(), path.clone()));
        }
    }
    let covered: BTreeSet<(String, String)> = table()
        .iter()
        .map(|case| (case.method.to_owned(), case.path.to_owned()))
        .collect();
    assert_eq!(
        routes, covered,
        "every shopper route is in the table, and only those"
    );
    app.stop().await;
}
