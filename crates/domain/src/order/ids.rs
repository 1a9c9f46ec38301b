//! Identifiers of orders, refunds and users.

use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::privacy;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("invalid order number {0:?}")]
    InvalidOrderNumber(String),
    #[error("openid must not be empty")]
    EmptyOpenId,
}

const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `ORD` + epoch milliseconds (13 digits) + 12 random URL-safe characters: 28 characters,
/// the format the mini-program already knows (older rows have 8: 24 characters). Also the `out_trade_no` at WeChat and the
/// `journal_id` at Unitel.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderNumber(String);

impl OrderNumber {
    pub const PREFIX: &'static str = "ORD";
    pub const LENGTH: usize = 28;
    const RANDOM_LEN: usize = 12;
    /// The old backend's first week (until 2025-10-18) used 8 random characters: those
    /// 24-character numbers are in the production table and must still be read.
    const LEGACY_RANDOM_LEN: usize = 8;

    pub fn parse(raw: &str) -> Result<Self, IdError> {
        // Bytes, not `str` slices: a multi-byte character must be refused, not panic.
        let bytes = raw.as_bytes();
        let random_len = bytes.len().saturating_sub(16);
        let valid = (random_len == Self::RANDOM_LEN || random_len == Self::LEGACY_RANDOM_LEN)
            && bytes.starts_with(Self::PREFIX.as_bytes())
            && bytes[3..16].iter().all(u8::is_ascii_digit)
            && bytes[16..].iter().all(|b| URL_SAFE.contains(b));
        if valid {
            Ok(OrderNumber(raw.to_owned()))
        } else {
            Err(IdError::InvalidOrderNumber(raw.to_owned()))
        }
    }

    /// A fresh number from the clock and a random source.
    pub fn generate(epoch_millis: i64, rng: &mut impl Rng) -> Self {
        let suffix: String = (0..Self::RANDOM_LEN)
            .map(|_| URL_SAFE[rng.random_range(0..URL_SAFE.len())] as char)
            .collect();
        OrderNumber(format!("{}{:013}{}", Self::PREFIX, epoch_millis, suffix))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OrderNumber {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        OrderNumber::parse(&value)
    }
}

impl From<OrderNumber> for String {
    fn from(value: OrderNumber) -> Self {
        value.0
    }
}

impl fmt::Display for OrderNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A WeChat user's openid within the mini-program.
///
/// `Display` and serde give the whole openid (views, storage); `Debug` and
/// [`OpenId::masked`] give `o-ab…yz`, so that no log line carries it.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OpenId(String);

impl OpenId {
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            Err(IdError::EmptyOpenId)
        } else {
            Ok(OpenId(trimmed.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For logs: the first 4 and last 2 characters, `o-ab…yz`.
    pub fn masked(&self) -> String {
        privacy::mask_openid(&self.0)
    }
}

/// Masked: `OpenId("o-ab…yz")`.
impl fmt::Debug for OpenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OpenId").field(&self.masked()).finish()
    }
}

impl fmt::Display for OpenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_numbers_have_the_known_format() {
        let mut rng = rand::rng();
        let number = OrderNumber::generate(1_760_754_386_127, &mut rng);
        assert_eq!(number.as_str().len(), 28);
        assert!(number.as_str().starts_with("ORD1760754386127"));
        assert_eq!(OrderNumber::parse(number.as_str()).unwrap(), number);
    }

    #[test]
    fn rejects_malformed_numbers() {
        for bad in [
            "",
            "ORD",
            "ORD1234567890",
            "XYZ1760754386127abcdefghijkl",
            "ORD17607543861x7abcdefghijkl",
            "ORD1760754386127abcdefghij!l",
            "ORD1760754386127abcdefghijklm",
            "ORD1760754386127abcdefghijk",
            "ORD1760754386127abcdefg",
            "ORD1760754386127abcdefghi",
            // Multi-byte characters are refused without panicking, wherever they fall.
            "ORD176075438612é7abcdefghij",
            "ORD1760754386127éabcdefghij",
            "ORDé760754386127abcdefghijk",
        ] {
            assert!(OrderNumber::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(OrderNumber::parse("ORD1760754386127abc-_fghijkl").is_ok());
    }

    #[test]
    fn reads_the_old_backends_first_24_character_numbers() {
        let legacy = OrderNumber::parse("ORD1760054386127abc-_fgh").unwrap();
        assert_eq!(legacy.as_str().len(), 24);
    }

    #[test]
    fn openid_must_not_be_blank() {
        assert_eq!(OpenId::parse("  "), Err(IdError::EmptyOpenId));
        assert_eq!(OpenId::parse("o-abc").unwrap().as_str(), "o-abc");
    }

    #[test]
    fn openids_print_masked_in_debug_only() {
        let openid = OpenId::parse("oPoo341Im-roYxAd3WD3D_6J-4bA").unwrap();
        assert_eq!(openid.masked(), "oPoo…bA");
        assert_eq!(format!("{openid:?}"), "OpenId(\"oPoo…bA\")");
        assert_eq!(openid.to_string(), "oPoo341Im-roYxAd3WD3D_6J-4bA");
        assert_eq!(
            serde_json::to_string(&openid).unwrap(),
            "\"oPoo341Im-roYxAd3WD3D_6J-4bA\""
        );
    }
}
