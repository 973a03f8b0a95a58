//! How a transaction ended: exactly one [`Outcome`] per started transaction.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::money::Money;

/// The end of a transaction, carried by [`crate::Event::Finished`].
///
/// A decline, a timeout or a lost connection is an outcome, never an `Err`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// The terminal approved; money moved (or, for reports and lookups, the request succeeded).
    Approved(Approval),
    /// The issuer or terminal declined; no money moved.
    Declined(Decline),
    /// The cardholder, the operator or the POS cancelled before approval; no money moved.
    Cancelled(Cancellation),
    /// The request never reached the card flow (busy, invalid, not found, auth); nothing charged.
    Rejected(Rejection),
    /// The machine exhausted recovery and cannot tell. Reconcile by hand with the references.
    Unknown(Unresolved),
}

impl Outcome {
    /// Returns the references of whichever variant this is.
    #[must_use]
    pub const fn references(&self) -> &References {
        match self {
            Self::Approved(a) => &a.references,
            Self::Declined(d) => &d.references,
            Self::Cancelled(c) => &c.references,
            Self::Rejected(r) => &r.references,
            Self::Unknown(u) => &u.references,
        }
    }

    /// Returns the class of the outcome, without its data.
    #[must_use]
    pub const fn class(&self) -> OutcomeClass {
        match self {
            Self::Approved(_) => OutcomeClass::Approved,
            Self::Declined(_) => OutcomeClass::Declined,
            Self::Cancelled(_) => OutcomeClass::Cancelled,
            Self::Rejected(_) => OutcomeClass::Rejected,
            Self::Unknown(_) => OutcomeClass::Unknown,
        }
    }
}

/// The class of an [`Outcome`], for tables, exit codes and scenario expectations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeClass {
    /// [`Outcome::Approved`].
    Approved,
    /// [`Outcome::Declined`].
    Declined,
    /// [`Outcome::Cancelled`].
    Cancelled,
    /// [`Outcome::Rejected`].
    Rejected,
    /// [`Outcome::Unknown`].
    Unknown,
}

impl fmt::Display for OutcomeClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Approved => "approved",
            Self::Declined => "declined",
            Self::Cancelled => "cancelled",
            Self::Rejected => "rejected",
            Self::Unknown => "unknown",
        })
    }
}

/// An approval with everything the POS records and prints.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The amount approved in total, when the operation moved money.
    pub amount: Option<Money>,
    /// The tip within `amount`.
    pub tip: Option<Money>,
    /// The cash back within `amount`.
    pub cashback: Option<Money>,
    /// The issuer's authorisation code.
    pub auth_code: Option<String>,
    /// The card, masked.
    pub card: Option<MaskedCard>,
    /// Receipt text.
    pub receipt: Receipt,
    /// Vendor references.
    pub references: References,
    /// The vendor's message for the operator.
    pub message: Option<String>,
}

/// A decline by the issuer, the card or the terminal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decline {
    /// The vendor's response code.
    pub code: Option<String>,
    /// The vendor's message for the operator.
    pub message: Option<String>,
    /// The card, masked, when one was read.
    pub card: Option<MaskedCard>,
    /// Receipt text.
    pub receipt: Receipt,
    /// Vendor references.
    pub references: References,
}

/// A cancellation before approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    /// Who cancelled.
    pub by: CancelledBy,
    /// The vendor's response code.
    pub code: Option<String>,
    /// The vendor's message for the operator.
    pub message: Option<String>,
    /// Vendor references.
    pub references: References,
}

/// Who cancelled a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CancelledBy {
    /// The cardholder or the operator on the terminal.
    Terminal,
    /// The POS, through `cancel`.
    Pos,
    /// The terminal's own timeout (no card presented).
    Timeout,
    /// Not stated by the vendor.
    Unspecified,
}

/// A request refused before the card flow began: nothing was charged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// Why.
    pub reason: RejectReason,
    /// The vendor's response code.
    pub code: Option<String>,
    /// The vendor's message for the operator.
    pub message: Option<String>,
    /// Vendor references.
    pub references: References,
}

/// Why a request was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RejectReason {
    /// The terminal is busy with another transaction.
    Busy,
    /// The request was invalid (amount, reference, fields).
    Invalid,
    /// The referenced transaction or the terminal was not found.
    NotFound,
    /// Credentials were refused.
    Unauthorized,
    /// The terminal or account does not support the operation.
    Unsupported,
    /// The reference was already used.
    Duplicate,
    /// The terminal is offline or unreachable, and the request certainly did not reach it.
    Unavailable,
    /// Anything else the vendor reports as "not processed".
    Other,
}

/// An outcome nobody can tell yet, with what is needed to reconcile it by hand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unresolved {
    /// Why the machine gave up.
    pub reason: UnknownReason,
    /// What the operator should do, e.g. "check the terminal's last transaction".
    pub hint: Option<String>,
    /// The amount that may have been charged.
    pub amount: Option<Money>,
    /// Every reference the vendor knows the transaction by.
    pub references: References,
    /// Evidence gathered during recovery (late results, last statuses), newest last.
    pub evidence: Vec<String>,
}

/// Why an outcome is unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UnknownReason {
    /// The request may have reached the terminal but its reply was lost.
    RequestReplyLost,
    /// No result arrived before the deadline, and recovery did not find one.
    NoResult,
    /// The terminal itself reported an unknown or timed-out result.
    TerminalReportedUnknown,
    /// Recovery found conflicting evidence that needs a person.
    ConflictingEvidence,
    /// The vendor offers no lookup to recover with.
    NoLookup,
    /// Credentials were refused while the result was pending.
    Unauthorized,
}

/// Named vendor references for a transaction (order number, UTI, request id …).
///
/// `primary` is the one to pass as `original` in a follow-up operation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct References {
    /// The reference to use for follow-ups and reconciliation.
    pub primary: Option<String>,
    /// Every other reference by the vendor's own field name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub other: BTreeMap<String, String>,
}

impl References {
    /// Builds references with a primary reference.
    #[must_use]
    pub fn primary(primary: impl Into<String>) -> Self {
        Self {
            primary: Some(primary.into()),
            other: BTreeMap::new(),
        }
    }

    /// Adds a named reference and returns the set.
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.other.insert(name.into(), value.into());
        self
    }

    /// Returns a named reference.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.other.get(name).map(String::as_str)
    }
}

/// Receipt text as lines, for the merchant's and the customer's copies.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The merchant copy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merchant: Vec<String>,
    /// The customer copy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customer: Vec<String>,
}

impl Receipt {
    /// Returns true when neither copy has a line.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.merchant.is_empty() && self.customer.is_empty()
    }
}

/// A card number that shows at most the first six and the last four digits.
///
/// The only constructors mask, so a full card number cannot be stored in one.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub struct MaskedCard(String);

impl MaskedCard {
    /// Masks a card number as the terminal reported it (full, partly masked, or last four).
    ///
    /// Digits beyond the first six and the last four are replaced with `*`; separators are
    /// dropped; any other mask character becomes `*`.
    #[must_use]
    pub fn mask(reported: &str) -> Self {
        let chars: Vec<char> = reported
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .map(|c| if c.is_ascii_digit() { c } else { '*' })
            .collect();
        let n = chars.len();
        // Short values (e.g. "1234") are last digits only, so they are shown.
        let masked = chars
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if n > 10 && i >= 6 && i + 4 < n {
                    '*'
                } else {
                    *c
                }
            })
            .collect();
        Self(masked)
    }

    /// Returns the masked text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the last four characters.
    #[must_use]
    pub fn last4(&self) -> &str {
        let start = self.0.len().saturating_sub(4);
        self.0.get(start..).unwrap_or("")
    }
}

impl From<String> for MaskedCard {
    fn from(s: String) -> Self {
        Self::mask(&s)
    }
}

impl From<MaskedCard> for String {
    fn from(card: MaskedCard) -> Self {
        card.0
    }
}

impl fmt::Debug for MaskedCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for MaskedCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_are_always_masked() {
        assert_eq!(
            MaskedCard::mask("4111111111111111").as_str(),
            "411111******1111"
        );
        assert_eq!(
            MaskedCard::mask("4111 1111 1111 1111").as_str(),
            "411111******1111"
        );
        assert_eq!(
            MaskedCard::mask("411111XXXXXX1111").as_str(),
            "411111******1111"
        );
        assert_eq!(MaskedCard::mask("1111").as_str(), "1111");
        assert_eq!(MaskedCard::mask("************1111").last4(), "1111");
        let from_json: MaskedCard = serde_json::from_str("\"5500000000000004\"").unwrap();
        assert_eq!(from_json.as_str(), "550000******0004");
    }
}
