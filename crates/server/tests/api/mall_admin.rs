//! The mall's back office through HTTP: a category tree and a product written through the
//! admin routes, stocked by audited adjustments (idempotent under a key, never below zero),
//! published, listed, unpublished and archived once it has stock history; viewers read but
//! cannot write; orders and after-sales lists answer with their filters checked.

use serde_json::{Value, json};

use crate::admin_support::{audit_rows, call, token_of};
use crate::helpers::*;
use crate::mall_support;

async fn created(app: &TestApp, path: &str, body: Value) -> Value {
    let reply = app.admin_post(path, &body).await;
    assert_success_envelope(&reply, 201);
    reply.body["data"].clone()
}

fn product_body(category: i64) -> Value {
    json!({
        "categoryId": category,
        "name": "316 不锈钢保温杯",
        "description": "保温 12 小时",
        "images": ["https://img.example.com/cup.jpg"],
        "skus": [
            {"specs": [{"name": "颜色", "value": "红"}], "priceFen": 1990, "originalPriceFen": 2990, "lowStockThreshold": 5},
            {"specs": [{"name": "颜色", "value": "蓝"}], "priceFen": 1990}
        ]
    })
}

#[tokio::test]
async fn the_catalog_is_written_stocked_published_and_archived_through_the_back_office() {
    let app = spawn_app().await;
    let viewer = token_of(&app, "viewer").await;

    // The tree: a root, a child, one disabled; the whole tree is listed.
    let root = created(&app, "/admin/mall/categories", json!({"name": "杯壶"})).await;
    let root_id = root["id"].as_i64().unwrap();
    assert_eq!(root["depth"], 1);
    let child = created(
        &app,
        "/admin/mall/categories",
        json!({"name": "保温杯", "parentId": root_id}),
    )
    .await;
    let child_id = child["id"].as_i64().unwrap();
    let hidden = created(
        &app,
        "/admin/mall/categories",
        json!({"name": "茶具", "enabled": false}),
    )
    .await;
    assert_eq!(hidden["visible"], false);
    let twin = app
        .admin_post(
            "/admin/mall/categories",
            &json!({"name": "保温杯", "parentId": root_id}),
        )
        .await;
    assert_error_envelope(&twin, 409, "/admin/mall/categories");
    let renamed = app
        .admin_put(
            &format!("/admin/mall/categories/{child_id}"),
            &json!({"name": "保温杯 / 焖烧杯"}),
        )
        .await;
    assert_success_envelope(&renamed, 200);
    assert_eq!(renamed.body["data"]["name"], "保温杯 / 焖烧杯");
    let reordered = app
        .admin_post(
            "/admin/mall/categories/reorder",
            &json!({"ids": [hidden["id"], root_id]}),
        )
        .await;
    assert_success_envelope(&reordered, 201);
    let tree = app.admin_get("/admin/mall/categories").await;
    assert_success_envelope(&tree, 200);
    let names: Vec<&str> = tree.body["data"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|category| category["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["茶具", "杯壶", "保温杯 / 焖烧杯"]);
    let moved = created(
        &app,
        &format!("/admin/mall/categories/{}/move", hidden["id"]),
        json!({"parentId": root_id}),
    )
    .await;
    assert_eq!(
        (moved["parentId"].as_i64(), moved["depth"].as_i64()),
        (Some(root_id), Some(2))
    );
    let cycle_path = format!("/admin/mall/categories/{root_id}/move");
    let cycle = app
        .admin_post(&cycle_path, &json!({"parentId": child_id}))
        .await;
    assert_error_envelope(&cycle, 400, &cycle_path);

    // A product: a draft with two SKUs and no stock; every missing field named at once.
    let empty = app.admin_post("/admin/mall/products", &json!({})).await;
    assert_error_envelope(&empty, 400, "/admin/mall/products");
    assert_eq!(
        empty.body["message"],
        "categoryId should not be empty, name should not be empty"
    );
    let product = created(&app, "/admin/mall/products", product_body(child_id)).await;
    let product_id = product["product"]["id"].as_i64().unwrap();
    assert_eq!(product["product"]["status"], "draft");
    let skus = product["skus"].as_array().unwrap();
    assert_eq!(skus.len(), 2);
    assert!(skus.iter().all(|sku| sku["available"] == 0));
    let red = skus[0]["id"].as_i64().unwrap();
    let blue = skus[1]["id"].as_i64().unwrap();

    // Viewers read the back office but write nothing.
    let path = "/admin/mall/products";
    let refused = call(
        &app,
        "POST",
        path,
        Some(&viewer),
        Some(&product_body(child_id)),
    )
    .await;
    assert_error_envelope(&refused, 403, path);
    let stock_path = format!("/admin/mall/skus/{red}/stock");
    let body = json!({"delta": 5, "reason": "count"});
    let refused = call(&app, "POST", &stock_path, Some(&viewer), Some(&body)).await;
    assert_error_envelope(&refused, 403, &stock_path);
    let publish_path = format!("/admin/mall/products/{product_id}/publish");
    let refused = call(&app, "POST", &publish_path, Some(&viewer), Some(&json!({}))).await;
    assert_error_envelope(&refused, 403, &publish_path);
    let read = call(
        &app,
        "GET",
        &format!("/admin/mall/products/{product_id}"),
        Some(&viewer),
        None,
    )
    .await;
    assert_success_envelope(&read, 200);

    // Stock: an audited adjustment, the same key moving nothing twice, never below zero.
    let adjust = json!({"delta": 12, "reason": "goods received", "key": "delivery-118"});
    let first = created(&app, &stock_path, adjust.clone()).await;
    assert_eq!(first["availableAfter"], 12);
    assert_eq!(first["repeated"], false);
    assert_eq!(first["reference"], "adj-delivery-118");
    let again = created(&app, &stock_path, adjust).await;
    assert_eq!(again["repeated"], true);
    assert_eq!(again["availableAfter"], 12);
    let reused = app
        .admin_post(
            &stock_path,
            &json!({"delta": 3, "reason": "goods received", "key": "delivery-118"}),
        )
        .await;
    assert_error_envelope(&reused, 409, &stock_path);
    let too_many = app
        .admin_post(&stock_path, &json!({"delta": -13, "reason": "damaged"}))
        .await;
    assert_error_envelope(&too_many, 409, &stock_path);
    let no_reason = app.admin_post(&stock_path, &json!({"delta": 1})).await;
    assert_error_envelope(&no_reason, 400, &stock_path);
    let unknown = app
        .admin_post(
            "/admin/mall/skus/999999/stock",
            &json!({"delta": 1, "reason": "count"}),
        )
        .await;
    assert_error_envelope(&unknown, 404, "/admin/mall/skus/999999/stock");
    let rows = audit_rows(&app, "action=mall_sku.adjust_stock").await;
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0]["targetId"], red.to_string());
    assert_eq!(rows[0]["reason"], "goods received");
    assert_eq!(rows[0]["after"]["available"], 12);

    // Published: listed with its stock; the blue SKU (none in stock) is low.
    let published = created(&app, &publish_path, json!({})).await;
    assert_eq!(published["product"]["status"], "on_sale");
    let twice = app.admin_post(&publish_path, &json!({})).await;
    assert_error_envelope(&twice, 409, &publish_path);
    let list = app
        .admin_get(&format!("/admin/mall/products?categoryId={root_id}"))
        .await;
    assert_success_envelope(&list, 200);
    let items = list.body["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", list.body);
    assert_eq!(items[0]["skus"][0]["available"], 12);
    assert_eq!(list.body["data"]["pagination"]["total"], 1);
    let low = app.admin_get("/admin/mall/stock/low").await;
    assert_success_envelope(&low, 200);
    let low_skus: Vec<i64> = low.body["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["sku"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(low_skus, [blue]);

    // Removed: refused on sale; archived once off sale, as it has stock history.
    let delete_path = format!("/admin/mall/products/{product_id}");
    let on_sale = call(&app, "DELETE", &delete_path, Some(ADMIN_TOKEN), None).await;
    assert_error_envelope(&on_sale, 409, &delete_path);
    let unpublished = created(
        &app,
        &format!("/admin/mall/products/{product_id}/unpublish"),
        json!({}),
    )
    .await;
    assert_eq!(unpublished["product"]["status"], "off_sale");
    let removed = call(&app, "DELETE", &delete_path, Some(ADMIN_TOKEN), None).await;
    assert_success_envelope(&removed, 200);
    assert_eq!(removed.body["data"]["outcome"], "archived");
    assert_eq!(removed.body["data"]["product"]["status"], "archived");
    let changes = audit_rows(&app, "action=mall_product.change").await;
    let reasons: Vec<&str> = changes
        .iter()
        .map(|row| row["reason"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(reasons, ["archived", "unpublished", "published", "created"]);

    // A draft nothing refers to is deleted outright.
    let draft = created(&app, "/admin/mall/products", product_body(child_id)).await;
    let draft_path = format!("/admin/mall/products/{}", draft["product"]["id"]);
    let deleted = call(&app, "DELETE", &draft_path, Some(ADMIN_TOKEN), None).await;
    assert_eq!(
        deleted.body["data"]["outcome"], "deleted",
        "{}",
        deleted.body
    );
    let gone = app.admin_get(&draft_path).await;
    assert_error_envelope(&gone, 404, &draft_path);
}

#[tokio::test]
async fn orders_and_after_sales_lists_check_their_filters() {
    let app = spawn_app().await;
    let orders = app
        .admin_get("/admin/mall/orders?status=shipped&from=2026-11-01&to=2026-11-30")
        .await;
    assert_success_envelope(&orders, 200);
    assert_eq!(orders.body["data"]["pagination"]["total"], 0);
    let path = "/admin/mall/orders?status=lost&from=yesterday";
    let wrong = app.admin_get(path).await;
    assert_error_envelope(&wrong, 400, path);
    let message = wrong.body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("status") && message.contains("from"),
        "{message}"
    );
    let missing = "/admin/mall/orders/ORD1760754386127zzzzzzzzzzzz";
    assert_error_envelope(&app.admin_get(missing).await, 404, missing);
    let ship = format!("{missing}/ship");
    let no_carrier = app.admin_post(&ship, &json!({"trackingNo": "SF1"})).await;
    assert_error_envelope(&no_carrier, 400, &ship);

    let queue = app
        .admin_get("/admin/mall/after-sales?status=applied")
        .await;
    assert_success_envelope(&queue, 200);
    let path = "/admin/mall/after-sales?status=lost";
    let wrong = app.admin_get(path).await;
    assert_error_envelope(&wrong, 400, path);
    let missing = "/admin/mall/after-sales/ORD1760754386127zzzzzzzzzzzz-1-1";
    assert_error_envelope(&app.admin_get(missing).await, 404, missing);
}

#[tokio::test]
async fn staff_ship_decide_after_sales_and_refund_with_their_permissions() {
    let app = spawn_app().await;
    let operator = token_of(&app, "operator").await;
    let viewer = token_of(&app, "viewer").await;
    let category = mall_support::category(&app, "杯壶").await;
    let goods = mall_support::stocked(&app, category, "保温杯", 1990, 10).await;
    let shopper = mall_support::shopper(&app, "o-mall-admin").await;

    // An unpaid order is cancelled by staff, with a reason; its stock comes back.
    let unpaid = mall_support::order_no(&mall_support::place(&app, &shopper, goods.sku, 2).await);
    let cancel = format!("/admin/mall/orders/{unpaid}/cancel");
    let no_reason = call(&app, "POST", &cancel, Some(&operator), Some(&json!({}))).await;
    assert_error_envelope(&no_reason, 400, &cancel);
    let body = json!({"reason": "asked by phone"});
    // WeChat closes a payment only five minutes after it was opened: nothing changes.
    let early = call(&app, "POST", &cancel, Some(&operator), Some(&body)).await;
    assert_error_envelope(&early, 409, &cancel);
    app.sandbox
        .wechat
        .advance_clock(std::time::Duration::from_secs(5 * 60 + 1));
    let cancelled = call(&app, "POST", &cancel, Some(&operator), Some(&body)).await;
    assert_success_envelope(&cancelled, 201);
    assert_eq!(cancelled.body["data"]["order"]["status"], "cancelled");
    assert_eq!(cancelled.body["data"]["order"]["cancelReason"], "admin");
    let row = &audit_rows(&app, "action=mall_order.cancel").await[0];
    assert_eq!(row["targetId"], unpaid.as_str());
    assert_eq!(row["reason"], "asked by phone");

    // A paid order: listed with the receiver's phone masked; not cancellable.
    let paid = mall_support::order_no(&mall_support::place(&app, &shopper, goods.sku, 1).await);
    mall_support::pay(&app, &shopper, &paid).await;
    let list = app.admin_get("/admin/mall/orders?status=paid").await;
    assert_success_envelope(&list, 200);
    let items = list.body["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", list.body);
    assert_eq!(items[0]["orderNo"], paid.as_str());
    let phone = items[0]["address"]["phone"].as_str().unwrap_or_default();
    assert!(phone.starts_with("138") && phone.contains('*'), "{phone}");
    assert!(!list.body.to_string().contains("13812345678"));
    let cancel = format!("/admin/mall/orders/{paid}/cancel");
    let refused = call(&app, "POST", &cancel, Some(&operator), Some(&body)).await;
    assert_error_envelope(&refused, 409, &cancel);

    // An after-sale holds shipping back until it is decided.
    let pay_fen = items[0]["payFen"].as_i64().unwrap();
    let apply =
        json!({"line": 1, "kind": "refund_only", "reason": "不想要了", "amountFen": pay_fen});
    let applied = shopper
        .post(
            &app,
            &format!("/api/mall/orders/{paid}/after-sales"),
            &apply,
        )
        .await;
    assert_eq!(applied.status, 201, "{}", applied.body);
    let first = applied.body["data"]["id"].as_str().unwrap().to_owned();
    let ship = format!("/admin/mall/orders/{paid}/ship");
    let parcel = json!({"carrierCode": "shunfeng", "trackingNo": "SF1234567890"});
    let held = call(&app, "POST", &ship, Some(&operator), Some(&parcel)).await;
    assert_error_envelope(&held, 409, &ship);
    let queue = app
        .admin_get("/admin/mall/after-sales?status=applied")
        .await;
    assert_eq!(queue.body["data"]["items"][0]["id"], first.as_str());
    let reject = format!("/admin/mall/after-sales/{first}/reject");
    let no_reason = call(&app, "POST", &reject, Some(&operator), Some(&json!({}))).await;
    assert_error_envelope(&no_reason, 400, &reject);
    let rejected = call(
        &app,
        "POST",
        &reject,
        Some(&operator),
        Some(&json!({"reason": "已发货前联系确认"})),
    )
    .await;
    assert_success_envelope(&rejected, 201);
    assert_eq!(rejected.body["data"]["status"], "rejected");

    // Shipped by an operator (a viewer may not), audited.
    let denied = call(&app, "POST", &ship, Some(&viewer), Some(&parcel)).await;
    assert_error_envelope(&denied, 403, &ship);
    let shipped = call(&app, "POST", &ship, Some(&operator), Some(&parcel)).await;
    assert_success_envelope(&shipped, 201);
    let detail = &shipped.body["data"];
    assert_eq!(detail["order"]["status"], "shipped");
    assert_eq!(detail["order"]["shipment"]["trackingNo"], "SF1234567890");
    assert_eq!(detail["afterSales"][0]["status"], "rejected");
    let row = &audit_rows(&app, "action=mall_order.ship").await[0];
    assert_eq!(row["targetId"], paid.as_str());
    assert_eq!(row["actor"]["role"], "operator");

    // A second application, approved by an operator, refunded by an admin only.
    let applied = shopper
        .post(
            &app,
            &format!("/api/mall/orders/{paid}/after-sales"),
            &apply,
        )
        .await;
    assert_eq!(applied.status, 201, "{}", applied.body);
    let second = applied.body["data"]["id"].as_str().unwrap().to_owned();
    let approve = format!("/admin/mall/after-sales/{second}/approve");
    let approved = call(&app, "POST", &approve, Some(&operator), Some(&json!({}))).await;
    assert_success_envelope(&approved, 201);
    assert_eq!(approved.body["data"]["status"], "approved");
    let refund = format!("/admin/mall/after-sales/{second}/refund");
    let denied = call(&app, "POST", &refund, Some(&operator), Some(&json!({}))).await;
    assert_error_envelope(&denied, 403, &refund);
    let refunded = app
        .admin_post(&refund, &json!({"reason": "goodwill"}))
        .await;
    assert_success_envelope(&refunded, 201);
    let status = refunded.body["data"]["status"].as_str().unwrap_or_default();
    assert!(
        ["refunding", "refunded"].contains(&status),
        "{}",
        refunded.body
    );
    let row = &audit_rows(&app, "action=after_sale.refund").await[0];
    assert_eq!(row["targetId"], second.as_str());
    assert_eq!(row["reason"], "goodwill");
    assert_eq!(row["after"]["amountFen"], pay_fen);
    let decisions = audit_rows(&app, "action=after_sale.decide").await;
    assert_eq!(decisions.len(), 2, "{decisions:#?}");
}
