//! Money in integer minor units. Amounts never pass through floating point:
//! `rust_decimal` is used only to convert between currencies, with explicit rounding.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("exchange rate must be positive, got {0}")]
    NonPositiveRate(Decimal),
    #[error("exchange rate must have at most 4 decimals and be below 1000000, got {0}")]
    RateOutOfRange(Decimal),
    #[error("amount must not be negative, got {0}")]
    NegativeAmount(i64),
    #[error("amount is too large to convert")]
    Overflow,
}

/// Chinese yuan in fen (1/100 CNY): what WeChat Pay calls `total_fee`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub const fn new(fen: i64) -> Self {
        Fen(fen)
    }

    pub const fn value(self) -> i64 {
        self.0
    }

    /// The amount in yuan with exactly two decimals (e.g. `12.30`).
    pub fn to_yuan(self) -> Decimal {
        Decimal::new(self.0, 2)
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} fen", self.0)
    }
}

/// Mongolian tugrik. Unitel prices are whole tugrik, so this is the minor unit too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Mnt(i64);

impl Mnt {
    pub const ZERO: Mnt = Mnt(0);

    pub const fn new(mnt: i64) -> Self {
        Mnt(mnt)
    }

    pub const fn value(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Mnt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} MNT", self.0)
    }
}

/// The `MNT_TO_CNY` rate: how many tugrik buy one yuan (e.g. `480.5000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct ExchangeRate(Decimal);

impl TryFrom<Decimal> for ExchangeRate {
    type Error = MoneyError;
    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        ExchangeRate::new(value)
    }
}

impl From<ExchangeRate> for Decimal {
    fn from(rate: ExchangeRate) -> Self {
        rate.0
    }
}

impl ExchangeRate {
    /// The currency pair the mini-program asks for.
    pub const MNT_TO_CNY: &'static str = "MNT_TO_CNY";

    /// Decimals kept exactly by every database (`DECIMAL(10,4)`).
    pub const MAX_SCALE: u32 = 4;
    /// Exclusive upper bound that fits `DECIMAL(10,4)`.
    pub const UPPER_BOUND: i64 = 1_000_000;

    pub fn new(mnt_per_cny: Decimal) -> Result<Self, MoneyError> {
        if mnt_per_cny <= Decimal::ZERO {
            return Err(MoneyError::NonPositiveRate(mnt_per_cny));
        }
        // Refused rather than rounded: a rate is money's yardstick and is stored exactly.
        if mnt_per_cny.normalize().scale() > Self::MAX_SCALE
            || mnt_per_cny >= Decimal::from(Self::UPPER_BOUND)
        {
            return Err(MoneyError::RateOutOfRange(mnt_per_cny));
        }
        Ok(ExchangeRate(mnt_per_cny))
    }

    pub fn value(self) -> Decimal {
        self.0
    }

    /// `round(mnt / rate, 2)` half-up as the old backend computed the yuan price, then in fen.
    pub fn mnt_to_fen(self, amount: Mnt) -> Result<Fen, MoneyError> {
        if amount.value() < 0 {
            return Err(MoneyError::NegativeAmount(amount.value()));
        }
        let yuan = Decimal::from(amount.value())
            .checked_div(self.0)
            .ok_or(MoneyError::Overflow)?
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        let fen = yuan
            .checked_mul(Decimal::ONE_HUNDRED)
            .ok_or(MoneyError::Overflow)?;
        i64::try_from(fen)
            .map(Fen)
            .map_err(|_| MoneyError::Overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn converts_with_half_up_rounding_to_two_decimals() {
        let rate = ExchangeRate::new(dec!(480)).unwrap();
        // 3000 / 480 = 6.25 exactly
        assert_eq!(rate.mnt_to_fen(Mnt::new(3000)).unwrap(), Fen::new(625));
        // 5000 / 480 = 10.41666.. -> 10.42
        assert_eq!(rate.mnt_to_fen(Mnt::new(5000)).unwrap(), Fen::new(1042));
        // 1 / 200 = 0.005 -> 0.01 (half-up, not banker's)
        let rate = ExchangeRate::new(dec!(200)).unwrap();
        assert_eq!(rate.mnt_to_fen(Mnt::new(1)).unwrap(), Fen::new(1));
        // 3 / 200 = 0.015 -> 0.02
        assert_eq!(rate.mnt_to_fen(Mnt::new(3)).unwrap(), Fen::new(2));
    }

    #[test]
    fn keeps_four_decimal_rates_exact() {
        let rate = ExchangeRate::new(dec!(470.1234)).unwrap();
        // 74220 / 470.1234 = 157.873... -> 157.87
        assert_eq!(rate.mnt_to_fen(Mnt::new(74220)).unwrap(), Fen::new(15787));
    }

    #[test]
    fn refuses_non_positive_rates_and_negative_amounts() {
        assert_eq!(
            ExchangeRate::new(dec!(0)),
            Err(MoneyError::NonPositiveRate(dec!(0)))
        );
        assert!(ExchangeRate::new(dec!(-1)).is_err());
        assert_eq!(
            ExchangeRate::new(dec!(480.12345)),
            Err(MoneyError::RateOutOfRange(dec!(480.12345)))
        );
        assert!(ExchangeRate::new(dec!(1000000)).is_err());
        assert!(ExchangeRate::new(dec!(999999.9999)).is_ok());
        assert!(
            ExchangeRate::new(dec!(480.1000000)).is_ok(),
            "trailing zeros are exact"
        );
        let rate = ExchangeRate::new(dec!(480)).unwrap();
        assert_eq!(
            rate.mnt_to_fen(Mnt::new(-5)),
            Err(MoneyError::NegativeAmount(-5))
        );
    }

    #[test]
    fn deserializing_applies_the_same_rules() {
        let rate: ExchangeRate = serde_json::from_str("\"480.5\"").unwrap();
        assert_eq!(rate.value(), dec!(480.5));
        assert!(serde_json::from_str::<ExchangeRate>("\"0\"").is_err());
        assert!(serde_json::from_str::<ExchangeRate>("\"1.00001\"").is_err());
    }

    #[test]
    fn yuan_has_two_decimals() {
        assert_eq!(Fen::new(1042).to_yuan().to_string(), "10.42");
        assert_eq!(Fen::new(600).to_yuan().to_string(), "6.00");
    }
}
