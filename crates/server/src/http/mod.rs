//! The HTTP inbound adapter: routes, envelope, identity, admin credential, limits, OpenAPI.

pub mod admin_auth;
pub mod admin_routes;
pub mod connection;
pub mod envelope;
pub mod identity;
pub mod log_span;
pub mod openapi;
pub mod rate_limit;
pub mod routes;
pub mod server;
pub mod validation;
pub mod views;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{HttpRequest, HttpResponse, web};
use elife_domain::privacy::scrub_phone_numbers;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use envelope::ApiError;

/// Request bodies that are not valid JSON (or too large) get the error envelope too.
fn json_error(error: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    let api_error = match &error {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::new(
                actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                "request body is too large",
            )
        }
        JsonPayloadError::ContentType => {
            ApiError::bad_request("Content-Type must be application/json")
        }
        // serde repeats the offending value (a number sent as `88112233`): masked.
        JsonPayloadError::Deserialize(inner) => {
            ApiError::bad_request(scrub_phone_numbers(&format!("invalid JSON body: {inner}")))
        }
        _ => ApiError::bad_request(scrub_phone_numbers(&format!("invalid JSON body: {error}"))),
    };
    api_error.into()
}

fn query_error(error: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request(scrub_phone_numbers(&format!("invalid query: {error}"))).into()
}

fn path_error(error: PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request(scrub_phone_numbers(&format!("invalid path: {error}"))).into()
}

async fn not_found(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found(format!(
        "Cannot {} {}",
        request.method(),
        request.path()
    )))
}

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(openapi::ApiDoc::openapi())
}

/// Every route of the service; shared by the server and the tests.
pub fn configure(cfg: &mut web::ServiceConfig, body_limit: usize, swagger: bool) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(body_limit)
            .error_handler(json_error),
    )
    .app_data(web::QueryConfig::default().error_handler(query_error))
    .app_data(web::PathConfig::default().error_handler(path_error))
    .app_data(web::PayloadConfig::default().limit(body_limit))
    .service(routes::public::health)
    .service(routes::public::current_exchange_rate)
    .service(routes::public::unitel_services)
    .service(routes::public::postpaid_bill)
    .service(routes::orders::create_order)
    // `/orders/my` before `/orders/{orderNumber}`.
    .service(routes::orders::my_orders)
    .service(routes::orders::order_detail)
    .service(routes::payment::create_payment)
    .service(routes::auth::wechat_login)
    .service(routes::auth::refresh)
    .service(routes::auth::logout)
    .service(routes::users::me)
    .service(routes::users::update_me)
    .service(routes::callback::payment_callback)
    .service(routes::callback::payment_callback_with_number)
    .service(routes::callback::refund_callback)
    .service(routes::notify::payment_notify)
    .service(routes::notify::refund_notify)
    .service(routes::notify::api_payment_notify)
    .service(routes::notify::api_refund_notify)
    .service(routes::statistics::overview)
    .service(routes::statistics::users)
    .service(routes::statistics::orders)
    .service(routes::statistics::revenue)
    .service(routes::admin::list_orders)
    .service(routes::admin::order_detail)
    .service(routes::admin::resolve)
    .service(routes::admin::refund)
    .service(routes::admin::sync_payment)
    .service(routes::admin_exchange_rate::set_exchange_rate)
    .service(routes::admin_notifications::notification_stats)
    .service(routes::admin_notifications::notification_statistics)
    .service(routes::admin_notifications::notifications)
    .service(routes::admin_notifications::retry_notification)
    .service(routes::audit::list_audit)
    .service(routes::points::package_list)
    .service(routes::points::package_detail)
    .service(routes::points::create_points_order)
    .service(routes::points::my_points_orders)
    .service(routes::points::my_points_order)
    .service(routes::points::cancel_points_order)
    .service(routes::points::my_account)
    .service(routes::points::my_ledger)
    .service(routes::admin_points::list_packages)
    .service(routes::admin_points::create_package)
    .service(routes::admin_points::update_package)
    .service(routes::admin_points::delete_package)
    .service(routes::admin_points::shop_statistics)
    .service(routes::admin_points_orders::list_points_orders)
    .service(routes::admin_points_orders::points_order_detail)
    .service(routes::admin_points_orders::refund_points_order)
    .service(routes::admin_points_orders::user_account)
    .service(routes::admin_points_orders::adjust_points)
    .service(routes::mall_catalog::categories)
    .service(routes::mall_catalog::products)
    .service(routes::mall_catalog::product)
    .service(routes::mall_catalog::hot_terms)
    .service(routes::mall_checkout::quote)
    .service(routes::mall_checkout::place_order)
    .service(routes::mall_checkout::pay_order)
    .service(routes::mall_orders::my_orders)
    .service(routes::mall_orders::my_order)
    .service(routes::mall_orders::cancel_order)
    .service(routes::mall_orders::confirm_receipt)
    .service(routes::mall_after_sales::apply)
    .service(routes::mall_after_sales::order_after_sales)
    .service(routes::mall_after_sales::my_after_sales)
    .service(routes::mall_after_sales::my_after_sale)
    .service(routes::mall_after_sales::ship_back)
    .service(routes::mall_after_sales::cancel)
    .service(routes::mall_shoppers::list_addresses)
    .service(routes::mall_shoppers::add_address)
    .service(routes::mall_shoppers::update_address)
    .service(routes::mall_shoppers::delete_address)
    .service(routes::mall_shoppers::set_default_address)
    .service(routes::mall_shoppers::list_favourites)
    .service(routes::mall_shoppers::add_favourite)
    .service(routes::mall_shoppers::remove_favourite)
    .service(routes::mall_shoppers::list_history)
    .service(routes::mall_shoppers::clear_history)
    .service(routes::mall_cart::cart)
    .service(routes::mall_cart::add_to_cart)
    .service(routes::mall_cart::change_line)
    .service(routes::mall_cart::select_all)
    .service(routes::mall_cart::remove_line)
    .service(routes::mall_reviews::review)
    .service(routes::mall_reviews::product_reviews)
    .service(routes::mall_reviews::review_stats)
    .service(routes::mall_reviews::my_reviews)
    .service(routes::mall_reviews::tracking)
    // mall: end of shopper routes
    .service(routes::admin_mall_edits::edit_product)
    .service(routes::admin_mall_edits::edit_sku)
    .service(routes::admin_mall_statistics::mall_statistics)
    .service(routes::admin_mall_shop::list_reviews)
    .service(routes::admin_mall_shop::reply_review)
    .service(routes::admin_mall_shop::list_companies)
    .service(routes::admin_mall_shop::save_company)
    .service(routes::admin_mall_shop::list_freight_templates)
    .service(routes::admin_mall_shop::create_freight_template)
    .service(routes::admin_mall_shop::update_freight_template)
    .service(routes::admin_mall_shop::default_freight_template)
    .service(routes::admin_mall_shop::delete_freight_template)
    .service(routes::admin_mall_categories::list_categories)
    .service(routes::admin_mall_categories::create_category)
    .service(routes::admin_mall_categories::reorder_categories)
    .service(routes::admin_mall_categories::update_category)
    .service(routes::admin_mall_categories::move_category)
    .service(routes::admin_mall_products::list_products)
    .service(routes::admin_mall_products::product_detail)
    .service(routes::admin_mall_products::create_product)
    .service(routes::admin_mall_products::publish_product)
    .service(routes::admin_mall_products::unpublish_product)
    .service(routes::admin_mall_products::delete_product)
    .service(routes::admin_mall_stock::adjust_stock)
    .service(routes::admin_mall_stock::low_stock)
    .service(routes::admin_mall_orders::list_mall_orders)
    .service(routes::admin_mall_orders::mall_order_detail)
    .service(routes::admin_mall_orders::ship_mall_order)
    .service(routes::admin_mall_orders::cancel_mall_order)
    .service(routes::admin_mall_after_sales::after_sale_queue)
    .service(routes::admin_mall_after_sales::after_sale_detail)
    .service(routes::admin_mall_after_sales::approve_after_sale)
    .service(routes::admin_mall_after_sales::reject_after_sale)
    .service(routes::admin_mall_after_sales::receive_after_sale)
    .service(routes::admin_mall_after_sales::refund_after_sale)
    .service(routes::admin_auth::login)
    .service(routes::admin_auth::refresh)
    .service(routes::admin_auth::logout)
    .service(routes::admin_accounts::list_admins)
    .service(routes::admin_accounts::create_admin)
    .service(routes::admin_accounts::update_admin)
    .service(routes::admin_accounts::reset_password)
    .route("/api-json", web::get().to(openapi_json));
    if swagger {
        cfg.service(
            SwaggerUi::new("/api/{_:.*}").url("/api-doc/openapi.json", openapi::ApiDoc::openapi()),
        );
        cfg.route(
            "/api",
            web::get().to(|| async {
                HttpResponse::Found()
                    .insert_header(("Location", "/api/"))
                    .finish()
            }),
        );
    }
    cfg.default_service(web::to(not_found));
}
