//! The console's back-office pages as a browser uses them: the exchange rate (with its
//! confirmation and its compare-and-set), points (packages, orders, refunds, accounts),
//! admin accounts and the audit log — each role shown and allowed only what it may.

use serde_json::json;

use crate::console_support::{Browser, Page};
use crate::helpers::spawn_app;
use crate::points_support::{Shopper, ten_yuan_package};

/// The value of the hidden `seen` field: the rate the form was drawn with.
fn seen(page: &Page) -> String {
    let (_, rest) = page
        .body
        .split_once("name=\"seen\" value=\"")
        .expect("the rate form");
    rest.split('"').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_large_rate_change_is_confirmed_and_a_change_meanwhile_noticed() {
    let app = spawn_app().await;
    let admin = Browser::logged_in(&app, "super_admin").await;
    let viewer = Browser::logged_in(&app, "viewer").await;
    let rate = "/console/exchange-rate";

    let page = admin.get(rate).await.assert_status(200);
    assert!(page.shows("100 – 2000 MNT / CNY"), "{}", page.body);
    let before = seen(&page);
    let small = [
        ("seen", before.as_str()),
        ("rate", "490"),
        ("reason", "market"),
    ];
    let small = admin.post_form(rate, &small).await.assert_status(200);
    assert!(small.shows("class=\"flash\""), "{}", small.body);

    let large = [("seen", "490"), ("rate", "700")];
    let refused = admin.post_form(rate, &large).await.assert_status(409);
    assert!(refused.shows("变动超过 20%，请确认 The change exceeds 20%, confirm"));
    assert!(refused.shows("name=\"confirm\""), "{}", refused.body);
    let confirmed = [("seen", "490"), ("rate", "700"), ("confirm", "true")];
    let done = admin.post_form(rate, &confirmed).await.assert_status(200);
    assert!(done.shows("<strong>700</strong>"), "{}", done.body);

    // Decided on 490, but 700 is current now: nothing changes, the new rate is shown.
    let stale = [("seen", "490"), ("rate", "710")];
    let stale = admin.post_form(rate, &stale).await.assert_status(409);
    assert!(stale.shows("changed meanwhile (now 700)"), "{}", stale.body);

    let shown = viewer.get(rate).await.assert_status(200);
    assert!(shown.shows("<strong>700</strong>"));
    assert!(!shown.shows("exchange-rate-form"), "a viewer gets no form");
    let change = [("seen", "700"), ("rate", "710")];
    viewer.post_form(rate, &change).await.assert_status(403);

    let audit = viewer
        .get("/console/audit?action=exchange_rate.change")
        .await
        .assert_status(200);
    assert_eq!(
        audit.body.matches("<tr data-audit=").count(),
        2,
        "{}",
        audit.body
    );
    assert!(
        audit.shows("&#34;rate&#34;: &#34;700&#34;"),
        "{}",
        audit.body
    );
    let bad = viewer
        .get("/console/audit?action=nope&from=18/10")
        .await
        .assert_status(400);
    assert!(bad.shows("from must be a date YYYY-MM-DD"), "{}", bad.body);
    app.stop().await;
}

#[tokio::test]
async fn points_packages_refunds_and_adjustments_from_the_console() {
    let app = spawn_app().await;
    let admin = Browser::logged_in(&app, "super_admin").await;
    let viewer = Browser::logged_in(&app, "viewer").await;

    let package = [
        ("name", "50 积分"),
        ("price", "5.5"),
        ("points", "50"),
        ("active", "true"),
    ];
    let packages = "/console/points/packages";
    let created = admin.post_form(packages, &package).await.assert_status(200);
    assert!(
        created.shows("已创建套餐 Package created"),
        "{}",
        created.body
    );
    let price = [("price", "5.555")];
    admin.post_form(packages, &price).await.assert_status(400);

    let package = ten_yuan_package(&app).await;
    let shopper = Shopper::with_headers("o-console-shopper-0001");
    let purchase = shopper.buy(&app, package, "jsapi").await;
    let order_no = purchase["order"]["orderNo"]
        .as_str()
        .expect("order")
        .to_owned();
    app.pay(&order_no, json!({})).await;
    shopper.wait_for_balance(&app, 120).await;

    let points = viewer.get("/console/points").await.assert_status(200);
    assert!(points.shows(&format!("data-points-order=\"{order_no}\"")));
    assert!(
        !points.shows("o-console-shopper-0001"),
        "openids are masked"
    );
    for form in ["package-create", "package-edit", "points-refund"] {
        assert!(!points.shows(form), "a viewer is not offered {form}");
    }
    let refund = format!("/console/points/orders/{order_no}/refund");
    let reason = [("reason", "x")];
    viewer.post_form(&refund, &reason).await.assert_status(403);

    let half = [("amount", "5")];
    let no_reason = admin.post_form(&refund, &half).await.assert_status(400);
    assert!(no_reason.shows("reason should not be empty"));
    let half = [("amount", "5"), ("reason", "asked for half")];
    let refunded = admin.post_form(&refund, &half).await.assert_status(200);
    assert!(
        refunded.shows(&format!("订单 {order_no}")),
        "{}",
        refunded.body
    );
    shopper.wait_for_balance(&app, 60).await;

    let account = format!("/console/points/accounts?order={order_no}");
    let account = viewer.get(&account).await.assert_status(200);
    assert!(account.shows("<strong>60</strong>"), "{}", account.body);
    assert!(account.shows("refund_reversal"));
    assert!(!account.shows("points-adjust"), "a viewer cannot adjust");
    let adjust = format!("/console/points/accounts/adjust?order={order_no}");
    let small = [("delta", "5"), ("reason", "x")];
    viewer.post_form(&adjust, &small).await.assert_status(403);
    let taken = [("delta", "-10"), ("reason", "ticket 12")];
    let adjusted = admin.post_form(&adjust, &taken).await.assert_status(200);
    assert!(adjusted.shows("<strong>50</strong>"), "{}", adjusted.body);
    let too_much = [("delta", "-1000"), ("reason", "x")];
    admin.post_form(&adjust, &too_much).await.assert_status(409);

    let remove = format!("/console/points/packages/{package}/remove");
    let removed = admin.post_form(&remove, &[]).await.assert_status(200);
    assert!(
        removed.shows("deactivated, not deleted"),
        "{}",
        removed.body
    );
    app.stop().await;
}

#[tokio::test]
async fn a_super_admin_manages_accounts_and_others_may_not() {
    let app = spawn_app().await;
    let admin = Browser::logged_in(&app, "super_admin").await;
    let viewer = Browser::logged_in(&app, "viewer").await;
    let password = "a long enough password";

    let carol = [
        ("username", "carol"),
        ("role", "operator"),
        ("password", password),
    ];
    let created = admin
        .post_form("/console/admins", &carol)
        .await
        .assert_status(200);
    assert!(created.shows("data-admin=\"carol\""), "{}", created.body);
    admin
        .post_form("/console/admins", &carol)
        .await
        .assert_status(409);

    let browser = Browser::new(&app);
    let login = [("username", "carol"), ("password", password)];
    browser
        .post_form("/console/login", &login)
        .await
        .assert_status(303);
    browser.get("/console/orders").await.assert_status(200);

    let id = created
        .body
        .split("data-admin=\"carol\">")
        .nth(1)
        .and_then(|row| row.split("<td>").nth(1))
        .and_then(|cell| cell.split('<').next())
        .expect("carol's id")
        .to_owned();
    let account = format!("/console/admins/{id}");
    let promoted = [("role", "admin"), ("display_name", "Carol")];
    let changed = admin
        .post_form(&account, &promoted)
        .await
        .assert_status(200);
    assert!(changed.shows("Carol (admin)"), "{}", changed.body);
    let disable = [("enabled", "false")];
    admin
        .post_form(&format!("{account}/enabled"), &disable)
        .await
        .assert_status(200);
    let ended = browser.get("/console/orders").await;
    assert_eq!(ended.status, 303, "her session ended");

    let password = format!("{account}/password");
    let reset = [("password", "another long password")];
    viewer.post_form(&password, &reset).await.assert_status(403);
    admin.post_form(&password, &reset).await.assert_status(200);
    viewer.get("/console/admins").await.assert_status(403);
    app.stop().await;
}
