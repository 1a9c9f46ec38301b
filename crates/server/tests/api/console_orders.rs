//! The console's order and notification pages as a browser uses them: the filtered list,
//! one order with its history, callbacks and audit rows, settling an `unknown` top-up,
//! refunding a failed one, asking WeChat again, revealing the number (audited), and the
//! callback log with its retry — each role shown and allowed only what it may.

use crate::console_support::{Browser, failed_order, unknown_order, unpaid_order};
use crate::helpers::{VOICE_NUMBER, callback_body, spawn_app};

#[tokio::test]
async fn an_unknown_top_up_is_found_checked_and_settled() {
    let app = spawn_app().await;
    let unknown = unknown_order(&app, "o-c1").await;
    let admin = Browser::logged_in(&app, "admin").await;
    let row = format!("data-order=\"{unknown}\"");

    let list = admin
        .get("/console/orders?recharge=unknown")
        .await
        .assert_status(200);
    assert!(list.shows(&row));
    assert!(list.shows("8811****") && !list.shows(VOICE_NUMBER));
    let by_phone = admin
        .get(&format!(
            "/console/orders?phone={VOICE_NUMBER}&anomalies=true"
        ))
        .await;
    assert!(by_phone.shows(&row));
    let none = admin.get("/console/orders?recharge=success").await;
    assert!(!none.shows("data-order="), "{}", none.body);
    let invalid = admin
        .get("/console/orders?phone=8811&from=tomorrow")
        .await
        .assert_status(400);
    for part in [
        "class=\"flash error\"",
        "phone number must be 8 digits",
        "from must be a date YYYY-MM-DD",
    ] {
        assert!(invalid.shows(part), "{part} missing");
    }

    let path = format!("/console/orders/{unknown}");
    let detail = admin.get(&path).await.assert_status(200);
    assert_eq!(detail.field("rechargeStatus").as_deref(), Some("unknown"));
    assert_eq!(detail.field("phone").as_deref(), Some("8811****"));
    for part in [
        "id=\"unitel-check\"",
        "form id=\"settle\"",
        "form id=\"refund\"",
        "id=\"reveal\"",
    ] {
        assert!(detail.shows(part), "{part} missing");
    }

    let settle = format!("{path}/settle");
    let blank = [("resolution", "succeeded"), ("reason", "  ")];
    let blank = admin.post_form(&settle, &blank).await.assert_status(400);
    assert!(blank.shows("reason should not be empty"), "{}", blank.body);
    let credited = [
        ("resolution", "succeeded"),
        ("reason", "Unitel support: credited, ticket 9"),
    ];
    let settled = admin.post_form(&settle, &credited).await.assert_status(200);
    assert!(settled.shows("<div class=\"flash\""));
    assert_eq!(settled.field("rechargeStatus").as_deref(), Some("success"));
    assert!(settled.shows("order.resolve"), "the audit row is listed");
    assert!(!settled.shows("form id=\"settle\""));
    let again = [("resolution", "failed"), ("reason", "x")];
    let again = admin.post_form(&settle, &again).await.assert_status(409);
    assert!(again.shows("flash error"));

    // htmx gets the detail alone; the number only after the reveal was audited.
    let revealed = admin
        .htmx_post(&format!("{path}/reveal"), &[("from", "htmx")])
        .await
        .assert_status(200);
    assert!(
        revealed.body.starts_with("<div id=\"order\""),
        "{}",
        revealed.body
    );
    assert_eq!(revealed.field("phone").as_deref(), Some(VOICE_NUMBER));
    assert!(revealed.shows("order.reveal_phone"));
    let audit = app
        .admin_get(&format!("/admin/audit?targetId={unknown}"))
        .await;
    let actions: Vec<_> = audit.body["data"]["data"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row["action"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(actions, ["order.reveal_phone", "order.resolve"]);
}

#[tokio::test]
async fn a_failed_top_up_is_refunded_and_roles_see_only_their_actions() {
    let app = spawn_app().await;
    let failed = failed_order(&app, "o-c2").await;
    let path = format!("/console/orders/{failed}");
    let viewer = Browser::logged_in(&app, "viewer").await;
    let operator = Browser::logged_in(&app, "operator").await;
    let admin = Browser::logged_in(&app, "admin").await;

    let seen = viewer.get(&path).await.assert_status(200);
    assert!(!seen.shows("<form id=") && !seen.shows("id=\"reveal\""));
    let anything = [("reason", "x"), ("resolution", "failed")];
    for action in ["settle", "refund", "sync-payment", "reveal"] {
        let refused = viewer
            .post_form(&format!("{path}/{action}"), &anything)
            .await;
        assert_eq!(refused.status, 403, "{action}: {}", refused.body);
    }
    let operated = operator.get(&path).await;
    assert!(operated.shows("form id=\"settle\"") && operated.shows("form id=\"sync\""));
    assert!(!operated.shows("form id=\"refund\""));
    let refund = format!("{path}/refund");
    operator
        .post_form(&refund, &[("reason", "x")])
        .await
        .assert_status(403);

    let synced = operator
        .post_form(&format!("{path}/sync-payment"), &[])
        .await
        .assert_status(200);
    assert!(synced.shows("Asked WeChat"), "{}", synced.body);

    let refunded = admin
        .post_form(&refund, &[("reason", "top-up failed")])
        .await
        .assert_status(200);
    assert!(refunded.shows("<div class=\"flash\""));
    let status = refunded.field("refundStatus").unwrap_or_default();
    assert!(status == "refunded" || status == "refunding", "{status}");
    admin
        .post_form(&refund, &[("reason", "again")])
        .await
        .assert_status(409);
}

#[tokio::test]
async fn the_callback_log_is_filtered_counted_and_retried() {
    let app = spawn_app().await;
    let (order, number) = unpaid_order(&app, "o-c3").await;
    // A claim WeChat does not confirm: logged `unconfirmed`.
    let claim = callback_body(&order, "4200000000000000000000000001", 625);
    let forged = app.callback("/payment/callback", &claim, true).await;
    assert_eq!(forged.status, 200, "{}", forged.body);
    let admin = Browser::logged_in(&app, "admin").await;
    let viewer = Browser::logged_in(&app, "viewer").await;

    let page = admin
        .get(&format!(
            "/console/notifications?order={number}&verdict=unconfirmed"
        ))
        .await
        .assert_status(200);
    assert!(
        page.shows("data-outcome=\"unconfirmed\">1<"),
        "{}",
        page.body
    );
    let id = page
        .body
        .split_once("data-notification=\"")
        .and_then(|(_, rest)| rest.split('"').next())
        .expect("a row")
        .to_owned();
    assert!(page.shows("form class=\"retry\""));
    let unoffered = viewer.get("/console/notifications").await;
    assert!(!unoffered.shows("form class=\"retry\""));
    let bad = admin
        .get("/console/notifications?verdict=nope")
        .await
        .assert_status(400);
    assert!(bad.shows("flash error"));

    let retry = format!("/console/notifications/{id}/retry");
    viewer.post_form(&retry, &[]).await.assert_status(403);
    let filters = [("order", number.as_str()), ("page", "1")];
    let retried = admin.post_form(&retry, &filters).await.assert_status(200);
    assert!(
        retried.shows(&format!("已重试 Retried #{id}")),
        "{}",
        retried.body
    );
    assert!(retried.shows(&format!("data-notification=\"{id}\"")));
    admin
        .post_form("/console/notifications/999999/retry", &[])
        .await
        .assert_status(404);

    let detail = admin.get(&format!("/console/orders/{number}")).await;
    assert!(detail.shows("unconfirmed"), "the order lists its callbacks");
}
