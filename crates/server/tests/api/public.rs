//! Public endpoints, identity, validation, envelope, OpenAPI, metrics.

use chrono::DateTime;
use elife_server::http::openapi::ApiDoc;
use serde_json::json;
use utoipa::OpenApi;

use crate::helpers::*;

#[tokio::test]
async fn health_and_exchange_rate_use_the_success_envelope() {
    let app = spawn_app().await;
    let health = app.get("/health").await;
    assert_success_envelope(&health, 200);
    assert_eq!(health.body["data"]["status"], "ok");

    let rate = app.get("/exchange-rate/current").await;
    assert_success_envelope(&rate, 200);
    assert_eq!(rate.body["data"]["currency"], "MNT_TO_CNY");
    assert_eq!(rate.body["data"]["rate"], 480.0);
    assert!(rate.body["data"]["updatedAt"].is_string());
}

#[tokio::test]
async fn unknown_routes_get_the_error_envelope_with_the_path() {
    let app = spawn_app().await;
    let reply = app.get("/no/such/route?x=1").await;
    assert_error_envelope(&reply, 404, "/no/such/route?x=1");
}

#[tokio::test]
async fn unitel_price_list_and_bill_are_passed_through() {
    let app = spawn_app().await;
    let prices = app
        .post(
            "/unitel/products/services",
            &json!({"msisdn": VOICE_NUMBER, "info": "1"}),
        )
        .await;
    assert_success_envelope(&prices, 201);
    assert_eq!(
        prices.body["data"]["service"]["cards"]["noday"][0]["code"],
        "ST3000"
    );

    let bill = app
        .post(
            "/unitel/postpaid-bill",
            &json!({"owner": POSTPAID_OWING, "msisdn": POSTPAID_OWING}),
        )
        .await;
    assert_success_envelope(&bill, 201);
    assert!(bill.body["data"].is_object());

    let invalid = app
        .post("/unitel/products/services", &json!({"msisdn": "12ab"}))
        .await;
    assert_error_envelope(&invalid, 400, "/unitel/products/services");

    let missing = app.post("/unitel/postpaid-bill", &json!({})).await;
    assert_error_envelope(&missing, 400, "/unitel/postpaid-bill");
    assert_eq!(
        missing.body["message"],
        "owner should not be empty, msisdn should not be empty"
    );
}

#[tokio::test]
async fn calls_without_the_cloud_hosting_identity_are_refused() {
    let app = spawn_app().await;
    let anonymous = app.get("/orders/my").await;
    assert_error_envelope(&anonymous, 401, "/orders/my");
    // The old backend's messages, word for word.
    assert_eq!(anonymous.body["message"], "非微信环境访问");

    let no_openid = app
        .client
        .get(app.url("/orders/my"))
        .header("X-WX-SOURCE", "wx")
        .send()
        .await
        .unwrap();
    assert_eq!(no_openid.status(), 401);
    let message: serde_json::Value = no_openid.json().await.unwrap();
    assert_eq!(message["message"], "未登录");

    // The mock header is ignored unless enabled.
    let mocked = app
        .client
        .get(app.url("/orders/my"))
        .header("X-Mock-Openid", "dev")
        .send()
        .await
        .unwrap();
    assert_eq!(mocked.status(), 401);

    let from_header_wins = app
        .client
        .get(app.url("/orders/my"))
        .header("X-WX-SOURCE", "wx")
        .header("X-WX-OPENID", "plain")
        .header("X-WX-FROM-OPENID", "shared")
        .send()
        .await
        .unwrap();
    assert_eq!(from_header_wins.status(), 200);
}

#[tokio::test]
async fn the_mock_identity_works_when_enabled_in_development() {
    let app = spawn_app_with(&[("MOCK_IDENTITY_ENABLED", "true")]).await;
    let mocked = app
        .client
        .get(app.url("/orders/my"))
        .header("X-Mock-Openid", "dev")
        .send()
        .await
        .unwrap();
    assert_eq!(mocked.status(), 200);
}

#[tokio::test]
async fn order_input_is_validated_and_every_problem_reported() {
    let app = spawn_app().await;
    let reply = app
        .user_post("o-1", "/orders", &json!({"phoneNumber": "12ab"}))
        .await;
    assert_error_envelope(&reply, 400, "/orders");
    assert_eq!(
        reply.body["message"],
        "phone number must be 8 digits, got \"12**\", productOperator should not be empty, rechargeType should not be empty"
    );

    for (body, fragment) in [
        (
            json!({"phoneNumber": "99112233", "productOperator": "Unitel", "rechargeType": "voice", "productCode": "ST3000"}),
            "Mobicom",
        ),
        (
            json!({"phoneNumber": VOICE_NUMBER, "productOperator": "Unitel", "rechargeType": "voice", "productCode": "NOPE"}),
            "NOPE",
        ),
        (
            json!({"phoneNumber": VOICE_NUMBER, "productOperator": "Unitel", "rechargeType": "voice"}),
            "productCode",
        ),
        (
            json!({"phoneNumber": VOICE_NUMBER, "productOperator": "Unitel", "rechargeType": "gold", "productCode": "ST3000"}),
            "voice, data or postpaid",
        ),
        (
            json!({"phoneNumber": POSTPAID_SETTLED, "productOperator": "Unitel", "rechargeType": "postpaid"}),
            "nothing is owed",
        ),
    ] {
        let reply = app.user_post("o-1", "/orders", &body).await;
        assert_error_envelope(&reply, 400, "/orders");
        let message = reply.body["message"].as_str().unwrap_or_default();
        assert!(message.contains(fragment), "{message} lacks {fragment}");
        // The number is masked in the answer, as in the logs.
        for number in ["99112233", VOICE_NUMBER, POSTPAID_SETTLED] {
            assert!(!message.contains(number), "{message} repeats {number}");
        }
    }

    let malformed = app
        .as_user(app.client.post(app.url("/orders")), "o-1")
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let body: serde_json::Value = malformed.json().await.unwrap();
    assert_eq!(body["code"], 400);
    assert_eq!(body["path"], "/orders");

    let too_large = app
        .as_user(app.client.post(app.url("/orders")), "o-1")
        .header("Content-Type", "application/json")
        .body(format!("{{\"phoneNumber\":\"{}\"}}", "8".repeat(100_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), 413);
}

#[tokio::test]
async fn orders_belong_to_their_owner_and_list_with_filters() {
    let app = spawn_app().await;
    let order = app
        .create_order("o-owner", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap();
    assert_eq!(number.len(), 28);
    assert!(number.starts_with("ORD"));
    // Types as the old backend's JSON had them: Prisma wrote its DECIMAL columns as
    // strings, `product_unit` INT as a number, dates as `toISOString()`.
    assert_eq!(order["productPriceTg"], "3000");
    assert_eq!(order["productPriceRmb"], "6.25");
    assert!(order["productUnit"].is_u64(), "{order}");
    let created = order["createdAt"].as_str().unwrap();
    assert_eq!(created.len(), "2025-10-18T10:00:00.123Z".len(), "{created}");
    assert!(created.ends_with('Z'), "{created}");
    assert!(DateTime::parse_from_rfc3339(created).is_ok());
    assert_eq!(order["paymentStatus"], "unpaid");
    assert!(order["rechargeStatus"].is_null());
    for field in [
        "openid",
        "phoneNumber",
        "productOperator",
        "productRechargeType",
        "productName",
        "productEngName",
        "productCode",
        "productUnit",
        "productData",
        "productDays",
        "seqId",
        "createdAt",
        "paidAt",
        "rechargeAt",
    ] {
        assert!(order.get(field).is_some(), "{field} missing");
    }

    let stranger = app
        .user_get("o-stranger", &format!("/orders/{number}"))
        .await;
    assert_error_envelope(&stranger, 404, &format!("/orders/{number}"));
    // The owner gets the row and, as the old backend's `findOne` had it, its `user`.
    let mine = app.user_get("o-owner", &format!("/orders/{number}")).await;
    assert_success_envelope(&mine, 200);
    assert_eq!(mine.body["data"]["orderNumber"], number);
    assert_eq!(mine.body["data"]["productPriceRmb"], "6.25");
    assert_eq!(mine.body["data"]["user"]["openid"], "o-owner");
    assert!(mine.body["data"]["user"]["createdAt"].is_string());
    assert!(mine.body["data"]["user"].get("appid").is_some());
    let garbage = app.user_get("o-owner", "/orders/not-an-order").await;
    assert_eq!(garbage.status, 404);

    app.create_order("o-owner", DATA_NUMBER, "data", Some("data3gb2d"))
        .await;
    let mine = app.user_get("o-owner", "/orders/my?page=1&limit=1").await;
    assert_success_envelope(&mine, 200);
    assert_eq!(mine.body["data"]["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        mine.body["data"]["pagination"],
        json!({"page": 1, "limit": 1, "total": 2, "totalPages": 2})
    );
    let unpaid = app
        .user_get("o-owner", "/orders/my?paymentStatus=paid")
        .await;
    assert_eq!(unpaid.body["data"]["pagination"]["total"], 0);
    let theirs = app.user_get("o-stranger", "/orders/my").await;
    assert_eq!(theirs.body["data"]["pagination"]["total"], 0);

    let invalid = app
        .user_get(
            "o-owner",
            "/orders/my?paymentStatus=rich&startDate=yesterday&limit=0",
        )
        .await;
    assert_error_envelope(
        &invalid,
        400,
        "/orders/my?paymentStatus=rich&startDate=yesterday&limit=0",
    );
    assert_eq!(
        invalid.body["message"],
        "paymentStatus \"rich\" is not a payment status, startDate must be a date YYYY-MM-DD, limit must be an integer of at least 1"
    );

    // The old backend had no upper bound on `limit`: a big one is served as 100.
    let big = app.user_get("o-owner", "/orders/my?limit=1000").await;
    assert_success_envelope(&big, 200);
    assert_eq!(
        big.body["data"]["pagination"],
        json!({"page": 1, "limit": 100, "total": 2, "totalPages": 1})
    );
}

#[tokio::test]
async fn payment_creation_checks_owner_and_state() {
    let app = spawn_app().await;
    let order = app
        .create_order("o-pay", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap();

    let params = app.create_payment("o-pay", number).await;
    assert_success_envelope(&params, 201);
    for field in [
        "appId",
        "timeStamp",
        "nonceStr",
        "package",
        "signType",
        "paySign",
    ] {
        assert!(
            params.body["data"][field].is_string(),
            "{field}: {}",
            params.body
        );
    }

    let stranger = app.create_payment("o-other", number).await;
    assert_error_envelope(&stranger, 404, "/payment/create");
    let missing = app.user_post("o-pay", "/payment/create", &json!({})).await;
    assert_error_envelope(&missing, 400, "/payment/create");
    assert_eq!(missing.body["message"], "orderNumber should not be empty");
}

#[tokio::test]
async fn order_creation_is_limited_per_user_not_per_address() {
    let app = spawn_app_with(&[("RATE_LIMIT_ORDERS", "3")]).await;
    for _ in 0..3 {
        app.create_order("o-busy", VOICE_NUMBER, "voice", Some("ST3000"))
            .await;
    }
    let body = json!({"phoneNumber": VOICE_NUMBER, "productOperator": "Unitel", "rechargeType": "voice", "productCode": "ST3000"});
    let limited = app.user_post("o-busy", "/orders", &body).await;
    assert_error_envelope(&limited, 429, "/orders");
    // Another user behind the same address is not affected.
    let other = app.user_post("o-calm", "/orders", &body).await;
    assert_eq!(other.status, 201);
}

#[tokio::test]
async fn openapi_lists_every_route_and_swagger_ui_is_served() {
    let app = spawn_app().await;
    let doc = app.get("/api-json").await;
    assert_eq!(doc.status, 200);
    // The document's own test (`http::openapi`) checks that it lists every route; here,
    // that the one served is that document.
    let generated = serde_json::to_value(ApiDoc::openapi()).expect("the document as JSON");
    assert_eq!(
        doc.body, generated,
        "/api-json is not the generated document"
    );
    let schemas = doc.body["components"]["schemas"]
        .as_object()
        .expect("schemas");
    assert!(schemas.contains_key("ErrorEnvelope"));

    let swagger = app.client.get(app.url("/api/")).send().await.unwrap();
    assert_eq!(swagger.status(), 200);
    let html = swagger.text().await.unwrap();
    assert!(html.contains("swagger"), "not the Swagger UI page");
}

#[tokio::test]
async fn metrics_are_exposed_in_prometheus_format() {
    let app = spawn_app().await;
    app.get("/health").await;
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(metrics.headers().get("x-request-id").is_some());
    let text = metrics.text().await.unwrap();
    assert!(text.contains("elife_http_requests_total"), "{text}");
}

#[tokio::test]
async fn payment_creation_is_limited_per_user() {
    let app = spawn_app_with(&[("RATE_LIMIT_PAYMENTS", "2")]).await;
    let order = app
        .create_order("o-pl", VOICE_NUMBER, "voice", Some("ST3000"))
        .await;
    let number = order["orderNumber"].as_str().unwrap();
    assert_eq!(app.create_payment("o-pl", number).await.status, 201);
    assert_eq!(app.create_payment("o-pl", number).await.status, 201);
    let limited = app.create_payment("o-pl", number).await;
    assert_error_envelope(&limited, 429, "/payment/create");
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let app = spawn_app_with(&[("CORS_ALLOWED_ORIGINS", "https://admin.example.com")]).await;
    let allowed = app
        .client
        .get(app.url("/health"))
        .header("Origin", "https://admin.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap()),
        Some("https://admin.example.com")
    );
    let other = app
        .client
        .get(app.url("/health"))
        .header("Origin", "https://evil.example.com")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}
