//! Shopper login with WeChat (the simulator's `jscode2session`), bearer access tokens,
//! rotating refresh tokens, logout, the identity chain and `/users/me`.

use elife_sandbox::wechat::{LOGIN_API_NAME, WechatFault};
use serde_json::{Value, json};

use crate::helpers::*;

struct Tokens {
    access: String,
    refresh: String,
}

impl Tokens {
    fn of(reply: &Reply) -> Tokens {
        let data = &reply.body["data"];
        Tokens {
            access: data["accessToken"]
                .as_str()
                .expect("accessToken")
                .to_owned(),
            refresh: data["refreshToken"]
                .as_str()
                .expect("refreshToken")
                .to_owned(),
        }
    }
}

async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply { status, body }
}

async fn login(app: &TestApp, code: &str) -> Reply {
    app.post("/auth/wechat/login", &json!({ "code": code }))
        .await
}

/// Logs `openid` in with a fresh code from the simulator.
async fn logged_in(app: &TestApp, openid: &str) -> Tokens {
    let code = app.sandbox.wechat.login_code(openid, None);
    let reply = login(app, &code).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    Tokens::of(&reply)
}

async fn refresh(app: &TestApp, refresh_token: &str) -> Reply {
    app.post("/auth/refresh", &json!({ "refreshToken": refresh_token }))
        .await
}

async fn bearer_get(app: &TestApp, token: &str, path: &str) -> Reply {
    send(app.client.get(app.url(path)).bearer_auth(token)).await
}

async fn bearer_post(app: &TestApp, token: &str, path: &str, body: &Value) -> Reply {
    send(app.client.post(app.url(path)).bearer_auth(token).json(body)).await
}

async fn bearer_patch(app: &TestApp, token: &str, path: &str, body: &Value) -> Reply {
    send(
        app.client
            .patch(app.url(path))
            .bearer_auth(token)
            .json(body),
    )
    .await
}

fn order_body() -> Value {
    json!({"phoneNumber": VOICE_NUMBER, "productOperator": "Unitel", "rechargeType": "voice", "productCode": "ST3000"})
}

#[tokio::test]
async fn login_token_order_refresh_logout_and_the_old_tokens_are_refused() {
    let app = spawn_app().await;
    let code = app.sandbox.wechat.login_code("o-token", Some("u-token"));
    let reply = login(&app, &code).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let data = &reply.body["data"];
    assert_eq!(reply.body["code"], 200);
    assert_eq!(data["tokenType"], "Bearer");
    let expires_in = data["expiresIn"].as_i64().unwrap();
    assert!((7100..=7200).contains(&expires_in), "{expires_in}");
    assert_eq!(data["user"]["openid"], "o-token");
    assert_eq!(data["user"]["unionid"], "u-token");
    assert_eq!(
        data["user"]["appid"],
        app.sandbox.wechat.login_credentials().0
    );
    let first = Tokens::of(&reply);

    // The code is single-use.
    let again = login(&app, &code).await;
    assert_eq!(again.status, 401, "{}", again.body);
    assert!(
        again.body["message"]
            .as_str()
            .unwrap()
            .contains("already used"),
        "{}",
        again.body
    );

    // An order with the bearer token, no Cloud Hosting headers.
    let order = bearer_post(&app, &first.access, "/orders", &order_body()).await;
    assert_eq!(order.status, 201, "{}", order.body);
    assert_eq!(order.body["data"]["openid"], "o-token");
    let number = order.body["data"]["orderNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    let detail = bearer_get(&app, &first.access, &format!("/orders/{number}")).await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert_eq!(detail.body["data"]["user"]["openid"], "o-token");
    assert!(detail.body["data"]["user"]["createdAt"].is_string());
    let mine = bearer_get(&app, &first.access, "/orders/my").await;
    assert_eq!(mine.status, 200);
    assert_eq!(mine.body["data"]["data"].as_array().unwrap().len(), 1);

    // Refresh: a new pair, the old refresh token is spent.
    let refreshed = refresh(&app, &first.refresh).await;
    assert_eq!(refreshed.status, 201, "{}", refreshed.body);
    let second = Tokens::of(&refreshed);
    assert_ne!(second.refresh, first.refresh);
    assert_eq!(
        bearer_get(&app, &second.access, "/users/me").await.status,
        200
    );

    // Logout with the access token ends the session for every token of it.
    let out = send(
        app.client
            .post(app.url("/auth/logout"))
            .bearer_auth(&second.access),
    )
    .await;
    assert_eq!(out.status, 201, "{}", out.body);
    assert_eq!(out.body["data"]["loggedOut"], true);
    for access in [&first.access, &second.access] {
        let refused = bearer_get(&app, access, "/orders/my").await;
        assert_eq!(refused.status, 401, "{}", refused.body);
        assert_eq!(refused.body["path"], "/orders/my");
    }
    for spent in [&first.refresh, &second.refresh] {
        assert_eq!(refresh(&app, spent).await.status, 401);
    }
    // Logging out again is fine.
    let again = app
        .post("/auth/logout", &json!({ "refreshToken": second.refresh }))
        .await;
    assert_eq!(again.status, 201, "{}", again.body);
}

#[tokio::test]
async fn reusing_a_refresh_token_revokes_the_whole_family() {
    let app = spawn_app().await;
    let first = logged_in(&app, "o-reuse").await;
    let second = Tokens::of(&refresh(&app, &first.refresh).await);

    // Someone presents the spent token (a stolen copy): refused, and the family dies.
    let reused = refresh(&app, &first.refresh).await;
    assert_eq!(reused.status, 401, "{}", reused.body);
    assert!(
        reused.body["message"]
            .as_str()
            .unwrap()
            .contains("already used"),
        "{}",
        reused.body
    );
    // The successor and its access token stop working too.
    let successor = refresh(&app, &second.refresh).await;
    assert_eq!(successor.status, 401, "{}", successor.body);
    assert_eq!(
        bearer_get(&app, &second.access, "/users/me").await.status,
        401
    );

    // Another login of the same user is a new, independent session.
    let fresh = logged_in(&app, "o-reuse").await;
    assert_eq!(
        bearer_get(&app, &fresh.access, "/users/me").await.status,
        200
    );
}

#[tokio::test]
async fn an_expired_access_token_is_refused_and_the_refresh_token_renews_it() {
    let app = spawn_app().await;
    let tokens = logged_in(&app, "o-expiry").await;
    app.clock
        .advance(chrono::Duration::hours(2) + chrono::Duration::seconds(1));
    let expired = bearer_get(&app, &tokens.access, "/users/me").await;
    assert_eq!(expired.status, 401);
    assert!(
        expired.body["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{}",
        expired.body
    );
    let renewed = Tokens::of(&refresh(&app, &tokens.refresh).await);
    assert_eq!(
        bearer_get(&app, &renewed.access, "/users/me").await.status,
        200
    );

    // A refresh token unused for seven days is dead.
    app.clock.advance(chrono::Duration::days(7));
    assert_eq!(refresh(&app, &renewed.refresh).await.status, 401);
}

#[tokio::test]
async fn login_failures_say_whose_fault_it_is() {
    let app = spawn_app().await;
    let missing = app.post("/auth/wechat/login", &json!({})).await;
    assert_error_envelope(&missing, 400, "/auth/wechat/login");
    let unknown = login(&app, "0unknown-code").await;
    assert_error_envelope(&unknown, 401, "/auth/wechat/login");

    app.sandbox
        .wechat
        .inject_fault(LOGIN_API_NAME, WechatFault::SystemBusy, 1);
    let busy = login(&app, "sim:o-busy").await;
    assert_error_envelope(&busy, 503, "/auth/wechat/login");
    // The code was not spent by WeChat's failure.
    assert_eq!(login(&app, "sim:o-busy").await.status, 201);

    let garbage = refresh(&app, "not-a-token").await;
    assert_error_envelope(&garbage, 401, "/auth/refresh");
    let nothing = app.post("/auth/logout", &json!({})).await;
    assert_error_envelope(&nothing, 400, "/auth/logout");
    let forged = send(app.client.get(app.url("/orders/my")).bearer_auth("a.b.c")).await;
    assert_error_envelope(&forged, 401, "/orders/my");
    assert!(
        forged.body["message"]
            .as_str()
            .unwrap()
            .starts_with("认证失败")
    );
}

#[tokio::test]
async fn cloud_hosting_headers_still_work_unchanged() {
    let app = spawn_app().await;
    let order = app
        .create_order("o-cloud", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    assert_eq!(order["openid"], "o-cloud");
    let number = order["orderNumber"].as_str().unwrap();
    let detail = app.order("o-cloud", number).await;
    assert_eq!(detail["user"]["openid"], "o-cloud");
    let anonymous = app.get("/orders/my").await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.body["message"], "非微信环境访问");
    // The headers win over a token presented with them.
    let tokens = logged_in(&app, "o-token-user").await;
    let both = send(
        app.as_user(app.client.get(app.url("/users/me")), "o-cloud")
            .bearer_auth(&tokens.access),
    )
    .await;
    assert_eq!(both.body["data"]["openid"], "o-cloud");
}

#[tokio::test]
async fn identity_cloud_refuses_bearer_tokens() {
    let app = spawn_app_with(&[("IDENTITY", "cloud")]).await;
    let tokens = logged_in(&app, "o-1").await;
    let refused = bearer_get(&app, &tokens.access, "/orders/my").await;
    assert_error_envelope(&refused, 401, "/orders/my");
    assert_eq!(refused.body["message"], "非微信环境访问");
    assert_eq!(app.user_get("o-1", "/orders/my").await.status, 200);
}

#[tokio::test]
async fn identity_token_refuses_cloud_hosting_headers() {
    let app = spawn_app_with(&[("IDENTITY", "token"), ("MOCK_IDENTITY_ENABLED", "true")]).await;
    let refused = app.user_get("o-1", "/orders/my").await;
    assert_error_envelope(&refused, 401, "/orders/my");
    assert_eq!(refused.body["message"], "未登录");
    let mocked = send(
        app.client
            .get(app.url("/orders/my"))
            .header("X-Mock-Openid", "dev"),
    )
    .await;
    assert_eq!(mocked.status, 401);
    let tokens = logged_in(&app, "o-1").await;
    assert_eq!(
        bearer_get(&app, &tokens.access, "/orders/my").await.status,
        200
    );
}

#[tokio::test]
async fn a_cloud_hosting_caller_is_written_once_not_on_every_request() {
    let app = spawn_app().await;
    let first = app.user_get("o-once", "/users/me").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let created = first.body["data"]["createdAt"].clone();
    assert_eq!(first.body["data"]["updatedAt"], created);
    for _ in 0..20 {
        // A minute between requests: a write would stamp a later updatedAt.
        app.clock.advance(chrono::Duration::minutes(1));
        assert_eq!(app.user_get("o-once", "/orders/my").await.status, 200);
    }
    let after = app.user_get("o-once", "/users/me").await;
    assert_eq!(after.body["data"]["updatedAt"], created, "{}", after.body);

    // An identity change (a unionid appears) is written, once.
    let with_unionid = || {
        app.as_user(app.client.get(app.url("/users/me")), "o-once")
            .header("X-WX-UNIONID", "u-once")
    };
    app.clock.advance(chrono::Duration::minutes(1));
    let changed = send(with_unionid()).await;
    assert_eq!(changed.body["data"]["unionid"], "u-once");
    let stamped = changed.body["data"]["updatedAt"].clone();
    assert_ne!(stamped, created);
    app.clock.advance(chrono::Duration::minutes(1));
    let unchanged = send(with_unionid()).await;
    assert_eq!(unchanged.body["data"]["updatedAt"], stamped);

    // A login of a known, unchanged user does not write either.
    let before_login = app.user_get("o-once", "/users/me").await.body["data"]["updatedAt"].clone();
    app.clock.advance(chrono::Duration::minutes(1));
    let login = app
        .post(
            "/auth/wechat/login",
            &json!({"code": app.sandbox.wechat.login_code("o-once", Some("u-once"))}),
        )
        .await;
    assert_eq!(login.status, 201, "{}", login.body);
    // The login brought the appid: one write.
    let after_login = login.body["data"]["user"]["updatedAt"].clone();
    assert_ne!(after_login, before_login);
    app.clock.advance(chrono::Duration::minutes(1));
    let second = app
        .post(
            "/auth/wechat/login",
            &json!({"code": app.sandbox.wechat.login_code("o-once", Some("u-once"))}),
        )
        .await;
    assert_eq!(second.body["data"]["user"]["updatedAt"], after_login);
}

#[tokio::test]
async fn the_profile_is_read_and_patched_within_bounds() {
    let app = spawn_app().await;
    let tokens = logged_in(&app, "o-profile").await;
    let me = bearer_get(&app, &tokens.access, "/users/me").await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["data"]["openid"], "o-profile");
    assert_eq!(me.body["data"]["nickname"], Value::Null);

    let nickname = "小明".repeat(16); // 32 characters, 96 bytes
    let patched = bearer_patch(
        &app,
        &tokens.access,
        "/users/me",
        &json!({"nickname": nickname, "avatarUrl": "https://thirdwx.qlogo.cn/mmopen/abc/132", "gender": 2}),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["data"]["nickname"], nickname.as_str());
    assert_eq!(patched.body["data"]["gender"], "female");
    assert_eq!(
        patched.body["data"]["avatarUrl"],
        "https://thirdwx.qlogo.cn/mmopen/abc/132"
    );

    for (body, fragment) in [
        (
            json!({"nickname": "x".repeat(33)}),
            "nickname must be 1 to 32",
        ),
        (json!({"nickname": "  "}), "nickname must be 1 to 32"),
        (json!({"avatarUrl": "javascript:alert(1)"}), "avatarUrl"),
        (
            json!({"avatarUrl": format!("https://{}", "a".repeat(600))}),
            "at most 512",
        ),
        (json!({"gender": "robot"}), "gender"),
        (json!({"nickname": 5}), "nickname must be a string"),
        (
            json!({"openid": "o-other"}),
            "property openid should not exist",
        ),
    ] {
        let refused = bearer_patch(&app, &tokens.access, "/users/me", &body).await;
        assert_error_envelope(&refused, 400, "/users/me");
        assert!(
            refused.body["message"].as_str().unwrap().contains(fragment),
            "{body}: {}",
            refused.body
        );
    }
    // Nothing of the refused patches was stored; null clears one field only.
    let cleared = bearer_patch(&app, &tokens.access, "/users/me", &json!({"gender": null})).await;
    assert_eq!(cleared.status, 200, "{}", cleared.body);
    assert_eq!(cleared.body["data"]["gender"], Value::Null);
    assert_eq!(cleared.body["data"]["nickname"], nickname.as_str());

    // The Cloud Hosting identity reaches its own profile too.
    let cloud = app.user_get("o-cloud-profile", "/users/me").await;
    assert_eq!(cloud.status, 200);
    assert_eq!(cloud.body["data"]["openid"], "o-cloud-profile");
    let anonymous = app.get("/users/me").await;
    assert_error_envelope(&anonymous, 401, "/users/me");
}

#[tokio::test]
async fn the_daily_job_purges_sessions_that_expired_long_ago() {
    let app = spawn_app().await;
    let old = logged_in(&app, "o-purged").await;
    // Past the 7-day refresh lifetime, and a day more.
    app.clock.advance(chrono::Duration::days(9));
    let before = refresh(&app, &old.refresh).await;
    assert_eq!(before.status, 401);
    assert!(
        before.body["message"].as_str().unwrap().contains("expired"),
        "{}",
        before.body
    );

    app.run_job(elife_server::jobs::Job::DailyReport).await;

    // Its rows are gone: the refresh token is now simply unknown.
    let after = refresh(&app, &old.refresh).await;
    assert_eq!(after.status, 401);
    assert!(
        after.body["message"]
            .as_str()
            .unwrap()
            .contains("invalid token"),
        "{}",
        after.body
    );
    // Sessions started since are kept.
    let fresh = logged_in(&app, "o-kept").await;
    app.run_job(elife_server::jobs::Job::DailyReport).await;
    assert_eq!(refresh(&app, &fresh.refresh).await.status, 201);
}
