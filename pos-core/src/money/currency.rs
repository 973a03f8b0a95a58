//! ISO 4217 currencies with their minor-unit exponents.

use alloc::string::String;
use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::MoneyError;

/// A currency: its ISO 4217 alphabetic code, numeric code and minor-unit exponent.
///
/// The exponent decides how many decimal places an amount may have (GBP 2, JPY 0, KWD 3) and
/// how major-unit strings convert to integer minor units.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency {
    code: [u8; 3],
    numeric: u16,
    exponent: u8,
}

impl Currency {
    /// Pound sterling, exponent 2.
    pub const GBP: Self = Self::known(*b"GBP", 826, 2);
    /// Euro, exponent 2.
    pub const EUR: Self = Self::known(*b"EUR", 978, 2);
    /// US dollar, exponent 2.
    pub const USD: Self = Self::known(*b"USD", 840, 2);
    /// Canadian dollar, exponent 2.
    pub const CAD: Self = Self::known(*b"CAD", 124, 2);
    /// Japanese yen, exponent 0.
    pub const JPY: Self = Self::known(*b"JPY", 392, 0);
    /// Kuwaiti dinar, exponent 3.
    pub const KWD: Self = Self::known(*b"KWD", 414, 3);

    /// The largest exponent ISO 4217 uses (CLF, UYW).
    pub const MAX_EXPONENT: u8 = 4;

    const fn known(code: [u8; 3], numeric: u16, exponent: u8) -> Self {
        Self {
            code,
            numeric,
            exponent,
        }
    }

    /// Looks up a currency by its alphabetic code (case-insensitive).
    ///
    /// # Errors
    /// `MoneyError::UnknownCurrency` when the code is not in the table; use
    /// [`Currency::new`] for a currency the table lacks.
    pub fn from_code(code: &str) -> Result<Self, MoneyError> {
        let upper = upper3(code).ok_or_else(|| MoneyError::unknown_currency(code))?;
        TABLE
            .iter()
            .find(|c| c.code == upper)
            .copied()
            .ok_or_else(|| MoneyError::unknown_currency(code))
    }

    /// Looks up a currency by its ISO 4217 numeric code (e.g. 978 for EUR).
    ///
    /// # Errors
    /// `MoneyError::UnknownCurrency` when the number is not in the table.
    pub fn from_numeric(numeric: u16) -> Result<Self, MoneyError> {
        TABLE
            .iter()
            .find(|c| c.numeric == numeric)
            .copied()
            .ok_or_else(|| MoneyError::UnknownCurrency {
                code: alloc::format!("{numeric:03}"),
            })
    }

    /// Builds a currency the table lacks: three ASCII letters, a numeric code and an exponent.
    ///
    /// # Errors
    /// `MoneyError::UnknownCurrency` when the code is not three letters or the exponent exceeds
    /// [`Currency::MAX_EXPONENT`].
    pub fn new(code: &str, numeric: u16, exponent: u8) -> Result<Self, MoneyError> {
        match upper3(code) {
            Some(code) if exponent <= Self::MAX_EXPONENT && numeric < 1000 => Ok(Self {
                code,
                numeric,
                exponent,
            }),
            _ => Err(MoneyError::unknown_currency(code)),
        }
    }

    /// Returns the alphabetic code, e.g. `"GBP"`.
    #[must_use]
    pub fn code(&self) -> &str {
        // The code is built only from ASCII letters.
        core::str::from_utf8(&self.code).unwrap_or("XXX")
    }

    /// Returns the numeric code, e.g. 826 for GBP.
    #[must_use]
    pub const fn numeric(&self) -> u16 {
        self.numeric
    }

    /// Returns the numeric code as the three-digit string wire formats use, e.g. `"036"`.
    #[must_use]
    pub fn numeric_string(&self) -> String {
        alloc::format!("{:03}", self.numeric)
    }

    /// Returns the minor-unit exponent: 2 for GBP, 0 for JPY, 3 for KWD.
    #[must_use]
    pub const fn exponent(&self) -> u8 {
        self.exponent
    }
}

fn upper3(code: &str) -> Option<[u8; 3]> {
    let bytes = code.as_bytes();
    let [a, b, c] = bytes else { return None };
    let out = [
        a.to_ascii_uppercase(),
        b.to_ascii_uppercase(),
        c.to_ascii_uppercase(),
    ];
    out.iter().all(u8::is_ascii_uppercase).then_some(out)
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl core::str::FromStr for Currency {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_code(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Self::from_code(&code).map_err(serde::de::Error::custom)
    }
}

macro_rules! table {
    ($($code:literal $num:literal $exp:literal),* $(,)?) => {
        /// The currencies card terminals in the four vendors' markets are known to use.
        const TABLE: &[Currency] = &[$(Currency::known(*$code, $num, $exp)),*];
    };
}

table! {
    b"AED" 784 2, b"ARS" 32 2, b"AUD" 36 2, b"BGN" 975 2, b"BHD" 48 3, b"BIF" 108 0,
    b"BRL" 986 2, b"CAD" 124 2, b"CHF" 756 2, b"CLF" 990 4, b"CLP" 152 0, b"CNY" 156 2,
    b"COP" 170 2, b"CZK" 203 2, b"DJF" 262 0, b"DKK" 208 2, b"EGP" 818 2, b"EUR" 978 2,
    b"GBP" 826 2, b"GNF" 324 0, b"HKD" 344 2, b"HUF" 348 2, b"IDR" 360 2, b"ILS" 376 2,
    b"INR" 356 2, b"IQD" 368 3, b"ISK" 352 0, b"JOD" 400 3, b"JPY" 392 0, b"KES" 404 2,
    b"KMF" 174 0, b"KRW" 410 0, b"KWD" 414 3, b"LYD" 434 3, b"MAD" 504 2, b"MXN" 484 2,
    b"MYR" 458 2, b"NGN" 566 2, b"NOK" 578 2, b"NZD" 554 2, b"OMR" 512 3, b"PEN" 604 2,
    b"PHP" 608 2, b"PLN" 985 2, b"PYG" 600 0, b"QAR" 634 2, b"RON" 946 2, b"RSD" 941 2,
    b"RUB" 643 2, b"RWF" 646 0, b"SAR" 682 2, b"SEK" 752 2, b"SGD" 702 2, b"THB" 764 2,
    b"TND" 788 3, b"TRY" 949 2, b"TWD" 901 2, b"UAH" 980 2, b"UGX" 800 0, b"USD" 840 2,
    b"UYI" 940 0, b"VND" 704 0, b"VUV" 548 0, b"XAF" 950 0, b"XOF" 952 0, b"XPF" 953 0,
    b"ZAR" 710 2,
}
