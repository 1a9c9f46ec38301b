//! Each audited admin action leaves exactly one audit row with the right actor, before and
//! after; the exchange-rate rules; the masked and revealed phone number.

use elife_sandbox::unitel::{Faults, TopUpFault};
use serde_json::json;

use crate::admin_support::*;
use crate::helpers::*;

/// A paid order whose top-up ended `status` (`unknown` or `failed`); answers its number.
async fn order_with_top_up(app: &TestApp, openid: &str, fault: TopUpFault, status: &str) -> String {
    let order = app
        .create_order(openid, VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    app.create_payment(openid, &number).await;
    app.sandbox
        .unitel
        .set_faults(Faults {
            top_up: fault,
            ..Faults::default()
        })
        .unwrap();
    app.pay(&number, json!({})).await;
    app.wait_for_recharge(openid, &number, status).await;
    number
}

#[tokio::test]
async fn a_resolution_is_audited_once_with_its_actor_and_states() {
    let app = spawn_app().await;
    let number = order_with_top_up(
        &app,
        "o-res",
        TopUpFault::ApplyThenDrop { hold_ms: 20 },
        "unknown",
    )
    .await;
    let operator = token_of(&app, "operator").await;
    let path = format!("/admin/orders/{number}/resolve");
    let resolved = call(
        &app,
        "POST",
        &path,
        Some(&operator),
        Some(&json!({"resolution": "succeeded", "reason": "Unitel ledger shows it"})),
    )
    .await;
    assert_success_envelope(&resolved, 201);
    // A refused second attempt changes nothing and records nothing.
    let again = call(
        &app,
        "POST",
        &path,
        Some(&operator),
        Some(&json!({"resolution": "failed", "reason": "second thoughts"})),
    )
    .await;
    assert_eq!(again.status, 409);

    let row = only_audit_row(&app, &format!("targetType=order&targetId={number}")).await;
    assert_eq!(row["action"], "order.resolve");
    assert_eq!(row["actor"]["username"], "operator-user");
    assert_eq!(row["actor"]["role"], "operator");
    assert!(row["actor"]["id"].is_i64());
    assert_eq!(row["reason"], "Unitel ledger shows it");
    assert_eq!(row["before"]["rechargeStatus"], "unknown");
    assert_eq!(row["after"]["rechargeStatus"], "success");
    assert!(row["requestId"].is_string(), "{row}");
    // The order history names the admin as before.
    let detail = app.admin_order(&number).await;
    let last = detail["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "admin:operator-user");
}

#[tokio::test]
async fn a_refund_request_is_audited_once() {
    let app = spawn_app().await;
    let number = order_with_top_up(
        &app,
        "o-ref",
        TopUpFault::Failed {
            code: "105".to_owned(),
            msg: "Insufficient dealer balance".to_owned(),
        },
        "failed",
    )
    .await;
    let admin = token_of(&app, "admin").await;
    let path = format!("/admin/orders/{number}/refund");
    let refunded = call(
        &app,
        "POST",
        &path,
        Some(&admin),
        Some(&json!({"reason": "top-up failed"})),
    )
    .await;
    assert_success_envelope(&refunded, 201);
    let twice = call(
        &app,
        "POST",
        &path,
        Some(&admin),
        Some(&json!({"reason": "again"})),
    )
    .await;
    assert_eq!(twice.status, 409);
    let row = only_audit_row(&app, "action=order.refund").await;
    assert_eq!(row["targetId"], number);
    assert_eq!(row["actor"]["username"], "admin-user");
    assert_eq!(row["before"]["paymentStatus"], "paid");
    assert_eq!(row["after"]["paymentStatus"], "refunding");
    assert_eq!(row["reason"], "top-up failed");
}

#[tokio::test]
async fn a_payment_sync_is_audited_with_the_change_or_alone() {
    let app = spawn_app().await;
    let order = app
        .create_order("o-q", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    app.create_payment("o-q", &number).await;
    let operator = token_of(&app, "operator").await;
    let path = format!("/admin/orders/{number}/sync-payment");

    // Not paid yet: nothing changes, the attempt is recorded alone.
    let early = call(&app, "POST", &path, Some(&operator), None).await;
    assert_success_envelope(&early, 201);
    assert_eq!(early.body["data"]["paymentStatus"], "unpaid");
    let row = only_audit_row(&app, "action=order.sync_payment").await;
    assert_eq!(row["after"]["changed"], false);
    assert!(row["before"].is_null());

    app.pay(&number, json!({"no_callback": true})).await;
    let synced = call(&app, "POST", &path, Some(&operator), None).await;
    assert_success_envelope(&synced, 201);
    assert_eq!(synced.body["data"]["paymentStatus"], "paid");
    let rows = audit_rows(&app, "action=order.sync_payment").await;
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert_eq!(rows[0]["before"]["paymentStatus"], "unpaid");
    assert_eq!(rows[0]["after"]["paymentStatus"], "paid");
    app.wait_for_recharge("o-q", &number, "success").await;
}

#[tokio::test]
async fn the_exchange_rate_is_bounded_confirmed_and_audited() {
    let app = spawn_app().await;
    let admin = token_of(&app, "admin").await;
    let put = |body: serde_json::Value| {
        let (app, admin) = (&app, admin.clone());
        async move {
            call(
                app,
                "PUT",
                "/admin/exchange-rate",
                Some(&admin),
                Some(&body),
            )
            .await
        }
    };
    // The measured accident: 0.0001 priced 3,000 MNT at 30,000,000 CNY.
    let absurd = put(json!({"rate": "0.0001", "confirm": true})).await;
    assert_error_envelope(&absurd, 400, "/admin/exchange-rate");
    assert!(
        absurd.body["message"]
            .as_str()
            .unwrap()
            .contains("100..=2000")
    );
    // +30% from the seeded 480 needs a confirmation.
    let jump = put(json!({"rate": 624})).await;
    assert_error_envelope(&jump, 409, "/admin/exchange-rate");
    assert!(jump.body["message"].as_str().unwrap().contains("confirm"));
    assert_eq!(
        app.get("/exchange-rate/current").await.body["data"]["rate"],
        480.0
    );
    let confirmed = put(json!({"rate": 624, "confirm": true, "reason": "devaluation"})).await;
    assert_success_envelope(&confirmed, 200);
    assert_eq!(
        app.get("/exchange-rate/current").await.body["data"]["rate"],
        624.0
    );
    // Within 20%: no confirmation needed.
    assert_success_envelope(&put(json!({"rate": "600"})).await, 200);

    let rows = audit_rows(&app, "action=exchange_rate.change").await;
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert_eq!(rows[1]["before"]["rate"], "480");
    assert_eq!(rows[1]["after"]["rate"], "624");
    assert_eq!(rows[1]["reason"], "devaluation");
    assert_eq!(rows[1]["targetId"], "MNT_TO_CNY");
    assert_eq!(rows[0]["before"]["rate"], "624");
    assert_eq!(rows[0]["after"]["rate"], "600");
}

#[tokio::test]
async fn the_break_glass_credential_acts_as_break_glass() {
    let app = spawn_app().await;
    let changed = app
        .admin_put("/admin/exchange-rate", &json!({"rate": "500"}))
        .await;
    assert_success_envelope(&changed, 200);
    let row = only_audit_row(&app, "actor=break-glass").await;
    assert_eq!(row["action"], "exchange_rate.change");
    assert_eq!(row["actor"]["role"], "super_admin");
    assert!(row["actor"]["id"].is_null());
}

#[tokio::test]
async fn admin_management_is_audited_once_per_change() {
    let app = spawn_app().await;
    let root = token_of(&app, "super_admin").await;
    let created = call(
        &app,
        "POST",
        "/admin/admins",
        Some(&root),
        Some(&json!({"username": "Dana", "password": PASSWORD, "role": "viewer", "displayName": "Dana D."})),
    )
    .await;
    assert_success_envelope(&created, 201);
    assert_eq!(created.body["data"]["username"], "dana");
    assert!(created.body["data"].get("passwordHash").is_none());
    let id = created.body["data"]["id"].as_i64().unwrap();
    let create_row = only_audit_row(&app, &format!("action=admin.create&targetId={id}")).await;
    assert_eq!(create_row["actor"]["username"], "super-admin-user");
    assert_eq!(create_row["after"]["role"], "viewer");

    let path = format!("/admin/admins/{id}");
    let promoted = call(
        &app,
        "PATCH",
        &path,
        Some(&root),
        Some(&json!({"role": "operator"})),
    )
    .await;
    assert_success_envelope(&promoted, 200);
    assert_eq!(promoted.body["data"]["role"], "operator");
    let update_row = only_audit_row(&app, &format!("action=admin.update&targetId={id}")).await;
    assert_eq!(update_row["before"]["role"], "viewer");
    assert_eq!(update_row["after"]["role"], "operator");

    let reset = call(
        &app,
        "POST",
        &format!("{path}/reset-password"),
        Some(&root),
        Some(&json!({"password": "an entirely new passphrase"})),
    )
    .await;
    assert_success_envelope(&reset, 201);
    only_audit_row(&app, &format!("action=admin.reset_password&targetId={id}")).await;
    let dana = login_reply(&app, "dana", "an entirely new passphrase").await;
    assert_success_envelope(&dana, 201);
    let dana_token = dana.body["data"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();

    // Disabling takes effect at once, on a token issued before.
    let disabled = call(
        &app,
        "PATCH",
        &path,
        Some(&root),
        Some(&json!({"enabled": false})),
    )
    .await;
    assert_success_envelope(&disabled, 200);
    let refused = call(&app, "GET", "/admin/orders", Some(&dana_token), None).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert_eq!(
        audit_rows(&app, &format!("action=admin.update&targetId={id}"))
            .await
            .len(),
        2
    );

    // The last enabled super admin can be neither disabled nor demoted.
    let root_id = audit_rows(&app, "action=admin.create")
        .await
        .last()
        .unwrap()["targetId"]
        .as_str()
        .unwrap()
        .to_owned();
    let last = call(
        &app,
        "PATCH",
        &format!("/admin/admins/{root_id}"),
        Some(&root),
        Some(&json!({"role": "admin"})),
    )
    .await;
    assert_eq!(last.status, 409, "{}", last.body);
    let taken = call(
        &app,
        "POST",
        "/admin/admins",
        Some(&root),
        Some(&json!({"username": "dana", "password": PASSWORD, "role": "viewer"})),
    )
    .await;
    assert_eq!(taken.status, 409);
    let short = call(
        &app,
        "POST",
        "/admin/admins",
        Some(&root),
        Some(&json!({"username": "erin", "password": "short", "role": "viewer"})),
    )
    .await;
    assert_eq!(short.status, 400);
}

#[tokio::test]
async fn phone_numbers_are_masked_unless_revealed_by_a_role_that_may() {
    let app = spawn_app().await;
    let order = app
        .create_order("o-p", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap().to_owned();
    let operator = token_of(&app, "operator").await;
    let admin = token_of(&app, "admin").await;
    let masked = format!("{}****", &VOICE_NUMBER[..4]);

    let list = call(&app, "GET", "/admin/orders", Some(&operator), None).await;
    assert_eq!(list.body["data"]["data"][0]["phoneNumber"], masked);
    let path = format!("/admin/orders/{number}");
    let detail = call(&app, "GET", &path, Some(&operator), None).await;
    assert_eq!(detail.body["data"]["order"]["phoneNumber"], masked);
    let refused = call(
        &app,
        "GET",
        &format!("{path}?reveal=true"),
        Some(&operator),
        None,
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        audit_rows(&app, "action=order.reveal_phone")
            .await
            .is_empty()
    );

    let revealed = call(
        &app,
        "GET",
        &format!("{path}?reveal=true"),
        Some(&admin),
        None,
    )
    .await;
    assert_success_envelope(&revealed, 200);
    assert_eq!(revealed.body["data"]["order"]["phoneNumber"], VOICE_NUMBER);
    let row = only_audit_row(&app, "action=order.reveal_phone").await;
    assert_eq!(row["targetId"], number);
    assert_eq!(row["actor"]["username"], "admin-user");
}

#[tokio::test]
async fn the_audit_list_filters_and_refuses_bad_filters() {
    let app = spawn_app().await;
    app.admin_put("/admin/exchange-rate", &json!({"rate": "500"}))
        .await;
    let viewer = token_of(&app, "viewer").await;
    let all = call(&app, "GET", "/admin/audit", Some(&viewer), None).await;
    assert_success_envelope(&all, 200);
    assert!(all.body["data"]["pagination"]["total"].as_u64().unwrap() >= 2);
    let window = call(
        &app,
        "GET",
        "/admin/audit?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z",
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!(window.body["data"]["pagination"]["total"], 0);
    for bad in ["action=order.delete", "targetType=user", "from=yesterday"] {
        let reply = call(
            &app,
            "GET",
            &format!("/admin/audit?{bad}"),
            Some(&viewer),
            None,
        )
        .await;
        assert_eq!(reply.status, 400, "{bad}: {}", reply.body);
    }
}
