//! What a customer sends the server (as the mini-program does, through WeChat Cloud
//! Hosting's identity headers) and the WeChat and Unitel simulators' control paths: the
//! requests both tools make, written once.

use serde_json::{Value, json};

/// `POST` path that creates an order.
pub const CREATE_ORDER: &str = "/orders";
/// `POST` path that creates the order's payment at WeChat.
pub const CREATE_PAYMENT: &str = "/payment/create";
/// `POST` path that buys a points package: the order and its payment at once.
pub const CREATE_POINTS_ORDER: &str = "/api/payment/orders";
/// `POST` path where an admin creates a points package.
pub const ADMIN_POINTS_PACKAGES: &str = "/admin/points/packages";

/// The request as customer `openid`, coming from `source` (`X-WX-SOURCE`).
pub fn as_customer(
    request: reqwest::RequestBuilder,
    source: &str,
    openid: &str,
) -> reqwest::RequestBuilder {
    request
        .header("X-WX-SOURCE", source)
        .header("X-WX-OPENID", openid)
}

/// The request as an admin holding `token` (`ADMIN_TOKEN`, the break-glass credential).
pub fn as_admin(request: reqwest::RequestBuilder, token: &str) -> reqwest::RequestBuilder {
    request.bearer_auth(token)
}

/// The body of `POST /orders` for a Unitel number; postpaid bills have no product code.
pub fn order_request(phone: &str, recharge_type: &str, product_code: Option<&str>) -> Value {
    let mut body = json!({
        "phoneNumber": phone,
        "productOperator": "Unitel",
        "rechargeType": recharge_type,
    });
    if let Some(code) = product_code {
        body["productCode"] = json!(code);
    }
    body
}

/// The body of `POST /payment/create`.
pub fn payment_request(order_number: &str) -> Value {
    json!({ "orderNumber": order_number })
}

/// The order number in the answer of `POST /orders`.
pub fn created_order_number(answer: &Value) -> Option<String> {
    answer["data"]["orderNumber"].as_str().map(str::to_owned)
}

/// The body of `POST /api/payment/orders`: package `package_id`, paid in the mini-program.
pub fn points_order_request(package_id: i64) -> Value {
    json!({ "packageId": package_id, "channel": "jsapi" })
}

/// The order number in the answer of `POST /api/payment/orders`.
pub fn created_points_order_number(answer: &Value) -> Option<String> {
    answer["data"]["order"]["orderNo"]
        .as_str()
        .map(str::to_owned)
}

/// The body of `POST /admin/points/packages`: an active package.
pub fn points_package_request(
    name: &str,
    amount_fen: i64,
    points: i64,
    bonus_points: i64,
    sort_order: i32,
) -> Value {
    json!({
        "name": name,
        "description": format!("{points} points + {bonus_points} bonus"),
        "amountFen": amount_fen,
        "points": points,
        "bonusPoints": bonus_points,
        "active": true,
        "sortOrder": sort_order,
    })
}

/// The id in the answer of `POST /admin/points/packages`.
pub fn created_package_id(answer: &Value) -> Option<i64> {
    answer["data"]["id"].as_i64()
}

/// Where the customer pays `order_number` in the WeChat simulator.
pub fn sandbox_pay_url(wechat_url: &str, order_number: &str) -> String {
    format!("{wechat_url}/__sandbox/pay/{order_number}")
}

/// The WeChat simulator's settings (callback targets, retry schedule).
pub fn wechat_config_url(wechat_url: &str) -> String {
    format!("{wechat_url}/__sandbox/wechat/config")
}

/// The WeChat simulator's ledger: its orders and every callback attempt.
pub fn wechat_ledger_url(wechat_url: &str) -> String {
    format!("{wechat_url}/__sandbox/wechat/ledger")
}

/// The WeChat simulator's clock, which decides when it closes an unpaid order.
pub fn wechat_clock_url(wechat_url: &str) -> String {
    format!("{wechat_url}/__sandbox/wechat/clock")
}

/// The Unitel simulator's fault settings.
pub fn unitel_faults_url(unitel_url: &str) -> String {
    format!("{unitel_url}/__sandbox/faults")
}

/// The Unitel simulator's ledger of top-ups.
pub fn unitel_ledger_url(unitel_url: &str) -> String {
    format!("{unitel_url}/__sandbox/ledger")
}
