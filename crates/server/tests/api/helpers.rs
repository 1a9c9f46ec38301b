use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use elife_domain::ports::Clock;
use elife_server::background::Background;
use elife_server::configuration::Settings;
use elife_server::jobs::{Job, Jobs};
use elife_server::sandbox::Sandbox;
use elife_server::startup::{Application, Overrides, Shutdown};
use elife_server::topups::TopUps;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::task::JoinHandle;

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";
pub const VOICE_NUMBER: &str = "88112233"; // Smart Talk
pub const DATA_NUMBER: &str = "88112236"; // Smart Data
pub const POSTPAID_OWING: &str = "88112239"; // owes 74 220 MNT
pub const POSTPAID_SETTLED: &str = "88112238"; // owes nothing

/// The wall clock plus an offset tests can move forward.
#[derive(Default)]
pub struct TestClock {
    offset_secs: AtomicI64,
}

impl TestClock {
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_secs
            .fetch_add(by.num_seconds(), Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::seconds(self.offset_secs.load(Ordering::SeqCst))
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub sandbox: Arc<Sandbox>,
    /// The app's own API v3 gateway, with `PAY_CHANNEL=v3`.
    /// The payments core of the app (for what no route offers yet, e.g. Native payments).
    pub payments: elife_server::payments::Payments,
    pub jobs: Jobs,
    pub top_ups: TopUps,
    /// The app's work that outlives a request (the top-up a callback starts).
    pub background: Background,
    pub shutdown: Shutdown,
    /// The running application; resolves once it has stopped.
    pub stopped: Mutex<Option<JoinHandle<std::io::Result<()>>>>,
    pub clock: Arc<TestClock>,
    pub database_dir: TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let database_dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        database_dir.path().join("elife.db").display()
    );
    spawn_app_on(database_dir, &url, extra).await
}

/// A second instance on the database of `first` (as a second pod would be).
pub async fn spawn_second_instance(first: &TestApp) -> TestApp {
    let url = format!(
        "sqlite://{}?mode=rwc",
        first.database_dir.path().join("elife.db").display()
    );
    spawn_app_on(tempfile::tempdir().expect("temp dir"), &url, &[]).await
}

async fn spawn_app_on(database_dir: TempDir, url: &str, extra: &[(&str, &str)]) -> TestApp {
    let url = url.to_owned();
    let mut vars: HashMap<String, String> = [
        ("PORT", "0"),
        ("SANDBOX", "on"),
        ("ADMIN_TOKEN", ADMIN_TOKEN),
        ("JOBS_ENABLED", "false"),
        ("LOG_DIR", ""),
        ("UNITEL_TIMEOUT", "2000"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    vars.insert("DATABASE_URL".to_owned(), url);
    for (k, v) in extra {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    let settings = Settings::from_lookup(|name| vars.get(name).cloned()).expect("settings");
    let clock = Arc::new(TestClock::default());
    let application = Application::build_with(
        settings,
        Overrides {
            clock: Some(clock.clone()),
        },
    )
    .await
    .expect("application builds");
    let address = format!("http://127.0.0.1:{}", application.port());
    let sandbox = application.sandbox().expect("sandbox on");
    let payments = application.payments();
    let jobs = application.jobs();
    let top_ups = application.top_ups();
    let background = application.background();
    let shutdown = application.shutdown();
    let stopped = tokio::spawn(application.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        sandbox,
        payments,
        jobs,
        top_ups,
        background,
        shutdown,
        stopped: Mutex::new(Some(stopped)),
        clock,
        database_dir,
    }
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply { status, body }
    }

    pub fn as_user(
        &self,
        request: reqwest::RequestBuilder,
        openid: &str,
    ) -> reqwest::RequestBuilder {
        request
            .header("X-WX-SOURCE", "wx_devtools")
            .header("X-WX-OPENID", openid)
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(self.client.post(self.url(path)).json(body)).await
    }

    pub async fn user_get(&self, openid: &str, path: &str) -> Reply {
        self.send(self.as_user(self.client.get(self.url(path)), openid))
            .await
    }

    pub async fn user_post(&self, openid: &str, path: &str, body: &Value) -> Reply {
        self.send(
            self.as_user(self.client.post(self.url(path)), openid)
                .json(body),
        )
        .await
    }

    /// Any method, as the mini-program user `openid`, with a JSON body.
    pub async fn user_call(&self, openid: &str, method: &str, path: &str, body: &Value) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        self.send(
            self.as_user(self.client.request(method, self.url(path)), openid)
                .json(body),
        )
        .await
    }

    pub async fn admin_get(&self, path: &str) -> Reply {
        self.send(self.client.get(self.url(path)).bearer_auth(ADMIN_TOKEN))
            .await
    }

    pub async fn admin_post(&self, path: &str, body: &Value) -> Reply {
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(ADMIN_TOKEN)
                .json(body),
        )
        .await
    }

    pub async fn admin_put(&self, path: &str, body: &Value) -> Reply {
        self.send(
            self.client
                .put(self.url(path))
                .bearer_auth(ADMIN_TOKEN)
                .json(body),
        )
        .await
    }

    pub async fn callback(&self, path: &str, body: &Value, source: bool) -> Reply {
        let mut request = self.client.post(self.url(path)).json(body);
        if source {
            request = request.header("X-WX-SOURCE", "wxpay");
        }
        self.send(request).await
    }

    /// Creates an order and answers its number.
    pub async fn create_order(
        &self,
        openid: &str,
        number: &str,
        kind: &str,
        code: Option<&str>,
    ) -> Value {
        let mut body =
            json!({"phoneNumber": number, "productOperator": "Unitel", "rechargeType": kind});
        if let Some(code) = code {
            body["productCode"] = json!(code);
        }
        let reply = self.user_post(openid, "/orders", &body).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body["data"].clone()
    }

    pub async fn create_payment(&self, openid: &str, order_number: &str) -> Reply {
        self.user_post(
            openid,
            "/payment/create",
            &json!({"orderNumber": order_number}),
        )
        .await
    }

    /// The customer pays in the WeChat simulator.
    pub async fn pay(&self, order_number: &str, options: Value) -> Value {
        let reply = self
            .post(&format!("/__sandbox/pay/{order_number}"), &options)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }

    pub async fn order(&self, openid: &str, order_number: &str) -> Value {
        let reply = self
            .user_get(openid, &format!("/orders/{order_number}"))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["data"].clone()
    }

    pub async fn admin_order(&self, order_number: &str) -> Value {
        let reply = self
            .admin_get(&format!("/admin/orders/{order_number}"))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["data"].clone()
    }

    /// Polls the order until its `rechargeStatus` is `expected`.
    pub async fn wait_for_recharge(
        &self,
        openid: &str,
        order_number: &str,
        expected: &str,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let order = self.order(openid, order_number).await;
            if order["rechargeStatus"] == expected {
                return order;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "order never reached {expected}: {order}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn run_job(&self, job: Job) {
        assert!(
            self.jobs.run_once(job).await.expect("job runs"),
            "lease not taken"
        );
    }

    /// Top-ups the Unitel simulator recorded for this order.
    pub fn top_ups(&self, order_number: &str) -> usize {
        self.sandbox.unitel.ledger().for_journal(order_number).len()
    }

    /// Waits until the app's background work has drained: every top-up a callback started
    /// (in flight or waiting for a permit) and whatever that work started in turn. Panics
    /// past the deadline, naming how much is still running.
    pub async fn settle(&self) {
        let deadline = Duration::from_secs(15);
        assert!(
            self.background.drain(deadline).await,
            "{} background task(s) still in flight after {deadline:?}",
            self.background.in_flight()
        );
    }

    /// Stops the app as SIGTERM would and waits until it has stopped.
    pub async fn stop(&self) {
        self.shutdown.request();
        let running = self.stopped.lock().expect("not poisoned").take();
        if let Some(running) = running {
            running
                .await
                .expect("the app's task ends")
                .expect("the server stops cleanly");
        }
    }
}

/// The Cloud Hosting notification for `order` paid by `transaction_id`.
pub fn callback_body(order: &Value, transaction_id: &str, total_fee: i64) -> Value {
    let number = order["orderNumber"].as_str().unwrap_or_default();
    json!({
        "returnCode": "SUCCESS", "resultCode": "SUCCESS",
        "appid": "wxd2565e6a04246fd1", "mchId": "1800780001", "subMchId": "1712734762",
        "nonceStr": "abc", "openid": "o-payer", "tradeType": "JSAPI", "bankType": "OTHERS",
        "totalFee": total_fee, "feeType": "CNY", "cashFee": total_fee,
        "transactionId": transaction_id, "outTradeNo": number, "timeEnd": "20251018180000",
        "attach": json!({"orderNumber": number}).to_string()
    })
}

pub fn assert_error_envelope(reply: &Reply, status: u16, path: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.body["code"], status, "{}", reply.body);
    assert!(reply.body["data"].is_null(), "{}", reply.body);
    assert!(reply.body["message"].is_string(), "{}", reply.body);
    assert!(reply.body["timestamp"].is_string(), "{}", reply.body);
    assert_eq!(reply.body["path"], path, "{}", reply.body);
}

pub fn assert_success_envelope(reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.body["code"], 200, "{}", reply.body);
    assert_eq!(reply.body["message"], "success", "{}", reply.body);
    let timestamp = reply.body["timestamp"].as_str().unwrap_or_default();
    assert!(
        DateTime::parse_from_rfc3339(timestamp).is_ok(),
        "{}",
        reply.body
    );
}
