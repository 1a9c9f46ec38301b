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

    let page = admin.get("/console/exchange-rate").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("100 – 2000 MNT / CNY"), "{}", page.body);
    let before = seen(&page);
    let small = admin
        .post_form(
            "/console/exchange-rate",
            &[("seen", &before), ("rate", "490"), ("reason", "market")],
        )
        .await;
    assert_eq!(small.status, 200, "{}", small.body);
    assert!(small.body.contains("class=\"flash\""), "{}", small.body);

    let large = [("seen", "490"), ("rate", "700")];
    let refused = admin.post_form("/console/exchange-rate", &large).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("变动超过 20%，请确认 The change exceeds 20%, confirm")
    );
    assert!(
        refused.body.contains("name=\"confirm\""),
        "{}",
        refused.body
    );
    let confirmed = [("seen", "490"), ("rate", "700"), ("confirm", "true")];
    let done = admin.post_form("/console/exchange-rate", &confirmed).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("<strong>700</strong>"), "{}", done.body);

    // Decided on 490, but 700 is current now: nothing changes, the new rate is shown.
    let stale = admin
        .post_form(
            "/console/exchange-rate",
            &[("seen", "490"), ("rate", "710")],
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(
        stale.body.contains("changed meanwhile (now 700)"),
        "{}",
        stale.body
    );

    let shown = viewer.get("/console/exchange-rate").await;
    assert_eq!(shown.status, 200);
    assert!(shown.body.contains("<strong>700</strong>"));
    assert!(
        !shown.body.contains("exchange-rate-form"),
        "a viewer gets no form"
    );
    let refused = viewer
        .post_form(
            "/console/exchange-rate",
            &[("seen", "700"), ("rate", "710")],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);

    let audit = viewer
        .get("/console/audit?action=exchange_rate.change")
        .await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    assert_eq!(
        audit.body.matches("<tr data-audit=").count(),
        2,
        "{}",
        audit.body
    );
    assert!(
        audit.body.contains("&#34;rate&#34;: &#34;700&#34;"),
        "{}",
        audit.body
    );
    let bad = viewer.get("/console/audit?action=nope&from=18/10").await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("from must be a date YYYY-MM-DD"),
        "{}",
        bad.body
    );
    app.stop().await;
}

#[tokio::test]
async fn points_packages_refunds_and_adjustments_from_the_console() {
    let app = spawn_app().await;
    let admin = Browser::logged_in(&app, "super_admin").await;
    let viewer = Browser::logged_in(&app, "viewer").await;

    let created = admin
        .post_form(
            "/console/points/packages",
            &[
                ("name", "50 积分"),
                ("price", "5.5"),
                ("points", "50"),
                ("active", "true"),
            ],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert!(
        created.body.contains("已创建套餐 Package created"),
        "{}",
        created.body
    );
    let invalid = admin
        .post_form("/console/points/packages", &[("price", "5.555")])
        .await;
    assert_eq!(invalid.status, 400, "{}", invalid.body);

    let package = ten_yuan_package(&app).await;
    let shopper = Shopper::with_headers("o-console-shopper-0001");
    let purchase = shopper.buy(&app, package, "jsapi").await;
    let order_no = purchase["order"]["orderNo"]
        .as_str()
        .expect("order")
        .to_owned();
    app.pay(&order_no, json!({})).await;
    shopper.wait_for_balance(&app, 120).await;

    let points = viewer.get("/console/points").await;
    assert_eq!(points.status, 200, "{}", points.body);
    assert!(
        points
            .body
            .contains(&format!("data-points-order=\"{order_no}\""))
    );
    assert!(
        !points.body.contains("o-console-shopper-0001"),
        "openids are masked"
    );
    for form in ["package-create", "package-edit", "points-refund"] {
        assert!(
            !points.body.contains(form),
            "a viewer is not offered {form}"
        );
    }
    let refund_path = format!("/console/points/orders/{order_no}/refund");
    let refused = viewer.post_form(&refund_path, &[("reason", "x")]).await;
    assert_eq!(refused.status, 403);

    let no_reason = admin.post_form(&refund_path, &[("amount", "5")]).await;
    assert_eq!(no_reason.status, 400);
    assert!(no_reason.body.contains("reason should not be empty"));
    let refunded = admin
        .post_form(
            &refund_path,
            &[("amount", "5"), ("reason", "asked for half")],
        )
        .await;
    assert_eq!(refunded.status, 200, "{}", refunded.body);
    assert!(
        refunded.body.contains(&format!("订单 {order_no}")),
        "{}",
        refunded.body
    );
    shopper.wait_for_balance(&app, 60).await;

    let account_path = format!("/console/points/accounts?order={order_no}");
    let account = viewer.get(&account_path).await;
    assert_eq!(account.status, 200, "{}", account.body);
    assert!(
        account.body.contains("<strong>60</strong>"),
        "{}",
        account.body
    );
    assert!(account.body.contains("refund_reversal"));
    assert!(
        !account.body.contains("points-adjust"),
        "a viewer cannot adjust"
    );
    let adjust_path = format!("/console/points/accounts/adjust?order={order_no}");
    let refused = viewer
        .post_form(&adjust_path, &[("delta", "5"), ("reason", "x")])
        .await;
    assert_eq!(refused.status, 403);
    let adjusted = admin
        .post_form(&adjust_path, &[("delta", "-10"), ("reason", "ticket 12")])
        .await;
    assert_eq!(adjusted.status, 200, "{}", adjusted.body);
    assert!(
        adjusted.body.contains("<strong>50</strong>"),
        "{}",
        adjusted.body
    );
    let too_much = admin
        .post_form(&adjust_path, &[("delta", "-1000"), ("reason", "x")])
        .await;
    assert_eq!(too_much.status, 409, "{}", too_much.body);

    let removed = admin
        .post_form(&format!("/console/points/packages/{package}/remove"), &[])
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert!(
        removed.body.contains("deactivated, not deleted"),
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

    let created = admin
        .post_form(
            "/console/admins",
            &[
                ("username", "carol"),
                ("role", "operator"),
                ("password", password),
            ],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert!(
        created.body.contains("data-admin=\"carol\""),
        "{}",
        created.body
    );
    let taken = admin
        .post_form(
            "/console/admins",
            &[
                ("username", "carol"),
                ("role", "operator"),
                ("password", password),
            ],
        )
        .await;
    assert_eq!(taken.status, 409, "{}", taken.body);

    let carol = Browser::new(&app);
    let login = [("username", "carol"), ("password", password)];
    assert_eq!(carol.post_form("/console/login", &login).await.status, 303);
    assert_eq!(carol.get("/console/orders").await.status, 200);

    let id = created
        .body
        .split("data-admin=\"carol\">")
        .nth(1)
        .and_then(|row| row.split("<td>").nth(1))
        .and_then(|cell| cell.split('<').next())
        .expect("carol's id")
        .to_owned();
    let changed = admin
        .post_form(
            &format!("/console/admins/{id}"),
            &[("role", "admin"), ("display_name", "Carol")],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert!(changed.body.contains("Carol (admin)"), "{}", changed.body);
    let disabled = admin
        .post_form(
            &format!("/console/admins/{id}/enabled"),
            &[("enabled", "false")],
        )
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    assert_eq!(
        carol.get("/console/orders").await.status,
        303,
        "her session ended"
    );

    let reset = [("password", "another long password")];
    let refused = viewer
        .post_form(&format!("/console/admins/{id}/password"), &reset)
        .await;
    assert_eq!(refused.status, 403);
    let done = admin
        .post_form(&format!("/console/admins/{id}/password"), &reset)
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(viewer.get("/console/admins").await.status, 403);
    app.stop().await;
}
