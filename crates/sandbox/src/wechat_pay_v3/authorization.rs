//! Checking the merchant's request signature: `Authorization: WECHATPAY2-SHA256-RSA2048
//! mchid="..",nonce_str="..",timestamp="..",serial_no="..",signature=".."` over
//! `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n`, SHA256withRSA with the public key of the
//! merchant certificate named by `serial_no`.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use rsa::pkcs1v15::Signature;
use rsa::signature::Verifier;

use super::errors::ApiError;
use super::keys::SimKeys;

const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Authorization {
    pub mchid: String,
    pub nonce_str: String,
    pub timestamp: String,
    pub serial_no: String,
    pub signature: String,
}

pub(crate) fn parse(header: &str) -> Result<Authorization, String> {
    let Some((scheme, parameters)) = header.trim().split_once(' ') else {
        return Err("Authorization has no parameters".to_owned());
    };
    if scheme != SCHEME {
        return Err(format!("Authorization scheme must be {SCHEME}"));
    }
    let mut fields: HashMap<&str, &str> = HashMap::new();
    for pair in parameters.split(',') {
        let Some((name, value)) = pair.trim().split_once('=') else {
            return Err(format!("malformed Authorization parameter {pair:?}"));
        };
        let value = value
            .strip_prefix('"')
            .and_then(|value| value.strip_suffix('"'))
            .ok_or_else(|| format!("Authorization parameter {name} must be quoted"))?;
        fields.insert(name.trim(), value);
    }
    let mut take = |name: &str| {
        fields
            .remove(name)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| format!("Authorization lacks {name}"))
    };
    Ok(Authorization {
        mchid: take("mchid")?,
        nonce_str: take("nonce_str")?,
        timestamp: take("timestamp")?,
        serial_no: take("serial_no")?,
        signature: take("signature")?,
    })
}

/// The request as signed.
pub(crate) struct SignedRequest<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub body: &'a [u8],
    pub authorization: Option<&'a str>,
}

fn message(request: &SignedRequest<'_>, authorization: &Authorization) -> Vec<u8> {
    let mut message = format!(
        "{}\n{}\n{}\n{}\n",
        request.method, request.path_and_query, authorization.timestamp, authorization.nonce_str
    )
    .into_bytes();
    message.extend_from_slice(request.body);
    message.push(b'\n');
    message
}

/// Verifies the request: signed for this merchant, recently, by a known merchant key.
pub(crate) fn verify(
    keys: &SimKeys,
    expected_mchid: &str,
    max_skew: std::time::Duration,
    now: DateTime<Utc>,
    request: &SignedRequest<'_>,
) -> Result<(), ApiError> {
    let header = request
        .authorization
        .ok_or_else(|| ApiError::sign_error("缺少 Authorization 请求头"))?;
    let authorization = parse(header).map_err(ApiError::sign_error)?;
    if authorization.mchid != expected_mchid {
        return Err(ApiError::sign_error("Authorization 中的商户号不存在"));
    }
    let timestamp: i64 = authorization
        .timestamp
        .parse()
        .map_err(|_| ApiError::sign_error("timestamp 不是整数"))?;
    let skew = i64::try_from(max_skew.as_secs()).unwrap_or(i64::MAX);
    if (now.timestamp() - timestamp).abs() > skew {
        return Err(ApiError::sign_error("timestamp 与当前时间相差过大"));
    }
    let key = keys
        .merchant(&authorization.serial_no)
        .ok_or_else(|| ApiError::sign_error("serial_no 对应的商户证书不存在"))?;
    let signature_bytes = STANDARD
        .decode(&authorization.signature)
        .map_err(|_| ApiError::sign_error("signature 不是 base64"))?;
    let signature = Signature::try_from(signature_bytes.as_slice())
        .map_err(|_| ApiError::sign_error("signature 长度不正确"))?;
    key.verify(&message(request, &authorization), &signature)
        .map_err(|_| ApiError::sign_error("签名错误"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_header() {
        let header = r#"WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="uOVRnA4qG/MNnYzdQxJanN+zU+lTgIcnU9BxGw5dKjK+VdEUz2FeIoC+D5sB/LN+nGzX3hfZg6r5wT1pl2ZobmIc6p0ldN7J6yDgUzbX8Uk3sD4a4eZVPTBvqNDoUqcYMlZ9uuDdCvNv4TM3c1WzsXUrExwVkI1XO5jCNbgDJ25nkT/c1gIFvqoogl7MdSFGc4W4xZsqCItnqbypR3RuGIlR9h9vlRsy7zJR9PBI83X8alLDIfR1ukt1P7tMnmogZ0cuDY8cZsd8ZlCgLadmvej58SLsIkVxFJ8XmUgx9FNBNaWb2JrDmC62DIFH/b4Ph/vy1HHH5aL0wSmaRMJb0Q==",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C""#;
        let parsed = parse(header).expect("a valid header");
        assert_eq!(parsed.mchid, "1900009191");
        assert_eq!(parsed.timestamp, "1554208460");
        assert_eq!(parsed.serial_no, "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C");
        assert!(parsed.signature.ends_with("=="));
    }

    #[test]
    fn refuses_other_schemes_unquoted_values_and_missing_fields() {
        assert!(parse(r#"Bearer mchid="1""#).is_err());
        assert!(parse(r#"WECHATPAY2-SHA256-RSA2048 mchid=1"#).is_err());
        assert!(parse(r#"WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n""#).is_err());
    }
}
