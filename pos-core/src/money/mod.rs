//! Exact money: a non-negative decimal amount in a currency that knows its minor units.
//!
//! Vendors disagree on the wire: CodePay and InterPay send major-unit strings (`"12.50"`),
//! Paynt and Connect integer minor units (`1250`). Both conversions are exact here and
//! refuse, with a typed error, anything that would need rounding. There are no floats.

mod currency;

use alloc::string::{String, ToString};
use core::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use currency::Currency;

/// The largest amount, in minor units, that any machine accepts: 15 digits.
pub const MAX_MINOR_UNITS: i64 = 999_999_999_999_999;

/// An exact, non-negative amount of money in one currency.
///
/// Every constructor checks that the amount is not negative, has no more decimal places than
/// the currency's exponent, and has at most [`MAX_MINOR_UNITS`] minor units.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "MoneyRepr", into = "MoneyRepr")]
pub struct Money {
    /// Normalised to exactly `currency.exponent()` decimal places.
    amount: Decimal,
    currency: Currency,
}

/// Why an amount or a currency was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// The amount is below zero.
    #[error("amount {amount} is negative")]
    Negative {
        /// The amount as given.
        amount: String,
    },
    /// The amount has more decimal places than the currency allows.
    #[error("amount {amount} has more than {max_places} decimal places for {currency}")]
    TooPrecise {
        /// The amount as given.
        amount: String,
        /// The currency's exponent.
        max_places: u8,
        /// The currency's code.
        currency: String,
    },
    /// The amount exceeds [`MAX_MINOR_UNITS`].
    #[error("amount {amount} is out of range")]
    OutOfRange {
        /// The amount as given.
        amount: String,
    },
    /// The text is not a plain decimal number.
    #[error("amount {text:?} is not a decimal number")]
    Malformed {
        /// The text as given.
        text: String,
    },
    /// The currency code is not known or not well-formed.
    #[error("currency {code:?} is unknown")]
    UnknownCurrency {
        /// The code as given.
        code: String,
    },
    /// Two amounts in different currencies were combined.
    #[error("currencies differ: {left} and {right}")]
    CurrencyMismatch {
        /// The left operand's currency.
        left: String,
        /// The right operand's currency.
        right: String,
    },
}

impl MoneyError {
    fn unknown_currency(code: &str) -> Self {
        Self::UnknownCurrency { code: code.into() }
    }
}

impl Money {
    /// Builds an amount from a decimal in major units (`12.50` pounds).
    ///
    /// Trailing zeros beyond the exponent are accepted (`12.500` GBP is `12.50`).
    ///
    /// # Errors
    /// `Negative`, `TooPrecise` or `OutOfRange`.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(MoneyError::Negative {
                amount: amount.to_string(),
            });
        }
        let mut normalised = amount.normalize();
        if normalised.scale() > u32::from(currency.exponent()) {
            return Err(MoneyError::TooPrecise {
                amount: amount.to_string(),
                max_places: currency.exponent(),
                currency: currency.code().into(),
            });
        }
        normalised.rescale(u32::from(currency.exponent()));
        // Negative zero would print as "-0.00".
        normalised.set_sign_positive(true);
        let money = Self {
            amount: normalised,
            currency,
        };
        match money.minor_units_checked() {
            Some(_) => Ok(money),
            None => Err(MoneyError::OutOfRange {
                amount: amount.to_string(),
            }),
        }
    }

    /// Builds an amount from integer minor units (`1250` pence).
    ///
    /// # Errors
    /// `Negative` or `OutOfRange`.
    pub fn from_minor(minor_units: i64, currency: Currency) -> Result<Self, MoneyError> {
        if minor_units < 0 {
            return Err(MoneyError::Negative {
                amount: minor_units.to_string(),
            });
        }
        if minor_units > MAX_MINOR_UNITS {
            return Err(MoneyError::OutOfRange {
                amount: minor_units.to_string(),
            });
        }
        Ok(Self {
            amount: Decimal::new(minor_units, u32::from(currency.exponent())),
            currency,
        })
    }

    /// Parses a major-unit decimal string such as `"12.50"`, `"12.5"` or `"12"`.
    ///
    /// Only plain digits with an optional single `.` are accepted: no sign, exponent,
    /// grouping or surrounding spaces.
    ///
    /// # Errors
    /// `Malformed`, `TooPrecise` or `OutOfRange`.
    pub fn parse_major(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let malformed = || MoneyError::Malformed { text: text.into() };
        let (int, frac) = match text.split_once('.') {
            Some((int, frac)) => (int, Some(frac)),
            None => (text, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || frac.is_some_and(|f| !digits(f)) {
            return Err(malformed());
        }
        // Longer than Decimal's 28 digits cannot be in range anyway.
        if text.len() > 40 {
            return Err(MoneyError::OutOfRange {
                amount: text.into(),
            });
        }
        let decimal = Decimal::from_str_exact(text).map_err(|_| {
            if int.trim_start_matches('0').len() > 15 {
                MoneyError::OutOfRange {
                    amount: text.into(),
                }
            } else {
                MoneyError::TooPrecise {
                    amount: text.into(),
                    max_places: currency.exponent(),
                    currency: currency.code().into(),
                }
            }
        })?;
        Self::new(decimal, currency).map_err(|e| match e {
            MoneyError::TooPrecise {
                max_places,
                currency,
                ..
            } => MoneyError::TooPrecise {
                amount: text.into(),
                max_places,
                currency,
            },
            MoneyError::OutOfRange { .. } => MoneyError::OutOfRange {
                amount: text.into(),
            },
            other => other,
        })
    }

    /// Builds a zero amount.
    #[must_use]
    pub fn zero(currency: Currency) -> Self {
        Self {
            amount: Decimal::new(0, u32::from(currency.exponent())),
            currency,
        }
    }

    /// Returns the amount in major units, with exactly the currency's decimal places.
    #[must_use]
    pub const fn amount(&self) -> Decimal {
        self.amount
    }

    /// Returns the currency.
    #[must_use]
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// Returns the amount in integer minor units (`12.50` GBP is `1250`).
    #[must_use]
    pub fn minor_units(&self) -> i64 {
        // Every constructor checked the range.
        self.minor_units_checked().unwrap_or(i64::MAX)
    }

    /// Returns the major-unit string with exactly the currency's decimal places
    /// (`"12.50"` GBP, `"1250"` JPY, `"1.250"` KWD).
    #[must_use]
    pub fn to_major_string(&self) -> String {
        self.amount.to_string()
    }

    /// Returns true when the amount is zero.
    #[must_use]
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// Adds two amounts of the same currency.
    ///
    /// # Errors
    /// `CurrencyMismatch` or `OutOfRange`.
    pub fn checked_add(&self, other: &Self) -> Result<Self, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch {
                left: self.currency.code().into(),
                right: other.currency.code().into(),
            });
        }
        let sum = self.minor_units().saturating_add(other.minor_units());
        Self::from_minor(sum, self.currency)
    }

    fn minor_units_checked(&self) -> Option<i64> {
        let mut scaled = self.amount;
        scaled.rescale(u32::from(self.currency.exponent()));
        let minor = i64::try_from(scaled.mantissa()).ok()?;
        (0..=MAX_MINOR_UNITS).contains(&minor).then_some(minor)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl fmt::Display for Money {
    /// Formats as `12.50 GBP`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// The serialised shape: `{"amount": "12.50", "currency": "GBP"}`.
#[derive(Serialize, Deserialize)]
struct MoneyRepr {
    amount: String,
    currency: Currency,
}

impl TryFrom<MoneyRepr> for Money {
    type Error = MoneyError;

    fn try_from(repr: MoneyRepr) -> Result<Self, Self::Error> {
        Self::parse_major(&repr.amount, repr.currency)
    }
}

impl From<Money> for MoneyRepr {
    fn from(money: Money) -> Self {
        Self {
            amount: money.to_major_string(),
            currency: money.currency,
        }
    }
}

#[cfg(test)]
mod tests;
