//! Random values in the shapes WeChat Pay uses: nonces, prepay ids, transaction and refund
//! ids, notification ids, Native `code_url`s, bill download tokens.

use chrono::{DateTime, Utc};
use rand::Rng;

fn random_from(alphabet: &[u8], length: usize) -> String {
    let mut rng = rand::rng();
    (0..length)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

pub(crate) fn random_alnum(length: usize) -> String {
    random_from(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        length,
    )
}

pub(crate) fn random_hex_upper(length: usize) -> String {
    random_from(b"0123456789ABCDEF", length)
}

fn random_hex_lower(length: usize) -> String {
    random_from(b"0123456789abcdef", length)
}

pub(crate) fn random_digits(length: usize) -> String {
    random_from(b"0123456789", length)
}

/// `wx` + China-time stamp + hex, 36 characters like `wx26112221580621e9b071c00d9e093b0000`.
pub(crate) fn prepay_id(now: DateTime<Utc>) -> String {
    format!("wx{}{}", now.format("%d%H%M%S%3f"), random_hex_lower(23))
}

/// 28 digits starting `42000`, like real transaction ids.
pub(crate) fn transaction_id(now: DateTime<Utc>) -> String {
    format!("42000{}{}", now.format("%Y%m%d"), random_digits(15))
}

/// 29 digits starting `50`, like real refund ids.
pub(crate) fn refund_id(now: DateTime<Utc>) -> String {
    format!("50{}{}", now.format("%Y%m%d"), random_digits(19))
}

/// A UUID-shaped notification id.
pub(crate) fn notification_id() -> String {
    format!(
        "{}-{}-{}-{}-{}",
        random_hex_lower(8),
        random_hex_lower(4),
        random_hex_lower(4),
        random_hex_lower(4),
        random_hex_lower(12)
    )
}

pub(crate) fn code_url() -> String {
    format!("weixin://wxpay/bizpayurl?pr={}", random_alnum(9))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_their_documented_lengths() {
        let now = Utc::now();
        assert_eq!(prepay_id(now).len(), 36);
        assert!(prepay_id(now).starts_with("wx"));
        assert_eq!(transaction_id(now).len(), 28);
        assert_eq!(refund_id(now).len(), 29);
        assert_eq!(notification_id().len(), 36);
        assert!(random_hex_upper(40).chars().all(|c| c.is_ascii_hexdigit()));
    }
}
