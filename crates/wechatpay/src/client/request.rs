//! One API call as data ([`ApiRequest`]), the key for sensitive fields
//! ([`SensitiveEncryptor`]), and the checks of values that go into URLs and bodies.

use reqwest::Method;
use rsa::PublicKey;
use serde::Serialize;

use super::WechatPayClient;
use crate::cipher::encrypt_sensitive;
use crate::error::{NotSent, WechatPayError};

/// A request to any API v3 path, for the APIs this crate has no typed method for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRequest {
    pub method: Method,
    /// Path and query as sent, e.g. `/v3/pay/transactions/id/42?mchid=1900000001`.
    pub path_and_query: String,
    pub body: Option<Vec<u8>>,
    /// `Wechatpay-Serial`: the key sensitive fields of the body were encrypted with.
    pub wechatpay_serial: Option<String>,
}

impl ApiRequest {
    pub fn get(path_and_query: impl Into<String>) -> Self {
        ApiRequest {
            method: Method::GET,
            path_and_query: path_and_query.into(),
            body: None,
            wechatpay_serial: None,
        }
    }

    pub fn post_json(
        path_and_query: impl Into<String>,
        body: &impl Serialize,
    ) -> Result<Self, WechatPayError> {
        let body = serde_json::to_vec(body)
            .map_err(|error| WechatPayError::NotSent(NotSent::Encode(error)))?;
        Ok(ApiRequest {
            method: Method::POST,
            path_and_query: path_and_query.into(),
            body: Some(body),
            wechatpay_serial: None,
        })
    }

    /// Names the key of [`SensitiveEncryptor`] that encrypted fields of the body.
    pub fn with_wechatpay_serial(mut self, serial: impl Into<String>) -> Self {
        self.wechatpay_serial = Some(serial.into());
        self
    }
}

/// Encrypts the sensitive fields of one request with one WeChat Pay key; send the request
/// with `Wechatpay-Serial` set to [`SensitiveEncryptor::serial`].
#[derive(Debug, Clone)]
pub struct SensitiveEncryptor {
    key: PublicKey,
    serial: String,
}

impl SensitiveEncryptor {
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// Base64 of RSA-OAEP (SHA-1) of `plaintext`.
    pub fn encrypt(&self, plaintext: &str) -> Result<String, WechatPayError> {
        encrypt_sensitive(&self.key, plaintext)
            .map_err(|error| WechatPayError::NotSent(NotSent::Encrypt(error)))
    }
}

impl WechatPayClient {
    /// The key to encrypt sensitive fields with: the WeChat Pay public key when configured
    /// (WeChat's way forward), else the platform certificate valid now that expires last.
    pub fn sensitive_encryptor(&self) -> Result<SensitiveEncryptor, WechatPayError> {
        if let Some(public_key) = self.inner.verifier.public_key() {
            return Ok(SensitiveEncryptor {
                key: public_key.key().clone(),
                serial: public_key.id().to_owned(),
            });
        }
        let now = self.clock().unix_seconds();
        let certificate = self
            .certificates()
            .newest_valid(now)
            .ok_or(WechatPayError::NotSent(NotSent::NoEncryptionKey))?;
        Ok(SensitiveEncryptor {
            key: certificate.key().clone(),
            serial: certificate.serial().to_owned(),
        })
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> WechatPayError {
    WechatPayError::NotSent(NotSent::InvalidArgument {
        field,
        reason: reason.into(),
    })
}

/// A value that goes into a URL path: only the characters WeChat Pay allows in merchant
/// numbers (letters, digits and `extra`), so it needs no escaping and is signed as sent.
pub(crate) fn path_value<'a>(
    field: &'static str,
    value: &'a str,
    lengths: std::ops::RangeInclusive<usize>,
    extra: &str,
) -> Result<&'a str, WechatPayError> {
    if !lengths.contains(&value.len()) {
        return Err(invalid(
            field,
            format!("length {} not in {lengths:?}", value.len()),
        ));
    }
    match value
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && !extra.contains(*c))
    {
        Some(c) => Err(invalid(field, format!("character {c:?} not allowed"))),
        None => Ok(value),
    }
}

pub(crate) fn out_trade_no(value: &str) -> Result<&str, WechatPayError> {
    path_value("out_trade_no", value, 6..=32, "_-*")
}

pub(crate) fn out_refund_no(value: &str) -> Result<&str, WechatPayError> {
    path_value("out_refund_no", value, 1..=64, "_-|*@")
}

pub(crate) fn transaction_id(value: &str) -> Result<&str, WechatPayError> {
    path_value("transaction_id", value, 1..=32, "")
}

/// At most `max` characters (WeChat counts characters, not bytes), not empty if `required`.
pub(crate) fn text<'a>(
    field: &'static str,
    value: &'a str,
    max: usize,
    required: bool,
) -> Result<&'a str, WechatPayError> {
    if required && value.trim().is_empty() {
        return Err(invalid(field, "empty"));
    }
    let length = value.chars().count();
    if length > max {
        return Err(invalid(
            field,
            format!("{length} characters, at most {max}"),
        ));
    }
    Ok(value)
}

pub(crate) fn positive_fen(field: &'static str, fen: i64) -> Result<i64, WechatPayError> {
    if fen <= 0 {
        return Err(invalid(
            field,
            format!("{fen} fen is not a positive amount"),
        ));
    }
    Ok(fen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merchant_numbers_are_checked_before_they_reach_a_url() {
        assert!(out_trade_no("1217752501201407033233368018").is_ok());
        assert!(out_trade_no("T-1_2*").is_ok());
        assert!(out_trade_no("short").is_err());
        assert!(out_trade_no("abc/../x").is_err());
        assert!(out_trade_no("abcdef?mchid=1").is_err());
        assert!(out_refund_no("R|1@2*").is_ok());
        assert!(out_refund_no("").is_err());
        assert!(transaction_id("4200000891202103228088184743").is_ok());
        assert!(transaction_id("42-00").is_err());
    }

    #[test]
    fn texts_count_characters_and_amounts_are_positive() {
        assert!(text("description", &"话".repeat(127), 127, true).is_ok());
        assert!(text("description", &"话".repeat(128), 127, true).is_err());
        assert!(text("description", " ", 127, true).is_err());
        assert!(text("reason", "", 80, false).is_ok());
        assert!(positive_fen("amount", 1).is_ok());
        assert!(positive_fen("amount", 0).is_err());
    }
}
