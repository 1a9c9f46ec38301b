//! Every key the pay API finds orders and refunds by, among many records (all indexed).

use serde_json::{Value, json};

use super::{call, err_code, fast_config, ordered, refund};
use crate::wechat::{PayOptions, WechatPaySimulator};

const SUB_MCH_ID: &str = "1712734762";

fn no_callback() -> PayOptions {
    PayOptions {
        no_callback: true,
        ..PayOptions::default()
    }
}

fn refund_numbers(answer: &Value) -> Vec<String> {
    let count = answer["respdata"]["refund_count"].as_u64().unwrap_or(0);
    (0..count)
        .map(|index| {
            answer["respdata"][format!("out_refund_no_{index}")]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn orders_and_refunds_are_found_by_each_of_their_keys() {
    let sim = WechatPaySimulator::start(fast_config()).await.unwrap();
    let mut transaction_ids = Vec::new();
    for index in 0..30 {
        let out_trade_no = format!("ORD{index}");
        ordered(&sim, &out_trade_no, 100).await;
        let paid = sim.pay(&out_trade_no, &no_callback()).await.unwrap();
        transaction_ids.push(paid["transaction_id"].as_str().unwrap().to_owned());
    }
    let mut refund_ids = Vec::new();
    for (order, number) in [(7, "R7a"), (3, "R3"), (7, "R7b")] {
        let answer = call(
            &sim,
            "refund",
            refund(&format!("ORD{order}"), number, 100, 10),
        )
        .await;
        refund_ids.push(answer["respdata"]["refund_id"].as_str().unwrap().to_owned());
    }

    let by_transaction = call(
        &sim,
        "queryorder",
        json!({"transaction_id": transaction_ids[12], "sub_mch_id": SUB_MCH_ID}),
    )
    .await;
    assert_eq!(by_transaction["respdata"]["out_trade_no"], "ORD12");
    let unknown = call(
        &sim,
        "queryorder",
        json!({"transaction_id": "4200nope", "sub_mch_id": SUB_MCH_ID}),
    )
    .await;
    assert_eq!(err_code(&unknown), "ORDERNOTEXIST");

    let query = |key: &str, value: &str| json!({key: value, "sub_mch_id": SUB_MCH_ID});
    for (key, value, expected) in [
        ("refund_id", refund_ids[2].as_str(), vec!["R7b"]),
        ("out_refund_no", "R3", vec!["R3"]),
        (
            "transaction_id",
            transaction_ids[7].as_str(),
            vec!["R7a", "R7b"],
        ),
        ("out_trade_no", "ORD7", vec!["R7a", "R7b"]),
    ] {
        let answer = call(&sim, "queryrefund", query(key, value)).await;
        assert_eq!(refund_numbers(&answer), expected, "by {key}");
    }
    let none = call(&sim, "queryrefund", query("out_trade_no", "ORD8")).await;
    assert_eq!(err_code(&none), "REFUNDNOTEXIST");
    let other_merchant = call(
        &sim,
        "queryrefund",
        json!({"out_refund_no": "R3", "sub_mch_id": "1700000000"}),
    )
    .await;
    assert_eq!(err_code(&other_merchant), "REFUNDNOTEXIST");

    let ledger = sim.ledger();
    assert_eq!((ledger.orders.len(), ledger.refunds.len()), (30, 3));
    assert_eq!(ledger.orders[7].refunded_fee, 20);
    sim.stop().await;
}
