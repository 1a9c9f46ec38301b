//! The OpenAPI 3 document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "elife API",
        description = "Mongolian mobile top-ups paid with WeChat Pay. Success responses are wrapped in `{code, data, message, timestamp}`; errors in `{code, message, data: null, timestamp, path}`; the payment callback answers WeChat's bare `{errcode, errmsg}`."
    ),
    paths(
        routes::public::health,
        routes::public::current_exchange_rate,
        routes::public::unitel_services,
        routes::public::postpaid_bill,
        routes::orders::create_order,
        routes::orders::my_orders,
        routes::orders::order_detail,
        routes::payment::create_payment,
        routes::callback::payment_callback,
        routes::callback::payment_callback_with_number,
        routes::callback::refund_callback,
        routes::statistics::overview,
        routes::statistics::users,
        routes::statistics::orders,
        routes::statistics::revenue,
        routes::admin::list_orders,
        routes::admin::order_detail,
        routes::admin::resolve,
        routes::admin::refund,
        routes::admin::sync_payment,
        routes::admin::set_exchange_rate,
        routes::admin::notifications,
        routes::admin::notification_stats,
    ),
    components(schemas(super::envelope::ErrorEnvelope)),
    modifiers(&AdminToken),
    tags(
        (name = "public", description = "no identity needed"),
        (name = "unitel", description = "Unitel price list and postpaid bill"),
        (name = "orders", description = "the mini-program user's orders (X-WX-SOURCE + X-WX-OPENID)"),
        (name = "payment", description = "WeChat Pay: payment parameters and the callback"),
        (name = "statistics", description = "admin figures (Bearer ADMIN_TOKEN)"),
        (name = "admin", description = "admin operations (Bearer ADMIN_TOKEN)"),
    )
)]
pub struct ApiDoc;

struct AdminToken;

impl Modify for AdminToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_every_route() {
        let doc = ApiDoc::openapi();
        for path in [
            "/health",
            "/exchange-rate/current",
            "/unitel/products/services",
            "/unitel/postpaid-bill",
            "/orders",
            "/orders/my",
            "/orders/{orderNumber}",
            "/payment/create",
            "/payment/callback",
            "/payment/callback/{orderNumber}",
            "/payment/refund-callback",
            "/statistics",
            "/statistics/users",
            "/statistics/orders",
            "/statistics/revenue",
            "/admin/orders",
            "/admin/orders/{orderNumber}",
            "/admin/orders/{orderNumber}/resolve",
            "/admin/orders/{orderNumber}/refund",
            "/admin/orders/{orderNumber}/sync-payment",
            "/admin/exchange-rate",
            "/admin/notifications",
            "/admin/notifications/stats",
        ] {
            assert!(doc.paths.paths.contains_key(path), "{path} missing");
        }
    }
}
