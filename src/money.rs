//! Units that cross boundaries: [`Money`] (exact CNY amounts), [`Probability`], [`Rate`] and
//! [`Years`].
//!
//! Owns the single rounding rule of the project: amounts are rounded to the fen (0.01 CNY),
//! half away from zero, in [`Money::round_fen`] and nowhere else. Simulation kernels work in
//! `f64`; they convert at the edges with [`Money::to_f64`] and [`Money::from_f64_fen`].
//! Must not know about files, HTTP or SQL.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Mul, Sub};
use std::str::FromStr;

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Decimal places kept for money: the fen.
pub const FEN_DECIMALS: u32 = 2;

/// An amount of money in CNY, exact. Serialised as a decimal string (`"1250000.00"`).
///
/// Deserialisation accepts a decimal string or a JSON number (converted through its decimal
/// text, never through binary floating point rounding surprises beyond what JSON carries).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Money {
    /// Zero yuan.
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Wraps an exact decimal amount without rounding.
    pub fn new(amount: Decimal) -> Self {
        Money(amount)
    }

    /// Whole yuan.
    pub fn from_yuan(yuan: i64) -> Self {
        Money(Decimal::from(yuan))
    }

    /// The exact decimal amount.
    pub fn amount(self) -> Decimal {
        self.0
    }

    /// Rounds to the fen, half away from zero: the one rounding rule for money.
    pub fn round_fen(self) -> Self {
        Money(
            self.0
                .round_dp_with_strategy(FEN_DECIMALS, RoundingStrategy::MidpointAwayFromZero),
        )
    }

    /// Converts a simulated `f64` amount into money rounded to the fen. Non-finite input
    /// (which a kernel must never produce) maps to `None`.
    pub fn from_f64_fen(value: f64) -> Option<Self> {
        if !value.is_finite() {
            return None;
        }
        Decimal::from_f64(value).map(|d| Money(d).round_fen())
    }

    /// The amount as `f64` for simulation kernels.
    pub fn to_f64(self) -> f64 {
        self.0.to_f64().unwrap_or(f64::NAN)
    }

    /// True when the amount is below zero.
    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// True when the amount is exactly zero.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// The smaller of two amounts.
    pub fn min(self, other: Money) -> Money {
        if self <= other { self } else { other }
    }

    /// The larger of two amounts.
    pub fn max(self, other: Money) -> Money {
        if self >= other { self } else { other }
    }

    /// Scales by a dimensionless factor (a share, a ratio), exactly, without rounding.
    pub fn scale(self, factor: Decimal) -> Money {
        Money(self.0 * factor)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.round_fen().0)
    }
}

/// Why a text is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyParseError {
    /// Not a decimal number.
    #[error("`{text}` is not a decimal amount")]
    NotDecimal {
        /// The offending text.
        text: String,
    },
}

impl FromStr for Money {
    type Err = MoneyParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().replace('_', "");
        Decimal::from_str(&t)
            .or_else(|_| Decimal::from_scientific(&t))
            .map(Money)
            .map_err(|_| MoneyParseError::NotDecimal {
                text: s.to_string(),
            })
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Text(String),
            Int(i64),
            Float(f64),
        }
        match Repr::deserialize(deserializer)? {
            Repr::Text(t) => t.parse().map_err(serde::de::Error::custom),
            Repr::Int(i) => Ok(Money(Decimal::from(i))),
            Repr::Float(f) => {
                // Go through the shortest decimal text of the float so 0.1 stays 0.1.
                Decimal::from_str(&f.to_string())
                    .or_else(|_| Decimal::from_scientific(&format!("{f:e}")))
                    .map(Money)
                    .map_err(|_| serde::de::Error::custom(format!("`{f}` is not a decimal amount")))
            }
        }
    }
}

impl schemars::JsonSchema for Money {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Money".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // Answers are always plain decimal strings; inputs may also be JSON numbers, carry
        // `_` separators or an exponent (what `Deserialize` reads), so the pattern admits them.
        schemars::json_schema!({
            "anyOf": [
                {"type": "string", "pattern": "^\\s*[-+]?[0-9_.]+([eE][-+]?[0-9]+)?\\s*$"},
                {"type": "number"}
            ],
            "description": "CNY amount as a decimal string, e.g. \"1250000.00\" (a JSON number is read too)",
            "examples": ["1250000.00"]
        })
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl Mul<Decimal> for Money {
    type Output = Money;
    fn mul(self, rhs: Decimal) -> Money {
        Money(self.0 * rhs)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

/// Why a number is not a valid [`Probability`] or [`Rate`].
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum UnitError {
    /// Outside [0, 1] or not finite.
    #[error("{value} is not a probability in [0, 1]")]
    NotProbability {
        /// The offending value.
        value: f64,
    },
    /// Not finite or below -100 %.
    #[error("{value} is not a rate above -1")]
    NotRate {
        /// The offending value.
        value: f64,
    },
    /// Negative or not finite.
    #[error("{value} is not a non-negative number of years")]
    NotYears {
        /// The offending value.
        value: f64,
    },
}

/// A probability in [0, 1]. A value that exists is valid.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Probability(f64);

impl Probability {
    /// Zero.
    pub const ZERO: Probability = Probability(0.0);
    /// One.
    pub const ONE: Probability = Probability(1.0);

    /// Validates a probability.
    pub fn new(value: f64) -> Result<Self, UnitError> {
        if value.is_finite() && (0.0..=1.0).contains(&value) {
            Ok(Probability(value))
        } else {
            Err(UnitError::NotProbability { value })
        }
    }

    /// Clamps any finite number into [0, 1] (NaN becomes 0). For computed, not user, values.
    pub fn clamped(value: f64) -> Self {
        if value.is_nan() {
            Probability(0.0)
        } else {
            Probability(value.clamp(0.0, 1.0))
        }
    }

    /// The value.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Probability {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(deserializer)?;
        Probability::new(v).map_err(serde::de::Error::custom)
    }
}

/// An annual rate (interest, growth, discount), as a fraction: 0.12 = 12 %/yr.
/// Must be finite and above -1.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Rate(f64);

impl Rate {
    /// Validates a rate.
    pub fn new(value: f64) -> Result<Self, UnitError> {
        if value.is_finite() && value > -1.0 {
            Ok(Rate(value))
        } else {
            Err(UnitError::NotRate { value })
        }
    }

    /// The value.
    pub fn get(self) -> f64 {
        self.0
    }

    /// Discount factor for `t` years: `(1 + r)^-t`.
    pub fn discount(self, t: Years) -> f64 {
        (1.0 + self.0).powf(-t.get())
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(deserializer)?;
        Rate::new(v).map_err(serde::de::Error::custom)
    }
}

/// A non-negative duration in years.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct Years(f64);

impl Years {
    /// Validates a duration.
    pub fn new(value: f64) -> Result<Self, UnitError> {
        if value.is_finite() && value >= 0.0 {
            Ok(Years(value))
        } else {
            Err(UnitError::NotYears { value })
        }
    }

    /// From a whole number of months.
    pub fn from_months(months: u32) -> Self {
        Years(f64::from(months) / 12.0)
    }

    /// The value.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Years {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(deserializer)?;
        Years::new(v).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_serialises_as_decimal_string_rounded_to_fen() {
        let m: Money = "1250000.005".parse().unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"1250000.01\"");
        let back: Money = serde_json::from_str("\"1250000.00\"").unwrap();
        assert_eq!(back, Money::from_yuan(1_250_000));
    }

    #[test]
    fn money_accepts_json_numbers_without_float_noise() {
        let m: Money = serde_json::from_str("0.1").unwrap();
        assert_eq!(m.amount(), Decimal::from_str("0.1").unwrap());
        let m: Money = serde_json::from_str("3000000").unwrap();
        assert_eq!(m, Money::from_yuan(3_000_000));
    }

    #[test]
    fn money_rejects_text_that_is_not_a_number() {
        assert!(serde_json::from_str::<Money>("\"12a\"").is_err());
    }

    #[test]
    fn round_fen_is_half_away_from_zero() {
        let m: Money = "-0.005".parse().unwrap();
        assert_eq!(m.round_fen().amount(), Decimal::from_str("-0.01").unwrap());
        assert_eq!(Money::from_f64_fen(1.235).unwrap().to_string(), "1.24");
        assert!(Money::from_f64_fen(f64::NAN).is_none());
    }

    #[test]
    fn probability_and_rate_reject_out_of_range() {
        assert!(Probability::new(1.01).is_err());
        assert!(Probability::new(f64::NAN).is_err());
        assert!(Probability::new(0.0).is_ok());
        assert!(Rate::new(-1.0).is_err());
        assert!(serde_json::from_str::<Probability>("1.5").is_err());
        let r = Rate::new(0.12).unwrap();
        assert!((r.discount(Years::new(2.0).unwrap()) - 1.0 / 1.2544).abs() < 1e-15);
    }
}
