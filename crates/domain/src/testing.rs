//! Ready-made values for tests in this crate and in adapters (`mocks` feature).

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;

use crate::money::{ExchangeRate, Fen, Mnt};
use crate::msisdn::{Msisdn, Operator};
use crate::order::{OpenId, Order, OrderNumber, ProductSnapshot, RechargeKind};

pub const ORDER_NUMBER: &str = "ORD1760754386127abcdefghijkl";
pub const OPENID: &str = "o-test-openid";
pub const MSISDN: &str = "88112233";

/// 2025-10-18 10:00:00 UTC.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 10, 18, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

pub fn order_number(n: u32) -> OrderNumber {
    let raw = format!("ORD1760754386127{n:012}");
    OrderNumber::parse(&raw).unwrap_or_else(|_| panic!("bad test order number {raw}"))
}

pub fn voice_product() -> ProductSnapshot {
    ProductSnapshot {
        operator: Operator::Unitel,
        kind: RechargeKind::Voice,
        code: "SY3000".to_owned(),
        name: "3000 нэгж (30 хоног)".to_owned(),
        eng_name: "3000 unit, 30 days".to_owned(),
        price: Mnt::new(3000),
        unit: Some(3000),
        data: None,
        days: Some(30),
    }
}

/// An unpaid voice order of 3000 MNT at 480 MNT/CNY: 6.25 CNY, 625 fen.
pub fn unpaid_order() -> Order {
    Order::new(
        OrderNumber::parse(ORDER_NUMBER).unwrap_or_else(|_| order_number(1)),
        OpenId::parse(OPENID).unwrap_or_else(|_| unreachable!()),
        Msisdn::parse(MSISDN).unwrap_or_else(|_| unreachable!()),
        voice_product(),
        ExchangeRate::new(Decimal::new(480, 0)).unwrap_or_else(|_| unreachable!()),
        Fen::new(625),
        t0(),
    )
}

/// Applies a transition's result, as a repository would after winning it.
pub fn after(result: Result<crate::order::Transition, crate::order::OrderError>) -> Order {
    match result {
        Ok(transition) => transition.order,
        Err(error) => panic!("transition refused: {error}"),
    }
}

pub fn paid_order() -> Order {
    after(unpaid_order().mark_paid("4200000001", t0(), "test"))
}

pub fn submitting_order() -> Order {
    after(paid_order().claim_recharge(t0()))
}

/// A paid order whose top-up the provider accepted and is confirming by `seq`.
pub fn confirming_order(seq: &str) -> Order {
    after(submitting_order().record_top_up(
        &crate::order::TopUpResult::Pending {
            seq: seq.to_owned(),
        },
        t0(),
    ))
}

/// A paid order whose top-up the provider refused for sure.
pub fn failed_order() -> Order {
    after(submitting_order().record_top_up(
        &crate::order::TopUpResult::Failed {
            reason: "E1: refused".to_owned(),
        },
        t0(),
    ))
}

/// A paid order whose top-up outcome nobody knows.
pub fn unknown_order() -> Order {
    after(submitting_order().record_top_up(
        &crate::order::TopUpResult::Unknown {
            reason: "timeout".to_owned(),
        },
        t0(),
    ))
}

/// A paid order topped up successfully.
pub fn success_order() -> Order {
    after(submitting_order().record_top_up(
        &crate::order::TopUpResult::Succeeded {
            seq: Some("SEQ-1".to_owned()),
            receipt: None,
        },
        t0(),
    ))
}

/// A failed order whose automatic refund was started.
pub fn refunding_order() -> Order {
    after(failed_order().request_refund(crate::order::Actor::System, "automatic refund", t0()))
}

/// An unpaid order closed on expiry.
pub fn closed_order() -> Order {
    after(unpaid_order().close("expired unpaid", t0()))
}

/// A data package of the subscriber's price list.
pub fn data_product() -> crate::ports::Product {
    crate::ports::Product {
        kind: RechargeKind::Data,
        group: "data".to_owned(),
        code: "DATA10GB".to_owned(),
        name: "10GB".to_owned(),
        eng_name: "10GB, 30 days".to_owned(),
        price: Mnt::new(10_000),
        unit: None,
        data: Some("10GB".to_owned()),
        days: Some(30),
    }
}

/// The voice card of [`voice_product`] as the provider lists it.
pub fn voice_price_list_product() -> crate::ports::Product {
    let snapshot = voice_product();
    crate::ports::Product {
        kind: snapshot.kind,
        group: "day".to_owned(),
        code: snapshot.code,
        name: snapshot.name,
        eng_name: snapshot.eng_name,
        price: snapshot.price,
        unit: snapshot.unit,
        data: snapshot.data,
        days: snapshot.days,
    }
}

/// A price list with the voice card of [`voice_product`] and [`data_product`].
pub fn price_list() -> crate::ports::PriceList {
    crate::ports::PriceList {
        products: vec![voice_price_list_product(), data_product()],
        raw: serde_json::json!({"result": "success"}),
    }
}
