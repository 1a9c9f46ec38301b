//! Editing on the shelf: a new price reaches the next quote, and an order placed from a
//! quote seen before the change is refused without reserving anything.

use serde_json::json;

use crate::helpers::*;
use crate::mall_support::*;

#[tokio::test]
async fn a_price_change_refuses_orders_from_older_quotes() {
    let app = spawn_app().await;
    let tea = category(&app, "茶").await;
    let goods = stocked(&app, tea, "普洱", 1990, 10).await;
    let buyer = shopper(&app, "o-edit-buyer").await;
    let items = json!([{ "skuId": goods.sku, "quantity": 1 }]);
    let seen = buyer
        .post(&app, "/api/mall/checkout/quote", &json!({ "items": items }))
        .await;
    assert_eq!(seen.status, 200, "{}", seen.body);

    let detail = app
        .admin_get(&format!("/admin/mall/products/{}", goods.product))
        .await;
    let version = detail.body["data"]["skus"][0]["version"].clone();
    let edit = json!({
        "specs": [{ "name": "规格", "value": "标准" }],
        "priceFen": 2590,
        "version": version,
    });
    let edited = app
        .admin_put(&format!("/admin/mall/skus/{}", goods.sku), &edit)
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    let stale = app
        .admin_put(&format!("/admin/mall/skus/{}", goods.sku), &edit)
        .await;
    assert_eq!(
        stale.status, 409,
        "the version read is gone: {}",
        stale.body
    );

    let refused = buyer
        .post(
            &app,
            "/api/mall/orders",
            &json!({ "items": items, "quoteFingerprint": seen.body["data"]["quoteFingerprint"] }),
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(
        available(&app, goods.product, goods.sku).await,
        10,
        "nothing reserved"
    );
    let fresh = buyer
        .post(&app, "/api/mall/checkout/quote", &json!({ "items": items }))
        .await;
    assert_eq!(fresh.body["data"]["goodsFen"], 2590);
    let placed = place(&app, &buyer, goods.sku, 1).await;
    assert_eq!(placed["order"]["items"][0]["unitPriceFen"], 2590);
    app.stop().await;
}
