//! What a machine tells the POS, drained with `Machine::poll_event`.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ids::TxnId;
use crate::io::Fingerprint;
use crate::outcome::Outcome;
use crate::persist::PersistRecord;
use crate::secret::Secret;

/// Everything the POS must know, in the order it happened.
///
/// Each started transaction gets exactly one [`Event::Finished`]. Persist events precede the
/// transmit they protect: drain events before transmits and journal each `Persist` first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Event {
    /// Store this record durably before sending anything else; it replaces any earlier record
    /// for the same transaction. After a crash, pass it to `Machine::resume`.
    Persist(PersistRecord),
    /// The transaction moved on; show it to the operator.
    Progress {
        /// The transaction.
        txn: TxnId,
        /// What happened.
        progress: Progress,
    },
    /// The terminal asks the POS something; reply with `Machine::answer`.
    Question {
        /// The transaction.
        txn: TxnId,
        /// The question.
        question: Question,
    },
    /// A report or other data produced by the transaction (batch close, terminal list).
    Report {
        /// The transaction.
        txn: TxnId,
        /// The report.
        report: Report,
    },
    /// The transaction ended. Its persist record may now be deleted.
    Finished {
        /// The transaction.
        txn: TxnId,
        /// How it ended.
        outcome: Outcome,
    },
    /// Something about the link or the account, not a transaction's progress.
    Notice(Notice),
}

impl Event {
    /// Returns the transaction the event belongs to, if any.
    #[must_use]
    pub const fn txn(&self) -> Option<TxnId> {
        match self {
            Self::Persist(record) => Some(record.txn),
            Self::Progress { txn, .. }
            | Self::Question { txn, .. }
            | Self::Report { txn, .. }
            | Self::Finished { txn, .. } => Some(*txn),
            Self::Notice(notice) => notice.txn(),
        }
    }
}

/// A step of a transaction, with the vendor's text for the operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The vendor-neutral stage.
    pub stage: Stage,
    /// The vendor's text, when it sent one.
    pub message: Option<String>,
}

impl Progress {
    /// Builds progress without vendor text.
    #[must_use]
    pub const fn stage(stage: Stage) -> Self {
        Self {
            stage,
            message: None,
        }
    }

    /// Builds progress with vendor text.
    #[must_use]
    pub fn with_message(stage: Stage, message: impl Into<String>) -> Self {
        Self {
            stage,
            message: Some(message.into()),
        }
    }
}

/// Vendor-neutral stages of a card transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stage {
    /// The request reached the terminal or gateway.
    Accepted,
    /// Waiting for the cardholder to present a card.
    PresentCard,
    /// The card was read.
    CardRead,
    /// The cardholder is entering a PIN.
    PinEntry,
    /// Waiting for the issuer.
    Authorising,
    /// The cardholder may remove the card.
    RemoveCard,
    /// The terminal is printing or showing a receipt.
    Receipt,
    /// The POS asked for a cancel; the result follows.
    CancelRequested,
    /// The result was lost or late; the machine is recovering it.
    Recovering,
    /// Anything else the vendor reports; see the message.
    Other,
}

/// A question the terminal asks the POS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Question {
    /// Does the signature on the receipt match the card? Answer with [`Answer::Signature`].
    SignatureCheck {
        /// How long the terminal waits for the answer.
        timeout: Duration,
    },
}

/// The POS's answer to a [`Question`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Answer {
    /// The signature was checked.
    Signature {
        /// True when it matches.
        accepted: bool,
    },
}

/// Data a transaction produced besides its outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// What it is, e.g. `"END_OF_DAY"`, `"batch_close"`, `"terminals"`.
    pub kind: String,
    /// Parsed fields in the vendor's order.
    pub fields: Vec<(String, String)>,
    /// The vendor's raw body, for storing digitally.
    pub raw: Option<String>,
}

/// Something about the link, the account or an unmatched message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Notice {
    /// The connection is up.
    LinkUp,
    /// The connection was lost; a transaction in flight goes to recovery.
    LinkLost {
        /// Why, as far as known.
        reason: String,
    },
    /// Credentials were refused; the POS must pair or configure again.
    ReauthNeeded {
        /// The HTTP status or vendor code.
        code: String,
    },
    /// Store this credential (e.g. a pairing token) where the configuration says.
    Credential {
        /// What it is, e.g. `"paynt_token"`.
        name: String,
        /// The value.
        value: Secret<String>,
    },
    /// Store this certificate fingerprint and pin it from now on (trust on first use).
    TrustCertificate(Fingerprint),
    /// A cancel was refused or timed out; the transaction goes on.
    CancelRefused {
        /// The transaction.
        txn: TxnId,
        /// Why.
        reason: String,
    },
    /// A result arrived for a transaction that already finished or is in recovery.
    LateResult {
        /// The transaction, if it could be matched.
        txn: Option<TxnId>,
        /// A summary of what arrived.
        detail: String,
    },
    /// A message that matched nothing outstanding.
    Unsolicited {
        /// A summary of what arrived.
        detail: String,
    },
    /// The peer sent something that breaks the protocol; it was dropped.
    ProtocolError {
        /// What was wrong.
        detail: String,
    },
}

impl Notice {
    /// Returns the transaction the notice belongs to, if any.
    #[must_use]
    pub const fn txn(&self) -> Option<TxnId> {
        match self {
            Self::CancelRefused { txn, .. } => Some(*txn),
            Self::LateResult { txn, .. } => *txn,
            _ => None,
        }
    }
}
