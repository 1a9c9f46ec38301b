//! What every console handler starts from (the use cases, the operator, the request) and
//! how it answers: a page, or for htmx only the part of it that changed.

use std::fmt::Display;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;
use futures::future::LocalBoxFuture;

use crate::error::ConsoleError;
use crate::layout::{Chrome, Section};
use crate::services::{Console, ConsoleServices};
use crate::session::Operator;

/// A console request from a logged-in operator.
pub struct Context {
    pub console: web::Data<Console>,
    pub operator: Operator,
    pub request: HttpRequest,
}

impl FromRequest for Context {
    type Error = ConsoleError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let operator = Operator::from_request(request, payload);
        let request = request.clone();
        Box::pin(async move {
            let operator = operator.await?;
            let console = request
                .app_data::<web::Data<Console>>()
                .cloned()
                .ok_or(ConsoleError::LoginRequired)?;
            Ok(Context {
                console,
                operator,
                request,
            })
        })
    }
}

/// The content of a page that htmx may also ask for alone (after an action, say).
pub trait Fragment: Template + Display {
    /// The menu entry the page belongs to.
    const SECTION: Section;
    /// The content draws charts: the page loads ECharts.
    const CHARTS: bool = false;
}

/// A page around its [`Fragment`].
#[derive(Template)]
#[template(path = "page.html")]
struct Framed<T: Display> {
    chrome: Chrome,
    charts: bool,
    body: T,
}

impl Context {
    pub fn services(&self) -> &ConsoleServices {
        &self.console.services
    }

    /// `fragment` alone for htmx, else the whole page around it.
    pub fn page<F: Fragment>(
        &self,
        status: StatusCode,
        fragment: F,
    ) -> Result<HttpResponse, ConsoleError> {
        let body = if is_htmx(&self.request) {
            fragment.render()?
        } else {
            Framed {
                chrome: Chrome::new(&self.operator, F::SECTION),
                charts: F::CHARTS,
                body: fragment,
            }
            .render()?
        };
        Ok(html(status, body))
    }

    /// Whether htmx asked to replace the element with this id.
    pub fn targets(&self, id: &str) -> bool {
        is_htmx(&self.request)
            && self
                .request
                .headers()
                .get("hx-target")
                .and_then(|value| value.to_str().ok())
                .is_some_and(|target| target == id)
    }
}

/// Sent by htmx (and not a history restore, which needs the whole page).
fn is_htmx(request: &HttpRequest) -> bool {
    let header = |name: &str| request.headers().contains_key(name);
    header("hx-request") && !header("hx-history-restore-request")
}

pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}
