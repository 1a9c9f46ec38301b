//! The console's order and notification pages as a browser uses them: the filtered list,
//! one order with its history, callbacks and audit rows, settling an `unknown` top-up,
//! refunding a failed one, asking WeChat again, revealing the number (audited), and the
//! callback log with its retry — each role shown and allowed only what it may.

use elife_sandbox::unitel::{Faults, TopUpFault};
use serde_json::json;

use crate::console_support::Browser;
use crate::helpers::{TestApp, VOICE_NUMBER, callback_body, spawn_app};

/// A paid order whose top-up ends `expected` under `fault`; answers its number.
async fn paid_order(app: &TestApp, openid: &str, fault: TopUpFault, expected: &str) -> String {
    let order = app
        .create_order(openid, VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().expect("number").to_owned();
    app.create_payment(openid, &number).await;
    app.sandbox
        .unitel
        .set_faults(Faults {
            top_up: fault,
            ..Faults::default()
        })
        .expect("faults");
    app.pay(&number, json!({})).await;
    app.wait_for_recharge(openid, &number, expected).await;
    app.sandbox
        .unitel
        .set_faults(Faults::default())
        .expect("faults");
    number
}

/// A form posted by htmx (which answers the fragment it replaces): status and body.
async fn htmx_post(browser: &Browser<'_>, path: &str) -> (u16, String) {
    let cookies = browser
        .cookies
        .lock()
        .expect("cookies")
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ");
    let response = browser
        .app
        .client
        .post(browser.app.url(path))
        .header("cookie", cookies)
        .header("origin", browser.app.address.clone())
        .header("hx-request", "true")
        .form(&[("from", "htmx")])
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// The text of the element carrying `data-field="name"`.
fn field(body: &str, name: &str) -> Option<String> {
    let (_, rest) = body.split_once(&format!("data-field=\"{name}\""))?;
    let (_, rest) = rest.split_once('>')?;
    rest.split('<').next().map(str::to_owned)
}

#[tokio::test]
async fn an_unknown_top_up_is_found_checked_and_settled() {
    let app = spawn_app().await;
    let unknown = paid_order(
        &app,
        "o-c1",
        TopUpFault::ApplyThenDrop { hold_ms: 20 },
        "unknown",
    )
    .await;
    let admin = Browser::logged_in(&app, "admin").await;

    let list = admin.get("/console/orders?recharge=unknown").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains(&format!("data-order=\"{unknown}\"")));
    assert!(list.body.contains("8811****") && !list.body.contains(VOICE_NUMBER));
    let by_phone = admin
        .get(&format!(
            "/console/orders?phone={VOICE_NUMBER}&anomalies=true"
        ))
        .await;
    assert!(by_phone.body.contains(&format!("data-order=\"{unknown}\"")));
    let none = admin.get("/console/orders?recharge=success").await;
    assert!(!none.body.contains("data-order="), "{}", none.body);
    let invalid = admin.get("/console/orders?phone=8811&from=tomorrow").await;
    assert_eq!(invalid.status, 400);
    assert!(invalid.body.contains("class=\"flash error\""));
    assert!(invalid.body.contains("phone number must be 8 digits"));
    assert!(invalid.body.contains("from must be a date YYYY-MM-DD"));

    let path = format!("/console/orders/{unknown}");
    let detail = admin.get(&path).await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert_eq!(
        field(&detail.body, "rechargeStatus").as_deref(),
        Some("unknown")
    );
    assert_eq!(field(&detail.body, "phone").as_deref(), Some("8811****"));
    for part in [
        "id=\"unitel-check\"",
        "form id=\"settle\"",
        "form id=\"refund\"",
        "id=\"reveal\"",
    ] {
        assert!(detail.body.contains(part), "{part} missing");
    }

    let blank = admin
        .post_form(
            &format!("{path}/settle"),
            &[("resolution", "succeeded"), ("reason", "  ")],
        )
        .await;
    assert_eq!(blank.status, 400);
    assert!(
        blank.body.contains("reason should not be empty"),
        "{}",
        blank.body
    );
    let settled = admin
        .post_form(
            &format!("{path}/settle"),
            &[
                ("resolution", "succeeded"),
                ("reason", "Unitel support: credited, ticket 9"),
            ],
        )
        .await;
    assert_eq!(settled.status, 200, "{}", settled.body);
    assert!(settled.body.contains("<div class=\"flash\""));
    assert_eq!(
        field(&settled.body, "rechargeStatus").as_deref(),
        Some("success")
    );
    assert!(
        settled.body.contains("order.resolve"),
        "the audit row is listed"
    );
    assert!(!settled.body.contains("form id=\"settle\""));
    let again = admin
        .post_form(
            &format!("{path}/settle"),
            &[("resolution", "failed"), ("reason", "x")],
        )
        .await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("flash error"));

    // htmx gets the detail alone; the number only after the reveal was audited.
    let (status, revealed) = htmx_post(&admin, &format!("{path}/reveal")).await;
    assert_eq!(status, 200, "{revealed}");
    assert!(revealed.starts_with("<div id=\"order\""), "{revealed}");
    assert_eq!(field(&revealed, "phone").as_deref(), Some(VOICE_NUMBER));
    assert!(revealed.contains("order.reveal_phone"));
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
    let failed = paid_order(
        &app,
        "o-c2",
        TopUpFault::Failed {
            code: "105".to_owned(),
            msg: "Insufficient dealer balance".to_owned(),
        },
        "failed",
    )
    .await;
    let path = format!("/console/orders/{failed}");
    let viewer = Browser::logged_in(&app, "viewer").await;
    let operator = Browser::logged_in(&app, "operator").await;
    let admin = Browser::logged_in(&app, "admin").await;

    let seen = viewer.get(&path).await;
    assert_eq!(seen.status, 200);
    assert!(!seen.body.contains("<form id=") && !seen.body.contains("id=\"reveal\""));
    for action in ["settle", "refund", "sync-payment", "reveal"] {
        let refused = viewer
            .post_form(
                &format!("{path}/{action}"),
                &[("reason", "x"), ("resolution", "failed")],
            )
            .await;
        assert_eq!(refused.status, 403, "{action}: {}", refused.body);
    }
    let operated = operator.get(&path).await;
    assert!(
        operated.body.contains("form id=\"settle\"") && operated.body.contains("form id=\"sync\"")
    );
    assert!(!operated.body.contains("form id=\"refund\""));
    let refused = operator
        .post_form(&format!("{path}/refund"), &[("reason", "x")])
        .await;
    assert_eq!(refused.status, 403);

    let synced = operator
        .post_form(&format!("{path}/sync-payment"), &[])
        .await;
    assert_eq!(synced.status, 200, "{}", synced.body);
    assert!(synced.body.contains("Asked WeChat"), "{}", synced.body);

    let refunded = admin
        .post_form(&format!("{path}/refund"), &[("reason", "top-up failed")])
        .await;
    assert_eq!(refunded.status, 200, "{}", refunded.body);
    assert!(refunded.body.contains("<div class=\"flash\""));
    let refund = field(&refunded.body, "refundStatus").unwrap_or_default();
    assert!(refund == "refunded" || refund == "refunding", "{refund}");
    let twice = admin
        .post_form(&format!("{path}/refund"), &[("reason", "again")])
        .await;
    assert_eq!(twice.status, 409);
}

#[tokio::test]
async fn the_callback_log_is_filtered_counted_and_retried() {
    let app = spawn_app().await;
    let order = app
        .create_order("o-c3", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().expect("number").to_owned();
    app.create_payment("o-c3", &number).await;
    // A claim WeChat does not confirm: logged `unconfirmed`.
    let forged = app
        .callback(
            "/payment/callback",
            &callback_body(&order, "4200000000000000000000000001", 625),
            true,
        )
        .await;
    assert_eq!(forged.status, 200, "{}", forged.body);
    let admin = Browser::logged_in(&app, "admin").await;
    let viewer = Browser::logged_in(&app, "viewer").await;

    let page = admin
        .get(&format!(
            "/console/notifications?order={number}&verdict=unconfirmed"
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("data-outcome=\"unconfirmed\">1<"),
        "{}",
        page.body
    );
    let id = page
        .body
        .split_once("data-notification=\"")
        .and_then(|(_, rest)| rest.split('"').next())
        .expect("a row")
        .to_owned();
    assert!(page.body.contains("form class=\"retry\""));
    assert!(
        !viewer
            .get("/console/notifications")
            .await
            .body
            .contains("form class=\"retry\"")
    );
    let bad = admin.get("/console/notifications?verdict=nope").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("flash error"));

    let refused = viewer
        .post_form(&format!("/console/notifications/{id}/retry"), &[])
        .await;
    assert_eq!(refused.status, 403);
    let retried = admin
        .post_form(
            &format!("/console/notifications/{id}/retry"),
            &[("order", number.as_str()), ("page", "1")],
        )
        .await;
    assert_eq!(retried.status, 200, "{}", retried.body);
    assert!(
        retried.body.contains(&format!("已重试 Retried #{id}")),
        "{}",
        retried.body
    );
    assert!(
        retried
            .body
            .contains(&format!("data-notification=\"{id}\""))
    );
    let missing = admin
        .post_form("/console/notifications/999999/retry", &[])
        .await;
    assert_eq!(missing.status, 404);

    let detail = admin.get(&format!("/console/orders/{number}")).await;
    assert!(
        detail.body.contains("unconfirmed"),
        "the order lists its callbacks"
    );
}
