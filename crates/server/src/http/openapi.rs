//! The OpenAPI 3 document, generated from the handlers' annotations.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
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
        routes::auth::wechat_login,
        routes::auth::refresh,
        routes::auth::logout,
        routes::users::me,
        routes::users::update_me,
        routes::callback::payment_callback,
        routes::callback::payment_callback_with_number,
        routes::callback::refund_callback,
        routes::notify::payment_notify,
        routes::notify::api_payment_notify,
        routes::notify::refund_notify,
        routes::notify::api_refund_notify,
        routes::statistics::overview,
        routes::statistics::users,
        routes::statistics::orders,
        routes::statistics::revenue,
        routes::admin::list_orders,
        routes::admin::order_detail,
        routes::admin::resolve,
        routes::admin::refund,
        routes::admin::sync_payment,
        routes::admin_exchange_rate::set_exchange_rate,
        routes::admin_notifications::notifications,
        routes::admin_notifications::notification_stats,
        routes::admin_notifications::notification_statistics,
        routes::admin_notifications::retry_notification,
        routes::audit::list_audit,
        routes::admin_auth::login,
        routes::admin_auth::refresh,
        routes::admin_auth::logout,
        routes::admin_accounts::list_admins,
        routes::admin_accounts::create_admin,
        routes::admin_accounts::update_admin,
        routes::admin_accounts::reset_password,
        routes::points::package_list,
        routes::points::package_detail,
        routes::points::create_points_order,
        routes::points::my_points_orders,
        routes::points::my_points_order,
        routes::points::cancel_points_order,
        routes::points::my_account,
        routes::points::my_ledger,
        routes::admin_points::list_packages,
        routes::admin_points::create_package,
        routes::admin_points::update_package,
        routes::admin_points::delete_package,
        routes::admin_points::shop_statistics,
        routes::admin_points_orders::list_points_orders,
        routes::admin_points_orders::points_order_detail,
        routes::admin_points_orders::refund_points_order,
        routes::admin_points_orders::user_account,
        routes::admin_points_orders::adjust_points,
        routes::mall_catalog::categories,
        routes::mall_catalog::products,
        routes::mall_catalog::product,
        routes::mall_catalog::hot_terms,
        routes::mall_checkout::quote,
        routes::mall_checkout::place_order,
        routes::mall_checkout::pay_order,
        routes::mall_orders::my_orders,
        routes::mall_orders::my_order,
        routes::mall_orders::cancel_order,
        routes::mall_orders::confirm_receipt,
        routes::mall_after_sales::apply,
        routes::mall_after_sales::order_after_sales,
        routes::mall_after_sales::my_after_sales,
        routes::mall_after_sales::my_after_sale,
        routes::mall_after_sales::ship_back,
        routes::mall_after_sales::cancel,
        routes::mall_shoppers::list_addresses,
        routes::mall_shoppers::add_address,
        routes::mall_shoppers::update_address,
        routes::mall_shoppers::delete_address,
        routes::mall_shoppers::set_default_address,
        routes::mall_shoppers::list_favourites,
        routes::mall_shoppers::add_favourite,
        routes::mall_shoppers::remove_favourite,
        routes::mall_shoppers::list_history,
        routes::mall_shoppers::clear_history,
        routes::mall_cart::cart,
        routes::mall_cart::add_to_cart,
        routes::mall_cart::change_line,
        routes::mall_cart::select_all,
        routes::mall_cart::remove_line,
        routes::mall_reviews::review,
        routes::mall_reviews::product_reviews,
        routes::mall_reviews::review_stats,
        routes::mall_reviews::my_reviews,
        routes::mall_reviews::tracking,
        // mall: end of shopper routes
        routes::admin_mall_edits::edit_product,
        routes::admin_mall_edits::edit_sku,
        routes::admin_mall_statistics::mall_statistics,
        routes::admin_mall_shop::list_reviews,
        routes::admin_mall_shop::reply_review,
        routes::admin_mall_shop::list_companies,
        routes::admin_mall_shop::save_company,
        routes::admin_mall_shop::list_freight_templates,
        routes::admin_mall_shop::create_freight_template,
        routes::admin_mall_shop::update_freight_template,
        routes::admin_mall_shop::default_freight_template,
        routes::admin_mall_shop::delete_freight_template,
        routes::admin_mall_categories::list_categories,
        routes::admin_mall_categories::create_category,
        routes::admin_mall_categories::reorder_categories,
        routes::admin_mall_categories::update_category,
        routes::admin_mall_categories::move_category,
        routes::admin_mall_products::list_products,
        routes::admin_mall_products::product_detail,
        routes::admin_mall_products::create_product,
        routes::admin_mall_products::publish_product,
        routes::admin_mall_products::unpublish_product,
        routes::admin_mall_products::delete_product,
        routes::admin_mall_stock::adjust_stock,
        routes::admin_mall_stock::low_stock,
        routes::admin_mall_orders::list_mall_orders,
        routes::admin_mall_orders::mall_order_detail,
        routes::admin_mall_orders::ship_mall_order,
        routes::admin_mall_orders::cancel_mall_order,
        routes::admin_mall_after_sales::after_sale_queue,
        routes::admin_mall_after_sales::after_sale_detail,
        routes::admin_mall_after_sales::approve_after_sale,
        routes::admin_mall_after_sales::reject_after_sale,
        routes::admin_mall_after_sales::receive_after_sale,
        routes::admin_mall_after_sales::refund_after_sale,
    ),
    components(schemas(super::envelope::ErrorEnvelope)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "public", description = "no identity needed"),
        (name = "unitel", description = "Unitel price list and postpaid bill"),
        (name = "orders", description = "the mini-program user's orders (X-WX-SOURCE + X-WX-OPENID)"),
        (name = "payment", description = "WeChat Pay: payment parameters and the callback"),
        (name = "statistics", description = "admin figures (Bearer ADMIN_TOKEN)"),
        (name = "admin", description = "admin operations (Bearer admin access token, or the ADMIN_TOKEN break-glass credential); each route needs a permission of the caller's role"),
        (name = "admin-auth", description = "admin login, token refresh and logout"),
        (name = "auth", description = "shopper login with WeChat (jscode2session), token refresh and logout"),
        (name = "users", description = "the caller's own account (Cloud Hosting identity or a shopper access token)"),
        (name = "admin-accounts", description = "admin accounts and roles (super admins)"),
        (name = "points", description = "points packages (public), buying one through WeChat Pay, the caller's points orders, balance and ledger"),
        (name = "mall", description = "the mall for shoppers: catalog, search, cart, checkout, orders, after-sales, reviews, addresses, favourites, history"),
        (name = "admin-mall", description = "the mall's back office: catalog, stock, orders and shipping, after-sales, freight templates, reviews, logistics, figures"),
        (name = "admin-points", description = "points packages, points orders and refunds, users' points accounts and adjustments, the shop's figures"),
    )
)]
pub struct ApiDoc;

/// How callers prove who they are: shoppers through Cloud Hosting's injected headers or
/// a bearer access token from `/auth/wechat/login`; admins with a bearer admin access token
/// from `/admin/auth/login`, or the `ADMIN_TOKEN` break-glass credential.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let jwt = |description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(description))
                    .build(),
            )
        };
        components.add_security_scheme(
            "cloud_hosting",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-WX-OPENID",
                "Injected by WeChat Cloud Hosting into mini-program calls, with X-WX-SOURCE",
            ))),
        );
        components.add_security_scheme(
            "shopper_bearer",
            jwt("Shopper access token from POST /auth/wechat/login (2 h)"),
        );
        components.add_security_scheme(
            "admin_bearer",
            jwt("Admin access token from POST /admin/auth/login (short-lived)"),
        );
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "ADMIN_TOKEN break-glass credential: acts as the super admin `break-glass`",
                    ))
                    .build(),
            ),
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
            "/payment/notify/wechat",
            "/payment/notify/wechat/refund",
            "/api/payment/notify/wechat",
            "/api/payment/notify/wechat/refund",
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
            "/admin/notifications/statistics",
            "/admin/notifications/{id}/retry",
            "/api/payment/packages",
            "/api/payment/packages/{id}",
            "/api/payment/orders",
            "/api/payment/orders/{orderNo}",
            "/api/payment/orders/{orderNo}/cancel",
            "/api/points/account",
            "/api/points/ledger",
            "/admin/points/packages",
            "/admin/points/packages/{id}",
            "/admin/points/orders",
            "/admin/points/orders/{orderNo}",
            "/admin/points/orders/{orderNo}/refund",
            "/admin/points/accounts/{openid}",
            "/admin/points/accounts/{openid}/adjust",
            "/admin/points/statistics",
        ] {
            assert!(doc.paths.paths.contains_key(path), "{path} missing");
        }
    }

    #[test]
    fn routes_that_need_a_caller_name_how_to_prove_it() {
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("the document as JSON");
        let schemes = doc["components"]["securitySchemes"]
            .as_object()
            .expect("security schemes");
        for scheme in [
            "cloud_hosting",
            "shopper_bearer",
            "admin_bearer",
            "admin_token",
        ] {
            assert!(schemes.contains_key(scheme), "{scheme} missing");
        }
        let paths = doc["paths"].as_object().expect("paths");
        for (path, operations) in paths {
            let needs_caller = [
                "/orders",
                "/payment/create",
                "/users/",
                "/admin/",
                "/statistics",
                "/api/payment/orders",
                "/api/points/",
            ]
                .iter()
                .any(|prefix| path.starts_with(prefix))
                // Logging in and refreshing present a password or a refresh token instead.
                && !["/admin/auth/login", "/admin/auth/refresh"].contains(&path.as_str());
            if !needs_caller {
                continue;
            }
            for (method, operation) in operations.as_object().expect("operations") {
                let security = operation["security"].as_array();
                assert!(
                    security.is_some_and(|list| !list.is_empty()),
                    "{method} {path} names no security scheme"
                );
            }
        }
    }
}
