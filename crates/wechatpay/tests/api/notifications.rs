//! Payment and refund notifications as WeChat Pay would post them.

use elife_wechatpay::model::{RefundStatus, TradeState};
use elife_wechatpay::{
    ApiV3Key, NotificationContent, NotificationError, NotificationParser, VerificationError,
    VerifiedBy,
};
use serde_json::json;
use wiremock::MockServer;

use crate::support::*;

const PAID: &str = r#"{"mchid":"1900000001","appid":"wxd678efh567hg6787","out_trade_no":"EL20231114000001","transaction_id":"4200002011202311144288912345","trade_type":"JSAPI","trade_state":"SUCCESS","trade_state_desc":"支付成功","bank_type":"CMC","attach":"","success_time":"2023-11-14T06:14:05+08:00","payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},"amount":{"total":2350,"payer_total":2350,"currency":"CNY","payer_currency":"CNY"}}"#;
const REFUND_ABNORMAL: &str = r#"{"mchid":"1900000001","out_trade_no":"EL20231114000001","transaction_id":"4200002011202311144288912345","out_refund_no":"RF20231114000001","refund_id":"50000000382019052709732678859","refund_status":"ABNORMAL","user_received_account":"招商银行信用卡0403","amount":{"total":2350,"refund":2350,"payer_total":2350,"payer_refund":2350}}"#;

fn notification(event_type: &str, original_type: &str, plaintext: &str) -> String {
    let key = ApiV3Key::new(API_V3_KEY).unwrap();
    let nonce = "fdasflkja484";
    json!({
        "id": "EV-2018022511223320873",
        "create_time": "2023-11-14T06:14:06+08:00",
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": "支付成功",
        "resource": {
            "original_type": original_type,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": key.encrypt(original_type.as_bytes(), nonce.as_bytes(), plaintext.as_bytes()).unwrap(),
            "associated_data": original_type,
            "nonce": nonce
        }
    })
    .to_string()
}

async fn parser() -> NotificationParser {
    public_key_client(&MockServer::start().await).notification_parser()
}

fn post(
    parser: &NotificationParser,
    headers: &[(&'static str, String)],
    body: &str,
) -> Result<elife_wechatpay::Notification, NotificationError> {
    // Header names arrive in any case.
    let lookup = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    };
    parser.parse_request(lookup, body.as_bytes())
}

#[tokio::test]
async fn a_payment_notification_is_verified_decrypted_and_typed() {
    let parser = parser().await;
    let body = notification("TRANSACTION.SUCCESS", "transaction", PAID);
    let headers = WechatSigner::public_key().headers(NOW, body.as_bytes());
    let notice = post(&parser, &headers, &body).unwrap();
    assert_eq!(notice.id, "EV-2018022511223320873");
    assert_eq!(notice.event_type, "TRANSACTION.SUCCESS");
    assert_eq!(
        notice.verified_by,
        VerifiedBy::PublicKey(WECHAT_PUBLIC_KEY_ID.into())
    );
    assert_eq!(notice.plaintext, PAID);
    let NotificationContent::Transaction(transaction) = notice.content else {
        panic!("not a transaction: {:?}", notice.content);
    };
    assert_eq!(transaction.trade_state, TradeState::Success);
    assert_eq!(transaction.out_trade_no, "EL20231114000001");
    assert_eq!(transaction.total_fen(), Some(2_350));
}

#[tokio::test]
async fn a_refund_notification_reads_abnormal_as_not_final() {
    let parser = parser().await;
    let body = notification("REFUND.ABNORMAL", "refund", REFUND_ABNORMAL);
    let headers = WechatSigner::public_key().headers(NOW, body.as_bytes());
    let notice = post(&parser, &headers, &body).unwrap();
    let NotificationContent::Refund(refund) = notice.content else {
        panic!("not a refund: {:?}", notice.content);
    };
    assert_eq!(refund.refund_status, RefundStatus::Abnormal);
    assert!(!refund.refund_status.is_final());
    assert_eq!(refund.out_refund_no, "RF20231114000001");
}

#[tokio::test]
async fn tampered_old_wrong_serial_and_probe_notifications_are_unverified() {
    let parser = parser().await;
    let body = notification("TRANSACTION.SUCCESS", "transaction", PAID);
    let signed = WechatSigner::public_key().headers(NOW, body.as_bytes());

    let tampered = body.replace("EV-2018022511223320873", "EV-2018022511223320874");
    let error = post(&parser, &signed, &tampered).unwrap_err();
    assert!(matches!(
        error,
        NotificationError::Unverified(VerificationError::SignatureMismatch(_))
    ));
    assert_eq!(error.http_status(), 401);

    let old = WechatSigner::public_key().headers(NOW - 600, body.as_bytes());
    assert!(matches!(
        post(&parser, &old, &body),
        Err(NotificationError::Unverified(
            VerificationError::StaleTimestamp { .. }
        ))
    ));

    let wrong_serial = WechatSigner::certificate().headers(NOW, body.as_bytes());
    assert!(matches!(
        post(&parser, &wrong_serial, &body),
        Err(NotificationError::Unverified(
            VerificationError::UnknownSerial(_)
        ))
    ));

    let forged = WechatSigner::forger(WECHAT_PUBLIC_KEY_ID).headers(NOW, body.as_bytes());
    assert!(matches!(
        post(&parser, &forged, &body),
        Err(NotificationError::Unverified(
            VerificationError::SignatureMismatch(_)
        ))
    ));

    let mut probe = signed.clone();
    probe[2].1 = "WECHATPAY/SIGNTEST/ZmFrZQ==".into();
    let error = post(&parser, &probe, &body).unwrap_err();
    assert!(matches!(
        error,
        NotificationError::Unverified(VerificationError::Probe)
    ));
    assert_ne!(error.http_status() / 100, 2);
}

#[tokio::test]
async fn a_genuine_notification_we_cannot_decrypt_asks_for_a_retry() {
    let parser = parser().await;
    let body = notification("TRANSACTION.SUCCESS", "transaction", PAID).replace(
        "\"associated_data\":\"transaction\"",
        "\"associated_data\":\"other\"",
    );
    let headers = WechatSigner::public_key().headers(NOW, body.as_bytes());
    let error = post(&parser, &headers, &body).unwrap_err();
    assert!(matches!(error, NotificationError::Decrypt(_)), "{error:?}");
    assert_eq!(error.http_status(), 500);
}
