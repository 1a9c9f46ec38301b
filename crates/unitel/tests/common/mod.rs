//! Shared helpers of the adapter's integration tests.
#![allow(dead_code)] // Each test binary uses a different subset.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use elife_domain::money::Mnt;
use elife_domain::msisdn::Msisdn;
use elife_domain::order::{OrderNumber, RechargeKind};
use elife_domain::ports::TopUpRequest;
use elife_unitel::{UnitelClient, UnitelConfig};

pub const USERNAME: &str = "shop";
pub const PASSWORD: &str = "s3cret";

pub const SMART_TALK: &str = include_str!("../fixtures/Smart-talk.json");
pub const POSTPAID_LIST: &str = include_str!("../fixtures/postpaid.json");
pub const POSTPAID_BILLS: &str = include_str!("../fixtures/postpaid-bill.json");
pub const RECHARGE_OK: &str = include_str!("../fixtures/recharge-res.json");
pub const DATA_PACKAGE_OK: &str = include_str!("../fixtures/activateDataPackage-res.json");

pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

pub fn config(base_url: &str) -> UnitelConfig {
    let mut config = UnitelConfig::new(base_url, USERNAME, PASSWORD);
    config.request_timeout = Duration::from_secs(5);
    config.connect_timeout = Duration::from_secs(2);
    config
}

pub fn client(config: UnitelConfig) -> UnitelClient {
    UnitelClient::new(config).expect("client builds")
}

pub fn msisdn(number: &str) -> Msisdn {
    Msisdn::parse(number).expect("valid msisdn")
}

/// A fresh, valid order number per call.
pub fn order_number() -> OrderNumber {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    OrderNumber::parse(&format!("ORD{:013}{:0>12}", 1_760_754_386_127_u64, n))
        .expect("valid order number")
}

pub fn top_up(kind: RechargeKind, number: &str, code: &str, amount: i64) -> TopUpRequest {
    TopUpRequest {
        journal_id: order_number(),
        msisdn: msisdn(number),
        kind,
        product_code: code.to_owned(),
        amount: Mnt::new(amount),
    }
}
