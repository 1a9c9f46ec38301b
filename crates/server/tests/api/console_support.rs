//! A browser for the console tests: no redirects followed, cookies kept as a browser keeps
//! them (set, replaced, removed by `Max-Age=0`), forms posted from the console's origin;
//! and the orders the console tests look at.

use std::collections::BTreeMap;
use std::sync::Mutex;

use elife_sandbox::unitel::{Faults, TopUpFault};
use reqwest::header::{HeaderMap, LOCATION, ORIGIN, SET_COOKIE};
use serde_json::{Value, json};

use crate::admin_support::{PASSWORD, create_admin};
use crate::helpers::{TestApp, VOICE_NUMBER};

/// The cookies a browser holds, by name.
pub type Jar = BTreeMap<String, String>;

pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok())
    }

    /// The page, once its status is `status` (else the failure shows the body).
    #[track_caller]
    pub fn assert_status(self, status: u16) -> Page {
        assert_eq!(self.status, status, "{}", self.body);
        self
    }

    /// Whether the body shows `text`.
    pub fn shows(&self, text: &str) -> bool {
        self.body.contains(text)
    }

    /// The text of the element carrying `data-field="name"`.
    pub fn field(&self, name: &str) -> Option<String> {
        let (_, rest) = self.body.split_once(&format!("data-field=\"{name}\""))?;
        let (_, rest) = rest.split_once('>')?;
        rest.split('<').next().map(str::to_owned)
    }

    /// The `Set-Cookie` headers, as sent.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }
}

pub struct Browser<'a> {
    pub app: &'a TestApp,
    client: reqwest::Client,
    cookies: Mutex<Jar>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    /// A browser logged in as a new account of `role`.
    pub async fn logged_in(app: &'a TestApp, role: &str) -> Browser<'a> {
        let username = format!("console-{}", role.replace('_', "-"));
        create_admin(app, &username, role).await;
        let browser = Browser::new(app);
        let page = browser
            .post_form(
                "/console/login",
                &[("username", &username), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(page.status, 303, "{}", page.body);
        browser
    }

    /// The cookies held now.
    pub fn jar(&self) -> Jar {
        self.cookies.lock().expect("cookies").clone()
    }

    /// Holds `jar` instead (an old session's cookies, say).
    pub fn set_jar(&self, jar: Jar) {
        *self.cookies.lock().expect("cookies") = jar;
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .expect("cookies")
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&self, page: &Page) {
        let mut jar = self.cookies.lock().expect("cookies");
        for header in page.set_cookies() {
            let mut parts = header.split(';');
            let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
                continue;
            };
            let removed = parts.any(|attribute| attribute.trim().eq_ignore_ascii_case("Max-Age=0"));
            if removed || value.is_empty() {
                jar.remove(name.trim());
            } else {
                jar.insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let response = request
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("request sent");
        let page = Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        };
        self.keep(&page);
        page
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send(self.client.get(self.app.url(path))).await
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(
            self.client
                .post(self.app.url(path))
                .header(ORIGIN, self.app.address.clone())
                .form(form),
        )
        .await
    }

    /// A form posted by htmx, which answers the fragment it replaces.
    pub async fn htmx_post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(
            self.client
                .post(self.app.url(path))
                .header(ORIGIN, self.app.address.clone())
                .header("hx-request", "true")
                .form(form),
        )
        .await
    }

    /// A POST as another site's page would send it.
    pub async fn post_from(&self, origin: &str, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(
            self.client
                .post(self.app.url(path))
                .header(ORIGIN, origin)
                .form(form),
        )
        .await
    }
}

/// An order whose payment was started and not made: the order as created and its number.
pub async fn unpaid_order(app: &TestApp, openid: &str) -> (Value, String) {
    let order = app
        .create_order(openid, VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().expect("number").to_owned();
    app.create_payment(openid, &number).await;
    (order, number)
}

/// A paid order whose top-up ended `expected` under `fault` (lifted afterwards); answers
/// its number.
pub async fn paid_order(app: &TestApp, openid: &str, fault: TopUpFault, expected: &str) -> String {
    let (_, number) = unpaid_order(app, openid).await;
    let unitel = &app.sandbox.unitel;
    let faults = Faults {
        top_up: fault,
        ..Faults::default()
    };
    unitel.set_faults(faults).expect("faults");
    app.pay(&number, json!({})).await;
    app.wait_for_recharge(openid, &number, expected).await;
    unitel.set_faults(Faults::default()).expect("faults");
    number
}

/// A paid order whose top-up Unitel applied but never confirmed: `unknown`.
pub async fn unknown_order(app: &TestApp, openid: &str) -> String {
    let fault = TopUpFault::ApplyThenDrop { hold_ms: 20 };
    paid_order(app, openid, fault, "unknown").await
}

/// A paid order whose top-up Unitel refused: `failed`.
pub async fn failed_order(app: &TestApp, openid: &str) -> String {
    let fault = TopUpFault::Failed {
        code: "105".to_owned(),
        msg: "Insufficient dealer balance".to_owned(),
    };
    paid_order(app, openid, fault, "failed").await
}
