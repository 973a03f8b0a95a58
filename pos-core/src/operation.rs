//! What the POS asks a terminal to do, and which of those a vendor supports.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::money::Money;

/// One thing the POS asks of a terminal. `start` takes it and returns a [`crate::TxnId`].
///
/// `reference` fields are the POS's own reference for the transaction; a machine validates it
/// against its vendor's rules, or invents one from its seed when absent. `original` fields
/// name an earlier transaction by the reference its approval reported
/// ([`crate::outcome::References::primary`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Operation {
    /// A purchase, optionally with a tip and cash back.
    Sale {
        /// The goods amount, excluding tip and cash back.
        amount: Money,
        /// A tip added on top.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tip: Option<Money>,
        /// Cash handed to the customer, charged on top.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cashback: Option<Money>,
        /// The POS's reference.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// Money back to the card; referenced when `original` is given.
    Refund {
        /// The amount to refund.
        amount: Money,
        /// The original sale, when the refund is referenced.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        original: Option<String>,
        /// The POS's reference.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// Cancels an earlier transaction of the same batch.
    Void {
        /// The transaction to void.
        original: String,
        /// The POS's reference.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// Reserves an amount to capture later with [`Operation::Completion`].
    PreAuth {
        /// The amount to reserve.
        amount: Money,
        /// The POS's reference.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// Captures a pre-authorisation.
    Completion {
        /// The amount to capture.
        amount: Money,
        /// The pre-authorisation.
        original: String,
        /// The POS's reference.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// Changes the tip of an approved sale.
    TipAdjust {
        /// The sale to adjust.
        original: String,
        /// The new tip.
        tip: Money,
    },
    /// Checks a card without charging it.
    AccountVerification {
        /// The currency of the check.
        currency: crate::money::Currency,
        /// The POS's reference.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// Closes the terminal's batch (settlement).
    BatchClose,
    /// Runs a report on the terminal.
    Report {
        /// Which report.
        kind: ReportKind,
    },
    /// Asks for the outcome of an earlier transaction.
    Lookup {
        /// The transaction to look up.
        original: String,
    },
    /// Prints or returns the last receipt again.
    ReprintLast,
    /// Pairs the POS with a terminal using the code it displays.
    Pair {
        /// The code shown on the terminal.
        code: String,
    },
    /// Lists the terminals behind a cloud account.
    ListTerminals,
}

/// Which report [`Operation::Report`] asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReportKind {
    /// End-of-day totals, usually closing the day.
    EndOfDay,
    /// Running totals without closing.
    XBalance,
    /// Totals, closing the period.
    ZBalance,
    /// The acquirer's banking report.
    Banking,
}

/// The kind of an [`Operation`], without its data: what [`Capabilities`] lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OperationKind {
    /// [`Operation::Sale`].
    Sale,
    /// [`Operation::Refund`] with an `original`.
    ReferencedRefund,
    /// [`Operation::Refund`] without an `original`.
    UnreferencedRefund,
    /// [`Operation::Void`].
    Void,
    /// [`Operation::PreAuth`].
    PreAuth,
    /// [`Operation::Completion`].
    Completion,
    /// [`Operation::TipAdjust`].
    TipAdjust,
    /// [`Operation::AccountVerification`].
    AccountVerification,
    /// [`Operation::BatchClose`].
    BatchClose,
    /// [`Operation::Report`].
    Report,
    /// [`Operation::Lookup`].
    Lookup,
    /// [`Operation::ReprintLast`].
    ReprintLast,
    /// [`Operation::Pair`].
    Pair,
    /// [`Operation::ListTerminals`].
    ListTerminals,
}

impl OperationKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 14] = [
        Self::Sale,
        Self::ReferencedRefund,
        Self::UnreferencedRefund,
        Self::Void,
        Self::PreAuth,
        Self::Completion,
        Self::TipAdjust,
        Self::AccountVerification,
        Self::BatchClose,
        Self::Report,
        Self::Lookup,
        Self::ReprintLast,
        Self::Pair,
        Self::ListTerminals,
    ];

    const fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for OperationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl Operation {
    /// Returns the operation's kind.
    #[must_use]
    pub const fn kind(&self) -> OperationKind {
        match self {
            Self::Sale { .. } => OperationKind::Sale,
            Self::Refund {
                original: Some(_), ..
            } => OperationKind::ReferencedRefund,
            Self::Refund { original: None, .. } => OperationKind::UnreferencedRefund,
            Self::Void { .. } => OperationKind::Void,
            Self::PreAuth { .. } => OperationKind::PreAuth,
            Self::Completion { .. } => OperationKind::Completion,
            Self::TipAdjust { .. } => OperationKind::TipAdjust,
            Self::AccountVerification { .. } => OperationKind::AccountVerification,
            Self::BatchClose => OperationKind::BatchClose,
            Self::Report { .. } => OperationKind::Report,
            Self::Lookup { .. } => OperationKind::Lookup,
            Self::ReprintLast => OperationKind::ReprintLast,
            Self::Pair { .. } => OperationKind::Pair,
            Self::ListTerminals => OperationKind::ListTerminals,
        }
    }

    /// Returns the amount that may be charged or refunded: base plus tip plus cash back.
    ///
    /// `None` for operations that move no new money (void, lookup, reports …).
    #[must_use]
    pub fn total(&self) -> Option<Money> {
        match self {
            Self::Sale {
                amount,
                tip,
                cashback,
                ..
            } => {
                let mut total = *amount;
                for extra in [tip, cashback].into_iter().flatten() {
                    total = total.checked_add(extra).ok()?;
                }
                Some(total)
            }
            Self::Refund { amount, .. }
            | Self::PreAuth { amount, .. }
            | Self::Completion { amount, .. } => Some(*amount),
            _ => None,
        }
    }

    /// Returns the base amount of the operation, if it has one.
    #[must_use]
    pub const fn amount(&self) -> Option<&Money> {
        match self {
            Self::Sale { amount, .. }
            | Self::Refund { amount, .. }
            | Self::PreAuth { amount, .. }
            | Self::Completion { amount, .. } => Some(amount),
            _ => None,
        }
    }

    /// Returns the POS's reference, if it gave one.
    #[must_use]
    pub fn reference(&self) -> Option<&str> {
        match self {
            Self::Sale { reference, .. }
            | Self::Refund { reference, .. }
            | Self::Void { reference, .. }
            | Self::PreAuth { reference, .. }
            | Self::Completion { reference, .. }
            | Self::AccountVerification { reference, .. } => reference.as_deref(),
            _ => None,
        }
    }

    /// Returns true when the operation can move money, so that its request must never be
    /// replayed and must be persisted before it is sent.
    #[must_use]
    pub const fn moves_money(&self) -> bool {
        matches!(
            self.kind(),
            OperationKind::Sale
                | OperationKind::ReferencedRefund
                | OperationKind::UnreferencedRefund
                | OperationKind::Void
                | OperationKind::PreAuth
                | OperationKind::Completion
                | OperationKind::TipAdjust
                | OperationKind::AccountVerification
        )
    }
}

/// The operations a machine supports, as configured. An unsupported one is refused by
/// `start` with [`crate::CommandError::Unsupported`].
#[derive(Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Capabilities {
    bits: u32,
}

impl Capabilities {
    /// No operation at all.
    #[must_use]
    pub const fn none() -> Self {
        Self { bits: 0 }
    }

    /// Builds the set from a list of kinds.
    #[must_use]
    #[allow(clippy::indexing_slicing)] // `i < kinds.len()`; const fn cannot use iterators
    pub const fn of(kinds: &[OperationKind]) -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < kinds.len() {
            bits |= kinds[i].bit();
            i += 1;
        }
        Self { bits }
    }

    /// Returns the set with `kind` added.
    #[must_use]
    pub const fn with(self, kind: OperationKind) -> Self {
        Self {
            bits: self.bits | kind.bit(),
        }
    }

    /// Returns the set with `kind` removed.
    #[must_use]
    pub const fn without(self, kind: OperationKind) -> Self {
        Self {
            bits: self.bits & !kind.bit(),
        }
    }

    /// Returns true when `kind` is supported.
    #[must_use]
    pub const fn supports(&self, kind: OperationKind) -> bool {
        self.bits & kind.bit() != 0
    }

    /// Lists the supported kinds in declaration order.
    #[must_use]
    pub fn kinds(&self) -> Vec<OperationKind> {
        OperationKind::ALL
            .into_iter()
            .filter(|k| self.supports(*k))
            .collect()
    }

    /// Refuses `op` with a typed error when its kind is not supported.
    ///
    /// # Errors
    /// [`crate::CommandError::Unsupported`].
    pub fn check(&self, op: &Operation) -> Result<(), crate::CommandError> {
        if self.supports(op.kind()) {
            Ok(())
        } else {
            Err(crate::CommandError::Unsupported { kind: op.kind() })
        }
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.kinds()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn gbp(minor: i64) -> Money {
        Money::from_minor(minor, Currency::GBP).unwrap()
    }

    #[test]
    fn capabilities_refuse_unsupported_kinds() {
        let caps = Capabilities::of(&[OperationKind::Sale, OperationKind::ReferencedRefund]);
        let sale = Operation::Sale {
            amount: gbp(100),
            tip: None,
            cashback: None,
            reference: None,
        };
        assert!(caps.check(&sale).is_ok());
        let refund = Operation::Refund {
            amount: gbp(100),
            original: None,
            reference: None,
        };
        assert_eq!(
            caps.check(&refund),
            Err(crate::CommandError::Unsupported {
                kind: OperationKind::UnreferencedRefund
            })
        );
        assert!(
            !caps
                .without(OperationKind::Sale)
                .supports(OperationKind::Sale)
        );
        assert_eq!(
            caps.kinds(),
            [OperationKind::Sale, OperationKind::ReferencedRefund]
        );
    }

    #[test]
    fn totals_add_tip_and_cashback() {
        let sale = Operation::Sale {
            amount: gbp(1000),
            tip: Some(gbp(150)),
            cashback: Some(gbp(2000)),
            reference: None,
        };
        assert_eq!(sale.total(), Some(gbp(3150)));
        assert!(sale.moves_money());
        assert!(!Operation::BatchClose.moves_money());
        assert_eq!(
            Operation::Lookup {
                original: "x".into()
            }
            .total(),
            None
        );
    }

    #[test]
    fn operations_serialise_with_a_tag() {
        let op = Operation::Void {
            original: "A1".into(),
            reference: None,
        };
        let json = serde_json::to_string(&op).unwrap();
        assert_eq!(json, r#"{"op":"void","original":"A1"}"#);
        assert_eq!(serde_json::from_str::<Operation>(&json).unwrap(), op);
    }
}
