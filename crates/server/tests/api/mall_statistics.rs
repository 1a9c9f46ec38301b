//! The mall's figures through HTTP: two orders placed, one paid (its units deducted by the
//! trade relay), two shoppers viewing the product; the back office reads each figure, and a
//! bad period is refused.

use serde_json::Value;

use crate::helpers::*;
use crate::mall_support::{category, order_no, pay, place, shopper, stocked};

#[tokio::test]
async fn the_back_office_reads_orders_money_units_and_conversion() {
    let app = spawn_app().await;
    let tea = category(&app, "茶叶").await;
    let goods = stocked(&app, tea, "龙井 250g", 1_200, 10).await;
    let paying = shopper(&app, "o-statistics-paying-01").await;
    let waiting = shopper(&app, "o-statistics-waiting-2").await;
    let browsing = shopper(&app, "o-statistics-browsing3").await;
    for viewer in [&paying, &browsing] {
        let reply = viewer
            .get(&app, &format!("/api/mall/products/{}", goods.product))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }

    let first = place(&app, &paying, goods.sku, 2).await;
    let paid_fen = first["order"]["payFen"].as_i64().expect("payFen");
    place(&app, &waiting, goods.sku, 1).await;
    pay(&app, &paying, &order_no(&first)).await;

    let reply = app.admin_get("/admin/mall/statistics?top=5").await;
    assert_success_envelope(&reply, 200);
    let figures: &Value = &reply.body["data"];
    assert_eq!(figures["ordersPlaced"], 2, "{figures}");
    assert_eq!(figures["ordersPaid"], 1, "{figures}");
    assert_eq!(figures["paid"]["fen"], paid_fen, "{figures}");
    assert_eq!(figures["refunds"], 0);
    assert_eq!(figures["unitsSold"], 2, "{figures}");
    assert_eq!(figures["topProducts"][0]["productId"], goods.product);
    assert_eq!(figures["topProducts"][0]["name"], "龙井 250g");
    assert_eq!(figures["topProducts"][0]["unitsSold"], 2);
    assert_eq!(figures["topSkus"][0]["skuId"], goods.sku);
    assert_eq!(figures["conversion"]["buyers"], 1);
    assert_eq!(figures["conversion"]["viewers"], 2);
    assert_eq!(figures["conversion"]["basisPoints"], 5_000);
    let days = figures["days"].as_array().expect("days");
    assert_eq!(days.len(), 30);
    let today = days.last().expect("today");
    assert_eq!(today["day"], figures["to"]);
    assert_eq!(today["ordersPlaced"], 2);
    assert_eq!(today["ordersPaid"], 1);
    assert_eq!(today["paid"]["fen"], paid_fen);

    for bad in [
        "/admin/mall/statistics?from=2026-13-01",
        "/admin/mall/statistics?from=2026-03-02&to=2026-03-01",
        "/admin/mall/statistics?from=2025-01-01&to=2025-12-31",
        "/admin/mall/statistics?top=0",
    ] {
        let reply = app.admin_get(bad).await;
        assert_error_envelope(&reply, 400, bad);
    }
}
