//! Identifier rules (spec §9): terminal UTIs, POS UTIs, references, serials, tokens.

use alloc::string::String;

use serde::{Deserialize, Serialize};

use crate::error::IdError;

/// The longest `TerminalUti` accepted, in bytes.
pub const TERMINAL_UTI_MAX: usize = 128;

/// Checks a UTI the terminal generated: 1–128 bytes, no whitespace or control characters.
///
/// # Errors
/// An [`IdError`] naming the broken rule.
pub fn check_terminal_uti(uti: &str) -> Result<(), IdError> {
    if uti.is_empty() {
        return Err(IdError::Empty);
    }
    if uti.len() > TERMINAL_UTI_MAX {
        return Err(IdError::TooLong {
            len: uti.len(),
            max: TERMINAL_UTI_MAX,
        });
    }
    match uti.chars().find(|c| c.is_whitespace() || c.is_control()) {
        Some(found) => Err(IdError::Forbidden { found }),
        None => Ok(()),
    }
}

/// Checks a UTI the POS makes: `^[A-Za-z0-9]{1,64}$`.
///
/// # Errors
/// An [`IdError`] naming the broken rule.
pub fn check_pos_uti(uti: &str) -> Result<(), IdError> {
    check_charset(uti, 64, |c| c.is_ascii_alphanumeric())
}

/// How caller references are checked (spec §9.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferencePolicy {
    /// `^[A-Za-z0-9]{1,36}$` (Paynt's stated rule).
    #[default]
    Strict,
    /// `^[A-Za-z0-9-]{1,36}$` (Paynt's examples).
    AllowHyphen,
    /// Any 1–36 visible ASCII characters (simulator only).
    Any,
}

impl ReferencePolicy {
    /// Checks a reference against the policy.
    ///
    /// # Errors
    /// An [`IdError`] naming the broken rule.
    pub fn check(self, reference: &str) -> Result<(), IdError> {
        match self {
            Self::Strict => check_charset(reference, 36, |c| c.is_ascii_alphanumeric()),
            Self::AllowHyphen => {
                check_charset(reference, 36, |c| c.is_ascii_alphanumeric() || c == '-')
            }
            Self::Any => check_charset(reference, 36, |c| c.is_ascii_graphic()),
        }
    }
}

/// Checks a serial (`tid`): 1–32 ASCII letters or digits.
///
/// # Errors
/// An [`IdError`] naming the broken rule.
pub fn check_serial(serial: &str) -> Result<(), IdError> {
    check_charset(serial, 32, |c| c.is_ascii_alphanumeric())
}

/// Checks a token: 1–256 visible ASCII, no whitespace.
///
/// # Errors
/// An [`IdError`] naming the broken rule.
pub fn check_token(token: &str) -> Result<(), IdError> {
    check_charset(token, 256, |c| c.is_ascii_graphic())
}

/// Checks a pairing code after trimming: 1–64 visible ASCII.
///
/// # Errors
/// An [`IdError`] naming the broken rule.
pub fn check_pairing_code(code: &str) -> Result<(), IdError> {
    check_charset(code.trim(), 64, |c| c.is_ascii_graphic())
}

pub use pos_core::http::{percent_decode, percent_encode};

/// Returns the first value of `name` in a query string, percent-decoded.
#[must_use]
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k) == name).then(|| percent_decode(v))
    })
}

fn check_charset(text: &str, max: usize, ok: impl Fn(char) -> bool) -> Result<(), IdError> {
    if text.is_empty() {
        return Err(IdError::Empty);
    }
    if text.len() > max {
        return Err(IdError::TooLong {
            len: text.len(),
            max,
        });
    }
    match text.chars().find(|c| !ok(*c)) {
        Some(found) => Err(IdError::Forbidden { found }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_utis_are_lenient_but_bounded() {
        assert!(check_terminal_uti("2b7e9c14-5d0a-3f62-a1c8-94e07d3b6f25").is_ok());
        assert!(check_terminal_uti("000000000001").is_ok());
        assert_eq!(check_terminal_uti(""), Err(IdError::Empty));
        assert!(matches!(
            check_terminal_uti(&"a".repeat(129)),
            Err(IdError::TooLong { len: 129, .. })
        ));
        assert_eq!(
            check_terminal_uti("ab cd"),
            Err(IdError::Forbidden { found: ' ' })
        );
        assert!(check_pos_uti("abc-1").is_err());
    }

    #[test]
    fn reference_policies_differ_on_hyphens() {
        assert!(ReferencePolicy::Strict.check("abc-1").is_err());
        assert!(ReferencePolicy::AllowHyphen.check("abc-1").is_ok());
        assert!(ReferencePolicy::Strict.check(&"a".repeat(37)).is_err());
    }

    #[test]
    fn query_values_round_trip() {
        let v = "a b&c=d/é";
        assert_eq!(percent_decode(&percent_encode(v)), v);
        assert_eq!(
            query_param("tid=1&uti=x%2Dy", "uti").as_deref(),
            Some("x-y")
        );
        assert_eq!(query_param("tid=1", "uti"), None);
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
