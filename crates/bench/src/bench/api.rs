//! The HTTP calls the benchmark makes, as the mini-program, WeChat Cloud Hosting and the
//! customer paying in the WeChat simulator would.

use serde_json::{Value, json};

use crate::shop;

/// A Smart Talk number of the Unitel simulator (last digit 3..5): `ST3000` is on its list.
pub const VOICE_NUMBER: &str = "88112233";
pub const PRODUCT_CODE: &str = "ST3000";

/// One order the benchmark created, with what its callback needs.
#[derive(Debug, Clone)]
pub struct PreparedOrder {
    pub number: String,
    pub openid: String,
    /// Set once the customer paid in the WeChat simulator (without a notification).
    pub transaction_id: Option<String>,
    pub total_fee: i64,
}

/// The server and the WeChat simulator, over one keep-alive connection pool.
#[derive(Debug, Clone)]
pub struct Api {
    pub base: String,
    pub wechat: String,
    pub client: reqwest::Client,
}

async fn read(response: reqwest::Response, what: &str) -> Result<Value, String> {
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|error| format!("{what}: {error}"))?;
    if !status.is_success() {
        return Err(format!("{what}: HTTP {status}: {text}"));
    }
    serde_json::from_str(&text).map_err(|error| format!("{what}: {error}: {text}"))
}

/// The openid of benchmark user `index` (distinct users: rate limits are per user).
pub fn openid(index: usize) -> String {
    format!("o-bench-{index:06}")
}

impl Api {
    pub fn new(base: String, wechat: String, pool: usize) -> Api {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(pool.max(1))
            .tcp_nodelay(true)
            .build()
            .unwrap_or_default();
        Api {
            base,
            wechat,
            client,
        }
    }

    fn as_user(&self, request: reqwest::RequestBuilder, openid: &str) -> reqwest::RequestBuilder {
        shop::as_customer(request, "wx_devtools", openid)
    }

    /// `POST /orders` for a 3000 MNT voice card; the order number.
    pub async fn create_order(&self, openid: &str) -> Result<String, String> {
        let url = format!("{}{}", self.base, shop::CREATE_ORDER);
        let request = self
            .as_user(self.client.post(url), openid)
            .json(&shop::order_request(
                VOICE_NUMBER,
                "voice",
                Some(PRODUCT_CODE),
            ));
        let response = request
            .send()
            .await
            .map_err(|error| format!("POST /orders: {error}"))?;
        let body = read(response, "POST /orders").await?;
        shop::created_order_number(&body)
            .ok_or_else(|| format!("POST /orders: no order number in {body}"))
    }

    /// `POST /payment/create`: the order now exists in the WeChat simulator.
    pub async fn create_payment(&self, openid: &str, number: &str) -> Result<(), String> {
        let url = format!("{}{}", self.base, shop::CREATE_PAYMENT);
        let request = self
            .as_user(self.client.post(url), openid)
            .json(&shop::payment_request(number));
        let response = request
            .send()
            .await
            .map_err(|error| format!("POST /payment/create: {error}"))?;
        read(response, "POST /payment/create").await.map(|_| ())
    }

    /// The customer pays in the WeChat simulator, which does not notify: the benchmark
    /// posts the notification itself. The transaction id and amount.
    pub async fn pay_without_callback(&self, number: &str) -> Result<(String, i64), String> {
        let response = self
            .client
            .post(shop::sandbox_pay_url(&self.wechat, number))
            .json(&json!({ "no_callback": true }))
            .send()
            .await
            .map_err(|error| format!("sandbox pay: {error}"))?;
        let body = read(response, "sandbox pay").await?;
        let transaction = body["transaction_id"]
            .as_str()
            .ok_or_else(|| format!("sandbox pay: no transaction_id in {body}"))?;
        let fee = body["total_fee"]
            .as_i64()
            .ok_or_else(|| format!("sandbox pay: no total_fee in {body}"))?;
        Ok((transaction.to_owned(), fee))
    }

    /// Cloud Hosting's payment notification, answered `{"errcode":0}` when recorded.
    pub async fn callback(&self, order: &PreparedOrder) -> Result<(), String> {
        let transaction = order
            .transaction_id
            .as_deref()
            .ok_or_else(|| format!("order {} was not paid in the simulator", order.number))?;
        let body = callback_body(&order.number, transaction, order.total_fee);
        let response = self
            .client
            .post(format!("{}/payment/callback", self.base))
            .header("X-WX-SOURCE", "wxpay")
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|error| format!("callback: {error}"))?;
        let answer = read(response, "callback").await?;
        if answer["errcode"] == 0 {
            Ok(())
        } else {
            Err(format!("callback not acknowledged: {answer}"))
        }
    }

    /// `GET /orders/my` (first page of ten).
    pub async fn my_orders(&self, openid: &str) -> Result<(), String> {
        let response = self
            .as_user(
                self.client
                    .get(format!("{}/orders/my?page=1&limit=10", self.base)),
                openid,
            )
            .send()
            .await
            .map_err(|error| format!("GET /orders/my: {error}"))?;
        let body = read(response, "GET /orders/my").await?;
        if body["data"]["data"].is_array() {
            Ok(())
        } else {
            Err(format!("GET /orders/my: unexpected {body}"))
        }
    }
}

/// The Cloud Hosting notification of `number` paid by `transaction_id`, field for field as
/// the server's tests build it (and as the WeChat simulator sends it).
pub fn callback_body(number: &str, transaction_id: &str, total_fee: i64) -> String {
    json!({
        "returnCode": "SUCCESS", "resultCode": "SUCCESS",
        "appid": "wxd2565e6a04246fd1", "mchId": "1800780001", "subMchId": "1712734762",
        "nonceStr": "abc", "openid": "o-payer", "tradeType": "JSAPI", "bankType": "OTHERS",
        "totalFee": total_fee, "feeType": "CNY", "cashFee": total_fee,
        "transactionId": transaction_id, "outTradeNo": number, "timeEnd": "20251018180000",
        "attach": json!({ "orderNumber": number }).to_string()
    })
    .to_string()
}
