//! The request's root span, whose fields every log line of the request carries: the same
//! fields as `tracing-actix-web`'s default, except that the target (path and query) is
//! masked — a query can carry a phone number (`/admin/orders?phone=…`), an openid or a
//! token, and no log line may.

use std::borrow::Cow;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use elife_domain::privacy::{SECRET_MASK, mask_openid, scrub_phone_numbers};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

/// Query parameters whose whole value is hidden.
const SECRET_PARAMETERS: &[&str] = &["token", "secret", "password", "key", "signature"];
/// Query parameters holding a WeChat identifier, shown as `o-ab…yz`.
const IDENTIFIER_PARAMETERS: &[&str] = &["openid", "unionid"];

/// [`tracing_actix_web::TracingLogger`]'s root span with a masked `http.target`.
pub struct PrivateRootSpan;

impl RootSpanBuilder for PrivateRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let route: Cow<'static, str> = request
            .match_pattern()
            .map(Into::into)
            .unwrap_or_else(|| "default".into());
        let target = private_target(
            request
                .uri()
                .path_and_query()
                .map(|target| target.as_str())
                .unwrap_or(""),
        );
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let connection = request.connection_info();
        let user_agent = request
            .headers()
            .get("User-Agent")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.host = %connection.host(),
            http.client_ip = %connection.realip_remote_addr().unwrap_or(""),
            http.user_agent = %user_agent,
            http.target = %target,
            http.status_code = tracing::field::Empty,
            otel.name = %format!("{} {}", request.method(), route),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// `path?query` with phone numbers masked everywhere, identifiers masked and secrets hidden
/// in the query.
pub fn private_target(target: &str) -> String {
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let mut private = scrub_phone_numbers(path);
    if let Some(query) = query {
        private.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) => {
                    format!("{}={}", scrub_phone_numbers(name), masked(name, value))
                }
                None => scrub_phone_numbers(pair),
            })
            .collect();
        private.push_str(&pairs.join("&"));
    }
    private
}

fn masked(name: &str, value: &str) -> String {
    let name = name.to_ascii_lowercase();
    if SECRET_PARAMETERS.iter().any(|secret| name.contains(secret)) {
        SECRET_MASK.to_owned()
    } else if IDENTIFIER_PARAMETERS.iter().any(|id| name.contains(id)) {
        mask_openid(value)
    } else {
        scrub_phone_numbers(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_identifiers_and_secrets_are_masked() {
        assert_eq!(
            private_target("/admin/orders?phone=88112233&page=2&limit=20"),
            "/admin/orders?phone=8811****&page=2&limit=20"
        );
        assert_eq!(
            private_target("/x/99112233?openid=oPoo341Im-roYxAd3WD3D_6J-4bA&access_token=abc"),
            "/x/9911****?openid=oPoo…bA&access_token=***"
        );
        assert_eq!(
            private_target("/orders/ORD1760754386127abcdefghijkl"),
            "/orders/ORD1760754386127abcdefghijkl"
        );
        assert_eq!(private_target("/health"), "/health");
        assert_eq!(private_target("/a?flag&q=88112233"), "/a?flag&q=8811****");
    }
}
