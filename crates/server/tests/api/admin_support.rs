//! Helpers of the admin tests: accounts per role, their tokens, calls with any method.

use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, Reply, TestApp};

pub const PASSWORD: &str = "correct horse battery staple";

/// Sends `method path` with `token` as Bearer (none when `None`) and `body` as JSON.
pub async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Reply {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply { status, body }
}

/// Creates an account with the break-glass credential; answers its id.
pub async fn create_admin(app: &TestApp, username: &str, role: &str) -> i64 {
    let reply = call(
        app,
        "POST",
        "/admin/admins",
        Some(ADMIN_TOKEN),
        Some(&json!({"username": username, "password": PASSWORD, "role": role})),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["data"]["id"].as_i64().expect("id")
}

pub async fn login_reply(app: &TestApp, username: &str, password: &str) -> Reply {
    call(
        app,
        "POST",
        "/admin/auth/login",
        None,
        Some(&json!({"username": username, "password": password})),
    )
    .await
}

/// Logs in and answers the access token.
pub async fn login(app: &TestApp, username: &str) -> String {
    let reply = login_reply(app, username, PASSWORD).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["data"]["accessToken"]
        .as_str()
        .expect("access token")
        .to_owned()
}

/// An account of `role` (named after it) and its access token.
pub async fn token_of(app: &TestApp, role: &str) -> String {
    let username = format!("{}-user", role.replace('_', "-"));
    create_admin(app, &username, role).await;
    login(app, &username).await
}

/// The audit rows matching `query` (e.g. `action=order.refund`), newest first.
pub async fn audit_rows(app: &TestApp, query: &str) -> Vec<Value> {
    let reply = call(
        app,
        "GET",
        &format!("/admin/audit?limit=100&{query}"),
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["data"]["data"].as_array().expect("rows").clone()
}

/// The only audit row matching `query`.
pub async fn only_audit_row(app: &TestApp, query: &str) -> Value {
    let rows = audit_rows(app, query).await;
    assert_eq!(rows.len(), 1, "{query}: {rows:#?}");
    rows[0].clone()
}
