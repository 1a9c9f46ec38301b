//! Shared by the adapter's integration tests.
#![allow(dead_code)]

use std::time::Duration;

use elife_domain::money::Fen;
use elife_domain::order::{OpenId, OrderNumber};
use elife_domain::ports::{PaymentRequest, RefundRequest};
use elife_wechat::{CloudPayClient, CloudPayConfig};

pub const ORDER: &str = "ORD1760754386127abcdefghijkl";
pub const SUB_MCH_ID: &str = "1712734762";

pub fn config(base_url: &str) -> CloudPayConfig {
    CloudPayConfig::new("prod-66733tes755tabc", SUB_MCH_ID, "elife")
        .with_base_url(base_url)
        .with_timeout(Duration::from_millis(500))
}

pub fn client(base_url: &str) -> CloudPayClient {
    CloudPayClient::new(config(base_url)).expect("client builds")
}

pub fn order_number(raw: &str) -> OrderNumber {
    OrderNumber::parse(raw).expect("valid order number")
}

pub fn payment_request(raw_order: &str, fen: i64) -> PaymentRequest {
    PaymentRequest {
        order_number: order_number(raw_order),
        openid: OpenId::parse("oZp5njTTsWaCeEoXi14oeOVCKlik").expect("openid"),
        description: "Unitel 5000₮ top-up".to_owned(),
        amount: Fen::new(fen),
        client_ip: "59.37.125.120".to_owned(),
        expires_at: chrono::Utc::now() + chrono::Duration::minutes(30),
    }
}

pub fn refund_request(raw_order: &str, refund_no: &str, total: i64, amount: i64) -> RefundRequest {
    RefundRequest {
        order_number: order_number(raw_order),
        refund_no: refund_no.to_owned(),
        total: Fen::new(total),
        amount: Fen::new(amount),
        reason: "top-up failed".to_owned(),
    }
}
