//! Reading request JSON fields by dotted path, with PARAM_ERROR naming the field.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::errors::ApiError;

fn lookup<'a>(request: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(request, |value, name| value.get(name))
        .filter(|value| !value.is_null())
}

pub(crate) fn optional_text(request: &Value, path: &str) -> Result<Option<String>, ApiError> {
    match lookup(request, path) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ApiError::param(path, "must be a string")),
    }
}

pub(crate) fn required_text(request: &Value, path: &str) -> Result<String, ApiError> {
    optional_text(request, path)?
        .filter(|text| !text.is_empty())
        .ok_or_else(|| ApiError::param(path, "is required"))
}

/// A string of at most `max` characters (WeChat counts characters, not bytes).
pub(crate) fn bounded(path: &str, text: String, max: usize) -> Result<String, ApiError> {
    if text.chars().count() > max {
        return Err(ApiError::param(
            path,
            &format!("must be at most {max} characters"),
        ));
    }
    Ok(text)
}

pub(crate) fn optional_integer(request: &Value, path: &str) -> Result<Option<i64>, ApiError> {
    match lookup(request, path) {
        None => Ok(None),
        Some(value) => value
            .as_i64()
            .map(Some)
            .ok_or_else(|| ApiError::param(path, "must be an integer")),
    }
}

/// An amount in fen: an integer above zero.
pub(crate) fn amount(request: &Value, path: &str) -> Result<i64, ApiError> {
    match optional_integer(request, path)? {
        None => Err(ApiError::param(path, "is required")),
        Some(fen) if fen <= 0 => Err(ApiError::param(path, "must be above 0")),
        Some(fen) => Ok(fen),
    }
}

/// `CNY` when absent; nothing else is accepted.
pub(crate) fn currency(request: &Value, path: &str) -> Result<String, ApiError> {
    match optional_text(request, path)?.as_deref() {
        None | Some("CNY") => Ok("CNY".to_owned()),
        Some(_) => Err(ApiError::param(path, "only CNY is supported")),
    }
}

pub(crate) fn optional_time(
    request: &Value,
    path: &str,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    optional_text(request, path)?
        .map(|text| {
            DateTime::parse_from_rfc3339(&text)
                .map(|time| time.with_timezone(&Utc))
                .map_err(|_| ApiError::param(path, "must be an RFC 3339 time"))
        })
        .transpose()
}

/// A merchant number: up to 32 (64 for refunds) digits, letters or `_-|*@`.
pub(crate) fn merchant_number(path: &str, text: String, max: usize) -> Result<String, ApiError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_-|*@".contains(c);
    if !(1..=max).contains(&text.len()) || !text.chars().all(allowed) {
        return Err(ApiError::param(
            path,
            &format!("must be 1 to {max} digits, letters or _-|*@"),
        ));
    }
    Ok(text)
}

/// An `http(s)://` URL without a query string, as `notify_url` must be.
pub(crate) fn notify_url(path: &str, text: String) -> Result<String, ApiError> {
    let scheme_ok = text.starts_with("https://") || text.starts_with("http://");
    if !scheme_ok || text.contains('?') {
        return Err(ApiError::param(
            path,
            "must be an http(s) URL without query parameters",
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_nested_fields_and_names_the_bad_one() {
        let request = json!({"amount": {"total": 0, "currency": "USD"}, "payer": {"openid": 5}});
        assert_eq!(
            amount(&request, "amount.total").unwrap_err().message,
            "amount.total: must be above 0"
        );
        assert!(currency(&request, "amount.currency").is_err());
        assert!(required_text(&request, "payer.openid").is_err());
        assert!(required_text(&request, "description").is_err());
        assert!(merchant_number("out_trade_no", "bad no!".into(), 32).is_err());
        assert!(merchant_number("out_trade_no", "X".repeat(33), 32).is_err());
        assert!(merchant_number("out_trade_no", "ORDER_2024-01|*".into(), 32).is_ok());
        assert!(notify_url("notify_url", "ftp://x".into()).is_err());
        assert!(notify_url("notify_url", "https://x/pay?a=1".into()).is_err());
    }
}
