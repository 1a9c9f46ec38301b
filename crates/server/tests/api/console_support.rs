//! A browser for the console tests: no redirects followed, cookies kept as a browser keeps
//! them (set, replaced, removed by `Max-Age=0`), forms posted from the console's origin.

use std::collections::BTreeMap;
use std::sync::Mutex;

use reqwest::header::{HeaderMap, LOCATION, ORIGIN, SET_COOKIE};

use crate::admin_support::{PASSWORD, create_admin};
use crate::helpers::TestApp;

pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok())
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
    pub cookies: Mutex<BTreeMap<String, String>>,
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
