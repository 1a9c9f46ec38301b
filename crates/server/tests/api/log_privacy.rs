//! No log line carries a full phone number, openid, unionid, token or key: the built `elife`
//! binary runs a whole walk-through (orders for several numbers, payments through the
//! sandbox's callbacks, top-ups, admin views, refused input, a postpaid bill) at debug level
//! with its logs written to files, and every log is then searched for every value used.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const ADMIN_TOKEN: &str = "privacy-admin-token-0123456789";
const DATA_KEYS: &str = "k2:QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=,\
                         k1:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=";
const INDEX_KEY: &str = "SUlJSUlJSUlJSUlJSUlJSUlJSUlJSUlJSUlJSUlJSUk=";

/// A number topped up: (number, recharge type, product code).
type Purchase = (&'static str, &'static str, Option<&'static str>);

/// Shoppers: (openid, unionid sent by Cloud Hosting, what they buy).
const SHOPPERS: &[(&str, &str, &[Purchase])] = &[
    (
        "oPoo341Im-roYxAd3WD3D_6J-4bA",
        "oUnion-7Hq2Lx9Pz4Rk1Vb8Nc3Md6",
        &[
            ("88112233", "voice", Some("ST3000")),
            ("89117736", "data", Some("data3gb2d")),
        ],
    ),
    (
        "oZWaC4xeOVCUkip5njeEeXi1TEsk",
        "oUnion-2Tg5Yh8Uj1Ik4Ol7Pm0Nb3",
        &[
            ("86004425", "voice", Some("ST3000")),
            ("80559939", "postpaid", None),
        ],
    ),
];
/// Numbers only ever sent in refused or read-only requests.
const SETTLED_POSTPAID: &str = "88556618";
const OTHER_OPERATOR: &str = "99445566";
/// Nine digits: its first eight are a number too.
const TOO_LONG: &str = "881122334";

/// The running binary, stopped (SIGTERM, so that the log writer flushes) when dropped.
struct Server {
    child: Child,
    address: String,
    client: reqwest::Client,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let database = format!("sqlite://{}?mode=rwc", dir.join("elife.db").display());
        let child = Command::new(env!("CARGO_BIN_EXE_elife"))
            // No developer's `.env` is read from here.
            .current_dir(dir)
            .env_clear()
            .envs([
                ("ELIFE_ENV", "development"),
                ("SANDBOX", "on"),
                ("HOST", "127.0.0.1"),
                ("PORT", &port.to_string()),
                ("DATABASE_URL", &database),
                ("LOG_DIR", &dir.join("logs").display().to_string()),
                ("LOG_LEVEL", "debug"),
                ("ADMIN_TOKEN", ADMIN_TOKEN),
                ("PERSONAL_DATA_KEYS", DATA_KEYS),
                ("PERSONAL_DATA_INDEX_KEY", INDEX_KEY),
                ("HTTP_WORKERS", "1"),
            ])
            .stdout(Stdio::from(
                std::fs::File::create(dir.join("stdout.log")).expect("stdout file"),
            ))
            .stderr(Stdio::from(
                std::fs::File::create(dir.join("stderr.log")).expect("stderr file"),
            ))
            .spawn()
            .expect("the elife binary starts");
        Server {
            child,
            address: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
        }
    }

    async fn wait_until_up(&mut self) {
        for _ in 0..300 {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("elife exited at start-up: {status}");
            }
            if let Ok(response) = self.client.get(self.url("/health")).send().await
                && response.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("elife did not answer /health within 30 s");
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    fn as_shopper(
        &self,
        request: reqwest::RequestBuilder,
        (openid, unionid): (&str, &str),
    ) -> reqwest::RequestBuilder {
        request
            .header("X-WX-SOURCE", "wx_devtools")
            .header("X-WX-OPENID", openid)
            .header("X-WX-UNIONID", unionid)
    }

    async fn shopper_post(&self, who: (&str, &str), path: &str, body: Value) -> (u16, Value) {
        self.send(
            self.as_shopper(self.client.post(self.url(path)), who)
                .json(&body),
        )
        .await
    }

    async fn shopper_get(&self, who: (&str, &str), path: &str) -> (u16, Value) {
        self.send(self.as_shopper(self.client.get(self.url(path)), who))
            .await
    }

    async fn admin_get(&self, path: &str) -> (u16, Value) {
        self.send(self.client.get(self.url(path)).bearer_auth(ADMIN_TOKEN))
            .await
    }

    /// SIGTERM, then waits for the graceful stop (the file writer flushes on exit).
    fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..600 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Every file under `dir` (the rotated logs, stdout, stderr), as text.
fn all_logs(dir: &Path) -> Vec<(String, String)> {
    let mut logs = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        for entry in std::fs::read_dir(&path)
            .expect("log dir readable")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().and_then(|e| e.to_str()) != Some("db")
                && !path.to_string_lossy().contains("elife.db")
            {
                let text =
                    String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned();
                logs.push((path.display().to_string(), text));
            }
        }
    }
    logs
}

#[tokio::test]
async fn a_whole_walk_through_logs_no_phone_number_openid_or_secret() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = Server::start(dir.path());
    server.wait_until_up().await;

    let mut paid = Vec::new();
    for (openid, unionid, purchases) in SHOPPERS {
        let who = (*openid, *unionid);
        for (number, kind, code) in *purchases {
            // The price list first, as the mini-program does.
            let (status, _) = server
                .send(
                    server
                        .client
                        .post(server.url("/unitel/products/services"))
                        .json(&json!({"msisdn": number, "info": "1"})),
                )
                .await;
            assert_eq!(status, 201, "price list of {number}");
            let mut body =
                json!({"phoneNumber": number, "productOperator": "Unitel", "rechargeType": kind});
            if let Some(code) = code {
                body["productCode"] = json!(code);
            }
            // A query repeating the number: the request's log fields must mask it.
            let (status, order) = server
                .shopper_post(who, &format!("/orders?ref={number}"), body)
                .await;
            assert_eq!(status, 201, "{order}");
            let order_number = order["data"]["orderNumber"].as_str().unwrap().to_owned();
            assert_eq!(
                order["data"]["phoneNumber"], *number,
                "the shopper sees it whole"
            );
            let (status, payment) = server
                .shopper_post(who, "/payment/create", json!({"orderNumber": order_number}))
                .await;
            assert_eq!(status, 201, "{payment}");
            let (status, answer) = server
                .send(
                    server
                        .client
                        .post(server.url(&format!("/__sandbox/pay/{order_number}")))
                        .json(&json!({})),
                )
                .await;
            assert_eq!(status, 200, "{answer}");
            paid.push((who, order_number));
        }
    }
    for (who, order_number) in &paid {
        let mut delivered = false;
        for _ in 0..300 {
            let (_, order) = server
                .shopper_get(*who, &format!("/orders/{order_number}"))
                .await;
            if order["data"]["rechargeStatus"] == "success" {
                delivered = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(delivered, "{order_number} was not topped up");
    }

    // Refused input: every one of these answers 400 and repeats no number.
    let first = (SHOPPERS[0].0, SHOPPERS[0].1);
    for body in [
        json!({"phoneNumber": TOO_LONG, "productOperator": "Unitel", "rechargeType": "voice"}),
        json!({"phoneNumber": OTHER_OPERATOR, "productOperator": "Unitel", "rechargeType": "voice", "productCode": "ST3000"}),
        json!({"phoneNumber": SETTLED_POSTPAID, "productOperator": "Unitel", "rechargeType": "postpaid"}),
        json!({"phoneNumber": 88112233, "productOperator": "Unitel", "rechargeType": "voice"}),
    ] {
        let (status, answer) = server.shopper_post(first, "/orders", body.clone()).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        for number in [TOO_LONG, OTHER_OPERATOR, SETTLED_POSTPAID, "88112233"] {
            assert!(!message.contains(number), "400 repeats {number}: {message}");
        }
    }

    // Bills and lists.
    for number in [SETTLED_POSTPAID, "80559939"] {
        let (status, bill) = server
            .send(
                server
                    .client
                    .post(server.url("/unitel/postpaid-bill"))
                    .json(&json!({"owner": number, "msisdn": number})),
            )
            .await;
        assert_eq!(status, 201, "{bill}");
    }
    let (status, mine) = server
        .shopper_get(first, "/orders/my?page=1&limit=10")
        .await;
    assert_eq!(status, 200, "{mine}");
    let (status, list) = server
        .admin_get("/admin/orders?page=1&limit=50&phone=88112233&phoneNumber=88112233")
        .await;
    assert_eq!(status, 200, "{list}");
    for (_, order_number) in &paid {
        let (status, detail) = server
            .admin_get(&format!("/admin/orders/{order_number}"))
            .await;
        assert_eq!(status, 200, "{detail}");
    }
    let (status, _) = server.admin_get("/admin/notifications").await;
    assert_eq!(status, 200);

    server.stop();
    let logs = all_logs(dir.path());
    let combined: usize = logs
        .iter()
        .filter(|(path, _)| path.contains("combined.log"))
        .map(|(_, text)| text.lines().count())
        .sum();
    assert!(combined > 20, "the file log was written: {combined} lines");
    let logged = |fragment: &str| logs.iter().any(|(_, text)| text.contains(fragment));
    // The search below means something: the numbers were logged, masked, and so was the
    // query that repeated one.
    assert!(logged("unitel top-up sending"), "the top-ups were logged");
    assert!(logged("8811****"), "masked numbers are logged");
    assert!(
        logged("ref=8811****"),
        "the request target is logged, masked"
    );
    if std::env::var_os("ELIFE_PRINT_PRIVACY_LOGS").is_some() {
        for (path, text) in &logs {
            eprintln!("==== {path}\n{text}");
        }
    }

    let mut forbidden: Vec<&str> = vec![
        SETTLED_POSTPAID,
        OTHER_OPERATOR,
        ADMIN_TOKEN,
        "QkJCQkJCQkJCQkJCQkJC",
        "QUFBQUFBQUFBQUFBQUFB",
        "SUlJSUlJSUlJSUlJSUlJ",
    ];
    for (openid, unionid, purchases) in SHOPPERS {
        forbidden.push(openid);
        forbidden.push(unionid);
        forbidden.extend(purchases.iter().map(|(number, _, _)| *number));
    }
    let mut leaks = Vec::new();
    for (path, text) in &logs {
        for (line_number, line) in text.lines().enumerate() {
            for value in &forbidden {
                if line.contains(value) {
                    leaks.push(format!("{path}:{}: {value} in {line}", line_number + 1));
                }
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}
