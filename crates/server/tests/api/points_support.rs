//! Helpers of the points tests: a shopper (Cloud Hosting headers or a bearer token from the
//! WeChat login), packages created by an admin, and waits on balances and orders.

use std::time::Duration;

use elife_server::jobs::Job;
use serde_json::{Value, json};

use crate::admin_support::call;
use crate::helpers::*;

pub const WAIT: Duration = Duration::from_secs(15);

/// A mini-program user, identified as Cloud Hosting does or by a shopper access token.
pub struct Shopper {
    pub openid: String,
    token: Option<String>,
}

impl Shopper {
    /// Identified by the `X-WX-*` headers.
    pub fn with_headers(openid: &str) -> Shopper {
        Shopper {
            openid: openid.to_owned(),
            token: None,
        }
    }

    /// Logged in with a `sim:<openid>` code; identified by the access token.
    pub async fn logged_in(app: &TestApp, openid: &str) -> Shopper {
        let reply = app
            .post(
                "/auth/wechat/login",
                &json!({ "code": format!("sim:{openid}") }),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        let token = reply.body["data"]["accessToken"]
            .as_str()
            .expect("accessToken")
            .to_owned();
        Shopper {
            openid: openid.to_owned(),
            token: Some(token),
        }
    }

    pub async fn get(&self, app: &TestApp, path: &str) -> Reply {
        match &self.token {
            Some(token) => call(app, "GET", path, Some(token), None).await,
            None => app.user_get(&self.openid, path).await,
        }
    }

    pub async fn post(&self, app: &TestApp, path: &str, body: &Value) -> Reply {
        match &self.token {
            Some(token) => call(app, "POST", path, Some(token), Some(body)).await,
            None => app.user_post(&self.openid, path, body).await,
        }
    }

    pub async fn balance(&self, app: &TestApp) -> i64 {
        let reply = self.get(app, "/api/points/account").await;
        assert_success_envelope(&reply, 200);
        reply.body["data"]["balance"].as_i64().expect("balance")
    }

    /// The entries of the caller's ledger, newest first.
    pub async fn ledger(&self, app: &TestApp) -> Vec<Value> {
        let reply = self.get(app, "/api/points/ledger?limit=100").await;
        assert_success_envelope(&reply, 200);
        reply.body["data"]["data"]
            .as_array()
            .expect("entries")
            .clone()
    }

    /// Buys a package; answers the purchase (`order`, `channel`, `payment`).
    pub async fn buy(&self, app: &TestApp, package_id: i64, channel: &str) -> Value {
        let reply = self
            .post(
                app,
                "/api/payment/orders",
                &json!({"packageId": package_id, "channel": channel}),
            )
            .await;
        assert_success_envelope(&reply, 201);
        reply.body["data"].clone()
    }

    pub async fn order(&self, app: &TestApp, order_no: &str) -> Value {
        let reply = self
            .get(app, &format!("/api/payment/orders/{order_no}"))
            .await;
        assert_success_envelope(&reply, 200);
        reply.body["data"].clone()
    }

    /// Polls the balance until it is `expected`.
    pub async fn wait_for_balance(&self, app: &TestApp, expected: i64) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let balance = self.balance(app).await;
            if balance == expected {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the balance stayed {balance}, not {expected}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A package created by an admin; answers its view.
pub async fn create_package(app: &TestApp, body: Value) -> Value {
    let reply = app.admin_post("/admin/points/packages", &body).await;
    assert_success_envelope(&reply, 201);
    reply.body["data"].clone()
}

/// 10 yuan for 100 points and 20 bonus points.
pub async fn ten_yuan_package(app: &TestApp) -> i64 {
    let package = create_package(
        app,
        json!({"name": "100 积分", "description": "加赠 20", "amountFen": 1000, "points": 100, "bonusPoints": 20, "sortOrder": 1}),
    )
    .await;
    package["id"].as_i64().expect("id")
}

/// The back office's view of a points order: `{order, payment}`.
pub async fn admin_points_order(app: &TestApp, order_no: &str) -> Value {
    let reply = app
        .admin_get(&format!("/admin/points/orders/{order_no}"))
        .await;
    assert_success_envelope(&reply, 200);
    reply.body["data"].clone()
}

/// Polls the order until `done` holds, running the refund job as production would: it asks
/// WeChat about refunds in flight for more than a minute (the app's clock is moved past it).
pub async fn wait_for_order(app: &TestApp, order_no: &str, done: impl Fn(&Value) -> bool) -> Value {
    app.clock.advance(chrono::Duration::minutes(2));
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let detail = admin_points_order(app, order_no).await;
        if done(&detail) {
            return detail;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the order never got there: {detail}"
        );
        app.run_job(Job::Refunds).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
