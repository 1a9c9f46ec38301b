//! How numbers and times are written: as the old backend wrote them, money never through
//! floating point.

use elife_domain::money::Fen;
use rust_decimal::Decimal;
use serde::Serialize;

/// A decimal written as a JSON number digit for digit (`6.25`, `480.0000`): the contract
/// wants numbers, and money never passes through floating point on its way out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecimalNumber(pub(super) Decimal);

impl Serialize for DecimalNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = serde_json::value::RawValue::from_string(self.0.to_string())
            .map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// Yuan with two decimals, from integer fen; `productPriceFen` carries the amount too.
pub(super) fn yuan(fen: Fen) -> DecimalNumber {
    DecimalNumber(fen.to_yuan())
}

/// A price as the old backend's JSON showed it: Prisma serialized its `Decimal` columns
/// with decimal.js `toJSON`, a string without trailing zeros (`"3000"`, `"6.25"`, `"6.3"`).
/// Old mini-program code reads these fields as strings, so they stay strings.
pub(super) fn decimal_string(value: Decimal) -> String {
    value.normalize().to_string()
}

/// Timestamps as JavaScript's `toISOString()` wrote them: milliseconds and `Z`
/// (`2025-10-18T10:00:00.123Z`), the only form every mini-program runtime parses.
pub mod js_time {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::Serializer;

    pub fn format(at: &DateTime<Utc>) -> String {
        at.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format(at))
    }

    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::Serializer;

        pub fn serialize<S: Serializer>(
            at: &Option<DateTime<Utc>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => serializer.serialize_str(&super::format(at)),
                None => serializer.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    #[test]
    fn prices_are_strings_like_prismas_decimals() {
        assert_eq!(decimal_string(Fen::new(625).to_yuan()), "6.25");
        assert_eq!(decimal_string(Fen::new(630).to_yuan()), "6.3");
        assert_eq!(decimal_string(Fen::new(600).to_yuan()), "6");
        assert_eq!(decimal_string(Fen::new(1).to_yuan()), "0.01");
        assert_eq!(decimal_string(Fen::new(0).to_yuan()), "0");
    }

    #[test]
    fn timestamps_are_written_like_to_iso_string() {
        let at = DateTime::parse_from_rfc3339("2025-10-18T10:00:00.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(js_time::format(&at), "2025-10-18T10:00:00.123Z");
        let whole = DateTime::parse_from_rfc3339("2025-10-18T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(js_time::format(&whole), "2025-10-18T10:00:00.000Z");
    }

    #[test]
    fn money_is_written_digit_for_digit() {
        let text = |value: DecimalNumber| serde_json::to_string(&value).unwrap();
        assert_eq!(text(yuan(Fen::new(625))), "6.25");
        assert_eq!(text(yuan(Fen::new(1042))), "10.42");
        assert_eq!(text(yuan(Fen::new(600))), "6.00");
        assert_eq!(
            text(yuan(Fen::new(123_456_789_012_345))),
            "1234567890123.45"
        );
        let parsed: serde_json::Value = serde_json::from_str(&text(yuan(Fen::new(1)))).unwrap();
        assert!(parsed.is_number());
    }
}
