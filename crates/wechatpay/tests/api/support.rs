//! The stand-in WeChat Pay: keys, signed answers, and a matcher that checks our signature.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use elife_wechatpay::{
    FixedClock, KeySource, MerchantPrivateKey, PlatformCertificate, PlatformCertificates,
    WechatPayClient, WechatPayConfig,
};
use sha2::Sha256;
use wiremock::{Match, MockServer, Request, ResponseTemplate};

pub const MERCHANT_PRIVATE_KEY: &str = include_str!("../../testdata/java_merchant_private_key.pem");
pub const MERCHANT_CERTIFICATE: &str = include_str!("../../testdata/java_merchant_certificate.pem");
pub const MERCHANT_SERIAL: &str = "5F1C72E2A8931B72A2E13AF8DEE92471EB397115";
pub const WECHAT_PRIVATE_KEY: &str = include_str!("../../testdata/java_wechat_pay_private_key.pem");
pub const WECHAT_CERTIFICATE: &str = include_str!("../../testdata/java_wechat_pay_certificate.pem");
pub const WECHAT_PUBLIC_KEY: &str = include_str!("../../testdata/java_wechat_pay_public_key.pem");
pub const WECHAT_CERTIFICATE_SERIAL: &str = "440024045C4A427599D09BB4E3DE0279F2E813FD";
pub const WECHAT_PUBLIC_KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";
/// The go test key: a stranger to this merchant.
pub const STRANGER_PRIVATE_KEY: &str = include_str!("../../testdata/go_private_key.pem");
pub const API_V3_KEY: &str = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
pub const MCH_ID: &str = "1900000001";
pub const APP_ID: &str = "wxd678efh567hg6787";
pub const NOTIFY_URL: &str = "https://elife.example/payment/notify/wechat";
pub const REFUND_NOTIFY_URL: &str = "https://elife.example/payment/notify/wechat/refund";
/// 2023-11-14: inside the validity of the java test certificates (2022-05-10..2025-05-09).
pub const NOW: i64 = 1_700_000_000;

/// How the stand-in signs: with WeChat Pay's key, naming it by certificate serial or by
/// public key id (the same key pair stands behind both in the java test material).
#[derive(Clone)]
pub struct WechatSigner {
    key: MerchantPrivateKey,
    pub serial: String,
}

impl WechatSigner {
    pub fn certificate() -> Self {
        WechatSigner {
            key: MerchantPrivateKey::from_pem(WECHAT_PRIVATE_KEY).unwrap(),
            serial: WECHAT_CERTIFICATE_SERIAL.into(),
        }
    }

    pub fn public_key() -> Self {
        WechatSigner {
            serial: WECHAT_PUBLIC_KEY_ID.into(),
            ..Self::certificate()
        }
    }

    /// Someone else's key claiming WeChat's serial.
    pub fn forger(serial: &str) -> Self {
        WechatSigner {
            key: MerchantPrivateKey::from_pem(STRANGER_PRIVATE_KEY).unwrap(),
            serial: serial.into(),
        }
    }

    pub fn headers(&self, timestamp: i64, body: &[u8]) -> Vec<(&'static str, String)> {
        let nonce = "593BEC0C930BF1AFEB40B4A08C8FB242";
        let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
        message.extend_from_slice(body);
        message.push(b'\n');
        vec![
            ("Wechatpay-Timestamp", timestamp.to_string()),
            ("Wechatpay-Nonce", nonce.to_owned()),
            (
                "Wechatpay-Signature",
                self.key.sign_sha256(&message).unwrap(),
            ),
            ("Wechatpay-Serial", self.serial.clone()),
            ("Request-ID", "08F78BB5AF0610D302A1E6F4081C9A6C".to_owned()),
        ]
    }

    /// An answer signed at `NOW`.
    pub fn answer(&self, status: u16, body: &str) -> ResponseTemplate {
        self.answer_at(status, body, NOW)
    }

    pub fn answer_at(&self, status: u16, body: &str, timestamp: i64) -> ResponseTemplate {
        let mut template = ResponseTemplate::new(status);
        if !body.is_empty() {
            template = template.set_body_raw(body.as_bytes().to_vec(), "application/json");
        }
        for (name, value) in self.headers(timestamp, body.as_bytes()) {
            template = template.insert_header(name, value.as_str());
        }
        template
    }
}

pub fn config(server: &MockServer) -> WechatPayConfig {
    WechatPayConfig::new(
        APP_ID,
        MCH_ID,
        MERCHANT_SERIAL,
        KeySource::Pem(MERCHANT_PRIVATE_KEY.into()),
        API_V3_KEY,
        NOTIFY_URL,
    )
    .with_base_url(server.uri())
    .with_refund_notify_url(REFUND_NOTIFY_URL)
}

/// Public-key mode only: verification needs no download.
pub fn public_key_client(server: &MockServer) -> WechatPayClient {
    let config = config(server)
        .with_platform_certificates(PlatformCertificates::Off)
        .with_public_key(
            WECHAT_PUBLIC_KEY_ID,
            KeySource::Pem(WECHAT_PUBLIC_KEY.into()),
        );
    WechatPayClient::with_clock(config, Arc::new(FixedClock::at(NOW))).unwrap()
}

/// Checks that a request carries a valid merchant `Authorization` over its exact method,
/// path, query and body.
pub struct SignedByMerchant;

impl Match for SignedByMerchant {
    fn matches(&self, request: &Request) -> bool {
        signed_by_merchant(request).unwrap_or(false)
    }
}

/// `Some(true)` when the signature checks out; `None` when a part is missing.
fn signed_by_merchant(request: &Request) -> Option<bool> {
    let header = request.headers.get("authorization")?.to_str().ok()?;
    let fields = header.strip_prefix("WECHATPAY2-SHA256-RSA2048 ")?;
    let field = |name: &str| {
        fields.split(',').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name).then(|| value.trim_matches('"').to_owned())
        })
    };
    let timestamp = field("timestamp")?;
    if field("mchid")? != MCH_ID
        || field("serial_no")? != MERCHANT_SERIAL
        || timestamp != NOW.to_string()
    {
        return Some(false);
    }
    let path = match request.url.query() {
        Some(query) => format!("{}?{query}", request.url.path()),
        None => request.url.path().to_owned(),
    };
    let mut message = format!(
        "{}\n{path}\n{timestamp}\n{}\n",
        request.method,
        field("nonce_str")?
    )
    .into_bytes();
    message.extend_from_slice(&request.body);
    message.push(b'\n');
    let signature = BASE64.decode(field("signature")?).ok()?;
    let certificate = PlatformCertificate::from_pem(MERCHANT_CERTIFICATE).ok()?;
    Some(
        certificate
            .key()
            .pkcs1v15_verify::<Sha256>(&message, &signature)
            .is_ok(),
    )
}

/// The domain's gateway port over [`public_key_client`].
pub fn public_key_gateway(server: &MockServer) -> elife_wechatpay::WechatPayGateway {
    elife_wechatpay::WechatPayGateway::new(public_key_client(server))
}

/// An order number of the domain's format (`ORD` + 13 digits + 12 URL-safe characters).
pub const ORDER_NUMBER: &str = "ORD1699937000000abcdEFGH1234";

pub fn order_number() -> elife_domain::order::OrderNumber {
    elife_domain::order::OrderNumber::parse(ORDER_NUMBER).unwrap()
}
