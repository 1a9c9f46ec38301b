//! The ops console, served at `/console/`: server-rendered pages (askama) made lively by
//! htmx, charts drawn by a vendored ECharts, every asset compiled into the binary.
//!
//! An inbound adapter like the HTTP API: its handlers parse a form, call the same use cases
//! the API's handlers call ([`ConsoleServices`]) and render the answer. Admins log in with
//! their own accounts; each page shows only what their role may do, and each action checks
//! the permission again.

mod assets;
mod error;
mod format;
mod layout;
mod pages;
pub mod paths;
mod services;
mod session;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpMessage, HttpResponse, web};

pub use error::ConsoleError;
pub use services::{Console, ConsoleServices};
pub use session::{ACCESS_COOKIE, REFRESH_COOKIE};

/// Mounts the console under `/console`.
pub fn configure(cfg: &mut web::ServiceConfig, console: Console) {
    cfg.route(
        paths::ROOT,
        web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header(("Location", paths::HOME))
                .finish()
        }),
    )
    .service(
        web::scope(paths::ROOT)
            .app_data(web::Data::new(console))
            // Forms are small; a larger body is not a console form.
            .app_data(web::FormConfig::default().limit(16 * 1024))
            .wrap(from_fn(renew_cookies))
            .wrap(from_fn(security_headers))
            .route("/assets/{name}", web::get().to(assets::asset))
            .configure(pages::configure),
    );
}

/// Hands the browser the tokens a request renewed (its access token had expired).
async fn renew_cookies(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let secure = request
        .app_data::<web::Data<Console>>()
        .is_some_and(|console| console.secure_cookies);
    let mut response = next.call(request).await?;
    let renewed = response
        .request()
        .extensions()
        .get::<session::RenewedTokens>()
        .cloned();
    if let Some(session::RenewedTokens(tokens)) = renewed {
        for cookie in session::session_cookies(&tokens, secure) {
            response.response_mut().add_cookie(&cookie)?;
        }
    }
    Ok(response)
}

/// No framing by other sites, no sniffing, scripts only from the console itself.
async fn security_headers(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(request).await?;
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        (
            "content-security-policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        ),
    ] {
        headers.insert(
            actix_web::http::header::HeaderName::from_static(name),
            actix_web::http::header::HeaderValue::from_static(value),
        );
    }
    Ok(response)
}
