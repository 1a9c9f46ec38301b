//! Points packages end to end on both payment channels, against the simulators: an admin
//! creates a package, a shopper buys it, pays in the simulator, gets the points and the
//! bonus exactly once (whatever the repeated notifications), cancels a second order unpaid
//! (closed at WeChat too), spends part of the points, and an admin refunds part of the
//! first order: points are taken back in proportion, and a refund that would take more than
//! the balance is refused without moving money.

use elife_domain::order::OpenId;
use elife_domain::points::Reference;
use elife_sandbox::wechat::SimTradeState;
use elife_sandbox::wechat_pay_v3::{V3Ledger, V3TradeState};
use serde_json::{Value, json};

use crate::admin_support::only_audit_row;
use crate::helpers::*;
use crate::points_support::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    Cloud,
    V3,
}

/// Pays `order_no` in the simulator, waits for the credit, then has WeChat repeat the
/// notification (concurrent copies, a replay, a fresh notice of the same payment).
async fn pay_and_repeat(app: &TestApp, channel: Channel, shopper: &Shopper, order_no: &str) {
    match channel {
        Channel::Cloud => {
            let paid = app.pay(order_no, json!({"copies": 3})).await;
            let transaction = paid["transaction_id"].as_str().expect("transaction id");
            assert!(
                app.sandbox
                    .wechat
                    .wait_for_acknowledged(order_no, 3, WAIT)
                    .await,
                "{:#?}",
                app.sandbox.wechat.ledger().callbacks
            );
            shopper.wait_for_balance(app, 120).await;
            let body = callback_body(&json!({ "orderNumber": order_no }), transaction, 1000);
            let replays = (0..4).map(|_| app.callback("/payment/callback", &body, true));
            for reply in futures::future::join_all(replays).await {
                assert_eq!(reply.status, 200, "{}", reply.body);
                assert_eq!(reply.body["errcode"], 0, "{}", reply.body);
            }
        }
        Channel::V3 => {
            let simulator = app.sandbox.wechat_pay_v3.as_ref().expect("v3 simulator");
            let paid = app.pay(order_no, json!({})).await;
            let first = paid["notification_id"].as_str().expect("notification id");
            let again = simulator.notify_payment(order_no, None).await.unwrap();
            let again = again["notification_id"].as_str().expect("notification id");
            for id in [first, again] {
                let acknowledged = simulator
                    .wait_for(WAIT, |ledger: &V3Ledger| {
                        ledger.notification(id).is_some_and(|n| n.acknowledged)
                    })
                    .await;
                assert!(acknowledged, "{:#?}", simulator.ledger().notification(id));
            }
            shopper.wait_for_balance(app, 120).await;
            let replayed = simulator.replay(first).await.unwrap();
            assert_eq!(replayed["attempt"]["http_status"], 204, "{replayed}");
        }
    }
    app.settle().await;
}

/// What WeChat's simulator says of the order: closed, and the refunds it holds (fen).
fn at_wechat(app: &TestApp, channel: Channel, order_no: &str) -> (bool, Vec<i64>) {
    match channel {
        Channel::Cloud => {
            let ledger = app.sandbox.wechat.ledger();
            let order = ledger
                .orders
                .iter()
                .find(|order| order.out_trade_no == order_no)
                .expect("known to WeChat");
            let refunds = ledger
                .refunds
                .iter()
                .filter(|refund| refund.out_trade_no == order_no)
                .map(|refund| refund.refund_fee)
                .collect();
            (order.state == SimTradeState::Closed, refunds)
        }
        Channel::V3 => {
            let ledger = app.sandbox.wechat_pay_v3.as_ref().unwrap().ledger();
            let order = ledger.order(order_no).expect("known to WeChat");
            let refunds = ledger
                .refunds
                .iter()
                .filter(|refund| refund.out_trade_no == order_no)
                .map(|refund| refund.refund)
                .collect();
            (order.state == V3TradeState::Closed, refunds)
        }
    }
}

fn kinds(entries: &[Value]) -> Vec<(String, i64)> {
    entries
        .iter()
        .map(|entry| {
            (
                entry["kind"].as_str().unwrap_or_default().to_owned(),
                entry["delta"].as_i64().unwrap_or_default(),
            )
        })
        .collect()
}

/// The whole story on one channel, paying with `method`.
async fn buy_pay_cancel_spend_refund(
    app: &TestApp,
    channel: Channel,
    shopper: &Shopper,
    method: &str,
) {
    // An admin puts a package on sale (and keeps one off sale).
    let package_id = ten_yuan_package(app).await;
    create_package(
        app,
        json!({"name": "off sale", "amountFen": 100, "points": 1, "active": false}),
    )
    .await;
    let on_sale = app.get("/api/payment/packages").await;
    assert_success_envelope(&on_sale, 200);
    let listed = on_sale.body["data"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], package_id);
    assert_eq!(listed[0]["amountFen"], 1000);
    assert_eq!(listed[0]["amountYuan"], "10");
    assert_eq!(listed[0]["totalPoints"], 120);
    let one = app
        .get(&format!("/api/payment/packages/{package_id}"))
        .await;
    assert_success_envelope(&one, 200);
    assert_eq!(one.body["data"]["bonusPoints"], 20);

    // The shopper buys it and gets what the client needs to pay.
    let purchase = shopper.buy(app, package_id, method).await;
    let order_no = purchase["order"]["orderNo"].as_str().unwrap().to_owned();
    assert_eq!(purchase["order"]["status"], "pending", "{purchase}");
    assert_eq!(purchase["order"]["amountFen"], 1000);
    assert_eq!(purchase["order"]["totalPoints"], 120);
    assert_eq!(purchase["channel"], method);
    match method {
        "jsapi" => {
            let package = purchase["payment"]["package"].as_str().unwrap_or_default();
            assert!(package.starts_with("prepay_id="), "{purchase}");
            assert!(purchase["payment"]["paySign"].is_string(), "{purchase}");
        }
        _ => {
            let code_url = purchase["payment"]["codeUrl"].as_str().unwrap_or_default();
            assert!(code_url.starts_with("weixin://"), "{purchase}");
        }
    }
    assert_eq!(shopper.balance(app).await, 0);

    // Paid: points and bonus credited once, whatever WeChat repeats.
    pay_and_repeat(app, channel, shopper, &order_no).await;
    assert_eq!(shopper.balance(app).await, 120);
    let credited = kinds(&shopper.ledger(app).await);
    assert_eq!(credited.len(), 2, "{credited:?}");
    assert!(credited.contains(&("package_purchase".to_owned(), 100)));
    assert!(credited.contains(&("bonus".to_owned(), 20)));
    let order = shopper.order(app, &order_no).await;
    assert_eq!(order["status"], "paid", "{order}");
    assert!(order["transactionId"].is_string(), "{order}");
    // Nobody else sees it.
    let stranger = app
        .user_get("o-stranger", &format!("/api/payment/orders/{order_no}"))
        .await;
    assert_error_envelope(&stranger, 404, &format!("/api/payment/orders/{order_no}"));

    // A second order, cancelled unpaid: closed here and at WeChat.
    let second = shopper.buy(app, package_id, method).await;
    let second_no = second["order"]["orderNo"].as_str().unwrap().to_owned();
    let cancel_path = format!("/api/payment/orders/{second_no}/cancel");
    let by_stranger = app.user_post("o-stranger", &cancel_path, &json!({})).await;
    assert_error_envelope(&by_stranger, 404, &cancel_path);
    if channel == Channel::Cloud {
        // Cloud Hosting's WeChat Pay will not close an order in its first five minutes: a
        // conflict naming WeChat's reason, and the order stays payable.
        let early = shopper.post(app, &cancel_path, &json!({})).await;
        assert_error_envelope(&early, 409, &cancel_path);
        let message = early.body["message"].as_str().unwrap_or_default();
        assert!(message.contains("5分钟"), "{message}");
        assert_eq!(shopper.order(app, &second_no).await["status"], "pending");
        app.sandbox
            .wechat
            .advance_clock(std::time::Duration::from_secs(5 * 60 + 1));
    }
    let cancelled = shopper.post(app, &cancel_path, &json!({})).await;
    assert_success_envelope(&cancelled, 201);
    assert_eq!(cancelled.body["data"]["status"], "closed");
    let detail = admin_points_order(app, &second_no).await;
    assert_eq!(detail["payment"]["status"], "closed", "{detail}");
    assert!(at_wechat(app, channel, &second_no).0, "closed at WeChat");
    let again = shopper.post(app, &cancel_path, &json!({})).await;
    assert_error_envelope(&again, 409, &cancel_path);
    let paid_one = shopper
        .post(
            app,
            &format!("/api/payment/orders/{order_no}/cancel"),
            &json!({}),
        )
        .await;
    assert_eq!(paid_one.status, 409, "{}", paid_one.body);

    // The shopper's list, filtered.
    for (filter, expected) in [("", 2), ("?status=paid", 1), ("?status=closed", 1)] {
        let mine = shopper
            .get(app, &format!("/api/payment/orders{filter}"))
            .await;
        assert_success_envelope(&mine, 200);
        assert_eq!(
            mine.body["data"]["pagination"]["total"], expected,
            "{filter}"
        );
    }
    let bad = shopper.get(app, "/api/payment/orders?status=lost").await;
    assert_error_envelope(&bad, 400, "/api/payment/orders?status=lost");

    // The shopper spends 50 points at the mall (the use case the mall will call); the same
    // mall order spending again changes nothing.
    let user = OpenId::parse(&shopper.openid).unwrap();
    for _ in 0..2 {
        app.payments
            .points
            .service
            .spend(
                &user,
                Reference::new("mall_order", "M1"),
                50,
                "mall order M1",
            )
            .await
            .expect("spent");
    }
    assert_eq!(shopper.balance(app).await, 70);

    // Refund half the money: half the points (60) go back with it.
    let refund_path = format!("/admin/points/orders/{order_no}/refund");
    let no_reason = app
        .admin_post(&refund_path, &json!({"amountFen": 500}))
        .await;
    assert_error_envelope(&no_reason, 400, &refund_path);
    let half = app
        .admin_post(
            &refund_path,
            &json!({"amountFen": 500, "reason": "half of it back"}),
        )
        .await;
    assert_success_envelope(&half, 201);
    let outcome = half.body["data"]["outcome"].as_str().unwrap_or_default();
    assert!(
        outcome == "refunded" || outcome == "in_progress",
        "{}",
        half.body
    );
    assert_eq!(shopper.balance(app).await, 10);
    let refunded = wait_for_order(app, &order_no, |detail| {
        detail["order"]["status"] == "partly_refunded" && detail["payment"]["status"] == "paid"
    })
    .await;
    assert_eq!(refunded["order"]["refundedFen"], 500, "{refunded}");
    assert_eq!(refunded["payment"]["refundedFen"], 500, "{refunded}");
    assert_eq!(at_wechat(app, channel, &order_no).1, vec![500]);

    // The other half would take 60 more points; the shopper has 10: refused, no money moves.
    let refused = app
        .admin_post(&refund_path, &json!({"reason": "the rest"}))
        .await;
    assert_error_envelope(&refused, 409, &refund_path);
    let message = refused.body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("10 points") && message.contains("60"),
        "{message}"
    );
    app.settle().await;
    assert_eq!(shopper.balance(app).await, 10);
    assert_eq!(at_wechat(app, channel, &order_no).1, vec![500]);
    let unchanged = admin_points_order(app, &order_no).await;
    assert_eq!(unchanged["payment"]["refundedFen"], 500, "{unchanged}");
    assert_eq!(unchanged["payment"]["refundingFen"], 0, "{unchanged}");
    assert_eq!(unchanged["order"]["status"], "partly_refunded");

    // The ledger tells the story; the refund was audited once.
    let history = kinds(&shopper.ledger(app).await);
    assert_eq!(
        history[..2],
        [
            ("refund_reversal".to_owned(), -60),
            ("spend".to_owned(), -50)
        ],
        "{history:?}"
    );
    assert_eq!(history.len(), 4, "{history:?}");
    let audit = only_audit_row(app, "action=points_order.refund").await;
    assert_eq!(audit["targetId"], order_no.as_str());
    assert_eq!(audit["reason"], "half of it back");
    let account = app
        .admin_get(&format!("/admin/points/accounts/{}", shopper.openid))
        .await;
    assert_success_envelope(&account, 200);
    assert_eq!(account.body["data"]["account"]["balance"], 10);
    assert_eq!(account.body["data"]["ledger"]["pagination"]["total"], 4);

    // The day's figures: one package sold, its points issued, spent and taken back.
    let figures = app.admin_get("/admin/points/statistics").await;
    assert_success_envelope(&figures, 200);
    let days = figures.body["data"]["days"].as_array().unwrap();
    let sum = |field: &str| -> i64 { days.iter().filter_map(|day| day[field].as_i64()).sum() };
    assert_eq!(sum("packagesSold"), 1, "{days:?}");
    assert_eq!(sum("revenueFen"), 1000, "{days:?}");
    assert_eq!(sum("pointsIssued"), 120, "{days:?}");
    assert_eq!(sum("pointsSpent"), 50, "{days:?}");
    assert_eq!(sum("pointsReversed"), 60, "{days:?}");

    // The nightly check runs with the daily report and finds every balance right.
    app.run_job(elife_server::jobs::Job::DailyReport).await;
}

#[tokio::test]
async fn points_are_bought_credited_once_cancelled_and_refunded_on_the_cloud_channel() {
    let app = spawn_app().await;
    let shopper = Shopper::with_headers("o-points-cloud");
    buy_pay_cancel_spend_refund(&app, Channel::Cloud, &shopper, "jsapi").await;
}

#[tokio::test]
async fn points_are_bought_credited_once_cancelled_and_refunded_on_the_v3_channel() {
    let app = spawn_app_with(&[("PAY_CHANNEL", "v3")]).await;
    let shopper = Shopper::logged_in(&app, "o-points-v3").await;
    buy_pay_cancel_spend_refund(&app, Channel::V3, &shopper, "jsapi").await;
}

#[tokio::test]
async fn points_are_bought_with_a_native_qr_code_on_the_v3_channel() {
    let app = spawn_app_with(&[("PAY_CHANNEL", "v3")]).await;
    let shopper = Shopper::with_headers("o-points-native");
    buy_pay_cancel_spend_refund(&app, Channel::V3, &shopper, "native").await;
}

#[tokio::test]
async fn a_native_points_order_on_the_cloud_channel_is_refused_before_anything_is_written() {
    let app = spawn_app().await;
    let package_id = ten_yuan_package(&app).await;
    let reply = app
        .user_post(
            "o-native-cloud",
            "/api/payment/orders",
            &json!({"packageId": package_id, "channel": "native"}),
        )
        .await;
    assert_error_envelope(&reply, 400, "/api/payment/orders");
    let message = reply.body["message"].as_str().unwrap_or_default();
    assert!(message.contains("API v3"), "{message}");
    let mine = app.user_get("o-native-cloud", "/api/payment/orders").await;
    assert_eq!(mine.body["data"]["pagination"]["total"], 0, "{}", mine.body);
    assert_eq!(
        Shopper::with_headers("o-native-cloud").balance(&app).await,
        0
    );
}
