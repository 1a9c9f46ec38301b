//! Creating, querying, paying and closing orders; the merchant's signature checked.

use super::*;

const NOTIFY: &str = "https://merchant.example/notify/wechat";

#[tokio::test]
async fn a_jsapi_order_is_created_once_and_answered_again_for_the_same_request() {
    let sim = start().await;
    let merchant = Merchant::of(&sim);
    let keys = sim.keys();
    let created = merchant.create_jsapi("ORDER-0001", 500, NOTIFY).await;
    assert_eq!(created.status, 200, "{:?}", created.json());
    verify_answer(&keys, &created).expect("the answer is signed by WeChat Pay");
    let prepay_id = created.json()["prepay_id"]
        .as_str()
        .expect("a prepay_id")
        .to_owned();
    assert!(prepay_id.starts_with("wx"));

    let again = merchant.create_jsapi("ORDER-0001", 500, NOTIFY).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["prepay_id"], prepay_id.as_str());
    let changed = merchant.create_jsapi("ORDER-0001", 501, NOTIFY).await;
    assert_eq!(changed.status, 400);
    assert_eq!(changed.json()["code"], "INVALID_REQUEST");
    verify_answer(&keys, &changed).expect("errors are signed too");

    let query = merchant.query("ORDER-0001").await;
    assert_eq!(query.status, 200);
    verify_answer(&keys, &query).expect("signed");
    let body = query.json();
    assert_eq!(body["trade_state"], "NOTPAY");
    assert_eq!(body["amount"]["total"], 500);
    assert_eq!(body["attach"], "{\"kind\":\"topup\"}");
    assert!(body.get("transaction_id").is_none());
    assert_eq!(sim.ledger().orders.len(), 1);
    sim.stop().await;
}

#[tokio::test]
async fn a_native_order_is_paid_then_found_by_transaction_id_and_cannot_be_closed() {
    let sim = start().await;
    let merchant = Merchant::of(&sim);
    let mut order = merchant.order("NATIVE-0001", 1200, NOTIFY);
    order.as_object_mut().expect("object").remove("payer");
    let created = merchant.post("/v3/pay/transactions/native", &order).await;
    assert_eq!(created.status, 200, "{:?}", created.json());
    assert!(
        created.json()["code_url"]
            .as_str()
            .expect("code_url")
            .starts_with("weixin://wxpay/bizpayurl?pr=")
    );

    let paid = sim
        .pay(
            "NATIVE-0001",
            &V3PayOptions {
                no_notify: true,
                ..V3PayOptions::default()
            },
        )
        .await
        .expect("paid");
    let transaction_id = paid["transaction_id"].as_str().expect("an id").to_owned();
    assert_eq!(transaction_id.len(), 28);
    let by_id = merchant
        .get(&format!(
            "/v3/pay/transactions/id/{transaction_id}?mchid={}",
            merchant.mchid
        ))
        .await;
    assert_eq!(by_id.status, 200);
    let body = by_id.json();
    assert_eq!(body["trade_state"], "SUCCESS");
    assert_eq!(body["trade_type"], "NATIVE");
    assert_eq!(body["out_trade_no"], "NATIVE-0001");
    assert_eq!(body["amount"]["payer_total"], 1200);
    assert!(
        body["success_time"]
            .as_str()
            .expect("a time")
            .ends_with("+08:00")
    );

    let close = merchant
        .post(
            "/v3/pay/transactions/out-trade-no/NATIVE-0001/close",
            &json!({"mchid": merchant.mchid}),
        )
        .await;
    assert_eq!(
        (close.status, close.json()["code"].clone()),
        (400, json!("ORDERPAID"))
    );
    let recreate = merchant.post("/v3/pay/transactions/native", &order).await;
    assert_eq!(recreate.json()["code"], "ORDERPAID");
    let twice = sim.pay("NATIVE-0001", &V3PayOptions::default()).await;
    assert!(twice.expect_err("already paid").starts_with("409"));
    sim.stop().await;
}

#[tokio::test]
async fn closing_an_unpaid_order_is_signed_204_and_a_late_payment_still_lands() {
    let sim = start().await;
    let merchant = Merchant::of(&sim);
    let keys = sim.keys();
    merchant.create_jsapi("ORDER-CLOSE", 100, NOTIFY).await;
    let close_url = "/v3/pay/transactions/out-trade-no/ORDER-CLOSE/close";
    let closed = merchant
        .post(close_url, &json!({"mchid": merchant.mchid}))
        .await;
    assert_eq!(closed.status, 204);
    assert!(closed.body.is_empty());
    verify_answer(&keys, &closed).expect("a 204 is signed over the empty body");
    let again = merchant
        .post(close_url, &json!({"mchid": merchant.mchid}))
        .await;
    assert_eq!(again.status, 204);
    assert_eq!(
        merchant.query("ORDER-CLOSE").await.json()["trade_state"],
        "CLOSED"
    );
    let recreate = merchant.create_jsapi("ORDER-CLOSE", 100, NOTIFY).await;
    assert_eq!(recreate.json()["code"], "ORDER_CLOSED");

    let refused = sim.pay("ORDER-CLOSE", &V3PayOptions::default()).await;
    assert!(refused.expect_err("closed").starts_with("409"));
    let late = V3PayOptions {
        late: true,
        no_notify: true,
    };
    sim.pay("ORDER-CLOSE", &late).await.expect("a late payment");
    assert_eq!(
        merchant.query("ORDER-CLOSE").await.json()["trade_state"],
        "SUCCESS"
    );
    assert!(sim.ledger().order("ORDER-CLOSE").expect("order").paid_late);

    let unknown = merchant.query("ORDER-NOPE").await;
    assert_eq!(
        (unknown.status, unknown.json()["code"].clone()),
        (404, json!("ORDER_NOT_EXIST"))
    );
    let unknown_close = merchant
        .post(
            "/v3/pay/transactions/out-trade-no/ORDER-NOPE/close",
            &json!({"mchid": merchant.mchid}),
        )
        .await;
    assert_eq!(unknown_close.status, 404);
    sim.stop().await;
}

#[tokio::test]
async fn requests_without_a_valid_merchant_signature_are_refused() {
    let sim = start().await;
    let merchant = Merchant::of(&sim);
    let keys = sim.keys();
    let url = "/v3/pay/transactions/jsapi";
    let order = merchant.order("ORDER-SIGN", 100, NOTIFY);
    let now = chrono::Utc::now().timestamp();

    let unsigned = merchant.send_with("POST", url, Some(&order), None).await;
    // Signed over another body.
    let other_body = merchant.authorization("POST", url, now, "{}");
    let tampered = merchant
        .send_with("POST", url, Some(&order), Some(other_body))
        .await;
    // Signed for another path.
    let other_path = merchant.authorization(
        "POST",
        "/v3/pay/transactions/native",
        now,
        &order.to_string(),
    );
    let wrong_path = merchant
        .send_with("POST", url, Some(&order), Some(other_path))
        .await;
    let stale = merchant.authorization("POST", url, now - 600, &order.to_string());
    let old = merchant
        .send_with("POST", url, Some(&order), Some(stale))
        .await;
    let unknown_serial = merchant
        .authorization("POST", url, now, &order.to_string())
        .replace(
            &merchant.serial_no,
            "0000000000000000000000000000000000000000",
        );
    let wrong_serial = merchant
        .send_with("POST", url, Some(&order), Some(unknown_serial))
        .await;
    for refused in [&unsigned, &tampered, &wrong_path, &old, &wrong_serial] {
        assert_eq!(refused.status, 401);
        assert_eq!(refused.json()["code"], "SIGN_ERROR");
        verify_answer(&keys, refused).expect("signed");
    }
    assert!(sim.ledger().orders.is_empty());

    let signed = merchant.post(url, &order).await;
    assert_eq!(signed.status, 200);
    sim.stop().await;
}

#[tokio::test]
async fn invalid_fields_are_param_errors_naming_the_field() {
    let sim = start().await;
    let merchant = Merchant::of(&sim);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "amount.total",
            json!({"amount": {"total": 0}}),
            "PARAM_ERROR",
        ),
        (
            "amount.total",
            json!({"amount": {"total": 1.5}}),
            "PARAM_ERROR",
        ),
        ("payer.openid", json!({"payer": {}}), "PARAM_ERROR"),
        ("description", json!({"description": ""}), "PARAM_ERROR"),
        (
            "out_trade_no",
            json!({"out_trade_no": "bad no!"}),
            "PARAM_ERROR",
        ),
        (
            "notify_url",
            json!({"notify_url": "https://x/n?a=1"}),
            "PARAM_ERROR",
        ),
        (
            "appid",
            json!({"appid": "wx0000000000000000"}),
            "APPID_MCHID_NOT_MATCH",
        ),
        ("mchid", json!({"mchid": "1234567890"}), "MCH_NOT_EXISTS"),
    ];
    for (field, change, code) in cases {
        let mut order = merchant.order("ORDER-FIELDS", 100, NOTIFY);
        for (name, value) in change.as_object().expect("object") {
            order[name] = value.clone();
        }
        let answer = merchant.create_jsapi_body(&order).await;
        assert_eq!(answer.status, 400, "{field}");
        assert_eq!(answer.json()["code"], code, "{field}: {:?}", answer.json());
        if code == "PARAM_ERROR" {
            assert_eq!(answer.json()["detail"]["field"], field);
        }
    }
    let query_without_mchid = merchant
        .get("/v3/pay/transactions/out-trade-no/ORDER-FIELDS")
        .await;
    assert_eq!(query_without_mchid.json()["code"], "PARAM_ERROR");
    assert!(sim.ledger().orders.is_empty());
    sim.stop().await;
}

impl Merchant {
    async fn create_jsapi_body(&self, order: &Value) -> Received {
        self.post("/v3/pay/transactions/jsapi", order).await
    }
}

#[tokio::test]
async fn moving_the_clock_expires_orders_but_not_signatures() {
    let sim = start().await;
    let merchant = Merchant::of(&sim);
    let keys = sim.keys();
    let mut order = merchant.order("ORDER-EXPIRE", 100, NOTIFY);
    let expire = chrono::Utc::now() + chrono::Duration::minutes(10);
    order["time_expire"] = json!(expire.to_rfc3339());
    assert_eq!(merchant.create_jsapi_body(&order).await.status, 200);
    sim.advance_clock(Duration::from_secs(11 * 60));

    let refused = sim.pay("ORDER-EXPIRE", &V3PayOptions::default()).await;
    assert!(refused.expect_err("expired").contains("time_expire"));
    let query = merchant.query("ORDER-EXPIRE").await;
    assert_eq!(query.status, 200, "requests signed now are still fresh");
    verify_answer(&keys, &query).expect("answers are signed with real time");
    assert_eq!(query.json()["trade_state"], "NOTPAY");
    sim.stop().await;
}
