//! Our signatures: the `Authorization` header of every API request and the `paySign` of the
//! mini-program's `wx.requestPayment`.

use std::fmt;

use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};

use crate::keys::{MerchantPrivateKey, SigningError};

/// The scheme named in the `Authorization` header.
pub const AUTHORIZATION_SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";
/// `signType` of `wx.requestPayment` under API v3.
pub const PAY_SIGN_TYPE: &str = "RSA";
const NONCE_LENGTH: usize = 32;

/// A random 32-character alphanumeric nonce.
pub fn new_nonce() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(NONCE_LENGTH)
        .map(char::from)
        .collect()
}

/// The signed text of a request: `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n`, over the
/// exact body bytes sent (empty for GET).
pub fn request_message(
    method: &str,
    path_and_query: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut message = format!("{method}\n{path_and_query}\n{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    message
}

/// Signs as the merchant: knows the merchant number, the serial of the merchant API
/// certificate and its private key.
#[derive(Clone)]
pub struct RequestSigner {
    mch_id: String,
    serial_no: String,
    key: MerchantPrivateKey,
}

impl fmt::Debug for RequestSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestSigner")
            .field("mch_id", &self.mch_id)
            .field("serial_no", &self.serial_no)
            .finish_non_exhaustive()
    }
}

impl RequestSigner {
    pub fn new(
        mch_id: impl Into<String>,
        serial_no: impl Into<String>,
        key: MerchantPrivateKey,
    ) -> Self {
        RequestSigner {
            mch_id: mch_id.into(),
            serial_no: serial_no.into(),
            key,
        }
    }

    pub fn mch_id(&self) -> &str {
        &self.mch_id
    }

    /// The `Authorization` header value of one request.
    pub fn authorization(
        &self,
        method: &str,
        path_and_query: &str,
        timestamp: i64,
        nonce: &str,
        body: &[u8],
    ) -> Result<String, SigningError> {
        let message = request_message(method, path_and_query, timestamp, nonce, body);
        let signature = self.key.sign_sha256(&message)?;
        Ok(authorization_header(
            &self.mch_id,
            nonce,
            timestamp,
            &self.serial_no,
            &signature,
        ))
    }

    /// What `wx.requestPayment` needs to pay `prepay_id` (JSAPI / mini-program).
    pub fn mini_program_payment(
        &self,
        app_id: &str,
        prepay_id: &str,
        timestamp: i64,
        nonce: &str,
    ) -> Result<MiniProgramPayment, SigningError> {
        let package = format!("prepay_id={prepay_id}");
        let time_stamp = timestamp.to_string();
        let message = format!("{app_id}\n{time_stamp}\n{nonce}\n{package}\n");
        Ok(MiniProgramPayment {
            app_id: app_id.to_owned(),
            time_stamp,
            nonce_str: nonce.to_owned(),
            package,
            sign_type: PAY_SIGN_TYPE.to_owned(),
            pay_sign: self.key.sign_sha256(message.as_bytes())?,
        })
    }
}

fn authorization_header(
    mch_id: &str,
    nonce: &str,
    timestamp: i64,
    serial_no: &str,
    signature: &str,
) -> String {
    format!(
        "{AUTHORIZATION_SCHEME} mchid=\"{mch_id}\",nonce_str=\"{nonce}\",timestamp=\"{timestamp}\",serial_no=\"{serial_no}\",signature=\"{signature}\""
    )
}

/// The object handed unchanged to `wx.requestPayment`
/// (`appId, timeStamp, nonceStr, package, signType, paySign`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MiniProgramPayment {
    pub app_id: String,
    pub time_stamp: String,
    pub nonce_str: String,
    pub package: String,
    pub sign_type: String,
    pub pay_sign: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::fixtures::{GO_PRIVATE_KEY, GO_PUBLIC_KEY};
    use crate::keys::{WechatPayPublicKey, verify_sha256};
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as BASE64;

    fn go_signer() -> RequestSigner {
        RequestSigner::new(
            "1234567890",
            "0123456789ABC",
            MerchantPrivateKey::from_pem(GO_PRIVATE_KEY).unwrap(),
        )
    }

    fn go_key_accepts(message: &[u8], signature: &str) -> bool {
        let key = WechatPayPublicKey::from_pem("go", GO_PUBLIC_KEY).unwrap();
        verify_sha256(key.key(), message, &BASE64.decode(signature).unwrap())
    }

    #[test]
    fn go_credential_vectors_give_the_signed_messages() {
        // wechatpay-go core/auth/credentials/wechat_pay_credential_test.go: its mock signer
        // echoes the message, so the expected header spells out the exact signed text.
        assert_eq!(
            request_message(
                "GET",
                "/v3/certificates",
                1_624_523_846,
                "A1B2C3D4E5F6G7",
                b""
            ),
            b"GET\n/v3/certificates\n1624523846\nA1B2C3D4E5F6G7\n\n"
        );
        assert_eq!(
            request_message(
                "POST",
                "/v3/certificates",
                1_624_523_846,
                "A1B2C3D4E5F6G7",
                b"Hello World!\n"
            ),
            b"POST\n/v3/certificates\n1624523846\nA1B2C3D4E5F6G7\nHello World!\n\n"
        );
        assert_eq!(
            authorization_header(
                "1234567890",
                "A1B2C3D4E5F6G7",
                1_624_523_846,
                "0123456789ABC",
                "Sign:x"
            ),
            "WECHATPAY2-SHA256-RSA2048 mchid=\"1234567890\",nonce_str=\"A1B2C3D4E5F6G7\",\
             timestamp=\"1624523846\",serial_no=\"0123456789ABC\",signature=\"Sign:x\""
        );
    }

    #[test]
    fn authorization_carries_a_signature_over_the_request_message() {
        let header = go_signer()
            .authorization(
                "GET",
                "/v3/certificates",
                1_624_523_846,
                "A1B2C3D4E5F6G7",
                b"",
            )
            .unwrap();
        let prefix = "WECHATPAY2-SHA256-RSA2048 mchid=\"1234567890\",nonce_str=\"A1B2C3D4E5F6G7\",\
                      timestamp=\"1624523846\",serial_no=\"0123456789ABC\",signature=\"";
        assert!(header.starts_with(prefix), "{header}");
        let signature = header[prefix.len()..].trim_end_matches('"');
        assert!(go_key_accepts(
            b"GET\n/v3/certificates\n1624523846\nA1B2C3D4E5F6G7\n\n",
            signature
        ));
        assert!(!go_key_accepts(
            b"POST\n/v3/certificates\n1624523846\nA1B2C3D4E5F6G7\n\n",
            signature
        ));
    }

    #[test]
    fn request_payment_signs_app_id_timestamp_nonce_and_package() {
        let payment = go_signer()
            .mini_program_payment(
                "wx8888888888888888",
                "wx201410272009395522657a690389285100",
                1_414_561_699,
                "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
            )
            .unwrap();
        assert_eq!(
            payment.package,
            "prepay_id=wx201410272009395522657a690389285100"
        );
        assert_eq!(payment.sign_type, "RSA");
        assert_eq!(payment.time_stamp, "1414561699");
        let message = "wx8888888888888888\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n";
        assert!(go_key_accepts(message.as_bytes(), &payment.pay_sign));
        let json = serde_json::to_value(&payment).unwrap();
        let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "appId",
                "nonceStr",
                "package",
                "paySign",
                "signType",
                "timeStamp"
            ]
        );
    }

    #[test]
    fn nonces_are_32_alphanumerics_and_differ() {
        let (a, b) = (new_nonce(), new_nonce());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
