//! The simulator driven over HTTP as a merchant would drive it. Signing requests,
//! verifying answers and decrypting resources are written here from WeChat Pay's
//! documentation, independently of the simulator's own code.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use der::{DecodePem, Encode};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{PrivateKey, PublicKey};
use serde_json::{Value, json};
use sha2::Sha256;

use super::*;

mod answers;
mod bills;
mod notifications;
mod orders;
mod refunds;

/// A quick simulator: retries 1000 times faster, refunds settle after 20 ms.
fn fast_config() -> WechatPayV3SimConfig {
    WechatPayV3SimConfig {
        time_factor: 0.001,
        refund_delay: Some(Duration::from_millis(20)),
        ..WechatPayV3SimConfig::default()
    }
}

async fn start() -> RunningWechatPayV3Sim {
    WechatPayV3Simulator::start(fast_config())
        .await
        .expect("simulator starts")
}

/// An answer as the merchant received it.
struct Received {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map_or("", String::as_str)
    }
}

/// The merchant: signs every request with its API certificate's key.
struct Merchant {
    base_url: String,
    mchid: String,
    serial_no: String,
    key: SigningKey<Sha256>,
    http: reqwest::Client,
}

impl Merchant {
    fn of(sim: &RunningWechatPayV3Sim) -> Merchant {
        let keys = sim.keys();
        let key = PrivateKey::from_pkcs8_pem(&keys.merchant_private_key_pem).expect("merchant key");
        Merchant {
            base_url: sim.url(),
            mchid: keys.mchid,
            serial_no: keys.merchant_serial_no,
            key: SigningKey::new(key),
            http: reqwest::Client::new(),
        }
    }

    /// `WECHATPAY2-SHA256-RSA2048` over `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n`.
    fn authorization(&self, method: &str, url: &str, timestamp: i64, body: &str) -> String {
        let nonce = format!("nonce{}", rand::random::<u64>());
        let message = format!("{method}\n{url}\n{timestamp}\n{nonce}\n{body}\n");
        let signature = STANDARD.encode(self.key.sign(message.as_bytes()).to_bytes());
        format!(
            r#"WECHATPAY2-SHA256-RSA2048 mchid="{}",nonce_str="{nonce}",timestamp="{timestamp}",serial_no="{}",signature="{signature}""#,
            self.mchid, self.serial_no
        )
    }

    async fn send_with(
        &self,
        method: &str,
        url: &str,
        body: Option<&Value>,
        authorization: Option<String>,
    ) -> Received {
        let body_text = body.map(Value::to_string).unwrap_or_default();
        let mut request = match method {
            "GET" => self.http.get(format!("{}{url}", self.base_url)),
            _ => self.http.post(format!("{}{url}", self.base_url)),
        }
        .header("Accept", "application/json");
        if let Some(authorization) = authorization {
            request = request.header("Authorization", authorization);
        }
        if body.is_some() {
            request = request
                .header("Content-Type", "application/json")
                .body(body_text);
        }
        let response = request.send().await.expect("simulator answers");
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    value.to_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        let body = response.bytes().await.expect("a body").to_vec();
        Received {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, url: &str) -> Received {
        let authorization = self.authorization("GET", url, chrono::Utc::now().timestamp(), "");
        self.send_with("GET", url, None, Some(authorization)).await
    }

    async fn post(&self, url: &str, body: &Value) -> Received {
        let now = chrono::Utc::now().timestamp();
        let authorization = self.authorization("POST", url, now, &body.to_string());
        self.send_with("POST", url, Some(body), Some(authorization))
            .await
    }

    fn order(&self, out_trade_no: &str, total: i64, notify_url: &str) -> Value {
        json!({
            "appid": "wxd2565e6a04246fd1", "mchid": self.mchid,
            "description": "Unitel 5000₮ top-up", "out_trade_no": out_trade_no,
            "notify_url": notify_url, "attach": "{\"kind\":\"topup\"}",
            "amount": { "total": total, "currency": "CNY" },
            "payer": { "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" },
        })
    }

    async fn create_jsapi(&self, out_trade_no: &str, total: i64, notify_url: &str) -> Received {
        self.post(
            "/v3/pay/transactions/jsapi",
            &self.order(out_trade_no, total, notify_url),
        )
        .await
    }

    async fn query(&self, out_trade_no: &str) -> Received {
        self.get(&format!(
            "/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={}",
            self.mchid
        ))
        .await
    }
}

/// The WeChat Pay key named by `Wechatpay-Serial`: the platform certificate's, or the
/// WeChat Pay public key. Never the merchant's.
fn wechat_key(keys: &V3SandboxKeys, serial: &str) -> Option<VerifyingKey<Sha256>> {
    let public_key = if serial == keys.platform_serial_no {
        let certificate =
            x509_cert::Certificate::from_pem(keys.platform_certificate_pem.as_bytes()).ok()?;
        let spki = certificate
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .ok()?;
        PublicKey::from_public_key_der(&spki).ok()?
    } else if serial == keys.public_key_id {
        PublicKey::from_public_key_pem(&keys.public_key_pem).ok()?
    } else {
        return None;
    };
    Some(VerifyingKey::new(public_key))
}

/// Verifies a signed message (`TIMESTAMP\nNONCE\nBODY\n`) as a merchant must: key by
/// serial, signature over the exact bytes, timestamp within 5 minutes.
fn verify_signed(
    keys: &V3SandboxKeys,
    headers: &HashMap<String, String>,
    body: &[u8],
) -> Result<(), String> {
    let header = |name: &str| headers.get(name).cloned().ok_or(format!("no {name}"));
    let timestamp = header("wechatpay-timestamp")?;
    let nonce = header("wechatpay-nonce")?;
    let signature = header("wechatpay-signature")?;
    let serial = header("wechatpay-serial")?;
    if signature.starts_with("WECHATPAY/SIGNTEST_") {
        return Err("signature probe".to_owned());
    }
    let key = wechat_key(keys, &serial).ok_or("unknown serial")?;
    let age =
        chrono::Utc::now().timestamp() - timestamp.parse::<i64>().map_err(|e| e.to_string())?;
    if age.abs() > 300 {
        return Err("timestamp too old".to_owned());
    }
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    let signature = STANDARD.decode(signature).map_err(|e| e.to_string())?;
    let signature = Signature::try_from(signature.as_slice()).map_err(|e| e.to_string())?;
    key.verify(&message, &signature)
        .map_err(|_| "bad signature".to_owned())
}

fn verify_answer(keys: &V3SandboxKeys, answer: &Received) -> Result<(), String> {
    verify_signed(keys, &answer.headers, &answer.body)
}

/// AEAD_AES_256_GCM: key = APIv3 key, nonce and associated data as given, ciphertext =
/// base64(ciphertext ‖ tag).
fn decrypt(apiv3_key: &str, encrypted: &Value) -> Result<Vec<u8>, String> {
    let text = |name: &str| {
        encrypted[name]
            .as_str()
            .map(str::to_owned)
            .ok_or(format!("no {name}"))
    };
    assert_eq!(text("algorithm")?, "AEAD_AES_256_GCM");
    let cipher = Aes256Gcm::new_from_slice(apiv3_key.as_bytes()).map_err(|e| e.to_string())?;
    let nonce: [u8; 12] = text("nonce")?
        .as_bytes()
        .try_into()
        .map_err(|_| "nonce length")?;
    let sealed = STANDARD
        .decode(text("ciphertext")?)
        .map_err(|e| e.to_string())?;
    let associated_data = text("associated_data")?;
    cipher
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &sealed,
                aad: associated_data.as_bytes(),
            },
        )
        .map_err(|_| "cannot decrypt".to_owned())
}

/// One notification as the merchant's endpoint saw it.
#[derive(Debug, Clone)]
struct Delivered {
    at: Instant,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// A stand-in for the merchant's notify endpoint: answers `statuses` in turn (the last one
/// for every later request).
struct NotifyReceiver {
    url: String,
    delivered: Arc<Mutex<Vec<Delivered>>>,
    handle: ServerHandle,
}

impl NotifyReceiver {
    async fn start(statuses: Vec<u16>) -> NotifyReceiver {
        let delivered: Arc<Mutex<Vec<Delivered>>> = Arc::default();
        let shared = delivered.clone();
        let statuses = Arc::new(statuses);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let url = format!(
            "http://{}/notify/wechat",
            listener.local_addr().expect("an address")
        );
        let server = HttpServer::new(move || {
            let shared = shared.clone();
            let statuses = statuses.clone();
            App::new().default_service(web::to(move |request: HttpRequest, body: web::Bytes| {
                let shared = shared.clone();
                let statuses = statuses.clone();
                async move {
                    let headers = request
                        .headers()
                        .iter()
                        .map(|(name, value)| {
                            (
                                name.as_str().to_owned(),
                                value.to_str().unwrap_or("").to_owned(),
                            )
                        })
                        .collect();
                    let mut delivered = shared.lock().expect("receiver lock");
                    delivered.push(Delivered {
                        at: Instant::now(),
                        headers,
                        body: body.to_vec(),
                    });
                    let index = (delivered.len() - 1).min(statuses.len().saturating_sub(1));
                    let status = statuses.get(index).copied().unwrap_or(204);
                    let status = actix_web::http::StatusCode::from_u16(status).expect("a status");
                    if status.is_success() {
                        HttpResponse::build(status).finish()
                    } else {
                        HttpResponse::build(status)
                            .json(json!({"code": "FAIL", "message": "retry"}))
                    }
                }
            }))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listens")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        NotifyReceiver {
            url,
            delivered,
            handle,
        }
    }

    fn delivered(&self) -> Vec<Delivered> {
        self.delivered.lock().expect("receiver lock").clone()
    }

    async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// The decrypted resource of a delivered notification, checked against its envelope.
fn resource_of(keys: &V3SandboxKeys, delivered: &Delivered) -> Value {
    let envelope: Value = serde_json::from_slice(&delivered.body).expect("json notification");
    assert_eq!(envelope["resource_type"], "encrypt-resource");
    let plaintext = decrypt(&keys.apiv3_key, &envelope["resource"]).expect("decrypts");
    serde_json::from_slice(&plaintext).expect("json resource")
}

async fn acknowledged(sim: &RunningWechatPayV3Sim, id: &str) -> bool {
    sim.wait_for(Duration::from_secs(10), |ledger| {
        ledger
            .notification(id)
            .is_some_and(|notification| notification.acknowledged)
    })
    .await
}
