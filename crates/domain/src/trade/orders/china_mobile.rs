//! Chinese mobile numbers, as a receiver's phone on a mall order. Mongolian subscriber
//! numbers are [`crate::msisdn::Msisdn`]; the two never mix.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::privacy;

/// The number this error carries is already masked: messages reach logs and 400 answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a mobile number must be 11 digits starting with 13 to 19, got {0:?}")]
pub struct ChinaMobileError(pub String);

/// An 11-digit mainland mobile number `1[3-9]xxxxxxxxx` (every mobile range issued today
/// starts 13 to 19), stored without the `+86` country code.
///
/// `Display` and serde give the full number (the shopper sees their own address);
/// `Debug` and [`ChinaMobile::masked`] give `1381*******`, so that no log line carries it.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChinaMobile(String);

impl ChinaMobile {
    pub const LENGTH: usize = 11;

    /// Accepts surrounding spaces and a `+86` / `86` prefix, nothing else.
    pub fn parse(raw: &str) -> Result<Self, ChinaMobileError> {
        let trimmed = raw.trim();
        let national = trimmed
            .strip_prefix("+86")
            .or_else(|| {
                // Only a 13-digit `86…` is the country code; an 11-digit number is kept.
                (trimmed.len() == Self::LENGTH + 2)
                    .then(|| trimmed.strip_prefix("86"))
                    .flatten()
            })
            .unwrap_or(trimmed);
        let bytes = national.as_bytes();
        let valid = bytes.len() == Self::LENGTH
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1]);
        if valid {
            Ok(ChinaMobile(national.to_owned()))
        } else {
            Err(ChinaMobileError(privacy::mask_phone(raw.trim())))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For logs and messages: `1381*******`.
    pub fn masked(&self) -> String {
        privacy::mask_phone(&self.0)
    }
}

/// Masked: `ChinaMobile("1381*******")`.
impl fmt::Debug for ChinaMobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ChinaMobile").field(&self.masked()).finish()
    }
}

impl fmt::Display for ChinaMobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ChinaMobile {
    type Error = ChinaMobileError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ChinaMobile::parse(&value)
    }
}

impl From<ChinaMobile> for String {
    fn from(value: ChinaMobile) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_eleven_digits_from_13_to_19_with_or_without_the_country_code() {
        for good in [
            "13812345678",
            " 19912345678 ",
            "+8613812345678",
            "8613812345678",
        ] {
            let number = ChinaMobile::parse(good).unwrap();
            assert_eq!(number.as_str().len(), 11, "{good:?}");
            assert!(number.as_str().starts_with('1'));
        }
        for bad in [
            "",
            "1381234567",
            "138123456789",
            "12812345678",
            "23812345678",
            "1381234567a",
            "138 1234 5678",
            "+85213812345678",
            "88112233",
            "１３８１２３４５６７８",
        ] {
            assert!(ChinaMobile::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn debug_and_errors_are_masked_display_and_serde_are_whole() {
        let number = ChinaMobile::parse("13812345678").unwrap();
        assert_eq!(format!("{number:?}"), "ChinaMobile(\"1381*******\")");
        assert_eq!(number.to_string(), "13812345678");
        assert_eq!(serde_json::to_string(&number).unwrap(), "\"13812345678\"");
        let back: ChinaMobile = serde_json::from_str("\"13812345678\"").unwrap();
        assert_eq!(back, number);
        assert!(serde_json::from_str::<ChinaMobile>("\"12812345678\"").is_err());
        let error = ChinaMobile::parse("1281234567890").unwrap_err();
        for printed in [error.to_string(), format!("{error:?}")] {
            assert!(!printed.contains("34567890"), "{printed}");
        }
    }
}
