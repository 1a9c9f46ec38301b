//! Tolerant readers for Unitel's loosely typed JSON: numbers sometimes come as strings,
//! ids as numbers, and any field may be missing.

use serde_json::Value;

/// A non-empty string, or a number written as one.
pub fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        Value::String(_) | Value::Null | Value::Bool(_) | Value::Array(_) | Value::Object(_) => {
            None
        }
    }
}

/// A whole amount of MNT: an integer, or a string such as `"74220"` or `"74220.00"`.
/// Never goes through floating point; a real fraction is refused.
pub fn whole_mnt(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => {
            let text = text.trim();
            let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
            if fraction.bytes().all(|b| b == b'0') {
                whole.parse().ok()
            } else {
                None
            }
        }
        Value::Null | Value::Bool(_) | Value::Array(_) | Value::Object(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_text_from_strings_and_numbers() {
        assert_eq!(text(Some(&json!("abc"))), Some("abc".to_owned()));
        assert_eq!(
            text(Some(&json!(1760754386127_i64))),
            Some("1760754386127".to_owned())
        );
        assert_eq!(text(Some(&json!(""))), None);
        assert_eq!(text(Some(&json!(null))), None);
        assert_eq!(text(None), None);
    }

    #[test]
    fn reads_whole_amounts_without_floats() {
        assert_eq!(whole_mnt(Some(&json!(74220))), Some(74220));
        assert_eq!(whole_mnt(Some(&json!("74220"))), Some(74220));
        assert_eq!(whole_mnt(Some(&json!("74220.00"))), Some(74220));
        assert_eq!(whole_mnt(Some(&json!("74220.50"))), None);
        assert_eq!(whole_mnt(Some(&json!(74220.5))), None);
        assert_eq!(whole_mnt(Some(&json!("n/a"))), None);
        assert_eq!(whole_mnt(None), None);
    }
}
