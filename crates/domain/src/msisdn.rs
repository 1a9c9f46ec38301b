//! Mongolian subscriber numbers and the operator that owns them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::privacy;

/// The numbers these errors carry are already masked (`8811****`): the messages reach logs
/// and 400 answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MsisdnError {
    #[error("phone number must be 8 digits, got {0:?}")]
    Malformed(String),
    #[error("phone number {0} belongs to no known operator")]
    UnknownOperator(String),
    #[error("phone number {number} belongs to {actual}, not {requested}")]
    WrongOperator {
        /// Masked.
        number: String,
        requested: Operator,
        actual: Operator,
    },
    #[error("unknown operator {0:?}")]
    UnknownOperatorName(String),
    #[error("invalid operator prefix configuration: {0}")]
    InvalidPrefixConfig(String),
}

/// An 8-digit Mongolian subscriber number, without country code.
///
/// `Display` and serde give the full number (the mini-program sees its own number);
/// `Debug` and [`Msisdn::masked`] give `8811****`, so that no log line carries it.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Msisdn(String);

impl Msisdn {
    pub const LENGTH: usize = 8;

    pub fn parse(raw: &str) -> Result<Self, MsisdnError> {
        let trimmed = raw.trim();
        if trimmed.len() == Self::LENGTH && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Msisdn(trimmed.to_owned()))
        } else {
            Err(MsisdnError::Malformed(privacy::mask_phone(raw)))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For logs and messages: `8811****`.
    pub fn masked(&self) -> String {
        privacy::mask_phone(&self.0)
    }
}

/// Masked: `Msisdn("8811****")`.
impl fmt::Debug for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Msisdn").field(&self.masked()).finish()
    }
}

impl TryFrom<String> for Msisdn {
    type Error = MsisdnError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Msisdn::parse(&value)
    }
}

impl From<Msisdn> for String {
    fn from(value: Msisdn) -> Self {
        value.0
    }
}

impl fmt::Display for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Operator {
    Unitel,
    Mobicom,
    Skytel,
    GMobile,
    Ondo,
}

impl Operator {
    pub const ALL: [Operator; 5] = [
        Operator::Unitel,
        Operator::Mobicom,
        Operator::Skytel,
        Operator::GMobile,
        Operator::Ondo,
    ];

    /// The spelling stored in `orders.product_operator` and shown to the mini-program.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Unitel => "Unitel",
            Operator::Mobicom => "Mobicom",
            Operator::Skytel => "Skytel",
            Operator::GMobile => "G-Mobile",
            Operator::Ondo => "Ondo",
        }
    }
}

impl FromStr for Operator {
    type Err = MsisdnError;

    /// Case-insensitive: the old clients sent both `Unitel` and `UNITEL`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalized: String = s
            .trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        Operator::ALL
            .into_iter()
            .find(|op| {
                op.as_str()
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .eq_ignore_ascii_case(&normalized)
            })
            .ok_or_else(|| MsisdnError::UnknownOperatorName(s.to_owned()))
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which operator owns a number, decided by its leading digits. Allocations change, so
/// this comes from configuration (`OPERATOR_PREFIXES`); [`Default`] holds today's ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorPrefixes {
    entries: Vec<(String, Operator)>,
}

impl Default for OperatorPrefixes {
    fn default() -> Self {
        Self::parse(
            "Unitel:80,86,88,89;Mobicom:85,94,95,99;Skytel:90,91,96;G-Mobile:93,97,98;Ondo:60",
        )
        .unwrap_or_else(|_| OperatorPrefixes { entries: vec![] })
    }
}

impl OperatorPrefixes {
    /// Parses `Operator:prefix,prefix;Operator:prefix`.
    pub fn parse(spec: &str) -> Result<Self, MsisdnError> {
        let mut entries = Vec::new();
        for group in spec.split(';').map(str::trim).filter(|g| !g.is_empty()) {
            let (name, prefixes) = group
                .split_once(':')
                .ok_or_else(|| MsisdnError::InvalidPrefixConfig(group.to_owned()))?;
            let operator: Operator = name.parse()?;
            for prefix in prefixes.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                if prefix.len() >= Msisdn::LENGTH || !prefix.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(MsisdnError::InvalidPrefixConfig(prefix.to_owned()));
                }
                entries.push((prefix.to_owned(), operator));
            }
        }
        // Longest prefix first, so that a specific range can override a broad one.
        entries.sort_by_key(|entry| std::cmp::Reverse(entry.0.len()));
        Ok(OperatorPrefixes { entries })
    }

    pub fn detect(&self, number: &Msisdn) -> Option<Operator> {
        self.entries
            .iter()
            .find(|(prefix, _)| number.as_str().starts_with(prefix.as_str()))
            .map(|(_, operator)| *operator)
    }

    /// The number must belong to the operator the customer chose.
    pub fn ensure(&self, number: &Msisdn, requested: Operator) -> Result<(), MsisdnError> {
        match self.detect(number) {
            Some(actual) if actual == requested => Ok(()),
            Some(actual) => Err(MsisdnError::WrongOperator {
                number: number.masked(),
                requested,
                actual,
            }),
            None => Err(MsisdnError::UnknownOperator(number.masked())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_eight_digits() {
        assert_eq!(Msisdn::parse(" 88112233 ").unwrap().as_str(), "88112233");
        for bad in [
            "12ab",
            "8811223",
            "881122334",
            "",
            "8811 223",
            "+9768811223",
            "８８１１２２３３",
        ] {
            assert!(Msisdn::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn detects_operator_by_prefix() {
        let prefixes = OperatorPrefixes::default();
        let unitel = Msisdn::parse("88112233").unwrap();
        let mobicom = Msisdn::parse("99112233").unwrap();
        let nobody = Msisdn::parse("11112233").unwrap();
        assert_eq!(prefixes.detect(&unitel), Some(Operator::Unitel));
        assert!(prefixes.ensure(&unitel, Operator::Unitel).is_ok());
        assert!(matches!(
            prefixes.ensure(&mobicom, Operator::Unitel),
            Err(MsisdnError::WrongOperator {
                actual: Operator::Mobicom,
                ..
            })
        ));
        assert!(matches!(
            prefixes.ensure(&nobody, Operator::Unitel),
            Err(MsisdnError::UnknownOperator(_))
        ));
    }

    #[test]
    fn longest_prefix_wins_and_bad_config_is_refused() {
        let prefixes = OperatorPrefixes::parse("Unitel:8;Mobicom:85").unwrap();
        assert_eq!(
            prefixes.detect(&Msisdn::parse("85000000").unwrap()),
            Some(Operator::Mobicom)
        );
        assert_eq!(
            prefixes.detect(&Msisdn::parse("88000000").unwrap()),
            Some(Operator::Unitel)
        );
        assert!(OperatorPrefixes::parse("Unitel 88").is_err());
        assert!(OperatorPrefixes::parse("Nokia:88").is_err());
        assert!(OperatorPrefixes::parse("Unitel:8x").is_err());
    }

    #[test]
    fn operator_names_are_case_insensitive() {
        assert_eq!("UNITEL".parse::<Operator>().unwrap(), Operator::Unitel);
        assert_eq!("g-mobile".parse::<Operator>().unwrap(), Operator::GMobile);
        assert!("nokia".parse::<Operator>().is_err());
    }

    #[test]
    fn masks_for_logs() {
        let number = Msisdn::parse("88112233").unwrap();
        assert_eq!(number.masked(), "8811****");
        assert_eq!(format!("{number:?}"), "Msisdn(\"8811****\")");
        // The wire format is the full number.
        assert_eq!(number.to_string(), "88112233");
        assert_eq!(serde_json::to_string(&number).unwrap(), "\"88112233\"");
    }

    #[test]
    fn errors_carry_masked_numbers() {
        let prefixes = OperatorPrefixes::default();
        for error in [
            Msisdn::parse("881122334").unwrap_err(),
            prefixes
                .ensure(&Msisdn::parse("99112233").unwrap(), Operator::Unitel)
                .unwrap_err(),
            prefixes
                .ensure(&Msisdn::parse("11112233").unwrap(), Operator::Unitel)
                .unwrap_err(),
        ] {
            for printed in [error.to_string(), format!("{error:?}")] {
                assert!(!printed.contains("1122"), "{printed}");
                assert!(printed.contains("**"), "{printed}");
            }
        }
    }
}
