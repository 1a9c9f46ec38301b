//! Admin login: tokens, refresh and logout, the lockout, and accounts made on the CLI.

use elife_server::cli::admin::{AdminAction, run_admin};
use elife_server::configuration::Settings;
use serde_json::json;

use crate::admin_support::*;
use crate::helpers::*;

#[tokio::test]
async fn login_refresh_and_logout() {
    let app = spawn_app().await;
    create_admin(&app, "alice", "operator").await;
    let login = login_reply(&app, "alice", PASSWORD).await;
    assert_success_envelope(&login, 201);
    let data = &login.body["data"];
    assert_eq!(data["tokenType"], "Bearer");
    assert_eq!(data["admin"]["role"], "operator");
    // Short-lived: 15 minutes by default.
    let expires_in = data["expiresIn"].as_i64().unwrap();
    assert!((14 * 60..=15 * 60).contains(&expires_in), "{expires_in}");
    let access = data["accessToken"].as_str().unwrap().to_owned();
    let refresh = data["refreshToken"].as_str().unwrap().to_owned();
    assert_success_envelope(
        &call(&app, "GET", "/admin/orders", Some(&access), None).await,
        200,
    );

    let renewed = call(
        &app,
        "POST",
        "/admin/auth/refresh",
        None,
        Some(&json!({"refreshToken": refresh})),
    )
    .await;
    assert_success_envelope(&renewed, 201);
    let access = renewed.body["data"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let refresh = renewed.body["data"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();

    let out = call(&app, "POST", "/admin/auth/logout", Some(&access), None).await;
    assert_success_envelope(&out, 201);
    assert_eq!(out.body["data"]["loggedOut"], true);
    let after = call(&app, "GET", "/admin/orders", Some(&access), None).await;
    assert_eq!(after.status, 401, "{}", after.body);
    let stale = call(
        &app,
        "POST",
        "/admin/auth/refresh",
        None,
        Some(&json!({"refreshToken": refresh})),
    )
    .await;
    assert_eq!(stale.status, 401, "{}", stale.body);
}

#[tokio::test]
async fn wrong_credentials_are_refused_without_saying_which() {
    let app = spawn_app().await;
    create_admin(&app, "alice", "viewer").await;
    let wrong = login_reply(&app, "alice", "not the password at all").await;
    assert_error_envelope(&wrong, 401, "/admin/auth/login");
    let unknown = login_reply(&app, "nobody", PASSWORD).await;
    assert_error_envelope(&unknown, 401, "/admin/auth/login");
    assert_eq!(wrong.body["message"], unknown.body["message"]);
    let missing = call(
        &app,
        "POST",
        "/admin/auth/login",
        None,
        Some(&json!({"username": "alice"})),
    )
    .await;
    assert_error_envelope(&missing, 400, "/admin/auth/login");
}

#[tokio::test]
async fn repeated_failures_lock_the_account_even_against_the_right_password() {
    let app = spawn_app_with(&[
        ("ADMIN_LOGIN_MAX_FAILURES", "3"),
        ("ADMIN_LOGIN_LOCK_MINUTES", "10"),
    ])
    .await;
    create_admin(&app, "alice", "admin").await;
    for _ in 0..3 {
        let wrong = login_reply(&app, "alice", "a wrong guess, again").await;
        assert_eq!(wrong.status, 401, "{}", wrong.body);
    }
    let locked = login_reply(&app, "alice", PASSWORD).await;
    assert_error_envelope(&locked, 429, "/admin/auth/login");
    assert!(
        locked.body["message"].as_str().unwrap().contains("locked"),
        "{}",
        locked.body
    );
    // The lock is visible to super admins.
    let list = app.admin_get("/admin/admins").await;
    let alice = list.body["data"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|admin| admin["username"] == "alice")
        .cloned()
        .unwrap();
    assert!(alice["lockedUntil"].is_string(), "{alice}");

    app.clock.advance(chrono::Duration::minutes(10));
    let unlocked = login_reply(&app, "alice", PASSWORD).await;
    assert_success_envelope(&unlocked, 201);
}

#[tokio::test]
async fn an_account_created_on_the_command_line_can_log_in() {
    let app = spawn_app().await;
    let url = format!(
        "sqlite://{}?mode=rwc",
        app.database_dir.path().join("elife.db").display()
    );
    let vars = [
        ("DATABASE_URL", url.as_str()),
        ("SANDBOX", "on"),
        ("LOG_DIR", ""),
    ];
    let settings = Settings::from_lookup(|name| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    })
    .unwrap();
    let create = |username: &str, password: &str| {
        AdminAction::Create {
            username: username.to_owned(),
            role: "super_admin".to_owned(),
            display_name: Some("Root".to_owned()),
        }
        .clone_with(password)
    };
    let (action, password) = create("root", "short");
    let refused = run_admin(&settings, action, move || Ok(password)).await;
    assert!(refused.is_err(), "a short password is refused");
    let (action, password) = create("root", PASSWORD);
    let created = run_admin(&settings, action, move || Ok(password))
        .await
        .unwrap();
    assert_eq!(created.username, "root");

    let token = login(&app, "root").await;
    assert_success_envelope(
        &call(&app, "GET", "/admin/admins", Some(&token), None).await,
        200,
    );
    let row = only_audit_row(&app, "actor=cli").await;
    assert_eq!(row["action"], "admin.create");

    // Disabling the last super admin from the CLI is refused too.
    let disable = AdminAction::Disable {
        username: "root".to_owned(),
    };
    assert!(
        run_admin(&settings, disable, || unreachable!())
            .await
            .is_err()
    );
}

trait WithPassword {
    fn clone_with(self, password: &str) -> (AdminAction, String);
}

impl WithPassword for AdminAction {
    fn clone_with(self, password: &str) -> (AdminAction, String) {
        (self, password.to_owned())
    }
}
