//! Trade and fund-flow bills: the digest answered matches the file downloaded.

use sha1::{Digest, Sha1};

use super::*;

fn today() -> String {
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("an offset");
    chrono::Utc::now()
        .with_timezone(&china)
        .format("%Y-%m-%d")
        .to_string()
}

async fn download(merchant: &Merchant, answer: &Received) -> (String, Vec<u8>) {
    let body = answer.json();
    assert_eq!(body["hash_type"], "SHA1");
    let url = body["download_url"].as_str().expect("a download url");
    let path = url
        .strip_prefix(&merchant.base_url)
        .expect("on the simulator");
    let file = merchant.get(path).await;
    assert_eq!(file.status, 200);
    assert!(
        !file.headers.contains_key("wechatpay-signature"),
        "the download is unsigned"
    );
    (
        body["hash_value"].as_str().expect("a hash").to_owned(),
        file.body,
    )
}

#[tokio::test]
async fn the_bills_list_the_days_payments_and_refunds_with_their_digest() {
    let sim = start().await;
    let merchant = Merchant::of(&sim);
    let keys = sim.keys();
    merchant
        .create_jsapi("ORDER-BILL", 1042, "https://m.example/pay")
        .await;
    let quiet = V3PayOptions {
        no_notify: true,
        ..V3PayOptions::default()
    };
    let paid = sim.pay("ORDER-BILL", &quiet).await.expect("paid");
    let refund = json!({"out_trade_no": "ORDER-BILL", "out_refund_no": "R-BILL",
                        "amount": {"refund": 42, "total": 1042, "currency": "CNY"}});
    assert_eq!(
        merchant
            .post("/v3/refund/domestic/refunds", &refund)
            .await
            .status,
        200
    );

    let answer = merchant
        .get(&format!(
            "/v3/bill/tradebill?bill_date={}&bill_type=ALL",
            today()
        ))
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.json());
    verify_answer(&keys, &answer).expect("signed");
    let (hash, file) = download(&merchant, &answer).await;
    assert_eq!(hex::encode(Sha1::digest(&file)), hash);
    let text = String::from_utf8(file).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert_eq!(lines[0].split(',').count(), 27);
    let payment: Vec<&str> = lines[1].split(",`").collect();
    assert_eq!(payment[5], paid["transaction_id"].as_str().expect("id"));
    assert_eq!(
        (payment[6], payment[9], payment[12]),
        ("ORDER-BILL", "SUCCESS", "10.42")
    );
    let refund_line: Vec<&str> = lines[2].split(",`").collect();
    assert_eq!(
        (refund_line[9], refund_line[15], refund_line[16]),
        ("REFUND", "R-BILL", "0.42")
    );
    assert!(lines[4].starts_with("`2,`10.42,`0.42,"), "{}", lines[4]);

    sim.wait_for(Duration::from_secs(10), |ledger| {
        ledger
            .refund("R-BILL")
            .is_some_and(|refund| refund.status == V3RefundStatus::Success)
    })
    .await;
    let flow = merchant
        .get(&format!("/v3/bill/fundflowbill?bill_date={}", today()))
        .await;
    let (hash, file) = download(&merchant, &flow).await;
    assert_eq!(hex::encode(Sha1::digest(&file)), hash);
    let text = String::from_utf8(file).expect("utf-8");
    assert!(text.contains("`收入,`10.42"), "{text}");
    assert!(text.contains("`支出,`0.42"), "{text}");

    let none = merchant
        .get("/v3/bill/tradebill?bill_date=2020-01-01")
        .await;
    assert_eq!(
        (none.status, none.json()["code"].clone()),
        (400, json!("NO_STATEMENT_EXIST"))
    );
    let bad = merchant.get("/v3/bill/tradebill?bill_date=20200101").await;
    assert_eq!(bad.json()["code"], "PARAM_ERROR");
    sim.stop().await;
}

#[tokio::test]
async fn a_tampered_download_does_not_match_its_digest() {
    let sim = start().await;
    let merchant = Merchant::of(&sim);
    merchant
        .create_jsapi("ORDER-BILL", 100, "https://m.example/pay")
        .await;
    let quiet = V3PayOptions {
        no_notify: true,
        ..V3PayOptions::default()
    };
    sim.pay("ORDER-BILL", &quiet).await.expect("paid");
    let answer = merchant
        .get(&format!("/v3/bill/tradebill?bill_date={}", today()))
        .await;
    sim.inject_fault("billdownload", V3ApiFault::TamperedBody, 1);
    let (hash, file) = download(&merchant, &answer).await;
    assert_ne!(hex::encode(Sha1::digest(&file)), hash);
    let (hash, file) = download(&merchant, &answer).await;
    assert_eq!(hex::encode(Sha1::digest(&file)), hash);
    sim.stop().await;
}
